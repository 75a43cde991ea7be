// signer_protocol.cpp - encoding and decoding of the worker-signer messages
// (see signer_protocol.hpp). Pure functions: no sockets, no keys.
#include "signer_protocol.hpp"

#include "bounceseal/encoding.hpp"
#include "bounceseal/error.hpp"

namespace bounceseal::milter {

std::string encode_signer_message(std::uint32_t id, char code, std::string_view payload) {
    std::string out;
    out.reserve(5 + payload.size());
    for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((id >> shift) & 0xff);
    out += code;
    out += payload;
    return out;
}

std::optional<SignerMessage> decode_signer_message(std::string_view datagram) {
    if (datagram.size() < 5) return std::nullopt;
    SignerMessage m;
    for (int i = 0; i < 4; ++i)
        m.id |= static_cast<std::uint32_t>(static_cast<unsigned char>(datagram[static_cast<std::size_t>(i)])) << (8 * i);
    m.code = datagram[4];
    m.payload = datagram.substr(5);
    return m;
}

std::string encode_identity(const SignerIdentity& identity) {
    const std::string pem = identity.public_key.pem();
    return "d=" + identity.domain + "\ns=" + identity.selector + "\npk=" +
           base64_encode(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()) + "\n";
}

SignerIdentity decode_identity(std::string_view text) {
    auto field = [&](std::string_view tag) {
        if (!text.starts_with(tag)) throw Error(Errc::malformed, "signer identity: expected " + std::string(tag));
        text.remove_prefix(tag.size());
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) throw Error(Errc::malformed, "signer identity: unterminated line");
        std::string value(text.substr(0, nl));
        text.remove_prefix(nl + 1);
        return value;
    };
    SignerIdentity id;
    id.domain = field("d=");
    id.selector = field("s=");
    const Bytes pem = base64_decode(field("pk="), "signer identity pk=");
    if (!text.empty() || !valid_domain(id.domain) || !valid_selector(id.selector))
        throw Error(Errc::malformed, "signer identity: not a domain, a selector and a public key");
    id.public_key = PublicKey::from_pem(std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()),
                                        "signer identity pk=");
    return id;
}

}  // namespace bounceseal::milter

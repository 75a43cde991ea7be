// signer_protocol.hpp - the messages between bounceseal-milter's worker
// process and its signer process (signer.hpp), both ends.
//
// The two talk over a SOCK_SEQPACKET socketpair: every request and every
// answer is one datagram, so there is no framing to get wrong. A message is
// a 4-byte request id (little-endian), one code byte and a payload:
//
//   worker -> signer   'S' sign     payload: a record text (FORMAT.md 2.2)
//                      'R' reload   payload: none
//   signer -> worker   'k' done     payload: the 64-byte signature, or the
//                                   signer's identity (sign / reload, hello)
//                      'r' refused  payload: why (the request was bad)
//                      'f' failed   payload: why (e.g. the new key is unsafe)
//
// The signer speaks first, unasked, with id 0: 'k' and its identity once
// it holds its key, or 'f' and why it could not load it. The identity is
// text, "d=DOMAIN\ns=SELECTOR\npk=PUBLIC KEY\n" (the public key's PEM in
// base64): what the worker needs for its seals and its logs, never private
// key material. Nothing here does I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bounceseal/keys.hpp"

namespace bounceseal::milter {

// How long the worker waits for one answer, and the signer for itself to
// give one. A signature takes tens of microseconds and a reload
// milliseconds; a signer this late is stuck.
inline constexpr std::chrono::seconds kSignerTimeout{5};

// Largest datagram either side sends or accepts: a record text is at most
// kMaxSealTextLen (4096) bytes.
inline constexpr std::size_t kMaxSignerMessage = 8192;

namespace signer_code {
inline constexpr char sign = 'S';
inline constexpr char reload = 'R';
inline constexpr char done = 'k';
inline constexpr char refused = 'r';
inline constexpr char failed = 'f';
}  // namespace signer_code

struct SignerMessage {
    std::uint32_t id = 0;
    char code = 0;
    std::string payload;
};

std::string encode_signer_message(std::uint32_t id, char code, std::string_view payload);
// nullopt for a datagram shorter than the id and the code.
std::optional<SignerMessage> decode_signer_message(std::string_view datagram);

// Who the signer signs as.
struct SignerIdentity {
    std::string domain;
    std::string selector;
    PublicKey public_key;  // names the key in logs (its fingerprint)
};

std::string encode_identity(const SignerIdentity& identity);
// Throws Error(Errc::malformed) unless `text` is what encode_identity()
// writes, with a valid domain, selector and public key.
SignerIdentity decode_identity(std::string_view text);

}  // namespace bounceseal::milter

// milter_message.cpp - the message helpers declared at the end of
// milter_client.hpp: a message held as text split the way sendmail hands it
// to a filter, a result applied back onto it the way sendmail applies a
// filter's changes, and readable names for protocol codes.
// Not here: sockets, framing or the order of commands (milter_client.cpp).
#include "milter_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace bounceseal::test {
namespace {
std::string unknown_code(const char* kind, char code) {
    char text[40];
    const auto byte = static_cast<unsigned char>(code);
    if (byte > 0x20 && byte < 0x7f)
        std::snprintf(text, sizeof text, "unknown %s '%c'", kind, code);
    else
        std::snprintf(text, sizeof text, "unknown %s 0x%02x", kind, byte);
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    char previous = '\0';
    for (const char c : text) {
        if (c == '\n' && previous != '\r') out.push_back('\r');
        out.push_back(c);
        previous = c;
    }
    return out;
}

struct CodeName {
    char code;
    const char* name;
};
#define BOUNCESEAL_CODE_NAME(code) CodeName{code, #code}
constexpr CodeName kCommandNames[] = {
    BOUNCESEAL_CODE_NAME(SMFIC_ABORT),   BOUNCESEAL_CODE_NAME(SMFIC_BODY),
    BOUNCESEAL_CODE_NAME(SMFIC_CONNECT), BOUNCESEAL_CODE_NAME(SMFIC_MACRO),
    BOUNCESEAL_CODE_NAME(SMFIC_BODYEOB), BOUNCESEAL_CODE_NAME(SMFIC_HELO),
    BOUNCESEAL_CODE_NAME(SMFIC_QUIT_NC), BOUNCESEAL_CODE_NAME(SMFIC_HEADER),
    BOUNCESEAL_CODE_NAME(SMFIC_MAIL),    BOUNCESEAL_CODE_NAME(SMFIC_EOH),
    BOUNCESEAL_CODE_NAME(SMFIC_OPTNEG),  BOUNCESEAL_CODE_NAME(SMFIC_QUIT),
    BOUNCESEAL_CODE_NAME(SMFIC_RCPT),    BOUNCESEAL_CODE_NAME(SMFIC_DATA),
    BOUNCESEAL_CODE_NAME(SMFIC_UNKNOWN),
};
constexpr CodeName kReplyNames[] = {
    BOUNCESEAL_CODE_NAME(SMFIR_ADDRCPT),    BOUNCESEAL_CODE_NAME(SMFIR_DELRCPT),
    BOUNCESEAL_CODE_NAME(SMFIR_ADDRCPT_PAR), BOUNCESEAL_CODE_NAME(SMFIR_SHUTDOWN),
    BOUNCESEAL_CODE_NAME(SMFIR_ACCEPT),     BOUNCESEAL_CODE_NAME(SMFIR_REPLBODY),
    BOUNCESEAL_CODE_NAME(SMFIR_CONTINUE),   BOUNCESEAL_CODE_NAME(SMFIR_DISCARD),
    BOUNCESEAL_CODE_NAME(SMFIR_CHGFROM),    BOUNCESEAL_CODE_NAME(SMFIR_CONN_FAIL),
    BOUNCESEAL_CODE_NAME(SMFIR_ADDHEADER),  BOUNCESEAL_CODE_NAME(SMFIR_INSHEADER),
    BOUNCESEAL_CODE_NAME(SMFIR_SETSYMLIST), BOUNCESEAL_CODE_NAME(SMFIR_CHGHEADER),
    BOUNCESEAL_CODE_NAME(SMFIR_PROGRESS),   BOUNCESEAL_CODE_NAME(SMFIR_QUARANTINE),
    BOUNCESEAL_CODE_NAME(SMFIR_REJECT),     BOUNCESEAL_CODE_NAME(SMFIR_SKIP),
    BOUNCESEAL_CODE_NAME(SMFIR_TEMPFAIL),   BOUNCESEAL_CODE_NAME(SMFIR_REPLYCODE),
    BOUNCESEAL_CODE_NAME(SMFIC_OPTNEG),  // the filter's answer to SMFIC_OPTNEG
};
#undef BOUNCESEAL_CODE_NAME

}  // namespace


std::vector<Modification> MilterResult::find(char action, std::string_view name) const {
    std::vector<Modification> found;
    for (const auto& m : modifications)
        if (m.action == action && (name.empty() || iequals(m.name, name))) found.push_back(m);
    return found;
}

MilterMessage parse_rfc5322(std::string_view text) {
    MilterMessage message;
    std::size_t pos = 0;
    std::size_t line_number = 0;
    bool has_body = false;
    while (pos < text.size()) {
        const auto newline = text.find('\n', pos);
        const auto next = newline == std::string_view::npos ? text.size() : newline + 1;
        auto line = text.substr(pos, next - pos);
        pos = next;
        ++line_number;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        if (line.empty()) {
            has_body = true;
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (message.headers.empty())
                throw std::invalid_argument("line 1 is a continuation line, not a header field");
            message.headers.back().second.append("\n").append(line);  // sendmail keeps folds
            continue;
        }
        const auto colon = line.find(':');
        auto name = line.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        if (colon == std::string_view::npos || name.empty())
            throw std::invalid_argument("line " + std::to_string(line_number) +
                                        " is not a header field");
        message.headers.emplace_back(std::string(name), std::string(line.substr(colon + 1)));
    }
    if (has_body) message.body = to_crlf(text.substr(pos));
    return message;
}

std::string render_result(const MilterMessage& message, const MilterResult& result) {
    HeaderList fields = message.headers;
    // Without SMFIP_HDR_LEADSPC sendmail puts the space after the colon back.
    const bool exact = result.negotiated.has(SMFIP_HDR_LEADSPC);
    auto stored = [exact](const std::string& value) { return exact ? value : " " + value; };
    for (const auto& mod : result.modifications) {
        if (mod.action == SMFIR_ADDHEADER) {
            fields.emplace_back(mod.name, stored(mod.value));
        } else if (mod.action == SMFIR_INSHEADER) {
            const auto at = std::min<std::size_t>(mod.index, fields.size());
            fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(at),
                          {mod.name, stored(mod.value)});
        } else if (mod.action == SMFIR_CHGHEADER) {
            std::uint32_t seen = 0;
            const std::uint32_t wanted = std::max<std::uint32_t>(mod.index, 1);
            auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) {
                return iequals(f.first, mod.name) && ++seen == wanted;
            });
            if (it == fields.end() && !mod.value.empty())
                fields.emplace_back(mod.name, stored(mod.value));
            else if (it != fields.end() && mod.value.empty())
                fields.erase(it);
            else if (it != fields.end())
                it->second = stored(mod.value);
        }
    }
    std::string out;
    for (const auto& [name, value] : fields)
        out.append(name).append(":").append(to_crlf(value)).append("\r\n");
    out.append("\r\n");
    out.append(result.body_replaced ? result.new_body : message.body);
    return out;
}

std::string first_address(std::string_view value) {
    const auto open = value.find('<');
    const auto close = value.find('>', open == std::string_view::npos ? 0 : open);
    if (open != std::string_view::npos && close != std::string_view::npos)
        return std::string(value.substr(open + 1, close - open - 1));
    const auto begin = value.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    const auto end = value.find_first_of(" \t\r\n,", begin);
    return std::string(value.substr(begin, end == std::string_view::npos ? end : end - begin));
}

std::string command_name(char command) {
    for (const auto& [code, name] : kCommandNames)
        if (code == command) return name;
    return unknown_code("command", command);
}

std::string reply_name(char reply) {
    for (const auto& [code, name] : kReplyNames)
        if (code == reply) return name;
    return unknown_code("reply", reply);
}

}  // namespace bounceseal::test

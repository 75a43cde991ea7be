// checks.cpp - the fuzz targets' properties (checks.hpp). Fixed keys, clock
// and nonce keep every run reproducible from its input alone; nothing here
// reads files, the clock or the environment.
#include "checks.hpp"

#include <string>
#include <variant>
#include <vector>

#include "bounce_template.hpp"
#include "bounceseal/bounce.hpp"
#include "bounceseal/common/config.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/record.hpp"
#include "bounceseal/seal.hpp"
#include "bounceseal/verify.hpp"

namespace bounceseal::fuzz {
namespace {

// The unit tests' fixtures (tests/unit/test_support.hpp), so that the seeds
// made from the test data carry seals this keyring accepts at this time.
constexpr std::int64_t kNow = 1795000000;
constexpr const char* kSender = "alice@example.test";
constexpr const char* kDomain = "example.test";
constexpr const char* kSelector = "sel1";

[[noreturn]] void violation(const std::string& what) { throw PropertyViolation(what); }

PrivateKey vector_key() {
    Bytes seed(32);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
    return PrivateKey::from_seed(seed);
}

const SealKey& seal_key() {
    static const SealKey key{kDomain, kSelector, vector_key()};
    return key;
}

const Keyring& keyring() {
    static const Keyring ring = [] {
        Keyring r;
        r.add(kDomain, kSelector, seal_key().key.public_key());
        return r;
    }();
    return ring;
}

VerifyPolicy policy() {
    VerifyPolicy p;
    p.recipients = {kSender};
    return p;
}

std::string steps_of(const std::vector<std::string>& steps) {
    std::string out;
    for (const auto& s : steps) out += "\n  " + s;
    return out;
}

// Runs `f`; an Error whose code is in `allowed` is a refusal and returns
// false, any other exception is a violation.
template <class F>
bool refuses_only(F&& f, std::initializer_list<Errc> allowed, const std::string& what) {
    try {
        f();
        return true;
    } catch (const PropertyViolation&) {
        throw;
    } catch (const Error& e) {
        for (Errc c : allowed)
            if (e.code() == c) return false;
        violation(what + ": unexpected Error(" + errc_name(e.code()) + "): " + e.what());
    } catch (const std::bad_alloc&) {
        throw;  // libFuzzer's -rss_limit_mb judges memory, not this check
    } catch (const std::exception& e) {
        violation(what + ": unexpected exception: " + e.what());
    }
}

const char* mode_name(SealMode m) {
    switch (m) {
    case SealMode::append_only: return "append-only";
    case SealMode::full: return "full";
    case SealMode::header_only: return "header";
    }
    return "?";
}

// What an MTA returns as the forger's message: its own Received line on
// top, then the spam's header (no Bounce-Seal field); the layouts add the
// Content-Type. The weak header (no field of a message's header at all)
// is used where the MTA's part holds the copy whole: there it must be the
// copy's header all the same.
constexpr const char* kCopyHeader =
    "Received: from spam.example (spam.example [192.0.2.66]) by mx.remote.example;\n"
    "\tMon, 18 Nov 2026 09:59:30 +0000\n"
    "From: alice@example.test\nTo: victim@spam-target.example\nSubject: offer\n"
    "Date: Mon, 18 Nov 2026 09:59:00 +0000\nMessage-ID: <fuzz@spam.example>\nMIME-Version: 1.0\n";
constexpr const char* kWeakHeader = "X-Campaign: 42\n";
constexpr const char* kCopyBoundary = "=_forger_copy_boundary";
constexpr int kLayouts = 3;

// The boundaries a template declares (boundary="..."), which the forger's
// bytes must not be able to close: they are the MTA's structure.
std::vector<std::string> declared_boundaries(std::string_view tmpl) {
    std::vector<std::string> out;
    constexpr std::string_view key = "boundary=\"";
    for (std::size_t at = tmpl.find(key); at != std::string_view::npos; at = tmpl.find(key, at + 1)) {
        std::size_t begin = at + key.size(), end = tmpl.find('"', begin);
        if (end != std::string_view::npos) out.emplace_back(tmpl.substr(begin, end - begin));
    }
    out.emplace_back(kCopyBoundary);
    return out;
}

// The forger's bytes with every line that would be a delimiter of an outer
// boundary indented: he writes below the copy's top, not the MTA's parts
// or the copy's own top-level structure.
std::string confined(std::string_view bytes, const std::vector<std::string>& outer) {
    std::string out;
    out.reserve(bytes.size() + 16);
    std::size_t pos = 0;
    while (pos <= bytes.size()) {
        std::size_t nl = bytes.find('\n', pos);
        std::string_view line = bytes.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        for (const auto& b : outer)
            if (line.size() >= b.size() + 2 && line.starts_with("--") && line.substr(2, b.size()) == b) {
                out += ' ';
                break;
            }
        out += line;
        if (nl == std::string_view::npos) break;
        out += '\n';
        pos = nl + 1;
    }
    return out;
}

}  // namespace

std::string returned_bounce(std::string_view input) {
    using bounceseal::testing::kBounceTemplateCount;
    using bounceseal::testing::kBounceTemplates;
    const auto byte = [&](std::size_t i) { return i < input.size() ? static_cast<unsigned char>(input[i]) : 0u; };
    const bounceseal::testing::BounceTemplate& t = kBounceTemplates[byte(0) % kBounceTemplateCount];
    const int layout = static_cast<int>(byte(1) % (2 * kLayouts));
    std::string tmpl = t.text;
    // A header part carrying the body too (as OpenSMTPD's): the forger's
    // bytes must reach the verifier.
    for (std::size_t at; (at = tmpl.find("{{original-headers")) != std::string::npos;) tmpl.replace(at, 18, "{{original");
    const std::string forger = confined(input.substr(std::min<std::size_t>(2, input.size())), declared_boundaries(tmpl));
    const std::string header = t.anchored && layout >= kLayouts ? kWeakHeader : kCopyHeader;
    const std::string b = kCopyBoundary;
    std::string copy;
    switch (layout % kLayouts) {
    case 0:  // the forger's bytes are the copy's text
        copy = header + "Content-Type: text/plain\n\n" + forger;
        break;
    case 1:  // ... a message attached to it
        copy = header + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b +
               "\nContent-Type: text/plain\n\nSee the attachment.\n--" + b + "\nContent-Type: message/rfc822\n\n" +
               forger + "\n--" + b + "--\n";
        break;
    default:  // ... one top-level part of it, header and all, and a fixed one after it
        copy = header + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b + "\n" + forger + "\n--" + b +
               "\nContent-Type: text/plain\n\nCheap watches.\n--" + b + "--\n";
        break;
    }
    return bounceseal::testing::fill_template(tmpl, copy);
}

void check_returned(std::string_view input) {
    const std::string bounce = returned_bounce(input);
    Decision d;
    refuses_only([&] { d = decide(bounce, keyring(), policy(), BounceLimits{}, kNow); }, {}, "decide");
    if (d.judgement.verdict != Verdict::fail)
        violation(std::string("a bounce returning a copy without a seal of its own got ") +
                  verdict_name(d.judgement.verdict) + " (" + kind_name(d.kind) + ") from " + d.where +
                  steps_of(d.steps));
}

void check_decide(std::string_view input) {
    Decision d;
    refuses_only([&] { d = decide(input, keyring(), policy(), BounceLimits{}, kNow); }, {}, "decide");
    const Judgement& j = d.judgement;
    const bool passed = j.verdict == Verdict::pass || j.verdict == Verdict::pass_headers_only;
    if (is_judged(d.kind) == (j.verdict == Verdict::none))
        violation(std::string("verdict ") + verdict_name(j.verdict) + " for kind " + kind_name(d.kind));
    if (j.verdict == Verdict::fail && j.reason == Reason::ok) violation("fail with reason ok");
    if (passed && j.reason != Reason::ok) violation("pass with a failure reason");
    if (passed && (j.domain != kDomain || j.selector != kSelector))
        violation("pass for a key not in the keyring: d=" + j.domain + " s=" + j.selector);
}

void check_seal(std::string_view input) {
    mime_init();
    if (!parse_message(input)) return;  // not a message to GMime: nothing to seal
    const SplitMessage m = split_message(input);
    if (seal_precheck(m.headers, kDomain)) return;  // the milter would not seal it
    for (SealMode mode : {SealMode::append_only, SealMode::full, SealMode::header_only}) {
        SealOptions o;
        o.mode = mode;
        o.now = kNow;
        o.nonce = Bytes(kNonceBytes, 0x5a);
        const std::string boundary = "=_bounceseal_fuzzfuzzfuzzfuzzfu";
        if (input.find(boundary) == std::string_view::npos) o.boundary = boundary;
        SealResult planned;
        const std::string what = std::string("plan_seal (mode ") + mode_name(mode) + ")";
        if (!refuses_only([&] { planned = plan_seal(m.headers, m.body, kSender, seal_key(), o); }, {Errc::mime},
                          what))
            continue;  // refused before any change: the milter's OnError case
        if (const SealSkip* skip = std::get_if<SealSkip>(&planned)) {
            if (skip->reason == SkipReason::message_partial) violation(what + ": a reason of seal_precheck's");
            continue;  // not to be sealed (already sealed, too complex): passed on as it is
        }
        const SealPlan& plan = std::get<SealPlan>(planned);
        std::string sealed;
        refuses_only([&] { sealed = apply_seal_plan(m.headers, m.body, plan, m.eol); }, {}, "apply_seal_plan");
        GPtr<GMimeMessage> out = parse_message(sealed);
        if (!out) violation(what + ": the sealed message does not parse");
        Judgement j;
        refuses_only([&] { j = judge(find_seals(out.get()), keyring(), policy(), kNow); }, {}, "find_seals/judge");
        if (j.verdict != Verdict::pass)
            violation(what + " (" + plan.shape + "): sealed message judged " + verdict_name(j.verdict) + " (" +
                      reason_name(j.reason) + ")" + steps_of(j.steps));
    }
}

void check_record(std::string_view input) {
    Record r;
    if (refuses_only([&] { r = parse_record_text(input); }, {Errc::malformed}, "parse_record_text")) {
        std::string text;
        refuses_only([&] { text = record_text(r); }, {}, "record_text of a parsed record");
        Record again;
        refuses_only([&] { again = parse_record_text(text); }, {}, "parse_record_text of record_text");
        if (!(again == r)) violation("record text does not round-trip");
    }
    HeaderSeal hs;
    if (refuses_only([&] { hs = parse_header_value(input); }, {Errc::malformed}, "parse_header_value")) {
        for (bool lf : {false, true}) {
            std::string value;
            refuses_only([&] { value = header_value(hs.record, hs.signature, lf); }, {}, "header_value");
            HeaderSeal again;
            refuses_only([&] { again = parse_header_value(value); }, {}, "parse_header_value of header_value");
            if (!(again.record == hs.record) || again.signature != hs.signature)
                violation("Bounce-Seal value does not round-trip");
        }
    }
    SignaturePart sp;
    if (refuses_only([&] { sp = parse_signature_part_text(input); }, {Errc::malformed}, "parse_signature_part_text")) {
        Record named;
        named.domain = sp.domain;
        named.selector = sp.selector;
        std::string text;
        refuses_only([&] { text = signature_part_text(named, sp.signature, "\r\n"); }, {}, "signature_part_text");
        SignaturePart again;
        refuses_only([&] { again = parse_signature_part_text(text); }, {}, "parse of signature_part_text");
        if (again.domain != sp.domain || again.selector != sp.selector || again.signature != sp.signature)
            violation("signature part does not round-trip");
    }
    Bytes decoded;
    if (refuses_only([&] { decoded = base64_decode(input, "fuzz"); }, {Errc::malformed}, "base64_decode")) {
        Bytes again;
        refuses_only([&] { again = base64_decode(base64_encode(decoded), "again"); }, {}, "base64 of base64_encode");
        if (again != decoded) violation("base64 does not round-trip");
    }
    // Bindings take any text; they only must not fail.
    refuses_only([&] { sender_binding(Bytes(kNonceBytes), input); }, {}, "sender_binding");
    refuses_only([&] { msgid_binding(Bytes(kNonceBytes), input); }, {}, "msgid_binding");
}

void check_config(std::string_view input) {
    Settings s;
    try {
        s = parse_settings(input, "fuzz.conf");
    } catch (const ConfigError&) {
        return;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        violation(std::string("parse_settings: unexpected exception: ") + e.what());
    }
    std::string text;
    refuses_only([&] { text = render_settings(s); }, {}, "render_settings");
    Settings again;
    try {
        again = parse_settings(text, "rendered.conf");
    } catch (const std::exception& e) {
        violation(std::string("rendered settings do not parse: ") + e.what() + "\n" + text);
    }
    if (!(again == s)) violation("settings do not round-trip through render_settings:\n" + text);
}

bool run_check(std::string_view target, std::string_view input) {
    if (target == "decide") check_decide(input);
    else if (target == "seal") check_seal(input);
    else if (target == "record") check_record(input);
    else if (target == "config") check_config(input);
    else if (target == "returned") check_returned(input);
    else return false;
    return true;
}

}  // namespace bounceseal::fuzz

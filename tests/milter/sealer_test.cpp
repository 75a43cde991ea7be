// sealer_test.cpp - unit tests of the end-of-message sealer (sealer.hpp)
// with a fake MessageEditor in place of libmilter: what is sent, in which
// form and in how many pieces, and what happens when planning or sending
// fails. The fake applies the changes the way sendmail does, and the result
// must verify with the core library.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "bounceseal/mime.hpp"
#include "bounceseal/verify.hpp"
#include "reload.hpp"
#include "sealer.hpp"

namespace bounceseal::milter {
namespace {

PrivateKey test_private_key() {
    Bytes seed(32);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 7);
    return PrivateKey::from_seed(seed);
}

// The default SealMode (full) unless a test names another: most tests need
// the body replaced on a single-part message.
std::shared_ptr<const Runtime> runtime(SealMode mode = SealMode::full,
                                       std::string domain = "example.test") {
    MilterSettings s;
    s.domain = domain;
    s.selector = "sel1";
    s.seal_mode = mode;
    PrivateKey key = test_private_key();
    std::string fp = key.public_key().fingerprint();
    return std::make_shared<const Runtime>(
        Runtime{s, SealKey{std::move(domain), "sel1", std::move(key)}, std::move(fp), Policy(s)});
}

// Records every call and applies it as sendmail would.
class FakeEditor : public MessageEditor {
public:
    struct Call {
        char kind;  // 'a' add, 'c' change, 'r' remove, 'b' body
        std::string name;
        int index = 0;
        std::string value;
        const char* data = nullptr;  // body chunks: where the bytes came from
    };

    int fail_at = -1;  // the call number (0-based) that returns false
    bool throw_at_fail = false;
    std::vector<Call> calls;

    bool add_header(const std::string& name, const std::string& value) override {
        return record({'a', name, 0, value});
    }
    bool change_header(const std::string& name, int index, const std::string* value) override {
        return record({value ? 'c' : 'r', name, index, value ? *value : std::string()});
    }
    bool replace_body(std::string_view chunk) override {
        return record({'b', {}, 0, std::string(chunk), chunk.data()});
    }

    // The message after the changes; `leading_space` as negotiated.
    std::string apply(const std::vector<HeaderField>& headers, std::string_view body, bool leading_space) const {
        struct F {
            std::string name, value;
            bool gone = false;
        };
        std::vector<F> fields;
        for (const auto& h : headers) fields.push_back({h.name, h.value});
        std::string new_body;
        bool replaced = false;
        auto stored = [&](const std::string& v) { return leading_space ? v : " " + v; };
        for (const Call& c : calls) {
            if (c.kind == 'a') fields.push_back({c.name, stored(c.value)});
            if (c.kind == 'b') {
                new_body += c.value;
                replaced = true;
            }
            if (c.kind == 'c' || c.kind == 'r') {
                int seen = 0;
                for (auto& f : fields) {
                    if (ascii_lower(f.name) != ascii_lower(c.name) || ++seen != c.index) continue;
                    if (c.kind == 'r') f.gone = true;
                    else f.value = stored(c.value);
                    break;
                }
            }
        }
        std::string out;
        for (const auto& f : fields) {
            if (f.gone) continue;
            out += f.name + ":";
            for (char ch : f.value) out += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
            out += "\r\n";
        }
        out += "\r\n";
        out += replaced ? new_body : std::string(body);
        return out;
    }

private:
    bool record(Call c) {
        const int n = static_cast<int>(calls.size());
        calls.push_back(std::move(c));
        if (n == fail_at) {
            if (throw_at_fail) throw std::bad_alloc();
            return false;
        }
        return true;
    }
};

std::vector<HeaderField> headers() {
    return {{"From", " Alice <alice@example.test>"},
            {"To", " bob@example.org"},
            {"Subject", " a test\n\twith a folded subject"},
            {"Message-ID", " <m1@example.test>"},
            {"Content-Type", " text/plain; charset=utf-8"},
            {"Content-Transfer-Encoding", " 8bit"}};
}

Judgement judge_message(const std::string& text) {
    mime_init();
    auto msg = parse_message(text);
    EXPECT_TRUE(msg);
    Keyring ring;
    ring.add("example.test", "sel1", test_private_key().public_key());
    VerifyPolicy policy;
    policy.recipients = {"alice@example.test"};
    return judge(find_seals(msg.get()), ring, policy, static_cast<std::int64_t>(std::time(nullptr)));
}

TEST(Sealer, SealsAndTheResultVerifies) {
    const std::string body = "Gr\xc3\xbc\xc3\x9f" "e,\r\nthis is the body.\r\n";
    FakeEditor editor;
    const SealOutcome out = seal_message(*runtime(), {headers(), body, "<alice@example.test>", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "wrapped");
    EXPECT_EQ(out.changes, editor.calls.size());
    const std::string result = editor.apply(headers(), body, true);
    EXPECT_NE(result.find(body), std::string::npos) << "original bytes kept";
    const Judgement j = judge_message(result);
    EXPECT_EQ(j.verdict, bounceseal::Verdict::pass) << reason_name(j.reason);
    // Header values are sent exactly as planned: starting with a space.
    for (const auto& c : editor.calls) {
        if (c.kind == 'a' || c.kind == 'c') {
            EXPECT_EQ(c.value.front(), ' ') << c.name;
        }
    }
}

TEST(Sealer, WithoutLeadingSpaceOneSpaceIsStripped) {
    const std::string body = "plain text\r\n";
    FakeEditor editor;
    const SealOutcome out = seal_message(*runtime(), {headers(), body, "alice@example.test", false}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    bool saw_seal = false;
    for (const auto& c : editor.calls) {
        if (c.kind != 'a' && c.kind != 'c') continue;
        EXPECT_NE(c.value.front(), ' ') << c.name;
        if (c.name == "Bounce-Seal") {
            saw_seal = true;
            EXPECT_TRUE(c.value.starts_with("v=1;"));
            EXPECT_NE(c.value.find("\n\t"), std::string::npos) << "folds are LF + TAB";
            EXPECT_EQ(c.value.find('\r'), std::string::npos);
        }
    }
    EXPECT_TRUE(saw_seal);
    EXPECT_EQ(judge_message(editor.apply(headers(), body, false)).verdict, bounceseal::Verdict::pass);
}

// The new body goes out in full chunks of sendmail's size (the last one
// shorter): a wrap's short head and tail and the seal parts travel in the
// chunks of their neighbours, not as packets of their own, and whole chunks
// of the original are sent from the buffer, so that at most a chunk is
// copied at each edge of a segment.
TEST(Sealer, BodyGoesOutInFullChunksMostlyStraightFromTheBuffer) {
    for (const std::size_t size : {std::size_t{5000}, std::size_t{1} << 20}) {
        std::string body;
        while (body.size() < size) body += "A line of text that is repeated to make a body of the size.\r\n";
        FakeEditor editor;
        const SealOutcome out = seal_message(*runtime(), {headers(), body, "alice@example.test", true}, editor);
        ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
        ASSERT_EQ(out.shape, "wrapped");
        std::vector<std::size_t> chunks;
        std::size_t from_buffer = 0;
        for (const auto& c : editor.calls) {
            if (c.kind != 'b') continue;
            chunks.push_back(c.value.size());
            if (c.data >= body.data() && c.data < body.data() + body.size()) from_buffer += c.value.size();
        }
        ASSERT_FALSE(chunks.empty());
        for (std::size_t i = 0; i + 1 < chunks.size(); ++i) EXPECT_EQ(chunks[i], kBodyChunk) << "chunk " << i;
        EXPECT_GT(chunks.back(), 0u);
        EXPECT_LE(chunks.back(), kBodyChunk);
        EXPECT_EQ(chunks.size(), (out.new_size + kBodyChunk - 1) / kBodyChunk) << "as few packets as can be";
        EXPECT_GE(from_buffer + 2 * kBodyChunk, body.size()) << "only the chunks at the edges are copies";
        EXPECT_EQ(judge_message(editor.apply(headers(), body, true)).verdict, bounceseal::Verdict::pass);
    }
}

TEST(Sealer, MultipartMixedGetsPartsAppended) {
    std::vector<HeaderField> h = {{"From", " alice@example.test"},
                                  {"MIME-Version", " 1.0"},
                                  {"Content-Type", " multipart/mixed;\n\tboundary=\"b1\""}};
    const std::string body = "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\none\r\n--b1--\r\nepilogue\r\n";
    FakeEditor editor;
    const SealOutcome out = seal_message(*runtime(), {h, body, "alice@example.test", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "appended");
    for (const auto& c : editor.calls) EXPECT_NE(c.kind, 'c') << "no header field changed";
    EXPECT_EQ(judge_message(editor.apply(h, body, true)).verdict, bounceseal::Verdict::pass);
}

TEST(Sealer, AppendOnlyModeSealsASinglePartInTheHeaderOnly) {
    const std::string body = "plain\r\n";
    FakeEditor editor;
    const SealOutcome out =
        seal_message(*runtime(SealMode::append_only), {headers(), body, "alice@example.test", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "header-only") << "no wrapping: the top-level type must not change";
    ASSERT_EQ(editor.calls.size(), 1u);
    EXPECT_EQ(editor.calls[0].name, "Bounce-Seal");
    EXPECT_EQ(judge_message(editor.apply(headers(), body, true)).verdict, bounceseal::Verdict::pass);
}

TEST(Sealer, AppendOnlyModeAppendsToMultipartMixedWithoutAddingMimeVersion) {
    std::vector<HeaderField> h = {{"From", " alice@example.test"}, {"Content-Type", " multipart/mixed; boundary=b2"}};
    const std::string body = "--b2\r\nContent-Type: text/plain\r\n\r\none\r\n--b2--\r\n";
    FakeEditor editor;
    const SealOutcome out =
        seal_message(*runtime(SealMode::append_only), {h, body, "alice@example.test", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "appended");
    for (const auto& c : editor.calls) EXPECT_NE(c.name, "MIME-Version");
    EXPECT_EQ(judge_message(editor.apply(h, body, true)).verdict, bounceseal::Verdict::pass);
}

// The log names why the default mode left a message unwrapped.
TEST(Sealer, ShapeNamesWhyAMessageWasNotWrapped) {
    std::vector<HeaderField> h = {{"From", " alice@example.test"},
                                  {"Content-Type", " multipart/report; report-type=disposition-notification; boundary=r"}};
    const std::string body = "--r\r\nContent-Type: text/plain\r\n\r\nshown\r\n--r\r\n"
                             "Content-Type: message/disposition-notification\r\n\r\nDisposition: displayed\r\n--r--\r\n";
    FakeEditor editor;
    const SealOutcome out = seal_message(*runtime(), {h, body, "alice@example.test", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "header-only: report");
    ASSERT_EQ(editor.calls.size(), 1u);
}

TEST(Sealer, HeaderModeLeavesTheBodyAlone) {
    const std::string body = "plain\r\n";
    FakeEditor editor;
    const SealOutcome out =
        seal_message(*runtime(SealMode::header_only), {headers(), body, "alice@example.test", true}, editor);
    ASSERT_EQ(out.status, SealOutcome::Status::sealed) << out.error;
    EXPECT_EQ(out.shape, "header-only");
    ASSERT_EQ(editor.calls.size(), 1u);
    EXPECT_EQ(editor.calls[0].kind, 'a');
    EXPECT_EQ(editor.calls[0].name, "Bounce-Seal");
    EXPECT_EQ(judge_message(editor.apply(headers(), body, true)).verdict, bounceseal::Verdict::pass);
}

TEST(Sealer, PlanFailureSendsNothing) {
    FakeEditor editor;
    // A domain plan_seal() refuses: planning throws before any change.
    const SealOutcome out =
        seal_message(*runtime(SealMode::full, "not a domain"), {headers(), "x\r\n", "a@b.test", true},
                     editor);
    EXPECT_EQ(out.status, SealOutcome::Status::plan_failed);
    EXPECT_FALSE(out.error.empty());
    EXPECT_TRUE(editor.calls.empty());
    EXPECT_EQ(out.changes, 0u);
}

// A message of `levels` nested multipart/mixed around one text part.
std::pair<std::vector<HeaderField>, std::string> nested(std::size_t levels) {
    std::string body = "deep\r\n";
    std::string type = " text/plain";
    for (std::size_t level = 0; level < levels; ++level) {
        const std::string b = "b" + std::to_string(level);
        body = "--" + b + "\r\nContent-Type:" + type + "\r\n\r\n" + body + "\r\n--" + b + "--\r\n";
        type = " multipart/mixed; boundary=\"" + b + "\"";
    }
    std::vector<HeaderField> h = headers();
    h.erase(h.end() - 2, h.end());
    h.push_back({"Content-Type", type});
    return {h, body};
}

TEST(Sealer, TooComplexIsNotAnErrorAndSendsNothing) {
    // Deeper than kSealLimits allows: a property of the message, so OnError
    // (tempfail would defer it for ever) must not apply.
    const auto [deep_headers, deep_body] = nested(kSealLimits.max_depth + 1);
    FakeEditor editor;
    const SealOutcome out = seal_message(*runtime(), {deep_headers, deep_body, "alice@example.test", true}, editor);
    EXPECT_EQ(out.status, SealOutcome::Status::too_complex) << out.error;
    // What the log line says after "too complex to seal: " (docs/ADMIN.md).
    EXPECT_EQ(out.error, "limit: MIME nesting deeper than " + std::to_string(kSealLimits.max_depth));
    EXPECT_TRUE(editor.calls.empty());
    // A tree within the limits is sealed as usual.
    const auto [headers8, body8] = nested(8);
    const SealOutcome ok = seal_message(*runtime(), {headers8, body8, "alice@example.test", true}, editor);
    EXPECT_EQ(ok.status, SealOutcome::Status::sealed) << ok.error;
}

TEST(Sealer, SendFailureMidwayIsReported) {
    FakeEditor editor;
    editor.fail_at = 2;
    const SealOutcome out = seal_message(*runtime(), {headers(), "x\r\n", "a@b.test", true}, editor);
    EXPECT_EQ(out.status, SealOutcome::Status::send_failed);
    EXPECT_EQ(out.changes, 2u);
    EXPECT_EQ(editor.calls.size(), 3u) << "nothing is sent after the failure";
}

TEST(Sealer, FirstChangeFailingIsStillASendFailure) {
    FakeEditor editor;
    editor.fail_at = 0;
    const SealOutcome out = seal_message(*runtime(), {headers(), "x\r\n", "a@b.test", true}, editor);
    EXPECT_EQ(out.status, SealOutcome::Status::send_failed);
    EXPECT_EQ(out.changes, 0u);
}

TEST(Sealer, ExceptionWhileSendingIsASendFailure) {
    FakeEditor editor;
    editor.fail_at = 3;
    editor.throw_at_fail = true;
    const SealOutcome out = seal_message(*runtime(), {headers(), "x\r\n", "a@b.test", true}, editor);
    EXPECT_EQ(out.status, SealOutcome::Status::send_failed);
    EXPECT_EQ(out.changes, 3u);
}

// A message that carries this signer's seal parts, its Bounce-Seal field
// gone: planning answers "already sealed", which the milter logs and
// passes on as it is; nothing is sent and it is no failure.
TEST(Sealer, SealPartsOfTheSignerAreNotSealedAgain) {
    const std::string body = "Hello.\r\n";
    FakeEditor first;
    ASSERT_EQ(seal_message(*runtime(), {headers(), body, "alice@example.test", true}, first).status,
              SealOutcome::Status::sealed);
    const std::string text = first.apply(headers(), body, true);
    const SplitMessage sealed = split_message(text);  // views into `text`
    std::vector<HeaderField> without_field;
    for (const HeaderField& h : sealed.headers)
        if (h.name != "Bounce-Seal") without_field.push_back(h);
    ASSERT_LT(without_field.size(), sealed.headers.size());
    FakeEditor again;
    const SealOutcome out =
        seal_message(*runtime(), {without_field, sealed.body, "alice@example.test", true}, again);
    EXPECT_EQ(out.status, SealOutcome::Status::already_sealed) << out.error;
    EXPECT_TRUE(again.calls.empty());
}

}  // namespace
}  // namespace bounceseal::milter

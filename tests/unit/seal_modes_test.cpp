// seal_modes_test.cpp - FORMAT.md 6.1: what each SealMode does to each kind
// of message, the messages the default mode seals in the header only and
// the reason it gives, and the top-level fields of a wrapped message (the
// kept transfer encoding, the copied charset, The Bat!'s boundary form).
// Whatever the shape, the sealed message verifies.
#include <regex>
#include <utility>
#include <variant>

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const std::string kHead =
    "From: Alice Example <alice@example.test>\n"
    "To: Bob <bob@example.org>\n"
    "Subject: a shape\n"
    "Date: Wed, 25 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <shape@example.test>\n";

std::string alternative(const std::string& from) {
    return "From: " + from + "\n" + kHead.substr(kHead.find('\n') + 1) +
           "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
           "--alt\nContent-Type: text/plain\n\nHello.\n--alt\nContent-Type: text/html\n\n<p>Hello.</p>\n--alt--\n";
}

std::string text_plain(const std::string& fields, const std::string& body) {
    return kHead + "MIME-Version: 1.0\n" + fields + "\n" + body;
}

SealPlan plan_for(const std::string& message, SealMode mode = SealMode::full) {
    const SplitMessage m = split_message(message);
    SealOptions o = sealing(mode);
    o.now = kNow;
    o.eol = m.eol;
    return plan_of(plan_seal(m.headers, m.body, kSender, test_key(), o));
}

// The message as sealed in `mode`; it must verify.
std::string sealed_in(const std::string& message, SealMode mode = SealMode::full) {
    const std::string sealed = seal_text(message, sealing(mode));
    EXPECT_EQ(judge_text(sealed, alice_policy()).verdict, Verdict::pass) << sealed;
    return sealed;
}

std::string header_block(const std::string& message) { return message.substr(0, message.find("\n\n") + 1); }

struct Exception {
    const char* what;
    std::string message;
    const char* why;  // nullptr: wrapped
};

std::vector<Exception> exceptions() {
    return {
        {"PGP/MIME encrypted",
         kHead + "MIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
                 "boundary=\"e\"\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\n"
                 "Content-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n\nhF4D\n"
                 "-----END PGP MESSAGE-----\n--e--\n",
         "encrypted"},
        {"S/MIME enveloped",
         text_plain("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n"
                    "Content-Transfer-Encoding: base64\n",
                    "MIAGCSqGSIb3DQEHA6CAMIACAQAxggFQMIIBTAIBADA0MCgxJjAkBgNVBAMMHUFsaWNl\n"),
         "encrypted"},
        {"S/MIME opaque signed",
         text_plain("Content-Type: application/x-pkcs7-mime; smime-type=signed-data\n"
                    "Content-Transfer-Encoding: base64\n",
                    "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGg\n"),
         "encrypted"},
        {"read receipt",
         text_plain("Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r\"\n",
                    "--r\nContent-Type: text/plain\n\nDisplayed.\n--r\nContent-Type: message/disposition-notification\n\n"
                    "Disposition: manual-action/MDN-sent-manually; displayed\n--r--\n"),
         "report"},
        {"a file alone",
         text_plain("Content-Type: application/zip; name=\"files.zip\"\nContent-Transfer-Encoding: base64\n",
                    "UEsDBBQAAAAIAA==\n"),
         "single-attachment"},
        {"an image alone", text_plain("Content-Type: image/png\nContent-Transfer-Encoding: base64\n", "iVBORw0KGgo=\n"),
         "single-attachment"},
        {"an alternative from \"Name\"<addr>", alternative("\"Alice Example\"<alice@example.test>"),
         "from-without-space"},
        {"an alternative from Name<addr>", alternative("Alice<alice@example.test>"), "from-without-space"},
        {"an alternative from \"Name\" <addr>", alternative("\"Alice Example\" <alice@example.test>"), nullptr},
        {"text quoting the end of an HTML page",
         text_plain("Content-Type: text/plain\n", "The page ends:\n</html>\n\nand that was all.\n"), "html-end-in-text"},
        {"the same, quoted-printable across a soft line break",
         text_plain("Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n",
                    "The page ends: </HT=\nML>   sent from my phone\n"),
         "html-end-in-text"},
        {"text with an HTML end tag and nothing after it",
         text_plain("Content-Type: text/plain\n", "The page ends:\n</html>\n"), nullptr},
        {"HTML whose end tag is followed by text",
         text_plain("Content-Type: text/html\n", "<html><body>Hi</body></html>\nsent from my phone\n"), nullptr},
        {"text with a Content-Type: line",
         text_plain("Content-Type: text/plain\n", "The server said:\n\nContent-Type: text/html\nContent-Length: 0\n"),
         "header-in-text"},
        {"text with Content-Type: inside a line",
         text_plain("Content-Type: text/plain\n", "It said Content-Type: text/html back.\n"), nullptr},
        {"a forwarded message alone", text_plain("Content-Type: message/rfc822\n", kHead + "\nforwarded\n"), nullptr},
    };
}

}  // namespace

TEST(SealModes, FullModeSealsEachKindAsDocumented) {
    for (const Exception& e : exceptions()) {
        SCOPED_TRACE(e.what);
        const SealPlan plan = plan_for(e.message);
        if (e.why != nullptr) {
            EXPECT_EQ(plan.shape, "header-only");
            EXPECT_EQ(plan.why_header_only, e.why);
            EXPECT_FALSE(plan.replace_body);
        } else {
            EXPECT_EQ(plan.shape, "wrapped");
            EXPECT_EQ(plan.why_header_only, "");
        }
        sealed_in(e.message);
    }
}

TEST(SealModes, AppendOnlyNeverWrapsAndHeaderNeverTouchesTheBody) {
    const std::string plain = text_plain("Content-Type: text/plain\n", "Hello.\n");
    const std::string mixed = text_plain("Content-Type: multipart/mixed; boundary=\"m\"\n",
                                         "--m\nContent-Type: text/plain\n\nHello.\n--m--\n");
    EXPECT_EQ(plan_for(plain, SealMode::append_only).shape, "header-only");
    EXPECT_EQ(plan_for(plain, SealMode::append_only).why_header_only, "") << "not an exception: the mode";
    EXPECT_EQ(plan_for(mixed, SealMode::append_only).shape, "appended");
    EXPECT_EQ(plan_for(alternative("Alice <alice@example.test>"), SealMode::append_only).shape, "header-only");
    EXPECT_EQ(plan_for(plain, SealMode::header_only).shape, "header-only");
    EXPECT_EQ(plan_for(mixed, SealMode::header_only).shape, "header-only");
    EXPECT_EQ(plan_for(plain, SealMode::full).shape, "wrapped");
    EXPECT_EQ(plan_for(mixed, SealMode::full).shape, "appended");
    EXPECT_EQ(SealOptions{}.mode, SealMode::full) << "the default";
}

// An identity transfer encoding also describes the new multipart and stays
// at the top (RFC 2045 6.4); an encoding of the content itself does not.
TEST(SealModes, WrapKeepsAnIdentityTransferEncoding) {
    for (const char* cte : {"7bit", "8bit", "binary", "8BIT"}) {
        const std::string m = text_plain(std::string("Content-Type: text/plain\nContent-Transfer-Encoding: ") + cte + "\n",
                                         "Grüße.\n");
        const std::string head = header_block(sealed_in(m));
        EXPECT_NE(head.find(std::string("\nContent-Transfer-Encoding: ") + cte + "\n"), std::string::npos) << head;
    }
    for (const char* cte : {"quoted-printable", "base64"}) {
        const std::string m = text_plain(std::string("Content-Type: text/plain\nContent-Transfer-Encoding: ") + cte + "\n",
                                         "SGVsbG8=\n");
        EXPECT_EQ(header_block(sealed_in(m)).find("Content-Transfer-Encoding"), std::string::npos);
    }
    // Two of them disagree: neither is kept.
    const std::string two = text_plain("Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n"
                                       "Content-Transfer-Encoding: 8bit\n",
                                       "Hello.\n");
    EXPECT_EQ(header_block(sealed_in(two)).find("Content-Transfer-Encoding"), std::string::npos);
}

TEST(SealModes, WrapCarriesTheCharsetAsWritten) {
    const std::regex top(R"(\nContent-Type: multipart/mixed; boundary="=_bounceseal_[0-9A-Za-z]{18}"(.*)\n)");
    const std::pair<const char*, const char*> cases[] = {
        {"text/plain; charset=\"utf-8\"", "; charset=\"utf-8\""},
        {"text/plain; format=flowed; CharSet=iso-8859-1; delsp=yes", "; CharSet=iso-8859-1"},
        {"text/html;\n charset=\"Windows-1251\"", "; charset=\"Windows-1251\""},
        {"text/plain", ""},
        {"text/plain; name=\"charset=x\"", ""},
    };
    for (const auto& [ctype, params] : cases) {
        std::smatch m;
        const std::string head = header_block(sealed_in(text_plain(std::string("Content-Type: ") + ctype + "\n", "Hi.\n")));
        ASSERT_TRUE(std::regex_search(head, m, top)) << head;
        EXPECT_EQ(m[1].str(), params) << ctype;
    }
}

TEST(SealModes, MailOfTheBatGetsTheBatsBoundaryForm) {
    const std::string bat = "X-Mailer: The Bat! (v9.1.18) Professional\n" +
                            text_plain("Content-Type: text/plain\n", "Hello.\n");
    const std::string head = header_block(sealed_in(bat));
    EXPECT_TRUE(std::regex_search(head, std::regex(R"(boundary="-{10}[0-9A-F]{24}")"))) << head;
    const std::string other = "X-Mailer: Not The Bat!\n" + text_plain("Content-Type: text/plain\n", "Hello.\n");
    EXPECT_NE(header_block(sealed_in(other)).find("boundary=\"=_bounceseal_"), std::string::npos);
}

// A Content-* field moved into the wrapped part keeps every byte, as the
// fields left at the top do: a CR before a fold's LF (a line that ended in
// CR CR LF) is the value's own byte, not part of the line end. The sealer
// once wrote such a field with the CR dropped.
TEST(SealModes, WrapMovesAContentFieldByteForByte) {
    const std::string field = "Content-Description: a note\r\r\n  folded\r\n";
    const std::string lf = text_plain("Content-Type: text/plain\n" + field, "Hello.\n");
    std::string m;  // the message in CRLF
    for (std::size_t i = 0; i < lf.size(); ++i) {
        if (lf[i] == '\n' && (i == 0 || lf[i - 1] != '\r')) m += '\r';
        m += lf[i];
    }
    const std::string sealed = sealed_in(m);
    const std::size_t part = sealed.find("\r\n\r\n--=_bounceseal_");
    ASSERT_NE(part, std::string::npos) << "wrapped";
    EXPECT_NE(sealed.find(field, part), std::string::npos) << sealed;
    EXPECT_EQ(sealed.find("Content-Description"), sealed.find(field, part)) << "moved, not copied";
}

// A MIME tree deeper or wider than the limits a verifier reads is a reason
// not to seal, answered as a value in every mode, like "already sealed".
TEST(SealModes, ATreeOverTheLimitsIsAnAnswerInEveryMode) {
    std::string deep = "--d0\nContent-Type: text/plain\n\nleaf\n--d0--\n";
    for (int i = 0; i < 5; ++i) {
        const std::string b = "d" + std::to_string(i);
        const std::string inner = "d" + std::to_string(i + 1);
        deep = "--" + inner + "\nContent-Type: multipart/mixed; boundary=\"" + b + "\"\n\n" + deep + "--" + inner + "--\n";
    }
    const std::string nested = text_plain("Content-Type: multipart/mixed; boundary=\"d5\"\n", deep);
    std::string wide_body;
    for (int i = 0; i < 5; ++i) wide_body += "--w\nContent-Type: text/plain\n\npart " + std::to_string(i) + "\n";
    const std::string wide = text_plain("Content-Type: multipart/mixed; boundary=\"w\"\n", wide_body + "--w--\n");
    for (SealMode mode : {SealMode::full, SealMode::append_only, SealMode::header_only}) {
        for (const auto& [message, detail] : {std::pair{nested, "MIME nesting deeper than 3"},
                                              std::pair{wide, "more than 3 MIME parts"}}) {
            const SplitMessage split = split_message(message);
            SealOptions o = sealing(mode);
            o.limits = {.max_depth = 3, .max_parts = 3};
            const SealResult planned = plan_seal(split.headers, split.body, kSender, test_key(), o);
            const SealSkip* skip = std::get_if<SealSkip>(&planned);
            ASSERT_NE(skip, nullptr) << "sealed in mode " << static_cast<int>(mode) << ":\n" << message;
            EXPECT_EQ(skip->reason, SkipReason::too_complex);
            EXPECT_EQ(skip->detail, detail) << static_cast<int>(mode);
            EXPECT_STREQ(skip_reason_name(skip->reason), "too-complex");
        }
    }
}

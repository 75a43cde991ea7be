// keys_record_test.cpp - key files (permissions, formats, keyring loading),
// key rotation and the cohort, freshness, the syntax of key ids, and the
// record parsers' strictness.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "bounceseal/error.hpp"
#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/bounceseal-test-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

Errc error_code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no error thrown";
    return Errc::usage;
}

const char* kMsg = "From: alice@example.test\nTo: bob@example.test\nSubject: k\nMessage-ID: <k@example.test>\n\nbody\n";

}  // namespace

TEST(KeyFile, PrivateKeyReadableByOthersIsRefused) {
    TempDir d;
    auto f = d.path() / "sel1.private";
    write_new_file(f, vector_key().private_pem(), 0644);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(f); }), Errc::key_unsafe);
    chmod(f.c_str(), 0640);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(f); }), Errc::key_unsafe);
    EXPECT_NO_THROW(PrivateKey::load_pem_file(f, /*require_safe=*/false));
    chmod(f.c_str(), 0600);
    EXPECT_EQ(PrivateKey::load_pem_file(f).public_key().pem(), vector_key().public_key().pem());
}

TEST(KeyFile, WrongTypesAndJunkAreInvalid) {
    TempDir d;
    auto junk = d.path() / "junk";
    write_new_file(junk, "not a key\n", 0600);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(junk); }), Errc::key_invalid);
    auto pub = d.path() / "pub.pem";
    write_new_file(pub, vector_key().public_key().pem(), 0600);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(pub); }), Errc::key_invalid);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(d.path() / "missing"); }), Errc::io);
    EXPECT_EQ(error_code_of([&] { PrivateKey::load_pem_file(d.path()); }), Errc::key_invalid);
}

TEST(KeyFile, WriteNewFileNeverOverwrites) {
    TempDir d;
    write_new_file(d.path() / "x", "one", 0600);
    EXPECT_EQ(error_code_of([&] { write_new_file(d.path() / "x", "two", 0600); }), Errc::io);
    struct stat st {};
    ASSERT_EQ(stat((d.path() / "x").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Keyring, ReadsOnlyTheFileASealNames) {
    TempDir d;
    write_new_file(d.path() / "sel1.pub", public_key_file_text("Example.TEST", vector_key().public_key()), 0644);
    write_new_file(d.path() / "old.pub", vector_key().public_key().pem(), 0644);  // no Domain line
    write_new_file(d.path() / "broken.pub", "garbage", 0644);
    write_new_file(d.path() / "README", "ignored: not a .pub file", 0644);
    std::filesystem::create_directory(d.path() / "notafile.pub");
    Keyring ring = Keyring::open_dir(d.path());
    EXPECT_NO_THROW(ring.check());
    std::string why;
    // A directory where a key file should be is never opened on the way.
    auto found = ring.find("example.test", "sel1", why);
    ASSERT_TRUE(found) << why;
    EXPECT_FALSE(found->any_domain);
    EXPECT_FALSE(ring.find("example.test", "broken", why));
    EXPECT_NE(why.find("cannot be used"), std::string::npos) << why;
    EXPECT_FALSE(ring.find("example.test", "nope", why));
    // A file without a Domain line still vouches for any domain, and says so.
    found = ring.find("example.org", "old", why);
    ASSERT_TRUE(found) << why;
    EXPECT_TRUE(found->any_domain);
    const std::vector<std::string> notes = ring.notes();
    EXPECT_EQ(notes.size(), 2u);  // the broken file and the one without a Domain line
    std::vector<Keyring::Problem> problems;
    EXPECT_EQ(ring.list(problems).size(), 2u);
    EXPECT_EQ(problems.size(), 3u);  // broken.pub, notafile.pub, and old.pub's missing Domain line
    // A keyring that is missing, unreadable or empty is the verifier's own
    // trouble, met when a key is needed: Errc::io, never "no such key".
    EXPECT_EQ(error_code_of([&] { Keyring::open_dir(d.path() / "nope").check(); }), Errc::io);
    EXPECT_EQ(error_code_of([&] { Keyring::open_dir(d.path() / "nope").find("example.test", "sel1", why); }), Errc::io);
    TempDir empty;
    EXPECT_EQ(error_code_of([&] { Keyring::open_dir(empty.path()).find("example.test", "sel1", why); }), Errc::io);
}

TEST(Keyring, AKeyVouchesOnlyForItsOwnDomain) {
    // A partner cohort's key (or a thief of it) cannot seal for our domain.
    const std::string sealed = seal_text(kMsg);  // d=example.test s=sel1
    Keyring partner;
    partner.add("partner.example", "sel1", vector_key().public_key());
    Judgement j = judge_text(sealed, {}, kNow, partner);
    EXPECT_EQ(j.reason, Reason::unknown_key);
    TempDir d;
    write_new_file(d.path() / "sel1.pub", public_key_file_text("partner.example", vector_key().public_key()), 0644);
    j = judge_text(sealed, {}, kNow, Keyring::open_dir(d.path()));
    EXPECT_EQ(j.reason, Reason::unknown_key);
    bool named = false;
    for (const auto& step : j.steps) named = named || step.find("vouches for partner.example") != std::string::npos;
    EXPECT_TRUE(named);
}

TEST(KeyFile, DomainLineAndPemBlock) {
    const PublicKey key = vector_key().public_key();
    const std::string text = public_key_file_text("example.test", key);
    EXPECT_TRUE(text.starts_with("Domain: example.test\n-----BEGIN PUBLIC KEY-----"));
    PublicKeyFile f = parse_public_key_file("# made by hand\n\ndomain:   Example.Test \r\n" + key.pem(), "t");
    EXPECT_EQ(f.domain, "example.test");
    EXPECT_EQ(f.key.fingerprint(), key.fingerprint());
    EXPECT_EQ(parse_public_key_file(key.pem(), "t").domain, "");
    for (const std::string& bad : {"Domain: a\nDomain: b\n" + key.pem(), "Domain: not a domain\n" + key.pem(),
                                  "Hello\n" + key.pem(), std::string("Domain: example.test\n")})
        EXPECT_EQ(error_code_of([&] { parse_public_key_file(bad, "t"); }), Errc::key_invalid) << bad;
}

TEST(Verify, WrongKeyUnknownKeyExpiredFuture) {
    std::string sealed = seal_text(kMsg);
    Keyring wrong;
    wrong.add("example.test", "sel1", PrivateKey::generate().public_key());
    EXPECT_EQ(judge_text(sealed, {}, kNow, wrong).reason, Reason::bad_signature);
    EXPECT_EQ(judge_text(sealed, {}, kNow, Keyring{}).reason, Reason::unknown_key);
    VerifyPolicy p;
    EXPECT_EQ(judge_text(sealed, p, kNow + p.max_age).verdict, Verdict::pass);
    EXPECT_EQ(judge_text(sealed, p, kNow + p.max_age + 1).reason, Reason::expired);
    EXPECT_EQ(judge_text(sealed, p, kNow - p.max_future).verdict, Verdict::pass);
    EXPECT_EQ(judge_text(sealed, p, kNow - p.max_future - 1).reason, Reason::future);
}

TEST(Verify, KeyRotationAndCohort) {
    PrivateKey old_key = vector_key(), new_key = PrivateKey::generate(), other_server = PrivateKey::generate();
    std::string by_old = seal_text(kMsg, {}, SealKey{"example.test", "sel1", old_key});
    std::string by_new = seal_text(kMsg, {}, SealKey{"example.test", "sel2", new_key});
    std::string by_peer = seal_text(kMsg, {}, SealKey{"example.org", "mx2-2026", other_server});
    Keyring both;
    both.add("example.test", "sel1", old_key.public_key());
    both.add("example.test", "sel2", new_key.public_key());
    both.add("example.org", "mx2-2026", other_server.public_key());
    EXPECT_EQ(judge_text(by_old, {}, kNow, both).verdict, Verdict::pass);  // in flight during rotation
    EXPECT_EQ(judge_text(by_new, {}, kNow, both).verdict, Verdict::pass);
    EXPECT_EQ(judge_text(by_peer, {}, kNow, both).verdict, Verdict::pass);
    Keyring rotated_out;
    rotated_out.add("example.test", "sel2", new_key.public_key());
    EXPECT_EQ(judge_text(by_old, {}, kNow, rotated_out).reason, Reason::unknown_key);
}

TEST(Verify, TwoSignersCoexistAndOursIsFound) {
    PrivateKey foreign = PrivateKey::generate();
    std::string once = seal_text(kMsg, {}, SealKey{"example.org", "theirs", foreign});
    std::string twice = seal_text(once);  // sealed again by example.test
    EXPECT_EQ(judge_text(twice).verdict, Verdict::pass);  // only our key is known
    SplitMessage m = split_message(twice);
    auto reason = [&](std::string_view domain) -> std::optional<SkipReason> {
        const std::optional<SealSkip> skip = seal_precheck(m.headers, domain);
        return skip ? std::optional(skip->reason) : std::nullopt;
    };
    EXPECT_EQ(reason("example.test"), SkipReason::already_sealed);
    EXPECT_EQ(reason("EXAMPLE.org"), SkipReason::already_sealed);
    EXPECT_EQ(reason("example.net"), std::nullopt);
}

TEST(Verify, MessagePartialIsNotSealed) {
    SplitMessage m = split_message("Content-Type: message/partial; id=\"x\"; number=1; total=2\n\nabc\n");
    const std::optional<SealSkip> skip = seal_precheck(m.headers, "example.test");
    ASSERT_TRUE(skip);
    EXPECT_EQ(skip->reason, SkipReason::message_partial);
}

TEST(Record, RoundTripsThroughAllForms) {
    SplitMessage m = split_message(kMsg);
    SealOptions o;
    o.now = kNow;
    SealPlan plan = plan_of(plan_seal(m.headers, m.body, kSender, test_key(), o));
    EXPECT_EQ(parse_record_text(record_text(plan.record)), plan.record);
    HeaderSeal h = parse_header_value(header_value(plan.record, plan.signature));
    EXPECT_EQ(h.record, plan.record);
    EXPECT_EQ(h.signature, plan.signature);
    SignaturePart sp = parse_signature_part_text(signature_part_text(plan.record, plan.signature, "\r\n"));
    EXPECT_EQ(sp.signature, plan.signature);
    EXPECT_EQ(sp.selector, "sel1");
}

TEST(Record, HeaderParserIsStrictAboutTags) {
    SplitMessage m = split_message(kMsg);
    SealPlan plan = plan_of(plan_seal(m.headers, m.body, kSender, test_key()));
    std::string v = header_value(plan.record, plan.signature);
    EXPECT_THROW(parse_header_value(v + "; x=1"), Error);                    // unknown tag
    EXPECT_THROW(parse_header_value(v + "; v=1"), Error);                    // repeated tag
    EXPECT_THROW(parse_header_value(replace_once(v, "v=1;", "")), Error);    // missing tag
    EXPECT_THROW(parse_header_value(replace_once(v, "v=1", "v=2")), Error);  // version
    EXPECT_THROW(parse_header_value(replace_once(v, "d=example.test", "d=exa mple")), Error);
    EXPECT_THROW(parse_header_value(std::string(5000, 'x')), Error);        // too long
    EXPECT_NO_THROW(parse_header_value(v + ";"));                            // trailing ';'
}

TEST(Record, RecordTextParserIsStrict) {
    SplitMessage m = split_message(kMsg);
    SealPlan plan = plan_of(plan_seal(m.headers, m.body, kSender, test_key()));
    std::string t = record_text(plan.record);
    EXPECT_THROW(parse_record_text(replace_once(t, "Safe to ignore.", "Safe.")), Error);
    EXPECT_THROW(parse_record_text(replace_once(t, "a=ed25519", "a= ed25519")), Error);
    EXPECT_THROW(parse_record_text(replace_once(t, "c=mime-relaxed\nd=", "d=")), Error);
    std::string swapped = replace_once(t, "d=example.test\ns=sel1", "s=sel1\nd=example.test");
    EXPECT_THROW(parse_record_text(swapped), Error);
    EXPECT_NO_THROW(parse_record_text(replace_once(t, "\nv=1\n", "\r\nv=1  \r\n")));
}

// One rule (key_id.hpp) for the record parsers, the keyring, keygen and the
// configuration: FORMAT.md 2.1's d= and s=.
TEST(KeyId, Domains) {
    for (const char* good : {"example.test", "EXAMPLE.test", "a", "1.example", "example.test.", "ex-ample.test"})
        EXPECT_TRUE(valid_domain(good)) << good;
    for (const char* bad : {"", ".example.test", "-example.test", "ex_ample.test", "exa mple.test", "caf\xc3\xa9.test"})
        EXPECT_FALSE(valid_domain(bad)) << bad;
    EXPECT_TRUE(valid_domain(std::string(kMaxDomainLen, 'a')));
    EXPECT_FALSE(valid_domain(std::string(kMaxDomainLen + 1, 'a')));
}

TEST(KeyId, Selectors) {
    for (const char* good : {"sel1", "mx1-2026a", "a_b.c", "-lead", "_lead"}) EXPECT_TRUE(valid_selector(good)) << good;
    for (const char* bad : {"", ".hidden", "s/1", "s 1", "s:1"}) EXPECT_FALSE(valid_selector(bad)) << bad;
    EXPECT_TRUE(valid_selector(std::string(kMaxSelectorLen, 's')));
    EXPECT_FALSE(valid_selector(std::string(kMaxSelectorLen + 1, 's')));
}

TEST(Bindings, NormalisationIsDocumented) {
    Bytes n(16, 7);
    EXPECT_EQ(sender_binding(n, " <Alice@Example.TEST> "), sender_binding(n, "alice@example.test"));
    EXPECT_NE(sender_binding(n, "alice@example.test"), sender_binding(n, "bob@example.test"));
    EXPECT_EQ(msgid_binding(n, " <ab\n c@x>"), msgid_binding(n, "abc@x"));
    EXPECT_NE(sender_binding(Bytes(16, 8), "alice@example.test"), sender_binding(n, "alice@example.test"));
}

TEST(Record, EqualityLooksAtEveryByteOfEveryHash) {
    // operator== compares the byte fields with ct_equal (constant time);
    // this checks it still compares them all, to the last byte.
    Record a;
    a.domain = "example.test";
    a.selector = "sel1";
    a.timestamp = 1795000000;
    a.nonce = Bytes(kNonceBytes, 1);
    a.body_hash = Bytes(kBodyHashBytes, 2);
    a.sender_hash = Bytes(kBindingBytes, 3);
    a.msgid_hash = Bytes(kBindingBytes, 4);
    EXPECT_TRUE(a == a);
    for (Bytes Record::*field : {&Record::nonce, &Record::body_hash, &Record::sender_hash, &Record::msgid_hash}) {
        Record b = a;
        (b.*field).back() ^= 0x80;
        EXPECT_FALSE(a == b);
        b = a;
        (b.*field).pop_back();
        EXPECT_FALSE(a == b);
    }
    Record c = a;
    c.timestamp += 1;
    EXPECT_FALSE(a == c);
    c = a;
    c.msgid_hash.clear();
    EXPECT_FALSE(a == c);
}

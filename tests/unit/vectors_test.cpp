// vectors_test.cpp - the test vectors of docs/FORMAT.md: a fixed key, nonce,
// time and boundary must give exactly the record, manifest, signature and
// sealed message stored in tests/data/vectors, and FORMAT.md must quote
// each of them verbatim. BOUNCESEAL_UPDATE_VECTORS=1 rewrites the files
// (after a deliberate format change; review the diff).
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "bounceseal/mime.hpp"
#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

SealOptions vector_options() {
    SealOptions o;
    o.mode = SealMode::full;  // vector 1 shows the wrapped shape
    o.now = 1795551600;  // 2026-11-24T20:20:00Z
    o.nonce = Bytes(16);
    for (std::size_t i = 0; i < 16; ++i) (*o.nonce)[i] = static_cast<std::uint8_t>(0xf0 + i);
    o.boundary = "=_bounceseal_0123456789abcdefgh";
    return o;
}

struct Vector {
    std::string record, header, signature, manifest, sealed;
};

Vector make_vector(const std::string& name) {
    std::string message = read_test_data("vectors/" + name + "-message.eml");
    SplitMessage m = split_message(message);
    SealOptions o = vector_options();
    o.eol = m.eol;
    SealPlan plan = plan_of(plan_seal(m.headers, m.body, kSender, test_key(), o));
    Vector v;
    v.record = record_text(plan.record);
    v.header = std::string(kHeaderName) + ":" + header_value(plan.record, plan.signature, true) + "\n";
    v.signature = base64_encode(plan.signature) + "\n";
    v.sealed = apply_seal_plan(m.headers, m.body, plan, m.eol);
    auto parsed = parse_message(v.sealed);
    FoundSeals f = find_seals(parsed.get());
    v.manifest = f.manifest;
    return v;
}

void check_file(const std::string& name, const std::string& want) {
    const std::string path = std::string(BOUNCESEAL_TEST_DATA) + "/vectors/" + name;
    if (std::getenv("BOUNCESEAL_UPDATE_VECTORS")) {
        std::ofstream(path, std::ios::binary) << want;
        return;
    }
    EXPECT_EQ(read_test_data("vectors/" + name), want) << "vector file " << name;
}

std::string format_md() {
    std::ifstream in(std::string(BOUNCESEAL_TEST_DATA) + "/../../docs/FORMAT.md", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

class FormatVector : public ::testing::TestWithParam<const char*> {};

TEST_P(FormatVector, ReproducesStoredBytes) {
    std::string name = GetParam();
    Vector v = make_vector(name);
    check_file(name + "-record.txt", v.record);
    check_file(name + "-header.txt", v.header);
    check_file(name + "-signature.b64", v.signature);
    check_file(name + "-manifest.txt", v.manifest);
    check_file(name + "-sealed.eml", v.sealed);
}

TEST_P(FormatVector, SealedVectorVerifies) {
    std::string sealed = read_test_data(std::string("vectors/") + GetParam() + "-sealed.eml");
    VerifyPolicy p;
    p.recipients = {kSender};
    Judgement j = judge_text(sealed, p, 1795551600 + 60);
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST_P(FormatVector, FormatMdQuotesTheVector) {
    std::string md = format_md();
    ASSERT_FALSE(md.empty()) << "docs/FORMAT.md missing";
    std::string name = GetParam();
    for (const char* part : {"-record.txt", "-header.txt", "-signature.b64", "-manifest.txt"})
        EXPECT_NE(md.find(read_test_data("vectors/" + name + part)), std::string::npos)
            << "FORMAT.md does not quote " << name << part;
}

INSTANTIATE_TEST_SUITE_P(Vectors, FormatVector, ::testing::Values("v1", "v2", "v3"));

TEST(FormatVectorKey, PublicKeyMatchesStoredPem) {
    check_file("public.pem", vector_key().public_key().pem());
}

// core_bench.cpp - Google Benchmark of the core library, without sockets or
// processes: the canonical leaf hash against plain SHA-256 over the same
// bytes, plan_seal() on the corpus messages, and decide() on their bounces.
//
// Besides Google Benchmark's own flags it takes --tsv=FILE: every repetition
// of every benchmark as "NAME<TAB>REPETITION<TAB>CPU_NS_PER_ITERATION<TAB>
// BYTES_PER_SECOND<TAB>LABEL", which scripts/bench pairs up into ratios. It
// does not judge targets; the script does.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "bounceseal/bounce.hpp"
#include "bounceseal/canon.hpp"
#include "bounceseal/keys.hpp"
#include "bounceseal/seal.hpp"
#include "bounceseal/verify.hpp"
#include "corpus.hpp"

namespace {

namespace bs = bounceseal;
namespace bb = bounceseal::bench;

// leaf_digest() feeds the canonicalizer from GMime in blocks of this size;
// both sides of the comparison get the same blocks.
constexpr std::size_t kBlock = 64 * 1024;
constexpr std::size_t kTextSize = 1 << 20;
constexpr std::int64_t kSealTime = 1795600000;

const std::string& canon_input(const std::string& kind) {
    static const std::string typical = bb::typical_text(kTextSize);
    static const std::string base64 = bb::base64_like_text(kTextSize);
    return kind == "typical" ? typical : base64;
}

template <class F>
void in_blocks(const std::string& s, F&& f) {
    for (std::size_t off = 0; off < s.size(); off += kBlock)
        f(s.data() + off, std::min(kBlock, s.size() - off));
}

// The floor: OpenSSL's SHA-256 through EVP, as the canonicalizer uses it.
void BM_Sha256Raw(benchmark::State& state, const std::string& kind) {
    const std::string& text = canon_input(kind);
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    for (auto _ : state) {
        EVP_DigestInit_ex2(ctx, md, nullptr);
        in_blocks(text, [&](const char* p, std::size_t len) { EVP_DigestUpdate(ctx, p, len); });
        EVP_DigestFinal_ex(ctx, out, &n);
        benchmark::DoNotOptimize(out);
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_Canonical(benchmark::State& state, const std::string& kind) {
    const std::string& text = canon_input(kind);
    for (auto _ : state) {
        bs::LeafCanonicalizer canon;
        in_blocks(text, [&](const char* p, std::size_t len) { canon.update(p, len); });
        benchmark::DoNotOptimize(canon.finish());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

const bs::SealKey& seal_key() {
    static const bs::SealKey key{std::string(bb::kDomain), "bench1", bs::PrivateKey::generate()};
    return key;
}

const bb::CorpusMessage& corpus_message(const std::string& name) {
    static const std::vector<bb::CorpusMessage> corpus = bb::standard_corpus(false);
    for (const auto& m : corpus)
        if (m.name == name) return m;
    throw std::logic_error("no corpus message " + name);
}

void BM_PlanSeal(benchmark::State& state, const std::string& name) {
    const std::string& text = corpus_message(name).text;
    const bs::SplitMessage m = bs::split_message(text);
    bs::SealOptions options;
    options.now = kSealTime;
    std::string shape;
    for (auto _ : state) {
        const bs::SealResult planned = bs::plan_seal(m.headers, m.body, bb::kSender, seal_key(), options);
        const bs::SealPlan& plan = std::get<bs::SealPlan>(planned);  // a corpus message is never skipped
        benchmark::DoNotOptimize(plan.signature.data());
        shape = plan.shape;
    }
    state.SetLabel(shape);  // the default SealMode decides it, and the report says which
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

struct BounceCase {
    std::string bounce;
    bs::Keyring keyring;
    bs::VerifyPolicy policy;
};

// The bounce of a sealed corpus message, and a keyring and policy under
// which it passes: the benchmark times the whole path, not an early "no".
const BounceCase& bounce_case(const std::string& name) {
    static std::map<std::string, std::unique_ptr<BounceCase>> cases;
    auto& c = cases[name];
    if (c) return *c;
    c = std::make_unique<BounceCase>();
    const std::string& text = corpus_message(name).text;
    const bs::SplitMessage m = bs::split_message(text);
    bs::SealOptions options;
    options.now = kSealTime;
    const bs::SealPlan plan = std::get<bs::SealPlan>(bs::plan_seal(m.headers, m.body, bb::kSender, seal_key(), options));
    c->bounce = bb::wrap_in_dsn(bs::apply_seal_plan(m.headers, m.body, plan, m.eol));
    c->keyring.add(seal_key().domain, seal_key().selector, seal_key().key.public_key());
    c->policy.recipients = {std::string(bb::kSender)};
    const bs::Decision d = bs::decide(c->bounce, c->keyring, c->policy, {}, kSealTime + 60);
    if (d.judgement.verdict != bs::Verdict::pass)
        throw std::runtime_error("the " + name + " bounce does not pass: " +
                                 bs::reason_name(d.judgement.reason));
    return *c;
}

void BM_Decide(benchmark::State& state, const std::string& name) {
    const BounceCase* c = nullptr;
    try {
        c = &bounce_case(name);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    for (auto _ : state) {
        bs::Decision d = bs::decide(c->bounce, c->keyring, c->policy, {}, kSealTime + 60);
        benchmark::DoNotOptimize(d.judgement.verdict);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c->bounce.size()));
}

BENCHMARK_CAPTURE(BM_Sha256Raw, typical, std::string("typical"));
BENCHMARK_CAPTURE(BM_Canonical, typical, std::string("typical"));
BENCHMARK_CAPTURE(BM_Sha256Raw, base64, std::string("base64"));
BENCHMARK_CAPTURE(BM_Canonical, base64, std::string("base64"));
BENCHMARK_CAPTURE(BM_PlanSeal, msg_5k, std::string("msg-5k"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PlanSeal, msg_100k, std::string("msg-100k"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PlanSeal, msg_2m, std::string("msg-2m"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decide, msg_5k, std::string("msg-5k"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decide, msg_100k, std::string("msg-100k"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decide, msg_2m, std::string("msg-2m"))->Unit(benchmark::kMicrosecond);

// Shows the usual console table and keeps every single repetition for the
// TSV file (the console shows them too, but not in a form to parse).
class TsvReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.run_type != Run::RT_Iteration || r.error_occurred || r.iterations == 0) continue;
            const double ns = r.cpu_accumulated_time * 1e9 / static_cast<double>(r.iterations);
            const auto bps = r.counters.find("bytes_per_second");
            char line[512];
            std::snprintf(line, sizeof line, "%s\t%lld\t%.1f\t%.0f\t%s\n", r.benchmark_name().c_str(),
                          static_cast<long long>(r.repetition_index), ns,
                          bps == r.counters.end() ? 0.0 : bps->second.value, r.report_label.c_str());
            lines_ += line;
        }
    }
    const std::string& lines() const { return lines_; }

private:
    std::string lines_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string tsv;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strncmp(argv[i], "--tsv=", 6) == 0) tsv = argv[i] + 6;
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
    TsvReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!tsv.empty()) {
        std::ofstream out(tsv, std::ios::binary);
        out << reporter.lines();
        if (!out.flush()) {
            std::fprintf(stderr, "core_bench: cannot write %s\n", tsv.c_str());
            return 1;
        }
    }
    return 0;
}

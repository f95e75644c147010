// Sampling throughput: what the KV cache buys the group sampler. Two samplers of G = 8
// completions of one 16-token prompt on the reference model (TransformerConfig's defaults, in
// float, 1 thread):
//   kv_cache   grpo::sample_groups (rl/sampler.hpp): the prompt once as a (G, P) forward into
//              the caches, then one (G, 1) forward per new token
//   recompute  sample_groups_recompute below: no cache; every step runs the whole prefix,
//              a (G, P + t) forward, and reads the logits of its last position
// Both pick tokens with the same sample_token and the same per-row Rng(seed, i·G + j) streams,
// so they must produce identical completions; main() checks that before timing and aborts if
// they differ. Reported as generated tokens per second (the counter counts the tokens actually
// produced) per second of CPU time; at the end, a table of medians and the ratio
// kv_cache / recompute per length.
//   build/bench/bench_sampling --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_enable_random_interleaving=true        (one command line)
//
// Two changes to the model, neither of which changes the work of a step:
//   - max_seq_len 80 instead of 64, so the prompt (16) and 64 new tokens fit;
//   - the LM head's <eos> column is zeroed and the other columns are scaled by 20. An untrained
//     head is nearly uniform over the 64 tokens and samples <eos> about once in 64 draws, which
//     would end most rows before 64 tokens. Scaled, the other logits have a std of about
//     20 · 0.02 · √128 ≈ 4.5, far above <eos>'s 0, so rows run to max_new_tokens (main() prints
//     the generated counts). The routing and every GEMM are the same; only the head's values differ.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <grpo/grpo.hpp>

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;
constexpr int kGroupSize = 8;
constexpr std::int64_t kPromptLength = 16;
const int kNewTokens[] = {16, 32, 64};

// G completions of one prompt with no KV cache. The same bookkeeping as grpo::sample_groups for a
// single prompt: one uniform draw per row per step, a finished row is fed kPad from then on, and
// decoding stops when every row is finished or after max_new_tokens.
grpo::Completions sample_groups_recompute(Model& model, const std::vector<std::int32_t>& prompt,
                                          const grpo::SamplingConfig& config) {
    const std::int64_t V = model.config().vocab_size, G = config.group_size, P = static_cast<std::int64_t>(prompt.size());
    grpo::Completions out;
    out.group_size = config.group_size;
    out.tokens.resize(static_cast<std::size_t>(G));
    out.logprobs.resize(static_cast<std::size_t>(G));
    out.truncated.assign(static_cast<std::size_t>(G), true);
    std::vector<grpo::Rng> rngs;
    for (std::int64_t j = 0; j < G; ++j) rngs.emplace_back(config.seed, static_cast<std::uint64_t>(j));  // prompt i = 0
    std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(G), prompt);  // what each row has been fed
    std::vector<std::int32_t> scratch(config.filters() ? static_cast<std::size_t>(V) : 0);
    std::vector<bool> done(static_cast<std::size_t>(G), false);

    for (int step = 0; step < config.max_new_tokens; ++step) {
        const std::int64_t T = P + step;  // every row has the same length: prompt + one token per step
        std::vector<std::int32_t> ids;    // (G, T)
        for (const auto& row : rows) ids.insert(ids.end(), row.begin(), row.end());
        const std::vector<float> logits =
            model.forward(nullptr, grpo::Ids<grpo::Cpu>::from({G, T}, ids)).value().to_host();  // (G, T, V)
        bool any_active = false;
        for (std::int64_t j = 0; j < G; ++j) {
            const double u = rngs[static_cast<std::size_t>(j)].uniform();
            std::int32_t fed = grpo::kPaddingFill;
            if (!done[static_cast<std::size_t>(j)]) {
                const float* last = logits.data() + (j * T + T - 1) * V;  // row j, position T − 1
                const grpo::SampledToken s =
                    grpo::sample_token(last, V, config, u, scratch.empty() ? nullptr : scratch.data());
                out.tokens[static_cast<std::size_t>(j)].push_back(s.token);
                out.logprobs[static_cast<std::size_t>(j)].push_back(s.logprob);
                ++out.generated_tokens;
                fed = s.token;
                if (s.token == grpo::CharTokenizer::kEos) {
                    done[static_cast<std::size_t>(j)] = true;
                    out.truncated[static_cast<std::size_t>(j)] = false;
                } else {
                    any_active = true;
                }
            }
            rows[static_cast<std::size_t>(j)].push_back(fed);
        }
        if (!any_active) break;
    }
    return out;
}

// The reference model with room for 16 + 64 positions and an <eos> that is never drawn (see the
// header comment).
Model make_model() {
    grpo::TransformerConfig cfg;
    cfg.max_seq_len = static_cast<int>(kPromptLength) + 64;
    grpo::Rng rng(1234);
    Model model(cfg, rng);
    for (auto& [name, param] : model.named_params()) {
        if (name != "head.weight") continue;
        std::vector<float> w = param.value().to_host();  // (C, V)
        for (std::size_t k = 0; k < w.size(); ++k)
            w[k] = k % static_cast<std::size_t>(cfg.vocab_size) == static_cast<std::size_t>(grpo::CharTokenizer::kEos)
                       ? 0.0f
                       : 20.0f * w[k];
        param.value().copy_from_host(w);
    }
    return model;
}

// "17 + 25 - 3 = 39": 16 characters whose ids (8..38) fall inside the model's 64-token vocabulary.
std::vector<std::int32_t> make_prompt() {
    const std::vector<std::int32_t> ids = grpo::Tokenizer::ascii().encode("17 + 25 - 3 = 39");
    if (static_cast<std::int64_t>(ids.size()) != kPromptLength) std::abort();
    return ids;
}

grpo::SamplingConfig sampling_config(int new_tokens) {
    grpo::SamplingConfig c;
    c.temperature = 1.0;
    c.group_size = kGroupSize;
    c.max_new_tokens = new_tokens;
    c.seed = 7;
    c.eos_id = grpo::CharTokenizer::kEos;
    return c;
}

// state.range(0): new tokens per completion.
void BM_sample_kv_cache(benchmark::State& state) {
    grpo::cpu_set_num_threads(1);
    Model model = make_model();
    const std::vector<std::vector<std::int32_t>> prompts = {make_prompt()};
    const grpo::SamplingConfig config = sampling_config(static_cast<int>(state.range(0)));
    double tokens = 0;
    for (auto _ : state) {
        const grpo::Completions c = grpo::sample_groups(model, prompts, config);
        tokens += static_cast<double>(c.generated_tokens);
    }
    state.counters["tokens/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
}

void BM_sample_recompute(benchmark::State& state) {
    grpo::cpu_set_num_threads(1);
    Model model = make_model();
    const std::vector<std::int32_t> prompt = make_prompt();
    const grpo::SamplingConfig config = sampling_config(static_cast<int>(state.range(0)));
    double tokens = 0;
    for (auto _ : state) {
        const grpo::Completions c = sample_groups_recompute(model, prompt, config);
        tokens += static_cast<double>(c.generated_tokens);
    }
    state.counters["tokens/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
}

// Both samplers, every length: the same tokens, or the program stops here.
void check_samplers_agree() {
    grpo::cpu_set_num_threads(1);
    Model model = make_model();
    const std::vector<std::int32_t> prompt = make_prompt();
    for (int n : kNewTokens) {
        const grpo::SamplingConfig config = sampling_config(n);
        const grpo::Completions kv = grpo::sample_groups(model, {prompt}, config);
        const grpo::Completions re = sample_groups_recompute(model, prompt, config);
        double max_logprob_diff = 0;
        for (std::size_t j = 0; j < kv.tokens.size(); ++j) {
            if (kv.tokens[j] != re.tokens[j]) {
                std::fprintf(stderr, "bench_sampling: with %d new tokens, row %zu differs between the KV-cache and "
                             "the recompute sampler; the timings would compare different work\n", n, j);
                std::exit(1);
            }
            for (std::size_t t = 0; t < kv.tokens[j].size(); ++t)
                max_logprob_diff = std::max(max_logprob_diff, std::abs(kv.logprobs[j][t] - re.logprobs[j][t]));
        }
        std::printf("%2d new tokens: identical completions, %lld of %d tokens generated, max |logprob diff| %.2e\n", n,
                    static_cast<long long>(kv.generated_tokens), kGroupSize * n, max_logprob_diff);
    }
}

// The console output, plus a closing table: per length, the median tokens/s of the repetitions
// and the kv_cache / recompute ratio of the medians.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    RatioReporter() : ConsoleReporter(OO_Tabular) {}  // no colour codes: the output is pasted into docs

    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
            const auto found = run.counters.find("tokens/s");
            if (found == run.counters.end()) continue;
            rates_[{run.run_name.function_name, std::atoi(run.run_name.args.c_str())}].push_back(found->second.value);
        }
    }
    void Finalize() override {
        ConsoleReporter::Finalize();
        std::printf("\n| new tokens | KV cache (tokens/s) | recompute (tokens/s) | KV / recompute |\n"
                    "| --- | --- | --- | --- |\n");
        for (int n : kNewTokens) {
            const double kv = median(rates_[{"BM_sample_kv_cache", n}]);
            const double re = median(rates_[{"BM_sample_recompute", n}]);
            if (kv > 0 && re > 0) std::printf("| %d | %.0f | %.0f | %.2f |\n", n, kv, re, kv / re);
        }
    }

private:
    static double median(std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        const std::size_t m = v.size() / 2;
        return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
    std::map<std::pair<std::string, int>, std::vector<double>> rates_;  // (name, n) -> tokens/s of each repetition
};

}  // namespace

// CPU time, not wall time: one thread, and on a shared machine wall time also counts the turns
// other processes take on the core.
BENCHMARK(BM_sample_kv_cache)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sample_recompute)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    check_samplers_agree();
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}

// One GRPO step of GrpoTrainer at the reference config (TransformerConfig's defaults, with the
// tokenizer's vocabulary of 104 instead of 64), broken into its three phases as the trainer
// times them: sampling (16 prompts × G = 8 completions of up to 40 tokens, KV cache), scoring
// (rules, advantages, the reference model's log-probs for β > 0) and update (μ = 1 forward,
// backward, clipping, AdamW). The counters are the phases' shares of the step, so the split is
// read from one run rather than compared across runs.
//   build/bench/bench_grpo_step --benchmark_repetitions=3
// One thread (grpo::cpu_set_num_threads(1)), as the examples run, so the shares do not depend on
// how OpenMP splits the small sampling GEMMs.
#include <benchmark/benchmark.h>

#include <grpo/grpo.hpp>

#include "reference_configs.hpp"

namespace {

using grpo_bench::reference_grpo_config;
using grpo_bench::reference_model_config;

void BM_GrpoStep(benchmark::State& state) {
    grpo::cpu_set_num_threads(1);
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    grpo::Rng init(1);
    grpo::Transformer<float, grpo::Cpu> model(reference_model_config(), init);
    grpo::GrpoTrainer<float, grpo::Cpu> trainer(
        model, tok, [](grpo::Rng& rng) { return grpo::generate_linear_equation(rng); }, reference_grpo_config());
    trainer.step();  // warm the allocator's cache
    double sampling = 0, scoring = 0, update = 0, total = 0, tokens = 0;
    for (auto _ : state) {
        const grpo::GrpoStepMetrics m = trainer.step();
        sampling += m.sampling_seconds, scoring += m.scoring_seconds, update += m.update_seconds;
        total += m.step_seconds;
        tokens += static_cast<double>(m.generated_tokens);
    }
    state.counters["sampling_share"] = sampling / total;
    state.counters["scoring_share"] = scoring / total;
    state.counters["update_share"] = update / total;
    state.counters["generated_tok/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GrpoStep)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5.0);

}  // namespace

BENCHMARK_MAIN();

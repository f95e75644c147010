// What the value model costs: one PpoTrainer step beside one GrpoTrainer step at the reference
// config (TransformerConfig's defaults, vocabulary 104 = the tokenizer's, context 96 instead of
// 64 so that every prompt fits 40 new tokens), the same number of
// completions each (DeepSeekMath arXiv 2402.03300 §4.1, Figure 4: PPO trains a value model as
// large as the policy; GRPO takes its baseline from a group):
//   GRPO  16 prompts × G = 8, μ = 1, β = 0.04 (a reference model)        GrpoTrainer's defaults
//   PPO   128 prompts × 1, ppo_epochs = 4 and 1, kl_coef = 0.05 (a reference)  PpoTrainer's defaults
//   both  up to 40 new tokens, linear equations, one thread
// Each iteration runs one step of each, back to back, so the PPO/GRPO ratios come from one run
// on one machine state. Counters: seconds per step, the bytes each trainer holds (measured:
// what the allocator has in use after building it and one step, i.e. parameters of policy,
// reference and critic, gradients, AdamW moments), and the peak of the bytes a step allocates
// on top of that (activations, tapes, KV caches: Cpu::memory_stats()), with their ratios. The
// held bytes are also printed split by what they are, and each step split by phase.
//   build-bench/bench/bench_ppo_vs_grpo
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>

#include <grpo/grpo.hpp>

#include "reference_configs.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

using grpo_bench::reference_grpo_config;

grpo::PpoTrainerConfig ppo_config(int ppo_epochs) {
    grpo::PpoTrainerConfig c;
    c.prompts_per_step = 128;  // × group_size 1
    c.sampling.max_new_tokens = 40;
    c.ppo_epochs = ppo_epochs;
    c.seed = 1;
    return c;
}

grpo::Problem linear(grpo::Rng& rng) { return grpo::generate_linear_equation(rng); }

std::size_t in_use() { return grpo::Cpu::memory_stats().in_use_bytes; }

// A step's time, phases and the peak bytes it allocated beyond what was in use before it.
struct Measured {
    double seconds = 0, sampling = 0, scoring = 0, update = 0, tokens = 0, peak_extra = 0;
};

template <class Trainer>
void measure_step(Trainer& trainer, Measured* total) {
    const std::size_t before = in_use();
    grpo::Cpu::reset_peak_memory();
    const auto m = trainer.step();
    const double peak = static_cast<double>(grpo::Cpu::memory_stats().peak_bytes - before);
    total->seconds += m.step_seconds;
    total->sampling += m.sampling_seconds, total->scoring += m.scoring_seconds, total->update += m.update_seconds;
    total->tokens += static_cast<double>(m.generated_tokens);
    total->peak_extra = std::max(total->peak_extra, peak);
}

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

void print_phases(const char* name, const Measured& m, double steps) {
    std::printf("  %-5s %7.3f s/step = sampling %6.3f + scoring %6.3f + update %6.3f   (%.0f tokens/step)\n", name,
                m.seconds / steps, m.sampling / steps, m.scoring / steps, m.update / steps, m.tokens / steps);
}

void BM_PpoVsGrpo(benchmark::State& state) {
    grpo::cpu_set_num_threads(1);
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const double param_bytes = static_cast<double>(sizeof(float));

    // GRPO: held = what its model, trainer and one (warm-up) step leave allocated.
    const std::size_t start = in_use();
    grpo::Rng init_grpo(1);
    Model grpo_policy(grpo_bench::reference_model_config(), init_grpo);
    grpo::GrpoTrainer<float, grpo::Cpu> grpo_trainer(grpo_policy, tok, linear, reference_grpo_config());
    grpo_trainer.step();  // warms the allocator's cache and creates the gradients
    const double grpo_held = static_cast<double>(in_use() - start);

    const std::size_t after_grpo = in_use();
    grpo::Rng init_ppo(1);
    Model ppo_policy(grpo_bench::reference_model_config(), init_ppo);
    grpo::PpoTrainer<float, grpo::Cpu> ppo_trainer(ppo_policy, tok, linear, ppo_config(static_cast<int>(state.range(0))));
    ppo_trainer.step();
    const double ppo_held = static_cast<double>(in_use() - after_grpo);

    Measured grpo, ppo;
    for (auto _ : state) {
        measure_step(grpo_trainer, &grpo);
        measure_step(ppo_trainer, &ppo);
    }
    const double steps = static_cast<double>(state.iterations());

    // The held bytes by kind, from the parameter counts (MoE balancing biases aside).
    const double policy = static_cast<double>(grpo_policy.parameter_count()) * param_bytes;
    const double critic = static_cast<double>(ppo_trainer.critic().parameter_count()) * param_bytes;
    const double grpo_params = policy * (reference_grpo_config().loss.beta > 0 ? 2 : 1);  // + reference
    const double ppo_params = policy * (ppo_trainer.reference() ? 2 : 1) + critic;
    const double grpo_optimizer = 2 * policy, ppo_optimizer = 2 * (policy + critic);  // AdamW m, v
    std::printf("\nheld (MiB)   parameters  gradients  AdamW state  = computed  measured   peak extra in a step\n");
    std::printf("  GRPO        %9.2f  %9.2f  %11.2f  %10.2f  %8.2f   %8.2f\n", mib(grpo_params), mib(policy),
                mib(grpo_optimizer), mib(grpo_params + policy + grpo_optimizer), mib(grpo_held), mib(grpo.peak_extra));
    std::printf("  PPO         %9.2f  %9.2f  %11.2f  %10.2f  %8.2f   %8.2f\n", mib(ppo_params), mib(policy + critic),
                mib(ppo_optimizer), mib(ppo_params + policy + critic + ppo_optimizer), mib(ppo_held),
                mib(ppo.peak_extra));
    std::printf("  policy %lld parameters, critic %lld\n", static_cast<long long>(grpo_policy.parameter_count()),
                static_cast<long long>(ppo_trainer.critic().parameter_count()));
    std::printf("phases (PPO with ppo_epochs = %lld), mean of %.0f steps:\n", static_cast<long long>(state.range(0)), steps);
    print_phases("GRPO", grpo, steps);
    print_phases("PPO", ppo, steps);

    const auto bytes = [](double b) { return benchmark::Counter(b, benchmark::Counter::kDefaults, benchmark::Counter::kIs1024); };
    state.counters["grpo_s"] = grpo.seconds / steps;
    state.counters["ppo_s"] = ppo.seconds / steps;
    state.counters["time_x"] = ppo.seconds / grpo.seconds;
    state.counters["update_x"] = ppo.update / grpo.update;
    state.counters["grpo_params"] = bytes(grpo_params);
    state.counters["ppo_params"] = bytes(ppo_params);
    state.counters["params_x"] = ppo_params / grpo_params;
    state.counters["grpo_optim"] = bytes(grpo_optimizer);
    state.counters["ppo_optim"] = bytes(ppo_optimizer);
    state.counters["optim_x"] = ppo_optimizer / grpo_optimizer;
    state.counters["held_x"] = ppo_held / grpo_held;
    state.counters["grpo_act_peak"] = bytes(grpo.peak_extra);
    state.counters["ppo_act_peak"] = bytes(ppo.peak_extra);
    state.counters["act_peak_x"] = ppo.peak_extra / grpo.peak_extra;
}
// The argument is PPO's ppo_epochs: 4 (TRL's default) and 1 (as many passes as GRPO's μ = 1,
// so the difference is the critic alone).
BENCHMARK(BM_PpoVsGrpo)->ArgName("ppo_epochs")->Arg(4)->Arg(1)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();

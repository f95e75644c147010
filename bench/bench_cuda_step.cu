// The reference GRPO step (reference_configs.hpp, the same step bench_grpo_step times on the
// CPU) on the CUDA backend, and one training step of a wider model, each with fp32 and bf16
// matrix math, so the bf16/fp32 ratio is read from one run:
//   build/bench/bench_cuda_step --benchmark_repetitions=3
// The tiny reference model is bound by kernel launches, not by arithmetic (each op is one small
// kernel; a step is thousands of launches), so expect little from bf16 there; the wide model
// (d_model 512, 8 layers) is where the tensor cores show. Without a GPU it prints one line and
// exits 0 (a benchmark binary is not a test).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <grpo/cuda.hpp>

#include "reference_configs.hpp"

namespace {

using grpo::Cuda;

grpo::MatmulPrecision precision_of(const benchmark::State& state) {
    return state.range(0) ? grpo::MatmulPrecision::bf16 : grpo::MatmulPrecision::fp32;
}

void BM_CudaGrpoStep(benchmark::State& state) {
    grpo::cuda_set_matmul_precision(precision_of(state));
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    grpo::Rng init(1);
    grpo::Transformer<float, Cuda> model(grpo_bench::reference_model_config(), init);
    grpo::GrpoTrainer<float, Cuda> trainer(
        model, tok, [](grpo::Rng& rng) { return grpo::generate_linear_equation(rng); },
        grpo_bench::reference_grpo_config());
    trainer.step();  // warm the allocator's cache and cuBLAS
    double tokens = 0, sampling = 0, total = 0;
    for (auto _ : state) {
        const grpo::GrpoStepMetrics m = trainer.step();  // ends with copies to the host: synchronised
        tokens += static_cast<double>(m.generated_tokens);
        sampling += m.sampling_seconds;
        total += m.step_seconds;
    }
    state.counters["sampling_share"] = sampling / total;
    state.counters["generated_tok/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
    state.SetLabel(grpo::matmul_precision_name(precision_of(state)));
}
BENCHMARK(BM_CudaGrpoStep)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

// Forward, backward and AdamW on 8 × 256 tokens of a d_model 512, 8-layer MoE (16 routed
// experts, top-4, one shared): the shape of example 08's model, smaller.
void BM_CudaTrainStep(benchmark::State& state) {
    grpo::cuda_set_matmul_precision(precision_of(state));
    grpo::TransformerConfig c;
    c.vocab_size = 128;
    c.d_model = 512;
    c.n_layers = 8;
    c.n_heads = 8;
    c.head_dim = 64;
    c.n_dense_layers = 1;
    c.dense_hidden = 1536;
    c.n_routed_experts = 16;
    c.experts_per_token = 4;
    c.expert_hidden = 384;
    c.max_seq_len = 256;
    grpo::Rng rng(1);
    grpo::Transformer<float, Cuda> model(c, rng);
    grpo::AdamW<float, Cuda> opt(model.params());
    std::vector<std::int32_t> ids(8 * 256);
    for (auto& id : ids) id = static_cast<std::int32_t>(rng.uniform() * c.vocab_size);
    const grpo::Ids<Cuda> tokens = grpo::Ids<Cuda>::from({8, 256}, ids);
    auto step = [&] {
        grpo::Tape tape;
        const auto loss = grpo::cross_entropy(&tape, model.forward(&tape, tokens), tokens);
        tape.backward(loss);
        opt.step();
        opt.zero_grad();
        Cuda::synchronize();
    };
    step();
    for (auto _ : state) step();
    state.counters["tok/s"] = benchmark::Counter(static_cast<double>(ids.size()), benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(grpo::matmul_precision_name(precision_of(state)));
}
BENCHMARK(BM_CudaTrainStep)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

}  // namespace

int main(int argc, char** argv) {
    if (!grpo::cuda_device_available()) {
        std::printf("no CUDA device: nothing to benchmark\n");
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

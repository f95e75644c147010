// Speed of the core ops at the sizes of the tiny MoE (tokens 4096 = 64 sequences × 64, d_model
// 128, 4 heads of 32): the library's matmul beside a direct Eigen GEMM of the same shape in the
// same run (the ratio is the claim: the library adds only a Map and an allocation), and fused
// causal attention forward and forward+backward. Counters give achieved GFLOP/s.
//   build/bench/bench_core                       # all threads OpenMP gives
//   OMP_NUM_THREADS=1 build/bench/bench_core     # one thread
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <grpo/grpo.hpp>

namespace {

using Tf = grpo::Tensor<float, grpo::Cpu>;
using Vf = grpo::Var<float, grpo::Cpu>;
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void set_flops(benchmark::State& state, double flops_per_iteration) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// C (M, N) = A (M, K) · B (K, N), straight Eigen on preallocated row-major matrices.
void BM_eigen_gemm(benchmark::State& state) {
    const auto M = state.range(0), K = state.range(1), N = state.range(2);
    grpo::Rng rng(1);
    const Tf a = Tf::randn({M, K}, rng), b = Tf::randn({K, N}, rng);
    Eigen::Map<const Mat> ea(a.data(), M, K), eb(b.data(), K, N);
    Mat c(M, N);
    for (auto _ : state) {
        c.noalias() = ea * eb;
        benchmark::DoNotOptimize(c.data());
    }
    set_flops(state, 2.0 * M * K * N);
}

// The same product through grpo::matmul (no tape): shape checks, output allocation, Map, GEMM.
void BM_grpo_matmul(benchmark::State& state) {
    const auto M = state.range(0), K = state.range(1), N = state.range(2);
    grpo::Rng rng(1);
    const Vf a(Tf::randn({M, K}, rng)), b(Tf::randn({K, N}, rng));
    for (auto _ : state) {
        Vf c = grpo::matmul(nullptr, a, b);
        benchmark::DoNotOptimize(c.data());
    }
    set_flops(state, 2.0 * M * K * N);
}

// Forward and backward of a linear layer on a tape: three GEMMs (y, dx, dW).
void BM_grpo_matmul_fwd_bwd(benchmark::State& state) {
    const auto M = state.range(0), K = state.range(1), N = state.range(2);
    grpo::Rng rng(1);
    const Vf x = Vf::param(Tf::randn({M, K}, rng)), w = Vf::param(Tf::randn({K, N}, rng));
    const Tf seed = Tf::ones({M, N});
    for (auto _ : state) {
        grpo::Tape tape;
        Vf y = grpo::matmul(&tape, x, w);
        tape.backward(y, seed);
        benchmark::DoNotOptimize(w.grad().data());
    }
    set_flops(state, 3 * 2.0 * M * K * N);
}

// Causal attention: multiply-adds over the visible (query, key) pairs only.
double attention_flops(double Bn, double T, double H, double D) {
    return 2 * 2 * Bn * H * D * T * (T + 1) / 2;  // q·k and p·v
}

void BM_attention_fwd(benchmark::State& state) {
    const auto Bn = state.range(0), T = state.range(1), H = state.range(2), D = state.range(3);
    grpo::Rng rng(2);
    const Vf q(Tf::randn({Bn, T, H, D}, rng)), k(Tf::randn({Bn, T, H, D}, rng)), v(Tf::randn({Bn, T, H, D}, rng));
    for (auto _ : state) {
        Vf out = grpo::attention(nullptr, q, k, v);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, attention_flops(Bn, T, H, D));
}

void BM_attention_fwd_bwd(benchmark::State& state) {
    const auto Bn = state.range(0), T = state.range(1), H = state.range(2), D = state.range(3);
    grpo::Rng rng(2);
    const Vf q = Vf::param(Tf::randn({Bn, T, H, D}, rng)), k = Vf::param(Tf::randn({Bn, T, H, D}, rng)),
             v = Vf::param(Tf::randn({Bn, T, H, D}, rng));
    const Tf seed = Tf::ones({Bn, T, H, D});
    for (auto _ : state) {
        grpo::Tape tape;
        Vf out = grpo::attention(&tape, q, k, v);
        tape.backward(out, seed);
        benchmark::DoNotOptimize(q.grad().data());
    }
    // backward: dp = dout·v, dq = ds·k, dk = ds·q, dv = p·dout: twice the forward's products
    set_flops(state, 3 * attention_flops(Bn, T, H, D));
}

}  // namespace

// tokens × d_model times the attention projections (128 × 128) and the FFN up (128 × 512).
BENCHMARK(BM_eigen_gemm)->Args({4096, 128, 128})->Args({4096, 128, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_grpo_matmul)->Args({4096, 128, 128})->Args({4096, 128, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_grpo_matmul_fwd_bwd)->Args({4096, 128, 128})->Args({4096, 128, 512})->Unit(benchmark::kMillisecond);
// 64 sequences of 64 tokens, 4 heads of 32.
BENCHMARK(BM_attention_fwd)->Args({64, 64, 4, 32})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_attention_fwd_bwd)->Args({64, 64, 4, 32})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

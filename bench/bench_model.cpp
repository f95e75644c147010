// One full training step of the reference model (TransformerConfig's defaults: V 64, d 128,
// 4 layers (1 dense), 4 heads of 32, 8 routed experts top-2 + 1 shared, expert hidden 128,
// dense hidden 256) on a batch of 64 sequences × 64 tokens, in float: forward with the loss,
// backward, AdamW step, zero_grad. Reported as tokens/s and GFLOP/s (the FLOP count of a step is
// computed from the config by step_flops below). bench/bench_model_torch.py runs the same model
// and step in PyTorch; bench/run_model_bench.sh runs both and prints the ratio.
//   build/bench/bench_model --benchmark_enable_random_interleaving=true --benchmark_repetitions=5
//   build/bench/bench_model --profile [steps]     # per-op time of a step, forward / backward / AdamW
// The phase benchmarks (forward only, forward + backward, optimizer only) and the layer benchmarks
// (one attention sublayer, one MoE layer, fwd + bwd) split the step's time in the same run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <grpo/grpo.hpp>

namespace {

constexpr std::int64_t kBatch = 64, kSeq = 64;

// FLOPs of one training step, counted as 2 per multiply-add:
//   forward = 2 · (active weights a token multiplies) · tokens + causal attention products,
//   backward = 2 × forward (a GEMM's dA and dB each cost as much as its forward),
//   step = 3 × forward.
// Active weights per token: Wq, Wk, Wv, Wo in every block; the dense SwiGLU (w1, w3, w2) in the
// dense blocks; in each MoE block the gate (E × d), the k routed experts it runs and the shared
// experts (3·d·h each); the LM head (d × V). Attention: q·kᵀ and p·v over the visible
// (causal) query–key pairs only, T(T+1)/2 per sequence and head, 2·D multiply-adds each.
// Elementwise work (norms, RoPE, softmax, SwiGLU, AdamW) is not counted.
double step_flops(const grpo::TransformerConfig& c, double batch, double seq) {
    const double d = c.d_model, inner = static_cast<double>(c.n_heads) * c.head_dim;
    const double attn = 4 * d * inner;
    const double dense = 3 * d * c.dense_hidden;
    const double moe = d * c.n_routed_experts +
                       (c.experts_per_token + c.n_shared_experts) * 3.0 * d * c.expert_hidden;
    const double head = d * c.vocab_size;
    const int n_moe = c.n_layers - c.n_dense_layers;
    const double weights = c.n_layers * attn + c.n_dense_layers * dense + n_moe * moe + head;
    const double tokens = batch * seq;
    const double attention = c.n_layers * batch * c.n_heads * (seq * (seq + 1) / 2) * 2.0 * 2 * c.head_dim;
    const double forward = 2 * weights * tokens + attention;
    return 3 * forward;
}

template <class Bk>
grpo::Ids<Bk> random_ids(grpo::Rng& rng, std::int64_t vocab) {
    std::vector<std::int32_t> v(static_cast<std::size_t>(kBatch * kSeq));
    for (auto& x : v) x = static_cast<std::int32_t>(rng.uniform_int(0, vocab - 1));
    return grpo::Ids<Bk>::from({kBatch, kSeq}, v);
}

// The model, its optimizer and one fixed batch (next-token targets of a random sequence).
template <class Bk>
struct TrainStep {
    grpo::TransformerConfig cfg;
    grpo::Rng rng{1234};
    grpo::Transformer<float, Bk> model{cfg, rng};
    grpo::AdamW<float, Bk> opt{model.params()};
    grpo::Ids<Bk> ids = random_ids<Bk>(rng, cfg.vocab_size);
    grpo::Ids<Bk> targets = random_ids<Bk>(rng, cfg.vocab_size);

    grpo::Var<float, Bk> forward(grpo::Tape* tape) { return model.loss(tape, ids, targets); }
    void step() {
        grpo::Tape tape;
        const auto loss = forward(&tape);
        tape.backward(loss);
        opt.step();
        opt.zero_grad();
    }
};

void set_counters(benchmark::State& state, double flops) {
    state.counters["tokens/s"] =
        benchmark::Counter(static_cast<double>(kBatch * kSeq), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// state.range(0): threads.
void BM_train_step(benchmark::State& state) {
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    s.step();  // warm-up: moments and gradient buffers exist from here on
    for (auto _ : state) s.step();
    set_counters(state, step_flops(s.cfg, kBatch, kSeq));
}

void BM_forward_only(benchmark::State& state) {  // forward + loss, recorded on a tape
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    s.step();
    for (auto _ : state) {
        grpo::Tape tape;
        benchmark::DoNotOptimize(s.forward(&tape).data());
    }
    set_counters(state, step_flops(s.cfg, kBatch, kSeq) / 3);
}

void BM_forward_backward(benchmark::State& state) {  // no optimizer step; gradients accumulate
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    s.step();
    for (auto _ : state) {
        grpo::Tape tape;
        const auto loss = s.forward(&tape);
        tape.backward(loss);
    }
    set_counters(state, step_flops(s.cfg, kBatch, kSeq));
}

void BM_optimizer_only(benchmark::State& state) {  // AdamW step over every parameter + zero_grad
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    s.step();
    {
        grpo::Tape tape;
        const auto loss = s.forward(&tape);
        tape.backward(loss);
    }
    for (auto _ : state) {
        s.opt.step();
        s.opt.zero_grad();  // zero_grad keeps the buffers: the next step still updates them
    }
    state.counters["params"] = static_cast<double>(s.model.parameter_count());
}

// One block's attention sublayer x + attn(rmsnorm(x)), forward + backward, x (64, 64, 128).
void BM_attention_sublayer(benchmark::State& state) {
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    grpo::Rng rng(7);
    using Tf = grpo::Tensor<float, grpo::Cpu>;
    using Vf = grpo::Var<float, grpo::Cpu>;
    const Vf x = Vf::param(Tf::randn({kBatch, kSeq, s.cfg.d_model}, rng));
    auto& block = s.model.blocks()[0];
    const Tf seed = Tf::ones({kBatch, kSeq, s.cfg.d_model});
    for (auto _ : state) {
        grpo::Tape tape;
        const Vf y = grpo::add(&tape, x, block.attn.forward(&tape, grpo::rmsnorm(&tape, x, block.attn_norm, 1e-6f)));
        tape.backward(y, seed);
    }
    const auto& c = s.cfg;
    const double flops = 3 * (2.0 * 4 * c.d_model * c.n_heads * c.head_dim * kBatch * kSeq +
                              kBatch * c.n_heads * (kSeq * (kSeq + 1) / 2) * 2.0 * 2 * c.head_dim);
    set_counters(state, flops);
}

// One MoE layer (gate, top-2 routing, dispatch, 2 routed + 1 shared expert, combine), forward +
// backward, on 4096 tokens.
void BM_moe_layer(benchmark::State& state) {
    grpo::cpu_set_num_threads(static_cast<int>(state.range(0)));
    TrainStep<grpo::Cpu> s;
    grpo::Rng rng(7);
    using Tf = grpo::Tensor<float, grpo::Cpu>;
    using Vf = grpo::Var<float, grpo::Cpu>;
    const Vf x = Vf::param(Tf::randn({kBatch * kSeq, s.cfg.d_model}, rng));
    auto& moe = *s.model.blocks()[1].moe;
    const Tf seed = Tf::ones({kBatch * kSeq, s.cfg.d_model});
    for (auto _ : state) {
        grpo::Tape tape;
        tape.backward(moe.forward(&tape, x), seed);
    }
    const auto& c = s.cfg;
    const double flops = 3 * 2.0 * kBatch * kSeq *
                         (c.d_model * c.n_routed_experts +
                          (c.experts_per_token + c.n_shared_experts) * 3.0 * c.d_model * c.expert_hidden);
    set_counters(state, flops);
}

// ---- --profile: the per-op time of a step ----------------------------------------------------
// ProfCpu is the Cpu backend with every compute op wrapped in a timer, keyed by op and by the
// phase of the step (forward, backward, optimizer). Time outside the backend's ops (the tape's
// closures, allocation, the MoE's host-side routing and bucketing) is the remainder.
enum Phase { kForward, kBackward, kOptimizer, kPhases };
Phase g_phase = kForward;
std::map<std::string, std::array<double, kPhases>> g_op_seconds;

struct OpTimer {
    const char* op;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    explicit OpTimer(const char* name) : op(name) {}
    ~OpTimer() {
        const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - start;
        g_op_seconds[op][g_phase] += dt.count();
    }
};

#define PROFILED(op)                                                                  \
    template <class... A>                                                             \
    static decltype(auto) op(A&&... a) {                                              \
        OpTimer timer(#op);                                                           \
        return grpo::Cpu::op(std::forward<A>(a)...);                                  \
    }

struct ProfCpu : grpo::Cpu {
    PROFILED(fill)
    PROFILED(copy)
    PROFILED(copy_from_host)
    PROFILED(copy_to_host)
    PROFILED(gemm)
    PROFILED(gemm_batched)
    PROFILED(axpy)
    PROFILED(add)
    PROFILED(add_bias)
    PROFILED(col_sum_acc)
    PROFILED(mul)
    PROFILED(mul_acc)
    PROFILED(scale)
    PROFILED(sigmoid_forward)
    PROFILED(sigmoid_backward)
    PROFILED(silu_forward)
    PROFILED(silu_backward)
    PROFILED(swiglu_forward)
    PROFILED(swiglu_backward)
    PROFILED(reduce_sum)
    PROFILED(broadcast_acc)
    PROFILED(rmsnorm_forward)
    PROFILED(rmsnorm_backward)
    PROFILED(rope)
    PROFILED(attention_forward)
    PROFILED(attention_backward)
    PROFILED(embedding_forward)
    PROFILED(embedding_backward)
    PROFILED(log_softmax_forward)
    PROFILED(log_softmax_backward)
    PROFILED(token_logprobs_forward)
    PROFILED(token_logprobs_backward)
    PROFILED(cross_entropy_forward)
    PROFILED(cross_entropy_backward)
    PROFILED(softmax_forward)
    PROFILED(softmax_backward)
    PROFILED(normalize_rows_forward)
    PROFILED(normalize_rows_backward)
    PROFILED(topk_indices)
    PROFILED(gather_last_forward)
    PROFILED(gather_last_backward)
    PROFILED(gather_rows)
    PROFILED(scatter_add_rows)
    PROFILED(scatter_add_rows_backward)
    PROFILED(adamw_step)
    PROFILED(sum_squares)
};
#undef PROFILED

int run_profile(int steps) {
    TrainStep<ProfCpu> s;
    s.step();  // warm-up
    g_op_seconds.clear();
    std::array<double, kPhases> phase_seconds{};
    using clock = std::chrono::steady_clock;
    for (int i = 0; i < steps; ++i) {
        grpo::Tape tape;
        g_phase = kForward;
        auto t0 = clock::now();
        const auto loss = s.forward(&tape);
        auto t1 = clock::now();
        g_phase = kBackward;
        tape.backward(loss);
        auto t2 = clock::now();
        g_phase = kOptimizer;
        s.opt.step();
        s.opt.zero_grad();
        auto t3 = clock::now();
        phase_seconds[kForward] += std::chrono::duration<double>(t1 - t0).count();
        phase_seconds[kBackward] += std::chrono::duration<double>(t2 - t1).count();
        phase_seconds[kOptimizer] += std::chrono::duration<double>(t3 - t2).count();
    }
    const double total = phase_seconds[0] + phase_seconds[1] + phase_seconds[2];
    std::vector<std::pair<double, std::string>> order;
    std::array<double, kPhases> in_ops{};
    for (const auto& [op, sec] : g_op_seconds) {
        order.push_back({-(sec[0] + sec[1] + sec[2]), op});
        for (int p = 0; p < kPhases; ++p) in_ops[static_cast<std::size_t>(p)] += sec[static_cast<std::size_t>(p)];
    }
    std::sort(order.begin(), order.end());
    const double ms = 1e3 / steps;
    std::printf("per-op time of one training step, mean of %d steps, %d threads (ms)\n", steps,
                grpo::cpu_num_threads());
    std::printf("| op | forward | backward | AdamW | total | share |\n| --- | --- | --- | --- | --- | --- |\n");
    for (const auto& [neg, op] : order) {
        const auto& sec = g_op_seconds[op];
        if (-neg * ms < 0.05) continue;
        std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.1f%% |\n", op.c_str(), sec[0] * ms, sec[1] * ms,
                    sec[2] * ms, -neg * ms, 100 * -neg / total);
    }
    const double outside = total - (in_ops[0] + in_ops[1] + in_ops[2]);
    std::printf("| outside backend ops | %.2f | %.2f | %.2f | %.2f | %.1f%% |\n", (phase_seconds[0] - in_ops[0]) * ms,
                (phase_seconds[1] - in_ops[1]) * ms, (phase_seconds[2] - in_ops[2]) * ms, outside * ms,
                100 * outside / total);
    std::printf("| step | %.2f | %.2f | %.2f | %.2f | 100%% |\n", phase_seconds[0] * ms, phase_seconds[1] * ms,
                phase_seconds[2] * ms, total * ms);
    std::printf("step FLOPs %.3f G: %.1f GFLOP/s, %.0f tokens/s (timers included)\n",
                step_flops(s.cfg, kBatch, kSeq) * 1e-9, step_flops(s.cfg, kBatch, kSeq) * 1e-9 / (total / steps),
                kBatch * kSeq / (total / steps));
    return 0;
}

}  // namespace

BENCHMARK(BM_train_step)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_forward_only)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_forward_backward)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_optimizer_only)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_attention_sublayer)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_moe_layer)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_train_step)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--profile") == 0) {
        std::printf("step FLOPs of the reference config, batch %lld × %lld: %.3f G\n",
                    static_cast<long long>(kBatch), static_cast<long long>(kSeq),
                    step_flops(grpo::TransformerConfig{}, kBatch, kSeq) * 1e-9);
        return run_profile(argc >= 3 ? std::atoi(argv[2]) : 10);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

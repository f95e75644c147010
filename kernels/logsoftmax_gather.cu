// Kernel lab: the log-probability of each row's target token, the per-token log-probs of
// DeepSeekMath eq. 3's ratio, as in include/grpo/backend/cpu/vocab.hpp (token_logprobs_forward):
//   lse[n] = logsumexp(z[n, :]) = m + log Σ_v exp(z[n, v] − m),  m = max_v z[n, v]
//   out[n] = log p(y_n) = z[n, y_n] − lse[n]       z: (N, V)  targets, out, lse: (N)
// The (N, V) log-softmax is never written: only lse is kept, for the backward.
// build: cmake --build build --target kernel_logsoftmax_gather
// run:   build/kernels/logsoftmax_gather [--check]
#include "common.cuh"

// ---------------------------------------------------------------------------------------------
// CPU reference: plain loops, as CpuVocab::logsumexp and token_logprobs_forward.

void token_logprobs_cpu(std::int64_t N, std::int64_t V, const float* z, const std::int32_t* targets, float* out,
                        float* lse) {
    for (std::int64_t n = 0; n < N; ++n) {
        const float* zr = z + n * V;
        float m = -INFINITY;
        for (std::int64_t v = 0; v < V; ++v) m = zr[v] > m ? zr[v] : m;
        float s = 0;
        for (std::int64_t v = 0; v < V; ++v) s += std::exp(zr[v] - m);
        lse[n] = m + std::log(s);
        out[n] = zr[targets[n]] - lse[n];
    }
}

// ---------------------------------------------------------------------------------------------
// Version 1: one thread per row, the CPU loop as it is. As in the first RMSNorm, the threads of
// a warp read 32 rows V·4 bytes apart at every step (32 transactions per load, one float used
// from each), each row is read twice (max, then the sum of exponentials), and there are only N
// threads, each walking V values serially: at V = 32000 a thread runs 64000 dependent loads.

__global__ void token_logprobs_kernel1(std::int64_t N, std::int64_t V, const float* z, const std::int32_t* targets,
                                       float* out, float* lse) {
    const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (n >= N) return;
    const float* zr = z + n * V;  // (V)
    float m = -INFINITY;
    for (std::int64_t v = 0; v < V; ++v) m = fmaxf(m, zr[v]);
    float s = 0;
    for (std::int64_t v = 0; v < V; ++v) s += expf(zr[v] - m);
    lse[n] = m + logf(s);
    out[n] = zr[targets[n]] - lse[n];
}

void token_logprobs1(std::int64_t N, std::int64_t V, const float* z, const std::int32_t* targets, float* out,
                     float* lse) {
    const int threads = 256;
    token_logprobs_kernel1<<<static_cast<unsigned>((N + threads - 1) / threads), threads, 0, grpo::cuda_stream()>>>(
        N, V, z, targets, out, lse);
    GRPO_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------------------------------------
// Version 2: the library, grpo::Cuda::token_logprobs_forward (CudaVocab,
// include/grpo/backend/cuda/vocab.cuh). One block per row (up to 1024 threads; 256 for V = 256),
// the threads striding over the row so each load is coalesced, then a block max and a block sum
// (shuffles within warps, shared memory across them): logsumexp in two passes over the row, the
// second mostly from L1/L2. N blocks of many threads keep every SM busy; it should run near DRAM
// bandwidth at V = 32000. Before the kernel the call checks the targets are in [0, V): one small
// kernel, a copy back and a host wait, a fixed cost that matters at V = 256 where the kernel
// itself is short. The row "v2 kernel only" launches the same kernel without that check
// (grpo::cuda_detail::row_logsumexp_kernel, from the header) to show what the check costs.
// Not done (a next version): one pass with an online max and sum (read z once from DRAM and
// never again), and several rows per block when V is small.

void token_logprobs2_kernel_only(std::int64_t N, std::int64_t V, const float* z, const std::int32_t* targets,
                                 float* out, float* lse) {
    grpo::cuda_detail::row_logsumexp_kernel<<<static_cast<unsigned>(N), grpo::cuda_detail::row_threads(V), 0,
                                              grpo::cuda_stream()>>>(V, z, targets, lse, out);
    GRPO_CUDA_CHECK_LAUNCH();
}

bool run_size(const lab::Args& args, std::int64_t N, std::int64_t V) {
    const std::size_t nz = static_cast<std::size_t>(N * V);
    std::printf("token log-probs: N = %lld, V = %lld (float)\n", static_cast<long long>(N), static_cast<long long>(V));
    const auto z = lab::random_floats(nz, -5.0f, 5.0f, 1 + V);     // (N, V) logits
    const auto targets = lab::random_ints(N, V, 2 + V);             // (N)
    std::vector<float> out_ref(N), lse_ref(N);
    token_logprobs_cpu(N, V, z.data(), targets.data(), out_ref.data(), lse_ref.data());

    auto z_d = lab::to_device(z);
    auto targets_d = lab::to_device(targets);
    auto out_d = lab::device_alloc<float>(N), lse_d = lab::device_alloc<float>(N);
    float *zp = z_d.get(), *outp = out_d.get(), *lsep = lse_d.get();
    const std::int32_t* tp = targets_d.get();
    const std::vector<lab::Version> versions = {
        {"v1 thread per row", [=] { token_logprobs1(N, V, zp, tp, outp, lsep); }},
        {"v2 library (block per row, with id check)", [=] { grpo::Cuda::token_logprobs_forward(N, V, zp, tp, outp, lsep); }},
        {"v2 kernel only (no id check)", [=] { token_logprobs2_kernel_only(N, V, zp, tp, outp, lsep); }},
    };

    // Tolerance: lse ≈ log V + 3 ≈ 13; the CPU sums V exponentials one after another and the GPU
    // in a tree, and a float sum of 32000 terms can differ by up to ~1e-3 relative between two
    // orders (typically ~1e-5), which is the absolute error of a log. 1e-3 absolute.
    bool ok = true;
    for (const auto& v : versions) {
        lab::poison(out_d.get(), N);
        lab::poison(lse_d.get(), N);
        v.launch();
        ok &= lab::check((v.name + ": log p(target)").c_str(), lab::to_host(out_d.get(), N), out_ref, 1e-3);
        ok &= lab::check((v.name + ": logsumexp").c_str(), lab::to_host(lse_d.get(), N), lse_ref, 1e-3);
    }
    if (!ok || args.check) return ok;

    // Bytes: z read once, targets read, out and lse written.
    const double bytes = 4.0 * (double(nz) + 3.0 * double(N));
    lab::time_versions(grpo::str("token log-probs, N = ", N, ", V = ", V), versions, bytes, args.repeats);
    return ok;
}

bool run(const lab::Args& args) {
    // --check: V = 100 (under one warp's stride) and V = 1500 (more than 1024 threads' worth).
    const std::int64_t N = args.check ? 9 : 16384;
    bool ok = run_size(args, N, args.check ? 100 : 256);
    ok &= run_size(args, N, args.check ? 1500 : 32000);
    return ok;
}

int main(int argc, char** argv) { return lab::run_main(argc, argv, run); }

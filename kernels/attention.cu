// Kernel lab: causal multi-head attention forward, out = softmax(q·kᵀ/√D + causal mask)·v
// (Vaswani et al. 2017, eq. 1), the contract of include/grpo/backend/cpu/attention.hpp:
//   q, out: (B, T, H, D)   k, v: (B, S, H, D)   att: (B, H, T, S) probabilities
// The first P = S − T keys are a prefix (a KV cache); query t sees keys 0..P+t.
// build: cmake --build build --target kernel_attention    run: build/kernels/attention [--check]
#include "common.cuh"

// ---------------------------------------------------------------------------------------------
// CPU reference: plain loops over (b, h, t), the same steps as CpuAttention (scores, causal
// softmax with the max subtracted, masked probabilities 0, then the weighted sum of values).

void attention_forward_cpu(std::int64_t B, std::int64_t T, std::int64_t S, std::int64_t H, std::int64_t D,
                           const float* q, const float* k, const float* v, float* out, float* att) {
    const float scale = 1.0f / std::sqrt(float(D));
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t t = 0; t < T; ++t) {
                const float* qr = q + ((b * T + t) * H + h) * D;
                float* a = att + ((b * H + h) * T + t) * S;  // (S)
                const std::int64_t last = S - T + t;
                for (std::int64_t s = 0; s <= last; ++s) {
                    const float* kr = k + ((b * S + s) * H + h) * D;
                    float dot = 0;
                    for (std::int64_t d = 0; d < D; ++d) dot += qr[d] * kr[d];
                    a[s] = scale * dot;
                }
                float maxv = a[0];
                for (std::int64_t s = 1; s <= last; ++s) maxv = a[s] > maxv ? a[s] : maxv;
                float sum = 0;
                for (std::int64_t s = 0; s <= last; ++s) sum += (a[s] = std::exp(a[s] - maxv));
                for (std::int64_t s = 0; s <= last; ++s) a[s] /= sum;
                for (std::int64_t s = last + 1; s < S; ++s) a[s] = 0;
                float* o = out + ((b * T + t) * H + h) * D;
                for (std::int64_t d = 0; d < D; ++d) {
                    float acc = 0;
                    for (std::int64_t s = 0; s <= last; ++s) acc += a[s] * v[((b * S + s) * H + h) * D + d];
                    o[d] = acc;
                }
            }
}

// ---------------------------------------------------------------------------------------------
// Version 1: three naive kernels that materialise the (B, H, T, S) score matrix in memory:
//   1. one thread per score (b, h, t, s): a D-long dot product (masked entries written as 0)
//   2. one thread per row (b, h, t): max, exp and sum, normalise, all serial over S
//   3. one thread per output (b, t, h, d): Σ_s att·v over the row's S probabilities
// The scores are written, read and rewritten by the softmax, and read again (B·H·T·S floats:
// 25 MB at the timed size, as much as q, k, v and out together), every score re-reads q and k
// with no sharing through shared memory, and the softmax has one thread per row.

__global__ void attention_scores_kernel1(std::int64_t B, std::int64_t T, std::int64_t S, std::int64_t H,
                                         std::int64_t D, float scale, const float* q, const float* k, float* att) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= B * H * T * S) return;
    const std::int64_t s = i % S, t = (i / S) % T, h = (i / (S * T)) % H, b = i / (S * T * H);
    if (s > S - T + t) {  // a key after the query: masked
        att[i] = 0.0f;
        return;
    }
    const float* qr = q + ((b * T + t) * H + h) * D;
    const float* kr = k + ((b * S + s) * H + h) * D;
    float dot = 0;
    for (std::int64_t d = 0; d < D; ++d) dot += qr[d] * kr[d];
    att[i] = scale * dot;
}

__global__ void attention_softmax_kernel1(std::int64_t rows, std::int64_t T, std::int64_t S, float* att) {
    const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // (b, h, t)
    if (row >= rows) return;
    float* a = att + row * S;
    const std::int64_t last = S - T + row % T;
    float maxv = a[0];
    for (std::int64_t s = 1; s <= last; ++s) maxv = fmaxf(maxv, a[s]);
    float sum = 0;
    for (std::int64_t s = 0; s <= last; ++s) sum += (a[s] = expf(a[s] - maxv));
    for (std::int64_t s = 0; s <= last; ++s) a[s] /= sum;
}

__global__ void attention_values_kernel1(std::int64_t B, std::int64_t T, std::int64_t S, std::int64_t H,
                                         std::int64_t D, const float* att, const float* v, float* out) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= B * T * H * D) return;
    const std::int64_t d = i % D, h = (i / D) % H, t = (i / (D * H)) % T, b = i / (D * H * T);
    const float* a = att + ((b * H + h) * T + t) * S;
    float acc = 0;
    for (std::int64_t s = 0; s <= S - T + t; ++s) acc += a[s] * v[((b * S + s) * H + h) * D + d];
    out[i] = acc;
}

void attention_forward1(std::int64_t B, std::int64_t T, std::int64_t S, std::int64_t H, std::int64_t D, const float* q,
                        const float* k, const float* v, float* out, float* att) {
    const int threads = 256;
    const auto blocks = [&](std::int64_t n) { return static_cast<unsigned>((n + threads - 1) / threads); };
    const cudaStream_t stream = grpo::cuda_stream();
    attention_scores_kernel1<<<blocks(B * H * T * S), threads, 0, stream>>>(B, T, S, H, D, 1.0f / std::sqrt(float(D)),
                                                                             q, k, att);
    GRPO_CUDA_CHECK_LAUNCH();
    attention_softmax_kernel1<<<blocks(B * H * T), threads, 0, stream>>>(B * H * T, T, S, att);
    GRPO_CUDA_CHECK_LAUNCH();
    attention_values_kernel1<<<blocks(B * T * H * D), threads, 0, stream>>>(B, T, S, H, D, att, v, out);
    GRPO_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------------------------------------
// Version 2: the library's inference path, grpo::Cuda::attention_forward(..., att = nullptr)
// (CudaAttention, include/grpo/backend/cuda/attention.cuh): one fused kernel, a warp per query
// with the online softmax of FlashAttention (Dao et al. 2022, Alg. 1): a running max, a running
// sum and the running weighted sum of values, rescaled when the max grows. No score is ever
// written: one launch instead of three, and the (B, H, T, S) traffic of v1 is gone. Each lane
// keeps D/32 values of q and of the accumulator in registers. What it does not do yet: share
// k and v between queries through shared memory (every query warp streams its keys from L2),
// and it walks its keys one at a time (a shuffle reduction per key), so it should be bound by
// latency and L2 bandwidth rather than DRAM.
//
// Version 3: the library's training path, grpo::Cuda::attention_forward(..., att given): the
// two products on cuBLAS (a strided-batched GEMM over the H heads of each batch row) and a
// warp-per-row causal softmax kernel between them; the probabilities stay in att for backward.
// Like v1 it materialises the scores, but the products run as tiled GEMMs that reuse q, k and v
// from shared memory and registers, and the softmax is coalesced: it should beat v1 by a wide
// margin, and v2 when T and S grow (the GEMMs' reuse wins over v2's streaming).

bool run(const lab::Args& args) {
    // --check: a prefix of P = 2 keys and D = 40 (not a multiple of 32) exercise the edges.
    const std::int64_t B = args.check ? 2 : 8, H = args.check ? 3 : 12, T = args.check ? 5 : 256;
    const std::int64_t S = args.check ? 7 : 256, D = args.check ? 40 : 64;
    const std::size_t nq = static_cast<std::size_t>(B * T * H * D), nk = static_cast<std::size_t>(B * S * H * D);
    const std::size_t na = static_cast<std::size_t>(B * H * T * S);
    std::printf("attention: B = %lld, H = %lld, T = %lld, S = %lld, D = %lld (float)\n", static_cast<long long>(B),
                static_cast<long long>(H), static_cast<long long>(T), static_cast<long long>(S),
                static_cast<long long>(D));

    const auto q = lab::random_floats(nq, -1.0f, 1.0f, 1);  // (B, T, H, D)
    const auto k = lab::random_floats(nk, -1.0f, 1.0f, 2);  // (B, S, H, D)
    const auto v = lab::random_floats(nk, -1.0f, 1.0f, 3);  // (B, S, H, D)
    std::vector<float> out_ref(nq), att_ref(na);
    attention_forward_cpu(B, T, S, H, D, q.data(), k.data(), v.data(), out_ref.data(), att_ref.data());

    auto q_d = lab::to_device(q), k_d = lab::to_device(k), v_d = lab::to_device(v);
    auto out_d = lab::device_alloc<float>(nq), att_d = lab::device_alloc<float>(na);
    const std::vector<lab::Version> versions = {
        {"v1 naive, 3 kernels, scores in memory",
         [&] { attention_forward1(B, T, S, H, D, q_d.get(), k_d.get(), v_d.get(), out_d.get(), att_d.get()); }},
        {"v2 library inference, fused online softmax",
         [&] {
             grpo::Cuda::attention_forward(B, T, S, H, D, q_d.get(), k_d.get(), v_d.get(), out_d.get(),
                                           static_cast<float*>(nullptr));
         }},
        {"v3 library training, cuBLAS + softmax",
         [&] { grpo::Cuda::attention_forward(B, T, S, H, D, q_d.get(), k_d.get(), v_d.get(), out_d.get(), att_d.get()); }},
    };
    const bool writes_att[] = {true, false, true};

    // Tolerances: |out| ≤ 1 and the probabilities ≤ 1; the sums (64-long dot products, ≤ 256
    // weighted values) differ from the CPU's only in rounding order, ~1e-6; 1e-4 leaves room.
    bool ok = true;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        lab::poison(out_d.get(), nq);
        lab::poison(att_d.get(), na);
        versions[i].launch();
        ok &= lab::check((versions[i].name + ": out").c_str(), lab::to_host(out_d.get(), nq), out_ref, 1e-4);
        if (writes_att[i])
            ok &= lab::check((versions[i].name + ": att").c_str(), lab::to_host(att_d.get(), na), att_ref, 1e-4);
    }
    if (!ok || args.check) return ok;

    // Bytes: q, k, v read once and out written once (att, which v1 and v3 also write, is not
    // counted: it is not needed for the output). At this size attention does 2·B·H·T·S·D·2
    // ≈ 1.6 GFLOP (half of it masked), so it is not bound by these bytes; GB/s is here to compare
    // versions, and the time is what counts.
    const double bytes = 4.0 * (2.0 * double(nq) + 2.0 * double(nk));
    lab::time_versions(grpo::str("attention forward, B = ", B, ", H = ", H, ", T = ", T, ", S = ", S, ", D = ", D),
                       versions, bytes, args.repeats);
    return ok;
}

int main(int argc, char** argv) { return lab::run_main(argc, argv, run); }

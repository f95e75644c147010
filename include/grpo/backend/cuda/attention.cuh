// Causal multi-head attention on the GPU; the contract of backend/cpu/attention.hpp
// (q (B, T, H, D), k, v (B, S, H, D), the first P = S − T keys a prefix, query t sees keys
// 0..P+t). Two paths:
//   training (att given): the products run on cuBLAS, one strided-batched GEMM over the H heads
//     of each batch row (a head's rows are H·D apart, heads D apart), and the causal softmax and
//     its backward are row kernels; the (B, H, T, S) probabilities stay in att for backward.
//   inference (att null): one fused kernel, flash-style (Dao et al. 2022, "FlashAttention",
//     Algorithm 1's online softmax): a warp per (b, t, h) query streams over its keys keeping a
//     running max m, a running sum l and the weighted sum of values, so no score matrix is ever
//     written. For D ≤ 128 (each lane keeps D/32 values in registers); larger heads fall back
//     to the cuBLAS path with a temporary att.
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/backend/cuda/elementwise.cuh"
#include "grpo/backend/cuda/matmul.cuh"

namespace grpo {
namespace cuda_detail {

constexpr int kFusedMaxHeadDim = 128;
constexpr int kRowsPerBlockAttention = 8;  // warps (rows or queries) per block

// Row (bh, t) of att: scores → probabilities, masking keys after P + t (written as 0).
template <class T>
__global__ void causal_softmax_kernel(std::int64_t rows, std::int64_t T_, std::int64_t S, T* att) {
    const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    T* a = att + row * S;
    const std::int64_t last = S - T_ + row % T_;
    T m = -INFINITY;
    for (std::int64_t s = lane; s <= last; s += 32) m = a[s] > m ? a[s] : m;
    m = warp_max(m);
    T sum = 0;
    for (std::int64_t s = lane; s <= last; s += 32) sum += (a[s] = exp(a[s] - m));
    sum = warp_sum(sum);
    for (std::int64_t s = lane; s < S; s += 32) a[s] = s <= last ? a[s] / sum : T(0);
}

// dS = P ⊙ (dP − Σ_s P·dP) · scale, in place over dP, one warp per row.
template <class T>
__global__ void softmax_backward_rows_kernel(std::int64_t rows, std::int64_t S, T scale, const T* att, T* dp) {
    const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const T* a = att + row * S;
    T* g = dp + row * S;
    T dot = 0;
    for (std::int64_t s = lane; s < S; s += 32) dot += a[s] * g[s];
    dot = warp_sum(dot);
    for (std::int64_t s = lane; s < S; s += 32) g[s] = a[s] * (g[s] - dot) * scale;
}

// The fused inference kernel: warp w handles query (b, t, h); lane l holds elements l, l + 32, ...
template <class T>
__global__ void attention_fused_kernel(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H,
                                       std::int64_t D, T scale, const T* q, const T* k, const T* v, T* out) {
    constexpr int kPerLane = kFusedMaxHeadDim / 32;
    const std::int64_t query = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (query >= B * T_ * H) return;
    const std::int64_t h = query % H, t = (query / H) % T_, b = query / (H * T_);
    const T* qr = q + query * D;  // (b, t, h) is row `query` of the (B·T·H, D) view
    T qv[kPerLane], acc[kPerLane];
    for (int j = 0; j < kPerLane; ++j) {
        const std::int64_t d = lane + 32 * j;
        qv[j] = d < D ? qr[d] * scale : T(0);
        acc[j] = T(0);
    }
    T m = -INFINITY, l = T(0);
    const std::int64_t last = S - T_ + t;
    for (std::int64_t s = 0; s <= last; ++s) {
        const std::int64_t kv = ((b * S + s) * H + h) * D;
        T dot = 0;
        for (int j = 0; j < kPerLane; ++j) {
            const std::int64_t d = lane + 32 * j;
            if (d < D) dot += qv[j] * k[kv + d];
        }
        const T score = warp_sum(dot);
        const T m_new = score > m ? score : m;
        const T correction = exp(m - m_new), p = exp(score - m_new);  // rescale what was summed so far
        l = l * correction + p;
        for (int j = 0; j < kPerLane; ++j) {
            const std::int64_t d = lane + 32 * j;
            if (d < D) acc[j] = acc[j] * correction + p * v[kv + d];
        }
        m = m_new;
    }
    for (int j = 0; j < kPerLane; ++j) {
        const std::int64_t d = lane + 32 * j;
        if (d < D) out[query * D + d] = acc[j] / l;
    }
}

inline unsigned warp_row_blocks(std::int64_t rows) {
    return static_cast<unsigned>((rows + kRowsPerBlockAttention - 1) / kRowsPerBlockAttention);
}

}  // namespace cuda_detail

struct CudaAttention {
    template <class T>
    static void attention_forward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H, std::int64_t D,
                                  const T* q, const T* k, const T* v, T* out, T* att) {
        using namespace cuda_detail;
        if (B * T_ * H == 0) return;
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        if (!att && D <= kFusedMaxHeadDim) {
            attention_fused_kernel<<<warp_row_blocks(B * T_ * H), 32 * kRowsPerBlockAttention, 0, cuda_stream()>>>(
                B, T_, S, H, D, scale, q, k, v, out);
            GRPO_CUDA_CHECK_LAUNCH();
            return;
        }
        std::shared_ptr<T> temporary;  // probabilities nobody keeps (inference with a large head)
        if (!att) {
            temporary = CudaMemory::allocate<T>(B * H * T_ * S);
            att = temporary.get();
        }
        for (std::int64_t b = 0; b < B; ++b) {  // scores (H, T, S) = scale · Q_h·K_hᵀ
            gemm_strided(false, true, T_, S, D, scale, q + b * T_ * H * D, H * D, D, k + b * S * H * D, H * D, D,
                         T(0), att + b * H * T_ * S, S, T_ * S, H);
        }
        causal_softmax_kernel<<<warp_row_blocks(B * H * T_), 32 * kRowsPerBlockAttention, 0, cuda_stream()>>>(
            B * H * T_, T_, S, att);
        GRPO_CUDA_CHECK_LAUNCH();
        for (std::int64_t b = 0; b < B; ++b) {  // out_h (T, D) = P_h·V_h
            gemm_strided(false, false, T_, D, S, T(1), att + b * H * T_ * S, S, T_ * S, v + b * S * H * D, H * D, D,
                         T(0), out + b * T_ * H * D, H * D, D, H);
        }
    }

    //   dV += Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √D,  dQ += dS·K,  dK += dSᵀ·Q
    template <class T>
    static void attention_backward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H, std::int64_t D,
                                   const T* q, const T* k, const T* v, const T* att, const T* dout, T* dq, T* dk,
                                   T* dv) {
        using namespace cuda_detail;
        if (B * T_ * H == 0) return;
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        auto ds = CudaMemory::allocate<T>(B * H * T_ * S);  // dP, then dS in place
        for (std::int64_t b = 0; b < B; ++b) {
            const std::int64_t qo = b * T_ * H * D, ko = b * S * H * D, ao = b * H * T_ * S;
            if (dv) gemm_strided(true, false, S, D, T_, T(1), att + ao, S, T_ * S, dout + qo, H * D, D, T(1), dv + ko, H * D, D, H);
            gemm_strided(false, true, T_, S, D, T(1), dout + qo, H * D, D, v + ko, H * D, D, T(0), ds.get() + ao, S, T_ * S, H);
        }
        softmax_backward_rows_kernel<<<warp_row_blocks(B * H * T_), 32 * kRowsPerBlockAttention, 0, cuda_stream()>>>(
            B * H * T_, S, scale, att, ds.get());
        GRPO_CUDA_CHECK_LAUNCH();
        for (std::int64_t b = 0; b < B; ++b) {
            const std::int64_t qo = b * T_ * H * D, ko = b * S * H * D, ao = b * H * T_ * S;
            if (dq) gemm_strided(false, false, T_, D, S, T(1), ds.get() + ao, S, T_ * S, k + ko, H * D, D, T(1), dq + qo, H * D, D, H);
            if (dk) gemm_strided(true, false, S, D, T_, T(1), ds.get() + ao, S, T_ * S, q + qo, H * D, D, T(1), dk + ko, H * D, D, H);
        }
    }
};

}  // namespace grpo

// Causal multi-head scaled dot-product attention on the CPU, fused: one pass per (batch, head)
// computes scores, softmax and the weighted sum, keeping the probabilities for backward
// (llm.c's attention_forward/backward, dev/cpu). Vaswani et al. 2017, eq. 1:
//   out = softmax(q·kᵀ/√D + mask)·v
// Keys may start before the queries: with S keys and T queries, the first P = S − T keys are a
// prefix (a KV cache while decoding), and query t (absolute position P + t) sees keys 0..P+t.
// Heads are independent, so the (batch, head) loop runs in parallel; within a head the products
// are Eigen GEMMs over strided Maps of the (B, T, H, D) buffers (no copies; CpuMatmul::product,
// which keeps the bits independent of the CPU), and the mask and
// softmax are plain loops. Masked scores are computed and then zeroed: simpler than a
// triangular product and still far faster than scalar dot products.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/backend/cpu/matmul.hpp"
#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

/// The CPU backend's fused causal attention (forward and backward).
struct CpuAttention {
    /// A row-major Eigen matrix of T.
    template <class T>
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    /// Rows of one head inside a (B, T, H, D) buffer: consecutive rows are H·D apart.
    template <class T>
    using HeadMap = Eigen::Map<const Mat<T>, 0, Eigen::OuterStride<>>;
    /// A writable strided view of one head in a (B, T, H, D) buffer.
    template <class T>
    using HeadMapMut = Eigen::Map<Mat<T>, 0, Eigen::OuterStride<>>;

    /// q: (B, T, H, D)  k, v: (B, S, H, D)  out: (B, T, H, D)  att: (B, H, T, S) probabilities,
    /// or null when no backward will need them (inference)
    template <class T>
    static void attention_forward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H,
                                  std::int64_t D, const T* q, const T* k, const T* v, T* out,
                                  T* att) {
        const std::int64_t P = S - T_;
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        const Eigen::OuterStride<> stride(H * D);
        cpu_keep_eigen_serial();
        GRPO_PARALLEL_FOR(B * H > 1 && B * H * T_ * S * D > kCpuParallelMin)
        for (std::int64_t bh = 0; bh < B * H; ++bh) {
            const std::int64_t b = bh / H, h = bh % H;
            HeadMap<T> Q(q + (b * T_ * H + h) * D, T_, D, stride);  // (T, D)
            HeadMap<T> K(k + (b * S * H + h) * D, S, D, stride);    // (S, D)
            HeadMap<T> V(v + (b * S * H + h) * D, S, D, stride);    // (S, D)
            HeadMapMut<T> O(out + (b * T_ * H + h) * D, T_, D, stride);
            Mat<T> scratch;  // the probabilities of this head when the caller keeps none (att null)
            if (!att) scratch.resize(T_, S);
            Eigen::Map<Mat<T>> A(att ? att + bh * T_ * S : scratch.data(), T_, S);  // (T, S)
            CpuMatmul::product(A, Q, K.transpose(), scale, false);
            for (std::int64_t t = 0; t < T_; ++t) {  // causal softmax: query t sees keys 0..P+t
                T* row = A.data() + t * S;
                const std::int64_t last = P + t;
                T maxv = row[0];
                for (std::int64_t s = 1; s <= last; ++s) maxv = row[s] > maxv ? row[s] : maxv;
                T sum = 0;
                for (std::int64_t s = 0; s <= last; ++s) sum += (row[s] = std::exp(row[s] - maxv));
                for (std::int64_t s = 0; s <= last; ++s) row[s] /= sum;
                for (std::int64_t s = last + 1; s < S; ++s) row[s] = 0;
            }
            CpuMatmul::product(O, A, V, T(1), false);
        }
    }

    /// Accumulates dq, dk, dv (any may be null) from dout and the saved probabilities att:
    ///   dV += Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √D,  dQ += dS·K,  dK += dSᵀ·Q
    template <class T>
    static void attention_backward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H,
                                   std::int64_t D, const T* q, const T* k, const T* v,
                                   const T* att, const T* dout, T* dq, T* dk, T* dv) {
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        const Eigen::OuterStride<> stride(H * D);
        cpu_keep_eigen_serial();
        GRPO_PARALLEL_FOR(B * H > 1 && B * H * T_ * S * D > kCpuParallelMin)
        for (std::int64_t bh = 0; bh < B * H; ++bh) {
            const std::int64_t b = bh / H, h = bh % H;
            const std::int64_t qo = (b * T_ * H + h) * D, ko = (b * S * H + h) * D;
            HeadMap<T> Q(q + qo, T_, D, stride), K(k + ko, S, D, stride), V(v + ko, S, D, stride);
            HeadMap<T> dO(dout + qo, T_, D, stride);                 // (T, D)
            Eigen::Map<const Mat<T>> A(att + bh * T_ * S, T_, S);    // (T, S)
            if (dv) CpuMatmul::product(HeadMapMut<T>(dv + ko, S, D, stride), A.transpose(), dO, T(1), true);
            Mat<T> dS(T_, S);                                        // (T, S) dP, then dS
            CpuMatmul::product(dS, dO, V.transpose(), T(1), false);
            for (std::int64_t t = 0; t < T_; ++t) {
                const T pdp = A.row(t).dot(dS.row(t));
                dS.row(t) = (A.row(t).array() * (dS.row(t).array() - pdp) * scale).matrix();
            }
            if (dq) CpuMatmul::product(HeadMapMut<T>(dq + qo, T_, D, stride), dS, K, T(1), true);
            if (dk) CpuMatmul::product(HeadMapMut<T>(dk + ko, S, D, stride), dS.transpose(), Q, T(1), true);
        }
    }
};

}  // namespace grpo

// Causal multi-head scaled dot-product attention on the CPU, fused: one pass per (batch, head)
// computes scores, softmax and the weighted sum, keeping the probabilities for backward
// (llm.c's attention_forward/backward, dev/cpu). Vaswani et al. 2017, eq. 1:
//   out = softmax(q·kᵀ/√D + mask)·v
// Keys may start before the queries: with S keys and T queries, the first P = S − T keys are a
// prefix (a KV cache while decoding), and query t (absolute position P + t) sees keys 0..P+t.
// Heads are independent, so the (batch, head) loop runs in parallel.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

struct CpuAttention {
    // q: (B, T, H, D)  k, v: (B, S, H, D)  out: (B, T, H, D)  att: (B, H, T, S) probabilities
    template <class T>
    static void attention_forward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H,
                                  std::int64_t D, const T* q, const T* k, const T* v, T* out,
                                  T* att) {
        const std::int64_t P = S - T_;
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        GRPO_PARALLEL_FOR(B * H > 1 && B * H * T_ * S * D > kCpuParallelMin)
        for (std::int64_t bh = 0; bh < B * H; ++bh) {
            const std::int64_t b = bh / H, h = bh % H;
            for (std::int64_t t = 0; t < T_; ++t) {
                const T* qt = q + ((b * T_ + t) * H + h) * D;
                T* row = att + (bh * T_ + t) * S;
                const std::int64_t last = P + t;  // the last key query t may see
                T maxv = -INFINITY;
                for (std::int64_t s = 0; s <= last; ++s) {
                    const T* ks = k + ((b * S + s) * H + h) * D;
                    T dot = 0;
                    for (std::int64_t d = 0; d < D; ++d) dot += qt[d] * ks[d];
                    row[s] = dot * scale;
                    if (row[s] > maxv) maxv = row[s];
                }
                T sum = 0;
                for (std::int64_t s = 0; s <= last; ++s) {
                    row[s] = std::exp(row[s] - maxv);
                    sum += row[s];
                }
                const T inv = T(1) / sum;
                for (std::int64_t s = 0; s <= last; ++s) row[s] *= inv;
                for (std::int64_t s = last + 1; s < S; ++s) row[s] = 0;
                T* ot = out + ((b * T_ + t) * H + h) * D;
                for (std::int64_t d = 0; d < D; ++d) ot[d] = 0;
                for (std::int64_t s = 0; s <= last; ++s) {
                    const T* vs = v + ((b * S + s) * H + h) * D;
                    for (std::int64_t d = 0; d < D; ++d) ot[d] += row[s] * vs[d];
                }
            }
        }
    }

    // Accumulates dq, dk, dv (any may be null) from dout and the saved probabilities att.
    // With p = att row, dp_s = dout·v_s, the softmax backward is ds_s = p_s (dp_s − Σ p·dp).
    template <class T>
    static void attention_backward(std::int64_t B, std::int64_t T_, std::int64_t S, std::int64_t H,
                                   std::int64_t D, const T* q, const T* k, const T* v,
                                   const T* att, const T* dout, T* dq, T* dk, T* dv) {
        const std::int64_t P = S - T_;
        const T scale = T(1) / std::sqrt(static_cast<T>(D));
        GRPO_PARALLEL_FOR(B * H > 1 && B * H * T_ * S * D > kCpuParallelMin)
        for (std::int64_t bh = 0; bh < B * H; ++bh) {
            const std::int64_t b = bh / H, h = bh % H;
            std::vector<T> dp(static_cast<std::size_t>(S));  // (S) dL/dp for one query row
            for (std::int64_t t = 0; t < T_; ++t) {
                const std::int64_t qi = ((b * T_ + t) * H + h) * D;
                const T* p = att + (bh * T_ + t) * S;
                const T* go = dout + qi;
                const std::int64_t last = P + t;
                T pdp = 0;  // Σ_s p_s·dp_s
                for (std::int64_t s = 0; s <= last; ++s) {
                    const std::int64_t ki = ((b * S + s) * H + h) * D;
                    T acc = 0;
                    for (std::int64_t d = 0; d < D; ++d) acc += go[d] * v[ki + d];
                    dp[static_cast<std::size_t>(s)] = acc;
                    pdp += p[s] * acc;
                    if (dv)
                        for (std::int64_t d = 0; d < D; ++d) dv[ki + d] += p[s] * go[d];
                }
                for (std::int64_t s = 0; s <= last; ++s) {
                    const std::int64_t ki = ((b * S + s) * H + h) * D;
                    const T ds = p[s] * (dp[static_cast<std::size_t>(s)] - pdp) * scale;
                    if (dq)
                        for (std::int64_t d = 0; d < D; ++d) dq[qi + d] += ds * k[ki + d];
                    if (dk)
                        for (std::int64_t d = 0; d < D; ++d) dk[ki + d] += ds * q[qi + d];
                }
            }
        }
    }
};

}  // namespace grpo

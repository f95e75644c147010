// The GRPO loss on the CPU, fused: one pass over the (N, L) tokens computes the loss, the
// metrics' sums and, when a tape needs it, dloss/dlogp into a buffer; backward then only scales
// that buffer by the upstream gradient (Σ is linear, so this is exact). The per-token formulas
// are the shared ones of backend/grpo_formulas.hpp. Sums are in double; the loops
// are serial (N·L is a few thousand tokens a step, and the metric sums must not depend on the
// thread count). Also the per-token KL estimate and the exact KL over a vocabulary.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/backend/cpu/parallel.hpp"
#include "grpo/backend/cpu/vocab.hpp"
#include "grpo/backend/grpo_formulas.hpp"

namespace grpo {

/// The CPU backend's fused GRPO loss and KL ops.
struct CpuGrpoLoss {
    /// logp, old_logp, ref_logp (nullable when beta = 0), mask: (N, L); adv: (N) when
    /// !adv_per_token, else (N, L); row_keep: (N) 0/1 or null (DAPO's truncated completions);
    /// entropy: (N, L) or null. Writes loss[0]; dlogp, dentropy: (N, L) or null, overwritten with
    /// dloss/dlogp and dloss/dentropy.
    template <class T>
    static GrpoLossSums grpo_loss_forward(std::int64_t N, std::int64_t L, const GrpoTokenLossParams<T>& p,
                                          const T* logp, const T* old_logp, const T* ref_logp,
                                          const T* adv, bool adv_per_token, const T* mask,
                                          const T* row_keep, const T* entropy, T* loss, T* dlogp,
                                          T* dentropy) {
        GrpoLossSums sums;
        /// Σ_t m per row and in all, with truncated rows masked out.
        std::vector<double> row_tokens(static_cast<std::size_t>(N), 0.0);
        for (std::int64_t i = 0; i < N; ++i) {
            if (row_keep && row_keep[i] == T(0)) continue;
            for (std::int64_t t = 0; t < L; ++t) row_tokens[i] += static_cast<double>(mask[i * L + t]);
            sums.tokens += row_tokens[i];
        }
        /// The loss is Σ_{i,t} w_i·m_{i,t}·l_{i,t}; w_i is the aggregation's row weight.
        auto row_weight = [&](std::int64_t i) -> double {
            switch (p.aggregation) {
                case LossAggregation::grpo: return 1.0 / (N * std::max(row_tokens[i], 1.0));
                case LossAggregation::dapo: return 1.0 / std::max(sums.tokens, 1.0);
                case LossAggregation::dr_grpo:
                    return 1.0 / (static_cast<double>(N) * static_cast<double>(p.max_completion_length));
                case LossAggregation::seq_mean_token_sum: return 1.0 / N;
            }
            return 0.0;
        };
        const bool sequence = p.level == ImportanceSamplingLevel::sequence;
        double total = 0.0;
        for (std::int64_t i = 0; i < N; ++i) {
            const double w = row_weight(i);
            const bool keep = !(row_keep && row_keep[i] == T(0));
            /// GSPO: s_i = exp(Σ_t m (logp − old_logp) / max(Σ_t m, 1)), as TRL computes it.
            T seq_ratio = T(1);
            if (sequence && keep) {
                double log_s = 0.0;
                for (std::int64_t t = 0; t < L; ++t) {
                    const std::int64_t k = i * L + t;
                    if (mask[k] != T(0)) log_s += static_cast<double>(mask[k] * (logp[k] - old_logp[k]));
                }
                seq_ratio = static_cast<T>(std::exp(log_s / std::max(row_tokens[i], 1.0)));
            }
            double dseq = 0.0;  // sequence level: Σ_t w·m·dpg/ds
            for (std::int64_t t = 0; t < L; ++t) {
                const std::int64_t k = i * L + t;
                if (dlogp) dlogp[k] = T(0);
                if (dentropy) dentropy[k] = T(0);
                if (!keep || mask[k] == T(0)) continue;  // padding may hold anything, even inf
                const double m = static_cast<double>(mask[k]);
                const T a = adv_per_token ? adv[k] : adv[i];
                const T ratio = sequence ? seq_ratio : std::exp(logp[k] - old_logp[k]);
                const SurrogateToken<T> s = clipped_surrogate(ratio, a, p.eps_low, p.eps_high, p.dual_clip_c);
                double l = static_cast<double>(s.loss);
                T dl = sequence ? T(0) : s.dloss_dratio * ratio;  // token level: dρ/dlogp = ρ
                if (ref_logp) {
                    const T kl = kl_token(p.kl, logp[k], ref_logp[k]);
                    sums.kl += m * static_cast<double>(kl);
                    l += static_cast<double>(p.beta * kl);
                    dl += p.beta * kl_token_dlogp(p.kl, logp[k], ref_logp[k]);
                }
                if (entropy) {
                    sums.entropy += m * static_cast<double>(entropy[k]);
                    l -= static_cast<double>(p.entropy_coef * entropy[k]);
                    if (dentropy) dentropy[k] = static_cast<T>(-w * m * static_cast<double>(p.entropy_coef));
                }
                total += w * m * l;
                if (dlogp) dlogp[k] = static_cast<T>(w * m * static_cast<double>(dl));
                if (sequence) dseq += w * m * static_cast<double>(s.dloss_dratio);
                sums.clipped_low += m * s.low;
                sums.clipped_high += m * s.high;
                sums.clipped_dual += m * s.dual;
                sums.ratio += m * static_cast<double>(ratio);
            }
            // ds_i / dlogp_{i,t} = s_i · m_{i,t} / max(Σ_t m, 1)
            if (sequence && keep && dlogp) {
                const double g = dseq * static_cast<double>(seq_ratio) / std::max(row_tokens[i], 1.0);
                for (std::int64_t t = 0; t < L; ++t) {
                    const std::int64_t k = i * L + t;
                    dlogp[k] += static_cast<T>(g * static_cast<double>(mask[k]));
                }
            }
        }
        loss[0] = static_cast<T>(total);
        return sums;
    }

    /// out[i] = kl_token(kind, logp[i], ref_logp[i])   (n)
    template <class T>
    static void kl_estimate_forward(std::int64_t n, KlEstimator kind, const T* logp, const T* ref_logp, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = kl_token(kind, logp[i], ref_logp[i]);
    }

    /// out[n] = Σ_v p_v (log p_v − log q_v), p = softmax(zp[n]), q = softmax(zq[n])   zp, zq: (N, V)
    template <class T>
    static void exact_kl_forward(std::int64_t N, std::int64_t V, const T* zp, const T* zq, T* out) {
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            const T* p = zp + n * V;
            const T* q = zq + n * V;
            const T lse_p = CpuVocab::logsumexp(V, p), lse_q = CpuVocab::logsumexp(V, q);
            double acc = 0.0;
            for (std::int64_t v = 0; v < V; ++v) {
                const double log_p = static_cast<double>(p[v] - lse_p), log_q = static_cast<double>(q[v] - lse_q);
                acc += std::exp(log_p) * (log_p - log_q);
            }
            out[n] = static_cast<T>(acc);
        }
    }
};

}  // namespace grpo

// The per-token pieces of the GRPO loss that every backend evaluates identically: the clipped
// surrogate with its derivative, the names of the aggregation modes and ratio levels, and the
// plain parameter block a backend's fused loss receives. rl/grpo_loss.hpp builds the op on them.
//
// Clipped surrogate (PPO, Schulman et al. 2017 eq. 7; DeepSeekMath arXiv 2402.03300 eq. 3),
// written as a loss term (verl core_algos.compute_policy_loss, "vanilla"):
//   pg   = max(−ρ·A, −clip(ρ, 1 − ε_low, 1 + ε_high)·A)        = −min(ρA, clip(ρ)A)
//   dual clip for A < 0 (Ye et al. 2020; verl clip_ratio_c):   pg = min(pg, −c·A)
// so a negative-advantage token whose ratio has exploded (ρ > c) costs at most c·|A|.
// d pg / dρ is −A where the unclipped branch is active and 0 where a clip is active:
//   A > 0 and ρ > 1 + ε_high   (high clip: the min picks the constant clip(ρ)·A)
//   A < 0 and ρ < 1 − ε_low    (low clip)
//   A < 0 and ρ > c            (dual clip: the constant −c·A)
// The kinks themselves are measure zero; strict inequalities put them on the unclipped side.
#pragma once

#include <cstdint>

#include "grpo/core/host_device.hpp"
#include "grpo/rl/kl.hpp"

namespace grpo {

// How per-token losses l (N, L) under the mask m become one number.
enum class LossAggregation {
    grpo,                // mean_i( Σ_t l·m / max(Σ_t m, 1) )  DeepSeekMath eq. 3; TRL "grpo";
                         //                                    verl "seq-mean-token-mean"
    dapo,                // Σ l·m / max(Σ m, 1)                DAPO (arXiv 2503.14476) eq. 8;
                         //                                    TRL "bnpo"/"dapo"; verl "token-mean"
    dr_grpo,             // Σ l·m / (N · max_completion_length) Dr. GRPO (arXiv 2503.20783);
                         //                                    TRL "dr_grpo"
    seq_mean_token_sum,  // mean_i Σ_t l·m                     verl "seq-mean-token-sum"
};

// Which ratio multiplies the advantage.
enum class ImportanceSamplingLevel {
    token,     // ρ_{i,t} = exp(logp − old_logp)                     DeepSeekMath, PPO
    sequence,  // s_i = exp(mean_t(logp − old_logp)) for every t    GSPO (arXiv 2507.18071);
               //                                                    TRL importance_sampling_level
};

inline const char* loss_aggregation_name(LossAggregation a) {
    switch (a) {
        case LossAggregation::grpo: return "grpo";
        case LossAggregation::dapo: return "dapo";
        case LossAggregation::dr_grpo: return "dr_grpo";
        case LossAggregation::seq_mean_token_sum: return "seq_mean_token_sum";
    }
    return "unknown";
}

// The numbers a backend's fused GRPO loss needs (validated by grpo_loss before the call).
template <class T>
struct GrpoTokenLossParams {
    T eps_low, eps_high;
    T dual_clip_c;  // 0: off
    T beta;         // KL weight; ref_logp may be null when 0
    T entropy_coef;
    KlEstimator kl;
    LossAggregation aggregation;
    ImportanceSamplingLevel level;
    std::int64_t max_completion_length;  // dr_grpo's constant
};

// Sums over the masked tokens that the metrics are made of (each counted with weight m).
struct GrpoLossSums {
    double tokens = 0;        // Σ m
    double clipped_low = 0;   // Σ m·[ρ < 1 − ε_low and A < 0]
    double clipped_high = 0;  // Σ m·[ρ > 1 + ε_high and A > 0]
    double clipped_dual = 0;  // Σ m·[ρ > c and A < 0]
    double kl = 0;            // Σ m·KL (0 when there is no reference)
    double ratio = 0;         // Σ m·ρ
    double entropy = 0;       // Σ m·H (0 without an entropy input)
};

// One token's surrogate loss term and d(term)/dρ, with its clip flags.
template <class T>
struct SurrogateToken {
    T loss;
    T dloss_dratio;
    bool low, high, dual;
};

template <class T>
GRPO_HOST_DEVICE SurrogateToken<T> clipped_surrogate(T ratio, T adv, T eps_low, T eps_high, T dual_clip_c) {
    SurrogateToken<T> s{};
    s.low = adv < T(0) && ratio < T(1) - eps_low;
    s.high = adv > T(0) && ratio > T(1) + eps_high;
    s.dual = dual_clip_c > T(0) && adv < T(0) && ratio > dual_clip_c;
    const T clipped = ratio < T(1) - eps_low ? T(1) - eps_low : (ratio > T(1) + eps_high ? T(1) + eps_high : ratio);
    const T unclipped_term = -ratio * adv, clipped_term = -clipped * adv;
    s.loss = unclipped_term > clipped_term ? unclipped_term : clipped_term;
    s.dloss_dratio = (s.low || s.high) ? T(0) : -adv;
    if (s.dual) {
        s.loss = -dual_clip_c * adv;
        s.dloss_dratio = T(0);
    }
    return s;
}

}  // namespace grpo

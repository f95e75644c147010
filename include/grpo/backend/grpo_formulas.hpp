// The per-token pieces of the GRPO loss that every backend evaluates identically: the KL
// estimators and the clipped surrogate with their derivatives, the names of the aggregation
// modes and ratio levels, and the plain parameter block a backend's fused loss receives.
// Backend-neutral scalar code (no tensors, no concrete backend): backend/cpu/grpo_loss.hpp and
// the CUDA backend evaluate these; rl/grpo_loss.hpp and rl/kl.hpp build the ops on them.
// KL estimators at one token, with log r = logp_ref − logp (Schulman, "Approximating KL
// Divergence", 2020; k3 is DeepSeekMath eq. 4; low_var_kl is verl's): see rl/kl.hpp.
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

#include <cmath>
#include <cstdint>

#include "grpo/core/host_device.hpp"

namespace grpo {

/// The per-token KL estimators (Schulman 2020; k3 is DeepSeekMath eq. 4; low_var_kl is verl's).
enum class KlEstimator { k1, k2, k3, low_var_kl };

/// The estimator's name: "k1", "k2", "k3", "low_var_kl".
inline const char* kl_estimator_name(KlEstimator k) {
    switch (k) {
        case KlEstimator::k1: return "k1";
        case KlEstimator::k2: return "k2";
        case KlEstimator::k3: return "k3";
        case KlEstimator::low_var_kl: return "low_var_kl";
    }
    return "unknown";
}

/// verl's clamps for low_var_kl.
constexpr double kLowVarKlLogRatioClamp = 20.0;
constexpr double kLowVarKlCap = 10.0;  ///< the largest low_var_kl estimate

/// The estimate at one token.
template <class T>
GRPO_HOST_DEVICE T kl_token(KlEstimator kind, T logp, T ref_logp) {
    T log_r = ref_logp - logp;
    switch (kind) {
        case KlEstimator::k1: return -log_r;
        case KlEstimator::k2: return T(0.5) * log_r * log_r;
        case KlEstimator::k3: return std::exp(log_r) - log_r - T(1);
        case KlEstimator::low_var_kl: {
            const T c = T(kLowVarKlLogRatioClamp);
            log_r = log_r < -c ? -c : (log_r > c ? c : log_r);
            const T k = std::exp(log_r) - log_r - T(1);  // ≥ 0, so only the upper cap can bind
            return k > T(kLowVarKlCap) ? T(kLowVarKlCap) : k;
        }
    }
    return T(0);
}

/// d kl_token / d logp (d log r / d logp = −1). Zero where a clamp of low_var_kl is active.
template <class T>
GRPO_HOST_DEVICE T kl_token_dlogp(KlEstimator kind, T logp, T ref_logp) {
    const T log_r = ref_logp - logp;
    switch (kind) {
        case KlEstimator::k1: return T(1);
        case KlEstimator::k2: return -log_r;
        case KlEstimator::k3: return T(1) - std::exp(log_r);
        case KlEstimator::low_var_kl: {
            const T c = T(kLowVarKlLogRatioClamp);
            if (log_r < -c || log_r > c) return T(0);
            if (std::exp(log_r) - log_r - T(1) > T(kLowVarKlCap)) return T(0);
            return T(1) - std::exp(log_r);
        }
    }
    return T(0);
}


/// How per-token losses l (N, L) under the mask m become one number.
enum class LossAggregation {
    grpo,                ///< mean_i( Σ_t l·m / max(Σ_t m, 1) )  DeepSeekMath eq. 3; TRL "grpo";
                         //                                    verl "seq-mean-token-mean"
    dapo,                ///< Σ l·m / max(Σ m, 1)                DAPO (arXiv 2503.14476) eq. 8;
                         //                                    TRL "bnpo"/"dapo"; verl "token-mean"
    dr_grpo,             ///< Σ l·m / (N · max_completion_length) Dr. GRPO (arXiv 2503.20783);
                         //                                    TRL "dr_grpo"
    seq_mean_token_sum,  ///< mean_i Σ_t l·m                     verl "seq-mean-token-sum"
};

/// Which ratio multiplies the advantage.
enum class ImportanceSamplingLevel {
    token,     ///< ρ_{i,t} = exp(logp − old_logp)                     DeepSeekMath, PPO
    sequence,  ///< s_i = exp(mean_t(logp − old_logp)) for every t    GSPO (arXiv 2507.18071);
               //                                                    TRL importance_sampling_level
};

/// The aggregation's name: "grpo", "dapo", "dr_grpo", "seq_mean_token_sum".
inline const char* loss_aggregation_name(LossAggregation a) {
    switch (a) {
        case LossAggregation::grpo: return "grpo";
        case LossAggregation::dapo: return "dapo";
        case LossAggregation::dr_grpo: return "dr_grpo";
        case LossAggregation::seq_mean_token_sum: return "seq_mean_token_sum";
    }
    return "unknown";
}

/// The numbers a backend's fused GRPO loss needs (validated by grpo_loss before the call).
template <class T>
struct GrpoTokenLossParams {
    /// The clip range: ρ is clipped to [1 − eps_low, 1 + eps_high].
    ///@{
    T eps_low, eps_high;
    ///@}
    T dual_clip_c;  ///< 0: off
    T beta;         ///< KL weight; ref_logp may be null when 0
    T entropy_coef;  ///< weight of the entropy bonus (verl entropy_coeff); 0: off
    KlEstimator kl;  ///< the per-token KL estimator
    LossAggregation aggregation;  ///< how token terms are summed and normalised
    ImportanceSamplingLevel level;  ///< token or sequence importance ratios
    std::int64_t max_completion_length;  ///< dr_grpo's constant
};

/// Sums over the masked tokens that the metrics are made of (each counted with weight m).
struct GrpoLossSums {
    double tokens = 0;        ///< Σ m
    double clipped_low = 0;   ///< Σ m·[ρ < 1 − ε_low and A < 0]
    double clipped_high = 0;  ///< Σ m·[ρ > 1 + ε_high and A > 0]
    double clipped_dual = 0;  ///< Σ m·[ρ > c and A < 0]
    double kl = 0;            ///< Σ m·KL (0 when there is no reference)
    double ratio = 0;         ///< Σ m·ρ
    double entropy = 0;       ///< Σ m·H (0 without an entropy input)
};

/// One token's surrogate loss term and d(term)/dρ, with its clip flags.
template <class T>
struct SurrogateToken {
    T loss;  ///< the token's surrogate term
    T dloss_dratio;  ///< d(term)/dρ
    /// The clip flags: low (ρ < 1 − ε_low, A < 0), high (ρ > 1 + ε_high, A > 0), dual (ρ > c, A < 0).
    ///@{
    bool low, high, dual;
    ///@}
};

/// One token's clipped surrogate loss term (with the dual clip when c > 0), its d/dρ and clip flags.
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

// The GRPO objective (DeepSeekMath, arXiv 2402.03300, eq. 3) as one differentiable op on the
// policy's per-token log-probs of the sampled completions:
//   ρ_{i,t} = exp(logp − old_logp)      (GSPO, arXiv 2507.18071: s_i = exp(mean_t(logp − old_logp)))
//   l_{i,t} = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·KL_{i,t}    [− coef·H_{i,t}]
//   loss    = aggregate(l, mask)        (one of four normalisations; see LossAggregation)
// The op is fused (backend B::grpo_loss_forward computes loss, metrics and dloss/dlogp in one
// pass); its backward scales the saved gradient. Only logp (and the optional entropy) get a
// gradient; old_logp, ref_logp, advantages and mask are plain tensors.
//
// Defaults follow DeepSeekMath, the paper this library teaches; the presets give the others:
//   | field            | default here (source)       | TRL GRPOConfig        | verl actor            |
//   | eps_low/eps_high | 0.2 / 0.2 (DeepSeekMath)    | 0.2 / = eps           | 0.2 / 0.2             |
//   | beta             | 0.04 (DeepSeekMath RL runs) | 0.0 (was 0.04)        | 0 (use_kl_loss false; |
//   |                  |                             |                       |   kl_loss_coef 0.001) |
//   | kl               | k3 (DeepSeekMath eq. 4)     | k3                    | low_var_kl            |
//   | aggregation      | grpo (DeepSeekMath eq. 3)   | dapo (was grpo, bnpo) | token-mean (= dapo)   |
//   | level            | token                       | token                 | token                 |
//   | dual_clip_c      | 0 = off                     | off                   | 3 (clip_ratio_c)      |
//   | entropy_coef     | 0                           | —                     | 0                     |
//   | mask_truncated   | false                       | false                 | —                     |
// With μ = 1 (old_logp = logp) and β = 0 every ratio is 1, so the loss value is −Σ w·A, about 0
// for group-centred advantages, while dloss/dlogp = −A·w per token is not: the value of the GRPO
// loss says little; its gradient is the policy gradient.
#pragma once

#include <cstdint>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/backend/grpo_formulas.hpp"
#include "grpo/rl/kl.hpp"

namespace grpo {

/// The GRPO loss's options; the defaults follow DeepSeekMath, the presets TRL, verl, DAPO, Dr. GRPO, GSPO.
struct GrpoLossConfig {
    double eps_low = 0.2;   ///< DeepSeekMath, PPO
    double eps_high = 0.2;  ///< DAPO's clip-higher uses 0.28
    double beta = 0.04;     ///< DeepSeekMath's RL runs; TRL's default is 0.0
    KlEstimator kl = KlEstimator::k3;                 ///< DeepSeekMath eq. 4
    LossAggregation aggregation = LossAggregation::grpo;  ///< DeepSeekMath eq. 3
    std::int64_t max_completion_length = 0;           ///< dr_grpo's divisor (TRL max_completion_length)
    ImportanceSamplingLevel importance_sampling_level = ImportanceSamplingLevel::token;  ///< token ratios ρ_{i,t}, or GSPO's sequence ratio s_i
    double dual_clip_c = 0.0;   ///< verl clip_ratio_c = 3 for A < 0; 0 = off (TRL)
    double entropy_coef = 0.0;  ///< verl entropy_coeff; needs the entropy input
    bool mask_truncated = false;  ///< DAPO overlong filtering; TRL mask_truncated_completions

    static GrpoLossConfig deepseekmath() { return {}; }  ///< DeepSeekMath: the defaults
    /// TRL GRPOConfig today: β 0, loss_type "dapo".
    static GrpoLossConfig trl() {
        GrpoLossConfig c;
        c.beta = 0.0;
        c.aggregation = LossAggregation::dapo;
        return c;
    }
    /// verl's actor: token-mean, dual clip 3, low_var_kl (weight 0 unless use_kl_loss).
    static GrpoLossConfig verl() {
        GrpoLossConfig c;
        c.beta = 0.0;
        c.kl = KlEstimator::low_var_kl;
        c.aggregation = LossAggregation::dapo;
        c.dual_clip_c = 3.0;
        return c;
    }
    /// DAPO (arXiv 2503.14476): clip-higher 0.2 / 0.28, token mean, no KL.
    static GrpoLossConfig dapo() {
        GrpoLossConfig c = trl();
        c.eps_high = 0.28;
        return c;
    }
    /// Dr. GRPO (arXiv 2503.20783): constant divisor N · max_completion_length, no KL.
    static GrpoLossConfig dr_grpo(std::int64_t max_completion_length) {
        GrpoLossConfig c;
        c.beta = 0.0;
        c.aggregation = LossAggregation::dr_grpo;
        c.max_completion_length = max_completion_length;
        return c;
    }
    /// GSPO as TRL documents it: sequence ratio, ε 3e-4 / 4e-4, per-sequence mean, no KL.
    static GrpoLossConfig gspo() {
        GrpoLossConfig c;
        c.beta = 0.0;
        c.eps_low = 3e-4;
        c.eps_high = 4e-4;
        c.importance_sampling_level = ImportanceSamplingLevel::sequence;
        return c;
    }
};

/// The loss (differentiable) and its metrics.
template <class T, class B>
struct GrpoLossOutput {
    Var<T, B> loss;             ///< ()
    double clip_frac_low = 0;   ///< masked token mean of [ρ < 1 − ε_low and A < 0]   (TRL)
    double clip_frac_high = 0;  ///< masked token mean of [ρ > 1 + ε_high and A > 0]  (TRL)
    double clip_frac_dual = 0;  ///< masked token mean of [ρ > c and A < 0]  (verl pg_clipfrac_lower)
    double mean_kl = 0;         ///< masked token mean of the chosen estimator (0 without ref_logp)
    double mean_ratio = 0;      ///< masked token mean of ρ (of s_i at the sequence level)
    double mean_entropy = 0;    ///< masked token mean of H (0 without the entropy input)
    double tokens = 0;          ///< Σ mask over the kept completions
};

/// logp: (N, L) Var; old_logp, mask: (N, L); ref_logp: (N, L), or undefined (Tensor()) when
/// beta = 0; advantages: (N) (outcome supervision) or (N, L) (process supervision);
/// truncated: N flags or empty (required when mask_truncated); entropy: (N, L) Var or Var().
template <class T, class B>
GrpoLossOutput<T, B> grpo_loss(Tape* tape, const Var<T, B>& logp, const Tensor<T, B>& old_logp,
                               const Tensor<T, B>& ref_logp, const Tensor<T, B>& advantages,
                               const Tensor<T, B>& mask, const GrpoLossConfig& config,
                               const std::vector<bool>& truncated = {}, const Var<T, B>& entropy = {}) {
    const Shape& s = logp.shape();
    require(s.rank == 2, "grpo_loss: logp has shape ", s, ", expected (N, L)");
    const std::int64_t N = s.dim[0], L = s.dim[1];
    require_shape(old_logp, s, "grpo_loss", "old_logp");
    require_shape(mask, s, "grpo_loss", "mask");
    const bool has_ref = ref_logp.defined();
    if (has_ref) require_shape(ref_logp, s, "grpo_loss", "ref_logp");
    require(has_ref || config.beta == 0.0, "grpo_loss: beta = ", config.beta,
            " needs ref_logp (N, L); pass it or set beta = 0");
    const bool adv_per_token = advantages.shape() == s;
    require(adv_per_token || advantages.shape() == Shape{N}, "grpo_loss: advantages has shape ",
            advantages.shape(), ", expected (", N, ") or ", s);
    const bool has_entropy = entropy.value().defined();
    if (has_entropy) require_shape(entropy.value(), s, "grpo_loss", "entropy");
    require(has_entropy || config.entropy_coef == 0.0, "grpo_loss: entropy_coef = ", config.entropy_coef,
            " needs the per-token entropy (N, L)");
    require(truncated.empty() || static_cast<std::int64_t>(truncated.size()) == N, "grpo_loss: ",
            truncated.size(), " truncated flags for ", N, " completions");
    require(!config.mask_truncated || !truncated.empty(),
            "grpo_loss: mask_truncated is set but no truncated flags were given");
    require(config.eps_low >= 0.0 && config.eps_low < 1.0 && config.eps_high >= 0.0, "grpo_loss: eps_low = ",
            config.eps_low, ", eps_high = ", config.eps_high, ", expected 0 <= eps_low < 1, eps_high >= 0");
    require(config.beta >= 0.0, "grpo_loss: beta = ", config.beta, ", expected >= 0");
    require(config.dual_clip_c == 0.0 || config.dual_clip_c > 1.0, "grpo_loss: dual_clip_c = ",
            config.dual_clip_c, ", expected 0 (off) or > 1 (verl asserts clip_ratio_c > 1)");
    if (config.aggregation == LossAggregation::dr_grpo) {
        require(config.max_completion_length > 0,
                "grpo_loss: aggregation dr_grpo needs max_completion_length > 0 (its divisor is N x max_completion_length)");
        require(config.max_completion_length >= L, "grpo_loss: dr_grpo's max_completion_length = ",
                config.max_completion_length, " is shorter than the completions' width L = ", L);
    }

    Tensor<T, B> row_keep;  // (N) 0/1, only when truncated completions are masked out
    if (config.mask_truncated) {
        std::vector<T> keep(static_cast<std::size_t>(N));
        for (std::int64_t i = 0; i < N; ++i) keep[i] = truncated[i] ? T(0) : T(1);
        row_keep = Tensor<T, B>::from(Shape{N}, keep);
    }
    const GrpoTokenLossParams<T> p{static_cast<T>(config.eps_low), static_cast<T>(config.eps_high),
                                   static_cast<T>(config.dual_clip_c), static_cast<T>(config.beta),
                                   static_cast<T>(config.entropy_coef), config.kl, config.aggregation,
                                   config.importance_sampling_level, config.max_completion_length};

    GrpoLossOutput<T, B> out;
    out.loss = Var<T, B>(Tensor<T, B>::empty(Shape{}), recording(tape, logp, entropy));
    const bool rec = out.loss.requires_grad();
    Tensor<T, B> dlogp = rec && logp.requires_grad() ? Tensor<T, B>::empty(s) : Tensor<T, B>();
    Tensor<T, B> dentropy = rec && has_entropy && entropy.requires_grad() ? Tensor<T, B>::empty(s) : Tensor<T, B>();
    const GrpoLossSums sums = B::grpo_loss_forward(
        N, L, p, logp.data(), old_logp.data(), has_ref ? ref_logp.data() : nullptr, advantages.data(),
        adv_per_token, mask.data(), row_keep.defined() ? row_keep.data() : nullptr,
        has_entropy ? entropy.data() : nullptr, out.loss.data(), dlogp.defined() ? dlogp.data() : nullptr,
        dentropy.defined() ? dentropy.data() : nullptr);

    const double n = sums.tokens > 0 ? sums.tokens : 1.0;
    out.clip_frac_low = sums.clipped_low / n;
    out.clip_frac_high = sums.clipped_high / n;
    out.clip_frac_dual = sums.clipped_dual / n;
    out.mean_kl = sums.kl / n;
    out.mean_ratio = sums.ratio / n;
    out.mean_entropy = sums.entropy / n;
    out.tokens = sums.tokens;
    if (!rec) return out;
    // dx += dloss · (saved dloss/dx): B::broadcast_acc with the saved gradient as its "mask".
    tape->record([logp, entropy, dlogp, dentropy, loss = out.loss] {
        if (!loss.has_grad()) return;
        if (dlogp.defined()) B::broadcast_acc(dlogp.numel(), loss.grad_data(), T(1), dlogp.data(), logp.grad_data());
        if (dentropy.defined())
            B::broadcast_acc(dentropy.numel(), loss.grad_data(), T(1), dentropy.data(), entropy.grad_data());
    });
    return out;
}

/// DAPO's dynamic sampling (arXiv 2503.14476 §3.2) keeps only groups with 0 < `#correct` < G, i.e.
/// whose rewards are not all equal: the others get zero advantages and no gradient.
/// rewards: (N) = (groups × G), grouped consecutively -> the indices of the groups to keep.
inline std::vector<std::int64_t> groups_with_signal(const std::vector<double>& rewards, int group_size) {
    require(group_size >= 1, "groups_with_signal: G = ", group_size, ", expected >= 1");
    require(rewards.size() % static_cast<std::size_t>(group_size) == 0, "groups_with_signal: ",
            rewards.size(), " rewards do not split into groups of G = ", group_size);
    std::vector<std::int64_t> keep;
    const std::size_t groups = rewards.size() / static_cast<std::size_t>(group_size);
    for (std::size_t g = 0; g < groups; ++g) {
        const double* r = rewards.data() + g * static_cast<std::size_t>(group_size);
        bool varies = false;
        for (int j = 1; j < group_size && !varies; ++j) varies = r[j] != r[0];
        if (varies) keep.push_back(static_cast<std::int64_t>(g));
    }
    return keep;
}

}  // namespace grpo

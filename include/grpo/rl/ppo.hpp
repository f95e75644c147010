// PPO for LLMs, the baseline GRPO is compared against: DeepSeekMath (arXiv 2402.03300) §4.1
// eq. 1–2, as InstructGPT (arXiv 2203.02155) and TRL's PPOTrainer implement it. A learned value
// function V(s_t) turns per-token rewards into per-token advantages. The pieces, in the order a
// PPO step uses them (N completions, L = the longest, m the completion mask):
//   r_t = −β·KL_t, + the rule-based score at the last token     per_token_rewards  DeepSeekMath eq. 2
//   V_t = V(q, o_<t), read where the policy's log-probs are      Critic::values
//   δ_t = r_t + γ·V_{t+1} − V_t,   A_t = δ_t + γλ·A_{t+1}        gae     GAE, arXiv 1506.02438 eq. 16
//   R_t = A_t + V_t                  the value target (TRL, verl: returns = advantages + values)
//   A  <- (A − mean) / std over every token of the batch         masked_whiten  TRL
//   policy loss: grpo_loss with A (N, L), β 0, token mean        PpoConfig::policy_loss()
//   value loss:  ½·mean_t max((V − R)², (clip(V, V_old ± c) − R)²)  value_loss   TRL
// The critic is a second transformer as large as the policy (InstructGPT, TRL): its memory and
// its forward and backward are the cost that GRPO's group baseline (advantages.hpp) removes.
//
// Rewards, GAE and whitening run on host copies in double: (N, L) is a few thousand numbers a
// step and GAE is a recursion backwards in t, a plain loop per row. Padding (m = 0) is never
// read, so it may hold anything (the padded log-probs of policy_logprobs are real numbers, but
// a caller's NaN there must not leak in); it comes back as 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/routing.hpp"
#include "grpo/autograd/tape.hpp"
#include "grpo/backend/grpo_formulas.hpp"
#include "grpo/core/host_device.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/tensor.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/config.hpp"
#include "grpo/nn/scalar_head.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/rl/grpo_loss.hpp"
#include "grpo/rl/policy_logprobs.hpp"

namespace grpo {

/// TRL's PPOConfig defaults (trl/trainer/ppo_config.py, the OnPolicyConfig version); verl's
/// (trainer/config: algorithm, critic.cliprange_value, algorithm.kl_ctrl) where they differ.
struct PpoConfig {
    double gamma = 1.0;             ///< TRL gamma; verl algorithm.gamma 1.0
    double lam = 0.95;              ///< TRL lam; verl algorithm.lam 1.0
    double cliprange = 0.2;         ///< TRL cliprange (PPO, arXiv 1707.06347: ε = 0.2); verl clip_ratio 0.2
    double cliprange_value = 0.2;   ///< TRL cliprange_value; verl critic.cliprange_value 0.5
    double vf_coef = 0.1;           ///< TRL vf_coef: loss = pg_loss + vf_coef·vf_loss
    double kl_coef = 0.05;          ///< TRL kl_coef; verl kl_ctrl.kl_coef 0.001
    KlEstimator kl = KlEstimator::k1;  ///< TRL kl_estimator "k1" (k3 is the other choice)
    bool whiten_advantages = true;  ///< TRL and verl always whiten (no option); named here to
                                    // show what it does

    /// The clipped surrogate of DeepSeekMath eq. 1 is grpo_loss with per-token advantages (N, L):
    /// ε_low = ε_high = cliprange, β = 0 (PPO puts the KL in the reward), token mean over the
    /// batch (TRL: masked_mean(pg_loss_max, ~padding_mask); verl "token-mean").
    GrpoLossConfig policy_loss() const {
        GrpoLossConfig c;
        c.eps_low = cliprange;
        c.eps_high = cliprange;
        c.beta = 0.0;
        c.aggregation = LossAggregation::dapo;
        return c;
    }

    /// Throws naming the first offending field (the functions below check their own arguments
    /// too; a trainer calls this once, before its first step).
    void validate() const {
        require(gamma >= 0.0 && gamma <= 1.0, "PpoConfig: gamma = ", gamma, ", expected 0 <= gamma <= 1");
        require(lam >= 0.0 && lam <= 1.0, "PpoConfig: lam = ", lam, ", expected 0 <= lam <= 1");
        require(cliprange > 0.0 && cliprange < 1.0, "PpoConfig: cliprange = ", cliprange, ", expected 0 < cliprange < 1");
        require(cliprange_value >= 0.0, "PpoConfig: cliprange_value = ", cliprange_value,
                ", expected >= 0 (infinity: no clipping)");
        require(vf_coef >= 0.0 && std::isfinite(vf_coef), "PpoConfig: vf_coef = ", vf_coef,
                ", expected a finite value >= 0");
        require(kl_coef >= 0.0 && std::isfinite(kl_coef), "PpoConfig: kl_coef = ", kl_coef,
                ", expected a finite value >= 0");
    }
};

namespace ppo_detail {

inline void require_unit(double x, const char* op, const char* name) {
    require(x >= 0.0 && x <= 1.0, op, ": ", name, " = ", x, ", expected 0 <= ", name, " <= 1");
}

}  // namespace ppo_detail

/// DeepSeekMath eq. 2: r_t = r_φ(q, o_≤t)·[t = last] − β·log(π_θ(o_t|·) / π_ref(o_t|·)), with the
/// rule-based score in place of the reward model r_φ. scores: (N); logp, ref_logp, mask: (N, L)
/// (the rollout's log-probs, no gradient) -> rewards (N, L). KL_t is the estimator `kl` (k1 =
/// logp − ref_logp, TRL's default). A row with no completion token has nowhere to put its score
/// and gets none (nothing of it is trained).
template <class T, class B>
Tensor<T, B> per_token_rewards(const std::vector<double>& scores, const Tensor<T, B>& logp,
                               const Tensor<T, B>& ref_logp, const Tensor<T, B>& mask, double kl_coef,
                               KlEstimator kl = KlEstimator::k1) {
    const Shape& s = logp.shape();
    require(s.rank == 2, "per_token_rewards: logp has shape ", s, ", expected (N, L)");
    require_shape(ref_logp, s, "per_token_rewards", "ref_logp");
    require_shape(mask, s, "per_token_rewards", "mask");
    const std::int64_t N = s.dim[0], L = s.dim[1];
    require(static_cast<std::int64_t>(scores.size()) == N, "per_token_rewards: ", scores.size(),
            " scores for logp of shape ", s, ", expected ", N);
    require(kl_coef >= 0.0 && std::isfinite(kl_coef), "per_token_rewards: kl_coef = ", kl_coef,
            ", expected a finite value >= 0");
    const std::vector<T> lp = logp.to_host(), ref = ref_logp.to_host(), m = mask.to_host();
    std::vector<T> r(static_cast<std::size_t>(N * L), T(0));
    for (std::int64_t n = 0; n < N; ++n) {
        require(std::isfinite(scores[n]), "per_token_rewards: score ", n, " is ", scores[n],
                ", expected a finite number (a missing reward cannot be spread over tokens)");
        std::int64_t last = -1;
        for (std::int64_t t = 0; t < L; ++t) {
            const std::int64_t k = n * L + t;
            if (m[k] == T(0)) continue;
            const double kl_t = kl_token<double>(kl, static_cast<double>(lp[k]), static_cast<double>(ref[k]));
            r[k] = static_cast<T>(-kl_coef * kl_t);
            last = t;
        }
        if (last >= 0) r[n * L + last] = static_cast<T>(static_cast<double>(r[n * L + last]) + scores[n]);
    }
    return Tensor<T, B>::from(s, r);
}

/// What gae returns: per-token advantages and the value targets.
template <class T, class B>
struct Gae {
    Tensor<T, B> advantages;  ///< (N, L), 0 on padding
    Tensor<T, B> returns;     ///< (N, L) = advantages + values, 0 on padding: the value target
};

/// Generalized Advantage Estimation (Schulman et al. 2016, arXiv 1506.02438, eq. 16):
///   δ_t = r_t + γ·V_{t+1} − V_t,   A_t = Σ_{l≥0} (γλ)^l δ_{t+l} = δ_t + γλ·A_{t+1}
/// computed backwards per row; after a row's last token the episode is over: V = 0, A = 0.
/// A masked token in the middle is skipped (verl's compute_gae_advantage_return): V_{t+1} is
/// the next *unmasked* token's value. rewards, values, mask: (N, L).
template <class T, class B>
Gae<T, B> gae(const Tensor<T, B>& rewards, const Tensor<T, B>& values, const Tensor<T, B>& mask, double gamma,
              double lam) {
    const Shape& s = rewards.shape();
    require(s.rank == 2, "gae: rewards has shape ", s, ", expected (N, L)");
    require_shape(values, s, "gae", "values");
    require_shape(mask, s, "gae", "mask");
    ppo_detail::require_unit(gamma, "gae", "gamma");
    ppo_detail::require_unit(lam, "gae", "lam");
    const std::int64_t N = s.dim[0], L = s.dim[1];
    const std::vector<T> r = rewards.to_host(), v = values.to_host(), m = mask.to_host();
    std::vector<T> adv(r.size(), T(0)), ret(r.size(), T(0));
    for (std::int64_t n = 0; n < N; ++n) {
        double next_value = 0.0, next_adv = 0.0;  // V_{t+1}, A_{t+1}: 0 past the last token
        for (std::int64_t t = L - 1; t >= 0; --t) {
            const std::int64_t k = n * L + t;
            if (m[k] == T(0)) continue;
            const double value = static_cast<double>(v[k]);
            const double delta = static_cast<double>(r[k]) + gamma * next_value - value;
            next_adv = delta + gamma * lam * next_adv;
            next_value = value;
            adv[k] = static_cast<T>(next_adv);
            ret[k] = static_cast<T>(next_adv + value);
        }
    }
    return {Tensor<T, B>::from(s, adv), Tensor<T, B>::from(s, ret)};
}

/// The ε under the square root of TRL's masked_whiten (and verl's).
constexpr double kWhitenEps = 1e-8;

/// TRL's masked_whiten (trl/trainer/utils.py): over the masked entries of the whole batch,
///   mean = Σ m·x / Σ m,   var = Σ m·(x − mean)² / (Σ m − 1)     (masked_var, unbiased: Bessel)
///   x <- (x − mean) / sqrt(var + 1e-8)          (+ mean again when !shift_mean, as for rewards)
/// Padding comes back as 0 (TRL masked_fill's it after). x, mask: (N, L) or any equal shapes.
template <class T, class B>
Tensor<T, B> masked_whiten(const Tensor<T, B>& x, const Tensor<T, B>& mask, bool shift_mean = true) {
    require_shape(mask, x.shape(), "masked_whiten", "mask");
    const std::vector<T> xs = x.to_host(), m = mask.to_host();
    double count = 0.0, sum = 0.0;
    for (std::size_t k = 0; k < xs.size(); ++k)
        if (m[k] != T(0)) {
            count += static_cast<double>(m[k]);
            sum += static_cast<double>(m[k]) * static_cast<double>(xs[k]);
        }
    require(count > 1.0, "masked_whiten: the mask of shape ", mask.shape(), " holds ", count,
            " tokens, expected more than 1 (the unbiased variance divides by count - 1)");
    const double mean = sum / count;
    double squares = 0.0;
    for (std::size_t k = 0; k < xs.size(); ++k)
        if (m[k] != T(0)) {
            const double d = static_cast<double>(xs[k]) - mean;
            squares += static_cast<double>(m[k]) * d * d;
        }
    const double inv_std = 1.0 / std::sqrt(squares / (count - 1.0) + kWhitenEps);
    std::vector<T> out(xs.size(), T(0));
    for (std::size_t k = 0; k < xs.size(); ++k)
        if (m[k] != T(0))
            out[k] = static_cast<T>((static_cast<double>(xs[k]) - mean) * inv_std + (shift_mean ? 0.0 : mean));
    return Tensor<T, B>::from(x.shape(), out);
}

/// GAE with the config's γ, λ, then whitened advantages when config.whiten_advantages. The
/// returns are taken before whitening (TRL, verl): the critic regresses on the raw scale.
template <class T, class B>
Gae<T, B> ppo_advantages(const Tensor<T, B>& rewards, const Tensor<T, B>& values, const Tensor<T, B>& mask,
                         const PpoConfig& config) {
    Gae<T, B> out = gae(rewards, values, mask, config.gamma, config.lam);
    if (config.whiten_advantages) out.advantages = masked_whiten(out.advantages, mask);
    return out;
}

/// One token of the clipped value loss (OpenAI baselines' ppo2, not in the PPO paper; Engstrom
/// et al. 2020, arXiv 2005.12729, §3; kept by TRL and verl):
///   V_c = clip(V, V_old − c, V_old + c),   l = max((V − R)², (V_c − R)²)
/// The clipped branch wins (l2 > l1) only when V is outside [V_old − c, V_old + c] (inside,
/// V_c = V and l1 = l2), where V_c is a constant: dl/dV = 0. Otherwise dl/dV = 2(V − R).
template <class T>
struct ValueToken {
    T loss;  ///< the token's value loss term
    T dloss_dvalue;  ///< d(term)/dV
    bool clipped;  ///< TRL's vf_clipfrac counts (V_c − R)² > (V − R)²
};

/// The clipped value loss at one token, its d/dV and whether the clipped branch won.
template <class T>
GRPO_HOST_DEVICE ValueToken<T> clipped_value_token(T value, T old_value, T ret, T cliprange_value) {
    const T lo = old_value - cliprange_value, hi = old_value + cliprange_value;
    const T clipped = value < lo ? lo : (value > hi ? hi : value);
    const T l1 = (value - ret) * (value - ret), l2 = (clipped - ret) * (clipped - ret);
    ValueToken<T> out{};
    out.clipped = l2 > l1;
    out.loss = out.clipped ? l2 : l1;
    out.dloss_dvalue = out.clipped ? T(0) : T(2) * (value - ret);
    return out;
}

/// The value loss (differentiable) and its metrics.
template <class T, class B>
struct ValueLossOutput {
    Var<T, B> loss;        ///< ()
    double clip_frac = 0;  ///< masked token mean of [(V_c − R)² > (V − R)²]  (TRL vf_clipfrac)
    double tokens = 0;     ///< Σ mask
};

/// TRL's value loss: vf_loss = ½ · masked_mean(max((V − R)², (V_c − R)²)) over the completion
/// tokens, a fused op like grpo_loss: the forward writes the loss and dloss/dV, the backward
/// scales that by the upstream gradient. values: (N, L) Var (Critic::values); old_values (the
/// rollout's V), returns (gae), mask: (N, L). The gradient flows through values only.
/// cliprange_value = ∞ turns the clipping off (plain ½ MSE).
template <class T, class B>
ValueLossOutput<T, B> value_loss(Tape* tape, const Var<T, B>& values, const Tensor<T, B>& old_values,
                                 const Tensor<T, B>& returns, const Tensor<T, B>& mask, double cliprange_value) {
    const Shape& s = values.shape();
    require(s.rank == 2, "value_loss: values has shape ", s, ", expected (N, L)");
    require_shape(old_values, s, "value_loss", "old_values");
    require_shape(returns, s, "value_loss", "returns");
    require_shape(mask, s, "value_loss", "mask");
    require(cliprange_value >= 0.0, "value_loss: cliprange_value = ", cliprange_value,
            ", expected >= 0 (infinity: no clipping)");
    const std::vector<T> v = values.value().to_host(), v_old = old_values.to_host(), r = returns.to_host(),
                         m = mask.to_host();
    ValueLossOutput<T, B> out;
    for (const T w : m) out.tokens += static_cast<double>(w);
    const double scale = 0.5 / (out.tokens > 0 ? out.tokens : 1.0);  // ½ · masked mean
    std::vector<T> dvalues(v.size(), T(0));                          // dloss/dV
    double total = 0.0, clipped = 0.0;
    for (std::size_t k = 0; k < v.size(); ++k) {
        if (m[k] == T(0)) continue;  // padding may hold anything
        const double w = static_cast<double>(m[k]);
        const ValueToken<double> tok = clipped_value_token<double>(v[k], v_old[k], r[k], cliprange_value);
        total += w * tok.loss;
        clipped += tok.clipped ? w : 0.0;
        dvalues[k] = static_cast<T>(scale * w * tok.dloss_dvalue);
    }
    out.clip_frac = clipped / (out.tokens > 0 ? out.tokens : 1.0);
    out.loss = Var<T, B>(Tensor<T, B>::from(Shape{}, {static_cast<T>(scale * total)}), recording(tape, values));
    if (!out.loss.requires_grad()) return out;
    const Tensor<T, B> dv = Tensor<T, B>::from(s, dvalues);
    // dV += dloss · (saved dloss/dV): B::broadcast_acc with the saved gradient as its "mask".
    tape->record([values, dv, loss = out.loss] {
        if (loss.has_grad()) B::broadcast_acc(dv.numel(), loss.grad_data(), T(1), dv.data(), values.grad_data());
    });
    return out;
}

/// The value network V(s_t): a transformer trunk and a scalar head on its final hidden state
/// (nn/scalar_head.hpp), V = h · w + b, the head named value_head.
/// InstructGPT (arXiv 2203.02155 §3.5) and TRL use a value model as large as the policy (pass
/// the policy's config: that is the cost GRPO removes). They initialise it from the reward
/// model; with rule-based scores there is none, so the trunk is fresh from the Rng. The critic
/// reads no logits, so its trunk has no LM head, like TRL's value model, a sequence-classification
/// model: trunk + `score`.
template <class T, class B>
class Critic : public ScalarHeadModel<T, B> {
public:
    /// A critic of that config (tied_head forced), trunk and scalar head fresh from `rng`.
    Critic(const TransformerConfig& config, Rng& rng) : ScalarHeadModel<T, B>(config, rng, "value_head") {}
    /// As large as the policy (InstructGPT, TRL): the policy's config, fresh weights.
    Critic(const Transformer<T, B>& policy, Rng& rng) : Critic(policy.config(), rng) {}

    /// V(s_t) for every completion token t: (N, L), at the positions whose log-probs
    /// policy_logprobs gathers, i.e. the state after the prompt and o_<t, before o_t is chosen
    /// (TRL: vpred[:, context_length − 1 : −1]). Padded columns hold some real state's value.
    Var<T, B> values(Tape* tape, const PolicyBatch<B>& batch) {
        const std::int64_t N = batch.rows, W = batch.width, L = batch.completion_width;
        const std::int64_t C = this->config().d_model;
        require(batch.ids.shape() == Shape{N, W}, "Critic::values: ids have shape ", batch.ids.shape(),
                ", expected (rows, width) = (", N, ", ", W, ")");
        require(batch.columns.shape() == Shape{N * L}, "Critic::values: columns have shape ", batch.columns.shape(),
                ", expected (rows x completion_width) = (", N * L, ")");
        const Var<T, B> h = this->trunk_.hidden(tape, batch.ids);          // (N, W, C)
        const Var<T, B> flat = reshape(tape, h, {N * W, C});              // (N·W, C)
        const Var<T, B> states = gather_rows(tape, flat, batch.columns);  // (N·L, C): s_t per token
        return reshape(tape, this->head(tape, states), {N, L});           // (N·L, 1) -> (N, L)
    }
};

}  // namespace grpo

// PpoTrainer: the baseline GRPO is measured against. DeepSeekMath (arXiv 2402.03300) §4.1 and
// Figure 4: PPO trains a value model "of comparable size as the policy model" beside the
// policy and turns per-token rewards into per-token advantages with it (GAE); GRPO drops the
// value model and takes the baseline from the group's rewards. One call per step:
//   1. draw `prompts_per_step` problems and sample ONE completion each (group_size 1; the
//      draws use the same (seed, step) scheme as GrpoTrainer: train/rollout.hpp)
//   2. score them with the same rule-based rewards
//   3. without a tape: the policy's log-probs π_old, the frozen reference's π_ref and the
//      critic's values V_old of every completion token (TRL computes all three in its rollout
//      phase, before any update)
//   4. r_t = −β·KL_t (+ score at the last token) -> GAE -> whitened advantages and returns R
//      (rl/ppo.hpp: per_token_rewards, ppo_advantages)
//   5. ppo_epochs passes over the batch; each one AdamW step of the policy on the clipped
//      surrogate (grpo_loss with per-token A: PpoConfig::policy_loss()) and one AdamW step of
//      the critic on vf_coef × the clipped value loss, each with global-norm clipping
// and returns one PpoStepMetrics. Step 3's π_old is a forward of its own, so the first epoch's
// ratio is exactly 1 (the forward with a tape computes the same numbers as the one without).
//
// Two optimizers, where TRL's PPOTrainer has one: TRL wraps policy and value model in one
// module (PolicyAndValueWrapper) and steps one AdamW on pg_loss + vf_coef·vf_loss. The two
// networks share no parameter and AdamW acts per parameter, so that is the same update as two
// AdamWs with one learning rate; separate configs let the critic have its own, and each
// network's gradient is clipped by its own norm (a large value gradient cannot shrink the
// policy's step). Since Adam divides by the gradient's running RMS, vf_coef changes the
// critic's step only through eps and the clipping threshold; it is kept for parity with TRL.
//
// Not here, and why: checkpoint/resume (GrpoTrainer has it; PPO here is a baseline to measure,
// not a run to continue: it would need the critic and its optimizer saved as well); mini-batches
// (TRL's num_mini_batches: the whole batch is one mini-batch, as GrpoTrainer's); an adaptive
// KL coefficient (TRL's current PPOTrainer has none either).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/io/jsonl.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/rl/grpo_loss.hpp"
#include "grpo/rl/policy_logprobs.hpp"
#include "grpo/rl/ppo.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/train/rollout.hpp"

namespace grpo {

namespace ppo_trainer_detail {
inline SamplingConfig one_completion_per_prompt() {
    SamplingConfig s;
    s.group_size = 1;  // PPO's baseline is V(s_t), not a group: one sample per prompt
    return s;
}
/// The critic's initial weights come from Rng(seed, stream = this); problems use streams 0, 1, ...
constexpr std::uint64_t kCriticInitStream = ~std::uint64_t{0};
}  // namespace ppo_trainer_detail

/// Defaults: PpoConfig is TRL's PPOConfig; ppo_epochs 4 is TRL's num_ppo_epochs
/// (trl/trainer/ppo_config.py); 64 prompts × 1 completion is as many completions as
/// GrpoTrainer's 8 prompts × G = 8; the optimizers and max_grad_norm are GrpoTrainer's, so the
/// two trainers differ only in where the advantage comes from.
struct PpoTrainerConfig {
    int prompts_per_step = 64;  ///< problems per step, one completion each by default
    SamplingConfig sampling = ppo_trainer_detail::one_completion_per_prompt();  ///< seed unused, eos_id the tokenizer's
    PromptTemplate prompt_template = PromptTemplate::plain();  ///< renders each problem's prompt
    RewardConfig rewards = RewardConfig::worked_example();  ///< the built-in rules, when reward_functions is empty
    std::vector<RewardFunction> reward_functions;             ///< your own list: replaces the built-in rules
    PpoConfig ppo;  ///< PPO's own settings (TRL's PPOConfig)
    AdamWConfig policy_optimizer{5e-5, 0.9, 0.99, 1e-8, 0.0};  ///< AdamW of the policy
    AdamWConfig critic_optimizer{5e-5, 0.9, 0.99, 1e-8, 0.0};  ///< AdamW of the critic
    int ppo_epochs = 4;          ///< TRL num_ppo_epochs
    double max_grad_norm = 1.0;  ///< per network; 0 = no clipping
    std::uint64_t seed = 0;  ///< step s draws problems from Rng(seed, s); the critic's weights come from its own stream

    void validate() const {
        require(prompts_per_step >= 1, "PpoTrainerConfig: prompts_per_step = ", prompts_per_step, ", expected >= 1");
        require(ppo_epochs >= 1, "PpoTrainerConfig: ppo_epochs = ", ppo_epochs, ", expected >= 1");
        require(max_grad_norm >= 0, "PpoTrainerConfig: max_grad_norm = ", max_grad_norm, ", expected >= 0");
        require(sampling.temperature > 0, "PpoTrainerConfig: sampling temperature = ", sampling.temperature,
                ", expected > 0 (the policy gradient needs sampled completions)");
        /// Every completion has at least one token; whitening divides by (tokens − 1).
        require(!ppo.whiten_advantages || static_cast<std::int64_t>(prompts_per_step) * sampling.group_size >= 2,
                "PpoTrainerConfig: prompts_per_step x group_size = ",
                static_cast<std::int64_t>(prompts_per_step) * sampling.group_size,
                ", expected >= 2 when whitening advantages (the unbiased variance needs two tokens)");
        sampling.validate();
        ppo.validate();
        grpo::validate(policy_optimizer);
        grpo::validate(critic_optimizer);
        validate_reward_functions(effective_reward_functions(), "PpoTrainerConfig");
    }

    /// What scores the completions: reward_functions, or the built-in rules of `rewards`.
    std::vector<RewardFunction> effective_reward_functions() const {
        return reward_functions.empty() ? builtin_reward_functions(rewards) : reward_functions;
    }
};

/// The rollout's rewards, lengths and timings (RolloutMetrics; scoring_seconds includes the
/// π_old, reference and critic forwards), then PPO's own. Loss terms and clip fractions are
/// means over the ppo_epochs passes (TRL averages its stats over epochs and mini-batches).
struct PpoStepMetrics : RolloutMetrics {
    double kl = 0;                  ///< token mean of KL_t(π_old ‖ π_ref), the estimator ppo.kl (k1)
    double policy_loss = 0;         ///< the clipped surrogate (token mean)
    /// ratio clipped below / above (TRL pg_clipfrac is their sum)
    ///@{
    double clip_frac_low = 0, clip_frac_high = 0;
    ///@}
    double ratio_mean = 0;          ///< token mean of π/π_old (1 in the first epoch)
    double entropy = 0;             ///< of the policy that sampled (first epoch)
    double value_loss = 0;          ///< ½ clipped squared error, before vf_coef
    double value_clip_frac = 0;     ///< TRL vf_clipfrac
    double value_mean = 0;          ///< token mean of V_old
    double explained_variance = 0;  ///< 1 − Var[R − V_old] / Var[R] over the tokens; NaN if Var[R] = 0
    /// The policy's and the critic's gradient norms, before clipping.
    ///@{
    double policy_grad_norm = 0, value_grad_norm = 0;
    ///@}
};

/// The step's metrics as one JSONL record.
inline nlohmann::json to_json(const PpoStepMetrics& m) {
    nlohmann::json j = rollout_json(m);
    j["kl"] = m.kl;
    j["policy_loss"] = m.policy_loss;
    j["clip_frac_low"] = m.clip_frac_low;
    j["clip_frac_high"] = m.clip_frac_high;
    j["ratio_mean"] = m.ratio_mean;
    j["entropy"] = m.entropy;
    j["value_loss"] = m.value_loss;
    j["value_clip_frac"] = m.value_clip_frac;
    j["value_mean"] = m.value_mean;
    j["explained_variance"] = m.explained_variance;  // NaN is written as null
    j["policy_grad_norm"] = m.policy_grad_norm;
    j["value_grad_norm"] = m.value_grad_norm;
    return j;
}

/// "step   12/200  reward 1.53  acc 0.62  len 31.0  kl 0.0021  clip 0.000  vf 0.0123  ev 0.45  1.20 s/step  9650 tok/s"
inline std::string progress_line(const PpoStepMetrics& m, std::int64_t total_steps) {
    char line[232];
    std::snprintf(line, sizeof line,
                  "step %4lld/%lld  reward %.2f%s  acc %.2f  len %.1f  kl %.4f  clip %.3f  vf %.4f  ev %.2f  %.2f s/step  %.0f tok/s",
                  static_cast<long long>(m.step), static_cast<long long>(total_steps), m.reward_mean,
                  reward_components_text(m).c_str(), m.accuracy,
                  m.length_mean, m.kl, m.clip_frac_low + m.clip_frac_high, m.value_loss, m.explained_variance,
                  m.step_seconds, m.tokens_per_second);
    return line;
}

/// How much of the returns' variance the critic's values explain: 1 − Var[y − ŷ] / Var[y] with
/// population variances over the masked tokens (OpenAI baselines' explained_variance, logged by
/// CleanRL's ppo.py). 1: perfect; 0: no better than a constant; < 0: worse. NaN when Var[y] = 0
/// or the mask is empty (baselines returns NaN too). predicted, target, mask: equal shapes.
template <class T, class B>
double explained_variance(const Tensor<T, B>& predicted, const Tensor<T, B>& target, const Tensor<T, B>& mask) {
    require_shape(target, predicted.shape(), "explained_variance", "target");
    require_shape(mask, predicted.shape(), "explained_variance", "mask");
    const std::vector<T> p = predicted.to_host(), y = target.to_host(), m = mask.to_host();
    double n = 0, sum_y = 0, sum_e = 0;  // e = y − ŷ
    for (std::size_t k = 0; k < y.size(); ++k)
        if (m[k] != T(0)) n += 1, sum_y += y[k], sum_e += static_cast<double>(y[k]) - p[k];
    if (n == 0) return std::nan("");
    const double mean_y = sum_y / n, mean_e = sum_e / n;
    double var_y = 0, var_e = 0;
    for (std::size_t k = 0; k < y.size(); ++k)
        if (m[k] != T(0)) {
            const double dy = y[k] - mean_y, de = static_cast<double>(y[k]) - p[k] - mean_e;
            var_y += dy * dy, var_e += de * de;
        }
    return var_y == 0 ? std::nan("") : 1.0 - var_e / var_y;
}

namespace ppo_trainer_detail {
/// Token mean of the KL estimator `kind` between two (N, L) log-prob tensors.
template <class T, class B>
double mean_kl(const Tensor<T, B>& logp, const Tensor<T, B>& ref_logp, const Tensor<T, B>& mask, KlEstimator kind) {
    const std::vector<T> lp = logp.to_host(), ref = ref_logp.to_host(), m = mask.to_host();
    double s = 0, n = 0;
    for (std::size_t k = 0; k < lp.size(); ++k)
        if (m[k] != T(0)) s += kl_token<double>(kind, lp[k], ref[k]), n += 1;
    return n > 0 ? s / n : 0.0;
}
}  // namespace ppo_trainer_detail

/// The PPO baseline: a critic and GAE give per-token advantages where GRPO uses the group's.
template <class T, class B>
class PpoTrainer {
public:
    /// The trainer updates `policy` in place. The reference is a frozen copy of it taken now
    /// (only when kl_coef > 0); the critic is a fresh Critic of the policy's size, its weights
    /// drawn from the config's seed.
    /// `source` gives one problem per call from Rng(config.seed, stream = step), as GrpoTrainer's.
    PpoTrainer(Transformer<T, B>& policy, const Tokenizer& tokenizer, ProblemSource source, PpoTrainerConfig config)
        : PpoTrainer(policy, tokenizer, batches_from(std::move(source), config.seed), std::move(config)) {}

    /// `batches(step, count)` gives step's `count` problems (e.g. PromptDataset::draw).
    PpoTrainer(Transformer<T, B>& policy, const Tokenizer& tokenizer, ProblemBatches batches, PpoTrainerConfig config)
        : policy_(policy), tokenizer_(tokenizer), batches_(std::move(batches)), config_(validated(std::move(config))),
          critic_(make_critic(policy.config(), config_.seed)),
          policy_optimizer_(policy.params(), config_.policy_optimizer),
          critic_optimizer_(critic_.params(), config_.critic_optimizer) {
        require(static_cast<bool>(batches_), "PpoTrainer: the problem source is empty");
        require(policy.config().vocab_size == tokenizer_.vocab_size(), "PpoTrainer: the policy's vocab_size is ",
                policy.config().vocab_size, ", expected the tokenizer's ", tokenizer_.vocab_size());
        config_.sampling = with_eos_of(tokenizer_, config_.sampling, "PpoTrainer");
        reward_functions_ = config_.effective_reward_functions();
        if (config_.ppo.kl_coef > 0) reference_ = std::make_unique<Transformer<T, B>>(clone_model(policy));
    }

    /// The problems of step s: the same for every run with this seed (and as GrpoTrainer's).
    std::vector<Problem> problems_for_step(std::int64_t s) const {
        std::vector<Problem> problems = batches_(s, config_.prompts_per_step);
        check_problems(problems, s, config_.prompts_per_step);
        return problems;
    }

    PpoStepMetrics step() {
        using trainer_detail::seconds_since;
        const auto start = std::chrono::steady_clock::now();
        PpoStepMetrics m;
        m.step = steps_ + 1;
        const double temperature = config_.sampling.temperature;

        /// 1. Problems, prompts, one completion each (group_size by default).
        const std::vector<Problem> problems = problems_for_step(steps_);
        const std::vector<std::string> prompt_texts = render_prompts(problems, config_.prompt_template);
        std::vector<std::vector<std::int32_t>> prompts;
        for (const std::string& text : prompt_texts) prompts.push_back(tokenizer_.encode(text));
        SamplingConfig sampling = config_.sampling;
        sampling.seed = sampler_seed(config_.seed, steps_);
        const Completions completions = sample_groups(policy_, prompts, sampling);
        m.sampling_seconds = seconds_since(start);
        m.generated_tokens = completions.generated_tokens;
        m.tokens_per_second = m.sampling_seconds > 0 ? m.generated_tokens / m.sampling_seconds : 0;

        /// 2-4. Scores; π_old, π_ref and V_old without a tape; rewards, GAE, returns.
        const auto scoring_start = std::chrono::steady_clock::now();
        const BatchScores scores = score_completions(completions, problems, prompt_texts, tokenizer_, reward_functions_);
        log_rewards(completions, scores, reward_functions_, &m);
        /// PPO's return needs a reward for every completion: there is no group to leave one out of.
        require(m.rewards_missing == 0, "PpoTrainer step ", m.step, ": ", m.rewards_missing,
                " completions have no score (a reward function of non-zero weight returned std::nullopt); PPO "
                "cannot leave a completion out");
        const PolicyBatch<B> batch = pack_policy_batch<B>(prompts, completions);
        const Tensor<T, B> mask = completion_mask<T, B>(completions, batch.completion_width);  // (N, L)
        const Tensor<T, B> old_logp = policy_logprobs(nullptr, policy_, batch, temperature).logp.value();  // (N, L)
        const Tensor<T, B> ref_logp =  // without a reference (kl_coef 0) the KL term is 0
            reference_ ? policy_logprobs(nullptr, *reference_, batch, temperature).logp.value() : old_logp;
        const Tensor<T, B> old_values = critic_.values(nullptr, batch).value();  // (N, L)
        const Tensor<T, B> rewards =
            per_token_rewards(reward_totals(scores), old_logp, ref_logp, mask, config_.ppo.kl_coef, config_.ppo.kl);
        const Gae<T, B> gae = ppo_advantages(rewards, old_values, mask, config_.ppo);  // A whitened, R = A_raw + V_old
        m.kl = ppo_trainer_detail::mean_kl(old_logp, ref_logp, mask, config_.ppo.kl);
        m.value_mean = trainer_detail::mean_over_mask(old_values, mask);
        m.explained_variance = explained_variance(old_values, gae.returns, mask);
        m.scoring_seconds = seconds_since(scoring_start);

        /// 5. ppo_epochs passes, each one step of the policy and one of the critic.
        const auto update_start = std::chrono::steady_clock::now();
        const double share = 1.0 / config_.ppo_epochs;  // metrics are means over the epochs
        for (int epoch = 0; epoch < config_.ppo_epochs; ++epoch) {
            const PolicyStep p = policy_step(batch, old_logp, gae.advantages, mask, completions.truncated, epoch == 0);
            if (epoch == 0) m.entropy = p.entropy;
            m.policy_loss += share * p.loss;
            m.clip_frac_low += share * p.clip_frac_low;
            m.clip_frac_high += share * p.clip_frac_high;
            m.ratio_mean += share * p.ratio_mean;
            m.policy_grad_norm += share * p.grad_norm;
            const CriticStep c = critic_step(batch, old_values, gae.returns, mask);
            m.value_loss += share * c.loss;
            m.value_clip_frac += share * c.clip_frac;
            m.value_grad_norm += share * c.grad_norm;
        }
        m.update_seconds = seconds_since(update_start);
        ++steps_;
        m.step_seconds = seconds_since(start);
        return m;
    }

    /// Runs until `total_steps` steps are done: a JSONL line per step to `log` (if given) and a
    /// progress line to `progress` (if given; rewritten in place on a terminal).
    void run(std::int64_t total_steps, JsonlWriter* log = nullptr, std::FILE* progress = nullptr) {
        while (steps_ < total_steps) {
            const PpoStepMetrics m = step();
            if (log) log->write(to_json(m));
            if (progress) print_progress(progress, progress_line(m, total_steps), steps_ == total_steps);
        }
    }

    std::int64_t steps() const { return steps_; }  ///< steps done (the next step's index)
    const PpoTrainerConfig& config() const { return config_; }  ///< the config, validated
    Transformer<T, B>& policy() { return policy_; }  ///< the policy being trained
    Critic<T, B>& critic() { return critic_; }  ///< the value model
    const Transformer<T, B>* reference() const { return reference_.get(); }  ///< the frozen reference; null when kl_coef = 0
    AdamW<T, B>& policy_optimizer() { return policy_optimizer_; }  ///< the policy's optimizer
    AdamW<T, B>& critic_optimizer() { return critic_optimizer_; }  ///< the critic's optimizer

private:
    struct PolicyStep {
        double loss = 0, clip_frac_low = 0, clip_frac_high = 0, ratio_mean = 0, entropy = 0, grad_norm = 0;
    };
    struct CriticStep {
        double loss = 0, clip_frac = 0, grad_norm = 0;
    };

    static PpoTrainerConfig validated(PpoTrainerConfig config) {
        config.validate();  // before the critic is built
        return config;
    }

    static Critic<T, B> make_critic(const TransformerConfig& policy_config, std::uint64_t seed) {
        Rng rng(seed, ppo_trainer_detail::kCriticInitStream);
        return Critic<T, B>(policy_config, rng);
    }

    double clip(const AdamW<T, B>& optimizer) const {
        return config_.max_grad_norm > 0 ? clip_grad_norm(optimizer.params(), config_.max_grad_norm) : 0.0;
    }

    /// One AdamW step on the clipped surrogate; old_logp, advantages, mask: (N, L).
    PolicyStep policy_step(const PolicyBatch<B>& batch, const Tensor<T, B>& old_logp, const Tensor<T, B>& advantages,
                           const Tensor<T, B>& mask, const std::vector<bool>& truncated, bool with_entropy) {
        Tape tape;
        const auto lp = policy_logprobs(&tape, policy_, batch, config_.sampling.temperature, with_entropy);
        const auto out = grpo_loss(&tape, lp.logp, old_logp, Tensor<T, B>(), advantages, mask,
                                   config_.ppo.policy_loss(), truncated);
        Var<T, B> loss = out.loss;
        if (policy_.config().balance_loss_alpha > 0) loss = add(&tape, loss, policy_.balance_loss(&tape));
        policy_optimizer_.zero_grad();
        tape.backward(loss);
        PolicyStep s;
        s.grad_norm = clip(policy_optimizer_);
        policy_optimizer_.step();
        policy_.update_balance_biases();
        s.loss = out.loss.value().item();
        s.clip_frac_low = out.clip_frac_low;
        s.clip_frac_high = out.clip_frac_high;
        s.ratio_mean = out.mean_ratio;
        if (with_entropy) s.entropy = trainer_detail::mean_over_mask(lp.entropy, mask);
        return s;
    }

    /// One AdamW step on vf_coef × the clipped value loss; old_values, returns, mask: (N, L).
    CriticStep critic_step(const PolicyBatch<B>& batch, const Tensor<T, B>& old_values, const Tensor<T, B>& returns,
                           const Tensor<T, B>& mask) {
        Tape tape;
        const Var<T, B> values = critic_.values(&tape, batch);
        const ValueLossOutput<T, B> out = value_loss(&tape, values, old_values, returns, mask, config_.ppo.cliprange_value);
        Var<T, B> loss = scale(&tape, out.loss, static_cast<T>(config_.ppo.vf_coef));
        if (critic_.config().balance_loss_alpha > 0) loss = add(&tape, loss, critic_.trunk().balance_loss(&tape));
        critic_optimizer_.zero_grad();
        tape.backward(loss);
        CriticStep s;
        s.grad_norm = clip(critic_optimizer_);
        critic_optimizer_.step();
        critic_.trunk().update_balance_biases();
        s.loss = out.loss.value().item();
        s.clip_frac = out.clip_frac;
        return s;
    }

    Transformer<T, B>& policy_;
    Tokenizer tokenizer_;  ///< a copy: a temporary tokenizer cannot dangle
    ProblemBatches batches_;
    PpoTrainerConfig config_;
    std::vector<RewardFunction> reward_functions_;  ///< config_.effective_reward_functions()
    Critic<T, B> critic_;
    AdamW<T, B> policy_optimizer_;
    AdamW<T, B> critic_optimizer_;
    std::unique_ptr<Transformer<T, B>> reference_;  ///< frozen π_ref, only when kl_coef > 0
    std::int64_t steps_ = 0;
};

}  // namespace grpo

// GrpoTrainer: the loop of DeepSeekMath (arXiv 2402.03300) Algorithm 1, one call per step:
//   1. draw `prompts_per_step` problems from a task and render their prompts
//   2. sample G completions per prompt from the current policy (rl/sampler.hpp)
//   3. score every completion with the reward functions (rl/rewards/reward_function.hpp: the
//      built-in rules of `rewards`, or the config's own list) and turn the scores into
//      group-relative advantages (rl/advantages.hpp), summed then normalised or the reverse
//   4. compute the reference policy's log-probs (only when β > 0, as TRL does)
//   5. μ updates on the GRPO loss (rl/grpo_loss.hpp) with AdamW and global-norm clipping; the
//      old log-probs π_old are the first update's own forward, detached, so with μ = 1 every
//      ratio is exactly 1 (TRL and verl recompute them this way rather than trusting the
//      sampler's, which came through the KV-cache path)
//   6. after each optimizer step the MoE balancing biases move (DeepSeek-V3 §2.1.2)
// and returns one GrpoStepMetrics, which run() writes as a JSONL line and a progress line.
//
// Reproducibility: step s draws its problems from Rng(seed, stream = s) and samples with the
// sampler seed mix(seed, s), so a step depends only on (seed, s, model and optimizer state): the
// RNG positions are the step itself. save() writes that whole state as one unit (policy,
// reference when β > 0, AdamW moments and which parameters hold a gradient buffer, the step, the
// config) into a step folder and swaps the folder's LATEST pointer (io/checkpoint_dir.hpp), so a
// kill at any instant leaves the old state or the new one. A trainer built with the same config
// that load()s it continues bit for bit like one that never stopped, at any thread count, idle
// experts included (tested). load() checks everything before it changes anything.
//
// Failure: a non-finite loss, gradient, weight or reward stops the step with a grpo::Error that
// names the step and what went non-finite; the loss and gradients are checked before the
// optimizer moves the weights. A trainer that failed refuses to save() (its weights may be
// half-updated): resume from the last checkpoint. A missing reward (NaN) is left out of its
// group, as rl/advantages.hpp documents, and counted (rewards_missing); a batch with no reward
// at all is an error.
//
// Memory: groups_per_micro_batch > 0 splits each update into micro-batches of that many groups
// (gradient accumulation): every micro-batch is padded to the whole batch's width and its loss
// weighted by its share of the aggregation's divisor (rows, or tokens for dapo), so the update
// is the one big batch's up to float rounding (tested), MoE bias updates included.
//
// Learning rate: constant, or warmup + cosine per optimizer update (GrpoLrSchedule). Step
// callbacks (add_step_callback) see each step's prompts, completions, scores and metrics, and
// can stop run().
//
// Ownership: the trainer updates `policy` in place (it must outlive the trainer) and keeps its
// own copy of the tokenizer, the problem source and the config.
//
// Not here (yet), and why: DAPO's dynamic sampling drops groups without signal but does not
// resample to refill the batch.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/io/checkpoint_dir.hpp"
#include "grpo/io/json_fields.hpp"
#include "grpo/io/jsonl.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/optim/schedule.hpp"
#include "grpo/rl/advantages.hpp"
#include "grpo/rl/grpo_loss.hpp"
#include "grpo/rl/policy_logprobs.hpp"
#include "grpo/rl/rewards/reward_function.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/rollout.hpp"

namespace grpo {

/// The learning rate of optimizer update u, counted by AdamW's steps (so a resumed run goes on
/// where it stopped): constant, as DeepSeekMath's RL runs (§4.2: 1e-6), or a linear warmup then a
/// cosine decay to min_lr (optim/schedule.hpp; TRL's warmup_ratio + lr_scheduler_type "cosine").
struct GrpoLrSchedule {
    /// Constant at the optimizer's lr, or warmup then cosine decay.
    enum class Kind { constant, warmup_cosine };
    Kind kind = Kind::constant;  ///< which schedule
    std::int64_t warmup_steps = 0;  ///< updates of linear warmup
    std::int64_t decay_steps = 0;   ///< the update at which the cosine reaches min_lr
    double min_lr = 0.0;  ///< the floor of the cosine decay

    /// `warmup` updates of warmup, then cosine decay to `min_lr` at update `decay`.
    static GrpoLrSchedule warmup_cosine(std::int64_t warmup, std::int64_t decay, double min_lr) {
        return {Kind::warmup_cosine, warmup, decay, min_lr};
    }

    /// The rate of update u when the peak (the optimizer's lr) is max_lr.
    double at(std::int64_t update, double max_lr) const {
        if (kind == Kind::constant) return max_lr;
        return CosineSchedule{max_lr, min_lr, warmup_steps, decay_steps}(update);
    }

    /// Throws naming the first offending field (min_lr must be within 0..max_lr).
    void validate(double max_lr) const {
        if (kind == Kind::constant) return;
        require(decay_steps >= 1, "GrpoTrainerConfig: lr_schedule.decay_steps = ", decay_steps, ", expected >= 1");
        require(warmup_steps >= 0 && warmup_steps <= decay_steps, "GrpoTrainerConfig: lr_schedule.warmup_steps = ",
                warmup_steps, ", expected 0..decay_steps (", decay_steps, ")");
        require(std::isfinite(min_lr) && min_lr >= 0 && min_lr <= max_lr, "GrpoTrainerConfig: lr_schedule.min_lr = ",
                min_lr, ", expected 0..optimizer.lr (", max_lr, ")");
    }
};

/// The settings of a GRPO run: sampling, rewards, advantages, loss, optimizer, schedule, updates.
/// Defaults: DeepSeekMath's loss (clip 0.2, β 0.04, k3, per-sequence mean), TRL's advantages
/// (sample std + 1e-4) and clipping (max_grad_norm 1.0), G = 8 (TRL num_generations), μ = 1
/// (TRL num_iterations). The learning rate is not TRL's 1e-6, which is for billion-parameter
/// models: a model of ~1M parameters needs ~5e-5, and above ~1e-4 GRPO runs collapse
/// (tutorials/06-r1-zero.md shows it).
struct GrpoTrainerConfig {
    int prompts_per_step = 8;  ///< problems per step; each gets G completions
    SamplingConfig sampling;  ///< group_size (G), temperature, top_k, top_p, max_new_tokens; seed unused, eos_id the tokenizer's
    PromptTemplate prompt_template = PromptTemplate::plain();  ///< renders each problem's prompt
    RewardConfig rewards = RewardConfig::worked_example();  ///< the built-in rules, when reward_functions is empty
    std::vector<RewardFunction> reward_functions;             ///< your own list: replaces the built-in rules
    RewardAggregation reward_aggregation = RewardAggregation::sum_then_normalize;  ///< DeepSeekMath, TRL
    AdvantageConfig advantages = AdvantageConfig::trl();  ///< how rewards become group-relative advantages
    GrpoLossConfig loss = GrpoLossConfig::deepseekmath();  ///< the GRPO loss's options
    AdamWConfig optimizer{5e-5, 0.9, 0.99, 1e-8, 0.0};  ///< AdamW; its lr is the schedule's peak
    GrpoLrSchedule lr_schedule;    ///< constant optimizer.lr unless set; its peak is optimizer.lr
    int mu = 1;                    ///< DeepSeekMath μ: optimizer steps per batch of samples
    int groups_per_micro_batch = 0;  ///< 0: one forward per update; n: micro-batches of n groups
    double max_grad_norm = 1.0;    ///< TRL's default; 0 = no clipping
    bool dynamic_sampling = false; ///< DAPO §3.2: drop groups whose rewards are all equal
    std::uint64_t seed = 0;  ///< step s draws problems from Rng(seed, s) and samples with a seed mixed from (seed, s)

    /// Throws naming the first offending field.
    void validate() const {
        require(prompts_per_step >= 1, "GrpoTrainerConfig: prompts_per_step = ", prompts_per_step, ", expected >= 1");
        require(mu >= 1, "GrpoTrainerConfig: mu = ", mu, ", expected >= 1");
        require(groups_per_micro_batch >= 0, "GrpoTrainerConfig: groups_per_micro_batch = ", groups_per_micro_batch,
                ", expected >= 0 (0 = the whole batch in one forward)");
        require(max_grad_norm >= 0, "GrpoTrainerConfig: max_grad_norm = ", max_grad_norm, ", expected >= 0");
        require(sampling.temperature > 0, "GrpoTrainerConfig: sampling temperature = ", sampling.temperature,
                ", expected > 0 (GRPO needs sampled groups)");
        require(std::isfinite(loss.beta) && loss.beta >= 0, "GrpoTrainerConfig: loss.beta = ", loss.beta,
                ", expected a finite value >= 0");
        require(loss.entropy_coef == 0.0, "GrpoTrainerConfig: loss.entropy_coef = ", loss.entropy_coef,
                ", expected 0 (the trainer logs the entropy but does not differentiate it)");
        sampling.validate();
        grpo::validate(optimizer);
        lr_schedule.validate(optimizer.lr);
        validate_reward_functions(effective_reward_functions(), "GrpoTrainerConfig");
    }

    /// What scores the completions: reward_functions, or the built-in rules of `rewards`.
    std::vector<RewardFunction> effective_reward_functions() const {
        return reward_functions.empty() ? builtin_reward_functions(rewards) : reward_functions;
    }
};

/// The names and weights of a reward list, in order (its callables have no JSON form).
inline nlohmann::json reward_functions_json(const std::vector<RewardFunction>& functions) {
    nlohmann::json out = nlohmann::json::array();
    for (const RewardFunction& f : functions) out.push_back({{"name", f.name}, {"weight", f.weight}});
    return out;
}

/// Every field of the config, by name: saved with the trainer's state, compared at load.
inline nlohmann::json to_json(const GrpoTrainerConfig& c) {
    const auto& s = c.sampling;
    const auto& r = c.rewards;
    const auto& l = c.loss;
    const auto& o = c.optimizer;
    return {{"prompts_per_step", c.prompts_per_step},
            {"sampling", {{"group_size", s.group_size}, {"temperature", s.temperature}, {"top_k", s.top_k},
                          {"top_p", s.top_p}, {"max_new_tokens", s.max_new_tokens}}},
            {"prompt_template", {{"before_question", c.prompt_template.before_question},
                                 {"after_question", c.prompt_template.after_question}}},
            {"rewards", {{"accuracy_weight", r.accuracy_weight}, {"format_weight", r.format_weight},
                         {"language_weight", r.language_weight}, {"length_weight", r.length_weight},
                         {"format_rule", static_cast<int>(r.format_rule)},
                         {"target_script", static_cast<int>(r.target_script)},
                         {"min_word_letters", r.min_word_letters}, {"length_rule", static_cast<int>(r.length_rule)},
                         {"overlong", {{"max_length", r.overlong.max_length}, {"cache_length", r.overlong.cache_length}}},
                         {"cosine", {{"max_length", r.cosine.max_length}, {"correct_short", r.cosine.correct_short},
                                     {"correct_long", r.cosine.correct_long}, {"wrong_short", r.cosine.wrong_short},
                                     {"wrong_long", r.cosine.wrong_long}}}}},
            {"reward_functions", reward_functions_json(c.effective_reward_functions())},
            {"reward_aggregation", static_cast<int>(c.reward_aggregation)},
            {"advantages", {{"std", static_cast<int>(c.advantages.std)}, {"eps", c.advantages.eps},
                            {"scope", static_cast<int>(c.advantages.scope)}}},
            {"loss", {{"eps_low", l.eps_low}, {"eps_high", l.eps_high}, {"beta", l.beta},
                      {"kl", static_cast<int>(l.kl)}, {"aggregation", static_cast<int>(l.aggregation)},
                      {"max_completion_length", l.max_completion_length},
                      {"importance_sampling_level", static_cast<int>(l.importance_sampling_level)},
                      {"dual_clip_c", l.dual_clip_c}, {"entropy_coef", l.entropy_coef},
                      {"mask_truncated", l.mask_truncated}}},
            {"optimizer", {{"lr", o.lr}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"eps", o.eps},
                           {"weight_decay", o.weight_decay}}},
            {"lr_schedule", {{"kind", static_cast<int>(c.lr_schedule.kind)},
                             {"warmup_steps", c.lr_schedule.warmup_steps},
                             {"decay_steps", c.lr_schedule.decay_steps}, {"min_lr", c.lr_schedule.min_lr}}},
            {"mu", c.mu},
            {"groups_per_micro_batch", c.groups_per_micro_batch},
            {"max_grad_norm", c.max_grad_norm},
            {"dynamic_sampling", c.dynamic_sampling},
            {"seed", c.seed}};
}

/// The rollout's rewards, lengths and timings (RolloutMetrics), then GRPO's own.
struct GrpoStepMetrics : RolloutMetrics {
    double frac_reward_zero_std = 0; ///< groups without signal (TRL's metric)
    int groups_trained = 0;          ///< groups in the update (fewer with dynamic sampling)
    /// The GRPO loss of the step's first update and its metrics (mean KL, clip fractions, entropy), and the gradient norm before clipping.
    ///@{
    double loss = 0, kl = 0, clip_frac_low = 0, clip_frac_high = 0, entropy = 0, grad_norm = 0;
    ///@}
    double lr = 0;                   ///< the learning rate of the step's first update
    /// Share of tokens the clip acted on in the step's last update (low + high): the first
    /// update's ratios are all 1, so with μ = 1 this is 0, and with μ > 1 it is what the clip did.
    double last_update_clip_frac = 0;
    std::vector<std::vector<std::int64_t>> expert_load;  ///< per MoE block, tokens per routed expert
};

/// The step's metrics as one JSONL record.
inline nlohmann::json to_json(const GrpoStepMetrics& m) {
    nlohmann::json j = rollout_json(m);
    j["frac_reward_zero_std"] = m.frac_reward_zero_std;
    j["groups_trained"] = m.groups_trained;
    j["loss"] = m.loss;
    j["kl"] = m.kl;
    j["clip_frac_low"] = m.clip_frac_low;
    j["clip_frac_high"] = m.clip_frac_high;
    j["entropy"] = m.entropy;
    j["grad_norm"] = m.grad_norm;
    j["lr"] = m.lr;
    j["last_update_clip_frac"] = m.last_update_clip_frac;
    j["expert_load"] = m.expert_load;
    return j;
}

/// "step   12/200  reward 1.53 (accuracy 0.62 format 0.91)  acc 0.62  len 31.0  kl 0.0021  clip 0.000
///  1.20 s/step  9650 tok/s": the reward functions of non-zero weight by name, unweighted means.
inline std::string progress_line(const GrpoStepMetrics& m, std::int64_t total_steps) {
    char line[192];
    std::snprintf(line, sizeof line, "step %4lld/%lld  reward %.2f%s  acc %.2f  len %.1f  kl %.4f  clip %.3f  %.2f s/step  %.0f tok/s",
                  static_cast<long long>(m.step), static_cast<long long>(total_steps), m.reward_mean,
                  reward_components_text(m).c_str(), m.accuracy, m.length_mean, m.kl, m.clip_frac_low + m.clip_frac_high,
                  m.step_seconds, m.tokens_per_second);
    return line;
}

/// What a step callback sees: the step's problems, prompts, completions, scores, advantages and
/// metrics (before dynamic sampling drops any group). The references live until the next step.
struct GrpoStepRecord {
    const std::vector<Problem>& problems;  ///< the step's problems, one per prompt
    const std::vector<std::string>& prompts;  ///< rendered, one per problem
    const BatchScores& scores;                ///< per completion: texts, each function's score, correct
    const std::vector<double>& rewards;       ///< per completion: the weighted total (NaN: missing)
    const std::vector<double>& advantages;    ///< per completion
    const GrpoStepMetrics& metrics;  ///< the step's metrics
};

/// What a step callback asks: go on, or stop after this step.
enum class StepAction { go_on, stop };
using GrpoStepCallback = std::function<StepAction(const GrpoStepRecord&)>;  ///< called after every successful step

/// The GRPO loop (DeepSeekMath Algorithm 1), one step per call, with checkpoints that resume exactly.
template <class T, class B>
class GrpoTrainer {
public:
    using ProblemSource = grpo::ProblemSource;  ///< gives one problem per call from an Rng

    /// The trainer updates `policy` in place; the reference is a frozen copy of it taken now.
    /// `source` gives one problem per call from Rng(config.seed, stream = step).
    GrpoTrainer(Transformer<T, B>& policy, const Tokenizer& tokenizer, ProblemSource source,
                GrpoTrainerConfig config)
        : GrpoTrainer(policy, tokenizer, batches_from(std::move(source), config.seed), std::move(config)) {}

    /// `batches(step, count)` gives step's `count` problems (e.g. PromptDataset::draw).
    GrpoTrainer(Transformer<T, B>& policy, const Tokenizer& tokenizer, ProblemBatches batches,
                GrpoTrainerConfig config)
        : policy_(policy), tokenizer_(tokenizer), batches_(std::move(batches)), config_(std::move(config)),
          optimizer_(policy.params(), config_.optimizer) {
        config_.validate();
        config_.sampling = with_eos_of(tokenizer_, config_.sampling, "GrpoTrainer");
        reward_functions_ = config_.effective_reward_functions();
        require(static_cast<bool>(batches_), "GrpoTrainer: the problem source is empty");
        require(policy.config().vocab_size == tokenizer_.vocab_size(), "GrpoTrainer: the policy's vocab_size is ",
                policy.config().vocab_size, ", expected the tokenizer's ", tokenizer_.vocab_size());
        require(config_.groups_per_micro_batch == 0 || policy.config().balance_loss_alpha == 0,
                "GrpoTrainer: groups_per_micro_batch = ", config_.groups_per_micro_batch,
                " needs the policy's balance_loss_alpha = 0 (it is ", policy.config().balance_loss_alpha,
                "): the balance loss treats one forward's batch as one sequence, so micro-batches would change it");
        if (config_.loss.beta > 0) reference_ = std::make_unique<Transformer<T, B>>(clone_model(policy));
    }

    /// The problems of step s: the same for every run with this seed.
    std::vector<Problem> problems_for_step(std::int64_t s) const {
        std::vector<Problem> problems = batches_(s, config_.prompts_per_step);
        check_problems(problems, s, config_.prompts_per_step);
        return problems;
    }

    /// Called after every successful step, in the order added; a callback that returns
    /// StepAction::stop ends run() after this step (stop_requested() tells step()'s callers).
    void add_step_callback(GrpoStepCallback callback) {
        require(static_cast<bool>(callback), "GrpoTrainer::add_step_callback: the callback is empty");
        callbacks_.push_back(std::move(callback));
    }
    bool stop_requested() const { return stop_requested_; }  ///< true once a callback returned StepAction::stop

    /// One GRPO step. A grpo::Error from any part of it (a non-finite number, a verifier that
    /// throws) names the step; after one, the trainer refuses to save. The callbacks run after
    /// the step, outside that guard: the step itself succeeded whatever they do.
    GrpoStepMetrics step() {
        require(failed_.empty(), "GrpoTrainer::step: an earlier step failed (", failed_,
                "); load the last checkpoint into a new trainer");
        GrpoStepMetrics m;
        try {
            m = run_step();
        } catch (const Error& e) {
            failed_ = e.what();
            throw;
        }
        const GrpoStepRecord record{last_.problems, last_.prompts, last_.scores, last_.rewards, last_.advantages, m};
        for (const GrpoStepCallback& callback : callbacks_)
            if (callback(record) == StepAction::stop) stop_requested_ = true;
        return m;
    }

    GrpoStepMetrics run_step() {
        using trainer_detail::seconds_since;
        const auto start = std::chrono::steady_clock::now();
        GrpoStepMetrics m;
        m.step = steps_ + 1;

        /// 1-2. Problems, prompts, a group of completions each.
        std::vector<Problem> problems = problems_for_step(steps_);
        const std::vector<std::string> prompt_texts = render_prompts(problems, config_.prompt_template);
        std::vector<std::vector<std::int32_t>> prompts;
        for (const std::string& text : prompt_texts) prompts.push_back(tokenizer_.encode(text));
        SamplingConfig sampling = config_.sampling;
        sampling.seed = sampler_seed(config_.seed, steps_);
        Completions completions = sample_groups(policy_, prompts, sampling);
        m.sampling_seconds = seconds_since(start);
        m.generated_tokens = completions.generated_tokens;
        m.tokens_per_second = m.sampling_seconds > 0 ? m.generated_tokens / m.sampling_seconds : 0;

        /// 3. Rewards and advantages.
        const auto scoring_start = std::chrono::steady_clock::now();
        last_.scores = score_completions(completions, problems, prompt_texts, tokenizer_, reward_functions_);
        last_.rewards = reward_totals(last_.scores);
        log_rewards(completions, last_.scores, reward_functions_, &m);
        check_rewards(last_.rewards, problems, m.step);
        const Advantages adv = advantages_of(last_.scores, last_.rewards);
        m.frac_reward_zero_std = adv.frac_reward_zero_std;
        last_.advantages = adv.advantages;
        last_.prompts = prompt_texts;
        last_.problems = std::move(problems);
        std::vector<double> advantages = adv.advantages;
        if (config_.dynamic_sampling) keep_groups_with_signal(last_.rewards, &prompts, &completions, &advantages);
        m.groups_trained = static_cast<int>(prompts.size());
        m.lr = config_.lr_schedule.at(optimizer_.steps(), config_.optimizer.lr);
        if (prompts.empty()) {  // nothing to learn from this batch
            m.scoring_seconds = seconds_since(scoring_start);
            return finish(m, start);
        }
        const std::vector<MicroBatch> micro = micro_batches(prompts, completions, advantages);
        m.scoring_seconds = seconds_since(scoring_start);

        /// 5. μ updates; π_old is the first forward's log-probs.
        const auto update_start = std::chrono::steady_clock::now();
        std::vector<Tensor<T, B>> old_logp(micro.size());
        for (int it = 0; it < config_.mu; ++it) {
            optimizer_.zero_grad();
            UpdateSums sums;
            for (std::size_t b = 0; b < micro.size(); ++b) accumulate_gradient(micro[b], it, m.step, &old_logp[b], &sums);
            const double norm = global_grad_norm(optimizer_.params());  // NaN or inf when any gradient is
            if (!std::isfinite(norm)) stop_on_non_finite_gradient(norm, m.step, it);
            if (config_.max_grad_norm > 0) scale_to_max_norm(optimizer_.params(), norm, config_.max_grad_norm);
            optimizer_.step(config_.lr_schedule.at(optimizer_.steps(), config_.optimizer.lr));
            require_finite_weights(m.step, it);
            policy_.update_balance_biases(sums.expert_load);
            if (it == 0) {  // the metrics of the policy that sampled
                m.loss = sums.loss;
                m.kl = sums.token_mean(sums.kl);
                m.clip_frac_low = sums.token_mean(sums.clipped_low);
                m.clip_frac_high = sums.token_mean(sums.clipped_high);
                m.grad_norm = norm;
                m.entropy = sums.mask_mean(sums.entropy);
                m.expert_load = sums.expert_load;
            }
            if (it == config_.mu - 1) m.last_update_clip_frac = sums.token_mean(sums.clipped_low) + sums.token_mean(sums.clipped_high);
        }
        m.update_seconds = seconds_since(update_start);
        return finish(m, start);
    }

    /// Runs until `total_steps` steps are done: a JSONL line per step to `log` (if given) and a
    /// progress line to `progress` (if given; rewritten in place on a terminal).
    void run(std::int64_t total_steps, JsonlWriter* log = nullptr, std::FILE* progress = nullptr) {
        while (steps_ < total_steps && !stop_requested_) {
            const GrpoStepMetrics m = step();
            if (log) log->write(to_json(m));
            if (progress) print_progress(progress, progress_line(m, total_steps), steps_ == total_steps || stop_requested_);
        }
    }

    /// Saves the whole state as one step folder of `dir` (io/checkpoint_dir.hpp):
    ///   policy.safetensors, reference.safetensors (β > 0), optimizer.safetensors (AdamW moments),
    ///   trainer.json (step, AdamW step count, RNG positions, parameters with a gradient buffer,
    ///   the config)
    /// each stamped with the step; LATEST then names the folder. The newest `keep_last` folders stay.
    void save(const std::string& dir, int keep_last = 2) const {
        require(failed_.empty(), "GrpoTrainer::save: refusing to save after a failed step (", failed_,
                "): its weights may be half-updated");
        const std::string folder = begin_step_folder(dir, steps_);
        const std::map<std::string, std::string> stamp = {{"grpo.trainer.step", std::to_string(steps_)}};
        save_checkpoint(policy_, folder + "/policy.safetensors", stamp);
        if (reference_) save_checkpoint(*reference_, folder + "/reference.safetensors", stamp);
        std::vector<NamedTensor> moments;
        const auto named = policy_.named_params();
        for (std::size_t i = 0; i < named.size(); ++i) {
            const Shape& s = named[i].second.shape();
            const std::vector<std::int64_t> shape(s.dim, s.dim + s.rank);
            moments.push_back(NamedTensor::from_values<T>("m." + named[i].first, shape, optimizer_.first_moment(i).to_host()));
            moments.push_back(NamedTensor::from_values<T>("v." + named[i].first, shape, optimizer_.second_moment(i).to_host()));
        }
        save_safetensors(folder + "/optimizer.safetensors", moments, stamp);
        write_file_atomically(folder + "/trainer.json", state_json().dump(2) + "\n");
        commit_step_folder(dir, folder, steps_, keep_last);
    }

    /// Loads the state save() wrote last into this trainer, which must have the same config and
    /// model config. Every file is read and checked first; a failure changes nothing.
    void load(const std::string& dir, CheckpointLoadOptions options = {}) {
        const std::string folder = latest_step_folder(dir);
        const std::string state_path = folder + "/trainer.json";
        const std::string where = "GrpoTrainer::load: '" + state_path + "'";
        const nlohmann::json state = parse_json(read_file(state_path), where);
        require(state.is_object() && state.contains("config"), where, ": expected an object with a config");
        const std::string differences = config_differences(state.at("config"), to_json(config_));
        require(differences.empty(), "GrpoTrainer::load: '", folder,
                "' was saved by a trainer with another config: ", differences);
        std::int64_t step = 0, adamw_steps = 0;
        read_field(state, "step", &step, where);
        read_field(state, "adamw_steps", &adamw_steps, where);
        require(step >= 0, where, ": step ", step, ", expected >= 0");
        const nlohmann::json expected_rng = rng_json(step);
        require(state.contains("rng") && state.at("rng") == expected_rng, where, ": rng ",
                state.contains("rng") ? state.at("rng").dump() : "missing", ", expected ", expected_rng.dump(),
                " (the positions step ", step, " implies for this seed)");
        const std::vector<bool> has_buffer = read_grad_buffers(state, where);

        const auto policy_state = read_checked_checkpoint(policy_, folder + "/policy.safetensors", options);
        check_stamp(policy_state.metadata, folder + "/policy.safetensors", step);
        CheckedCheckpoint<T> reference_state;
        if (reference_) {
            reference_state = read_checked_checkpoint(*reference_, folder + "/reference.safetensors", options);
            check_stamp(reference_state.metadata, folder + "/reference.safetensors", step);
        }
        const std::string optimizer_path = folder + "/optimizer.safetensors";
        const Safetensors opt = load_safetensors(optimizer_path);
        check_stamp(opt.metadata, optimizer_path, step);
        std::vector<std::vector<T>> m, v;
        const auto named = policy_.named_params();
        for (const auto& [name, var] : named) {
            m.push_back(moment(opt, "m." + name, var, optimizer_path));
            v.push_back(moment(opt, "v." + name, var, optimizer_path));
        }
        require(opt.tensors.size() == 2 * named.size(), "GrpoTrainer::load: '", optimizer_path, "' holds ",
                opt.tensors.size(), " tensors, expected ", 2 * named.size(), " (m and v of every parameter)");
        optimizer_.check_restore(adamw_steps, m, v);

        /// Every check passed: now change the trainer.
        apply_checkpoint(policy_, policy_state);
        if (reference_) apply_checkpoint(*reference_, reference_state);
        optimizer_.restore(adamw_steps, m, v);
        for (std::size_t i = 0; i < named.size(); ++i) {
            Var<T, B> p = named[i].second;
            if (!has_buffer[i]) p.drop_grad();
            else if (!p.has_grad()) p.grad_data();  // allocates zeros
        }
        steps_ = step;
    }

    std::int64_t steps() const { return steps_; }  ///< steps done (the next step's index)
    const GrpoTrainerConfig& config() const { return config_; }  ///< the config, validated
    Transformer<T, B>& policy() { return policy_; }  ///< the policy being trained
    AdamW<T, B>& optimizer() { return optimizer_; }  ///< the policy's optimizer

private:
    /// One forward's worth of the batch: its rows packed to the whole batch's widths (so padding,
    /// and with it the MoE load, is the same as one big forward), and its share of the loss.
    struct MicroBatch {
        PolicyBatch<B> batch;
        Tensor<T, B> mask, advantages, ref_logp;
        std::vector<bool> truncated;
        double loss_weight = 1;  ///< its rows (or kept tokens, for dapo) over the whole batch's
    };

    /// What an update's micro-batches add up: the loss, the token sums of the loss's metrics
    /// (clip, KL: over kept tokens; entropy: over the mask), and the MoE load.
    struct UpdateSums {
        int parts = 0;
        double loss = 0, tokens = 0, kl = 0, clipped_low = 0, clipped_high = 0, entropy = 0, mask_tokens = 0;
        std::vector<std::vector<std::int64_t>> expert_load;

        /// Token means over all micro-batches. With one micro-batch its own means are kept as
        /// they are (a mean times its count, divided again, can move the last bit), so a run
        /// without micro-batches logs exactly what the loss reported.
        void add(const GrpoLossOutput<T, B>& out, double entropy_mean, double mask_count) {
            ++parts;
            tokens += out.tokens, mask_tokens += mask_count;
            if (parts == 1) {
                kl = out.mean_kl, clipped_low = out.clip_frac_low, clipped_high = out.clip_frac_high, entropy = entropy_mean;
                first_tokens = out.tokens, first_mask_tokens = mask_count;
                return;
            }
            if (parts == 2) {  // from means to sums
                kl *= first_tokens, clipped_low *= first_tokens, clipped_high *= first_tokens;
                entropy *= first_mask_tokens;
            }
            kl += out.mean_kl * out.tokens;
            clipped_low += out.clip_frac_low * out.tokens;
            clipped_high += out.clip_frac_high * out.tokens;
            entropy += entropy_mean * mask_count;
        }
        double token_mean(double sum) const { return parts <= 1 ? sum : (tokens > 0 ? sum / tokens : 0.0); }
        double mask_mean(double sum) const { return parts <= 1 ? sum : (mask_tokens > 0 ? sum / mask_tokens : 0.0); }

    private:
        double first_tokens = 0, first_mask_tokens = 0;
    };

    std::vector<MicroBatch> micro_batches(const std::vector<std::vector<std::int32_t>>& prompts,
                                          const Completions& completions, const std::vector<double>& advantages) const {
        const PolicyBatch<B> whole = pack_policy_batch<B>(prompts, completions);
        const std::size_t groups = prompts.size(), G = static_cast<std::size_t>(completions.group_size);
        const std::size_t per = config_.groups_per_micro_batch > 0
                                    ? std::min(groups, static_cast<std::size_t>(config_.groups_per_micro_batch))
                                    : groups;
        /// dapo divides by the kept tokens of the whole batch (grpo_formulas.hpp); the others by rows.
        const auto kept_tokens = [&](std::size_t first_row, std::size_t rows) {
            double n = 0;
            for (std::size_t r = first_row; r < first_row + rows; ++r)
                if (!(config_.loss.mask_truncated && completions.truncated[r]))
                    n += static_cast<double>(completions.tokens[r].size());
            return n;
        };
        const double all_rows = static_cast<double>(groups * G), all_tokens = kept_tokens(0, groups * G);
        std::vector<MicroBatch> out;
        for (std::size_t g0 = 0; g0 < groups; g0 += per) {
            const std::size_t g1 = std::min(groups, g0 + per), r0 = g0 * G, r1 = g1 * G;
            const std::vector<std::vector<std::int32_t>> part_prompts(prompts.begin() + g0, prompts.begin() + g1);
            Completions part;
            part.group_size = completions.group_size;
            for (std::size_t r = r0; r < r1; ++r) {
                part.tokens.push_back(completions.tokens[r]);
                part.logprobs.push_back(completions.logprobs[r]);
                part.truncated.push_back(completions.truncated[r]);
            }
            MicroBatch mb;
            mb.batch = pack_policy_batch<B>(part_prompts, part, whole.width, whole.completion_width);
            mb.mask = completion_mask<T, B>(part, mb.batch.completion_width);
            mb.advantages = Tensor<T, B>::from({mb.batch.rows}, std::vector<T>(advantages.begin() + r0, advantages.begin() + r1));
            if (reference_)
                mb.ref_logp = policy_logprobs(nullptr, *reference_, mb.batch, config_.sampling.temperature).logp.value();
            mb.truncated = part.truncated;
            mb.loss_weight = config_.loss.aggregation == LossAggregation::dapo
                                 ? (all_tokens > 0 ? kept_tokens(r0, r1 - r0) / all_tokens : 0.0)
                                 : static_cast<double>(r1 - r0) / all_rows;
            if (g0 == 0 && g1 == groups) mb.loss_weight = 1.0;  // one forward: the loss as it is
            out.push_back(std::move(mb));
        }
        return out;
    }

    /// One micro-batch's forward and backward in update `it` (gradients add up across calls);
    /// its first forward's log-probs become its π_old.
    void accumulate_gradient(const MicroBatch& mb, int it, std::int64_t step, Tensor<T, B>* old_logp,
                             UpdateSums* sums) {
        Tape tape;
        const auto lp = policy_logprobs(&tape, policy_, mb.batch, config_.sampling.temperature, it == 0);
        if (it == 0) *old_logp = lp.logp.value().clone();
        const auto out = grpo_loss(&tape, lp.logp, *old_logp, mb.ref_logp, mb.advantages, mb.mask, config_.loss,
                                   mb.truncated);
        Var<T, B> loss = out.loss;
        if (policy_.config().balance_loss_alpha > 0) loss = add(&tape, loss, policy_.balance_loss(&tape));
        if (mb.loss_weight != 1.0) loss = scale(&tape, loss, static_cast<T>(mb.loss_weight));
        const double loss_value = loss.value().item();
        require(std::isfinite(loss_value), "GrpoTrainer step ", step, ", update ", it + 1, ": the loss is non-finite (",
                loss_value, "): the policy, the reference log-probs or the advantages went non-finite");
        tape.backward(loss);
        sums->loss += mb.loss_weight * out.loss.value().item();
        const double entropy = it == 0 ? trainer_detail::mean_over_mask(lp.entropy, mb.mask) : 0.0;  // first forward only
        sums->add(out, entropy, trainer_detail::mask_sum(mb.mask));
        const auto load = policy_.expert_load();
        if (sums->expert_load.empty()) sums->expert_load = load;
        else
            for (std::size_t l = 0; l < load.size(); ++l)
                for (std::size_t e = 0; e < load[l].size(); ++e) sums->expert_load[l][e] += load[l][e];
    }

    /// Where step s's randomness starts: documented in trainer.json, checked at load.
    nlohmann::json rng_json(std::int64_t step) const {
        return {{"problem_stream", step}, {"sampler_seed", sampler_seed(config_.seed, step)}};
    }

    nlohmann::json state_json() const {
        std::vector<std::string> buffers;
        for (const auto& [name, var] : policy_.named_params())
            if (var.has_grad()) buffers.push_back(name);
        return {{"format", "grpo.GrpoTrainer/1"}, {"step", steps_},          {"adamw_steps", optimizer_.steps()},
                {"rng", rng_json(steps_)},          {"grad_buffers", buffers}, {"config", to_json(config_)}};
    }

    /// Which parameters hold a gradient buffer (AdamW moves those even in a step that gives them
    /// no gradient; autograd/tape.hpp), in named_params() order.
    std::vector<bool> read_grad_buffers(const nlohmann::json& state, const std::string& where) const {
        require(state.contains("grad_buffers") && state.at("grad_buffers").is_array(), where,
                ": expected an array grad_buffers");
        const auto named = policy_.named_params();
        std::vector<bool> has(named.size(), false);
        for (const nlohmann::json& entry : state.at("grad_buffers")) {
            require(entry.is_string(), where, ": grad_buffers holds ", entry.dump(), ", expected parameter names");
            std::size_t i = 0;
            while (i < named.size() && named[i].first != entry.get<std::string>()) ++i;
            require(i < named.size(), where, ": grad_buffers names '", entry.get<std::string>(),
                    "', which this model does not have");
            has[i] = true;
        }
        return has;
    }

    static void check_stamp(const std::map<std::string, std::string>& metadata, const std::string& path,
                            std::int64_t step) {
        const auto it = metadata.find("grpo.trainer.step");
        require(it != metadata.end(), "GrpoTrainer::load: '", path, "' has no grpo.trainer.step metadata");
        require(it->second == std::to_string(step), "GrpoTrainer::load: '", path, "' is stamped step '", it->second,
                "', trainer.json says step ", step);
    }

    static std::vector<T> moment(const Safetensors& file, const std::string& name, const Var<T, B>& param,
                                 const std::string& path) {
        const NamedTensor* t = file.find(name);
        require(t != nullptr, "GrpoTrainer::load: '", path, "' has no tensor '", name, "'");
        const Shape& s = param.shape();
        require(t->shape == std::vector<std::int64_t>(s.dim, s.dim + s.rank) && t->dtype == dtype_of<T>(),
                "GrpoTrainer::load: tensor '", name, "' in '", path, "' is ", dtype_info(t->dtype).name, " ",
                Shape::of(t->shape), ", expected ", dtype_info(dtype_of<T>()).name, " ", s);
        return t->template values<T>();
    }

    /// Rewards: a NaN is a missing reward (left out, counted); inf, or no reward at all, stops.
    void check_rewards(const std::vector<double>& totals, const std::vector<Problem>& problems, std::int64_t step) const {
        const std::size_t G = static_cast<std::size_t>(config_.sampling.group_size);
        std::size_t missing = 0;
        for (std::size_t n = 0; n < totals.size(); ++n) {
            require(!std::isinf(totals[n]), "GrpoTrainer step ", step, ": the reward of completion ", n, " (problem '",
                    problems[n / G].question, "') is ", totals[n], "; rewards must be finite, or NaN when missing");
            missing += std::isnan(totals[n]);
        }
        require(missing < totals.size(), "GrpoTrainer step ", step, ": every one of the ", totals.size(),
                " rewards is missing: no completion was scored by every reward function of non-zero weight");
    }

    /// Group-relative advantages of the weighted total (sum_then_normalize), or the weighted sum
    /// of each function's own (normalize_then_sum): rl/advantages.hpp.
    Advantages advantages_of(const BatchScores& scores, const std::vector<double>& totals) const {
        const int G = config_.sampling.group_size;
        if (config_.reward_aggregation == RewardAggregation::sum_then_normalize)
            return group_advantages(totals, G, config_.advantages);
        std::vector<double> weights;
        for (const RewardFunction& f : reward_functions_) weights.push_back(f.weight);
        return multi_reward_advantages(reward_components(scores, reward_functions_.size()), weights, G,
                                       config_.reward_aggregation, config_.advantages);
    }

    /// The weights after an update, each checked by its sum of squares (NaN or inf when any
    /// value is); the first non-finite parameter is named.
    void require_finite_weights(std::int64_t step, int update) const {
        for (const auto& [name, var] : policy_.named_params()) {
            const double sum = B::sum_squares(var.numel(), var.data());
            require(std::isfinite(sum), "GrpoTrainer step ", step, ", update ", update + 1, ": a weight of '", name,
                    "' is non-finite (its sum of squares is ", sum,
                    "); the weights are no longer usable: lower the learning rate");
        }
    }

    // Called when the gradient norm is not finite, before the optimizer moves anything: names
    // the first parameter whose gradient holds a NaN or inf.
    [[noreturn]] void stop_on_non_finite_gradient(double norm, std::int64_t step, int update) const {
        for (const auto& [name, var] : policy_.named_params()) {
            if (!var.has_grad()) continue;
            const double sum = B::sum_squares(var.numel(), var.grad().data());
            require(std::isfinite(sum), "GrpoTrainer step ", step, ", update ", update + 1, ": a gradient of '", name,
                    "' is non-finite (its sum of squares is ", sum, "); the weights were not changed by this update");
        }
        throw Error(str("GrpoTrainer step ", step, ", update ", update + 1, ": the gradient norm is non-finite (", norm,
                        ": the sum of squares overflowed); the weights were not changed by this update"));
    }

    GrpoStepMetrics finish(GrpoStepMetrics& m, std::chrono::steady_clock::time_point start) {
        ++steps_;
        m.step_seconds = trainer_detail::seconds_since(start);
        return m;
    }

    /// DAPO's dynamic sampling: only the groups whose rewards differ stay in the batch.
    void keep_groups_with_signal(const std::vector<double>& totals, std::vector<std::vector<std::int32_t>>* prompts,
                                 Completions* c, std::vector<double>* advantages) const {
        const int G = c->group_size;
        std::vector<std::vector<std::int32_t>> kept_prompts;
        Completions kept;
        kept.group_size = G;
        std::vector<double> kept_adv;
        for (std::int64_t g : groups_with_signal(totals, G)) {
            kept_prompts.push_back((*prompts)[g]);
            for (int j = 0; j < G; ++j) {
                const std::size_t n = static_cast<std::size_t>(g * G + j);
                kept.tokens.push_back(c->tokens[n]);
                kept.logprobs.push_back(c->logprobs[n]);
                kept.truncated.push_back(c->truncated[n]);
                kept.generated_tokens += static_cast<std::int64_t>(c->tokens[n].size());
                kept_adv.push_back((*advantages)[n]);
            }
        }
        *prompts = std::move(kept_prompts);
        *c = std::move(kept);
        *advantages = std::move(kept_adv);
    }

    /// The last step's rollout, for the callbacks.
    struct StepData {
        std::vector<Problem> problems;
        std::vector<std::string> prompts;
        BatchScores scores;
        std::vector<double> rewards, advantages;
    };

    Transformer<T, B>& policy_;
    Tokenizer tokenizer_;  ///< a copy: a temporary tokenizer cannot dangle
    ProblemBatches batches_;
    GrpoTrainerConfig config_;
    std::vector<RewardFunction> reward_functions_;  ///< config_.effective_reward_functions()
    AdamW<T, B> optimizer_;
    std::unique_ptr<Transformer<T, B>> reference_;  ///< frozen π_ref, only when β > 0
    std::int64_t steps_ = 0;
    std::string failed_;  ///< the error of a failed step; empty while training is healthy
    std::vector<GrpoStepCallback> callbacks_;
    bool stop_requested_ = false;
    StepData last_;
};

}  // namespace grpo

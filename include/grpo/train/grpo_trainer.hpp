// GrpoTrainer: the loop of DeepSeekMath (arXiv 2402.03300) Algorithm 1, one call per step:
//   1. draw `prompts_per_step` problems from a task and render their prompts
//   2. sample G completions per prompt from the current policy (rl/sampler.hpp)
//   3. score every completion with the rule-based rewards (rl/rewards/) and turn the scores
//      into group-relative advantages (rl/advantages.hpp)
//   4. compute the reference policy's log-probs (only when β > 0, as TRL does)
//   5. μ updates on the GRPO loss (rl/grpo_loss.hpp) with AdamW and global-norm clipping; the
//      old log-probs π_old are the first update's own forward, detached, so with μ = 1 every
//      ratio is exactly 1 (TRL and verl recompute them this way rather than trusting the
//      sampler's, which came through the KV-cache path)
//   6. after each optimizer step the MoE balancing biases move (DeepSeek-V3 §2.1.2)
// and returns one GrpoStepMetrics, which run() writes as a JSONL line and a progress line.
//
// Reproducibility: step s draws its problems from Rng(seed, stream = s) and samples with the
// sampler seed mix(seed, s), so a step depends only on (seed, s, model and optimizer state).
// That is what makes resume exact: save() writes the policy, the reference (β > 0), the AdamW
// moments and the step; a trainer built with the same config that load()s them continues with
// the same numbers as one that never stopped (tested bit for bit at 1 thread).
//
// Not here (yet), and why: the whole batch goes through one forward (the examples' models are
// small; a micro-batch loop would have to re-weight each aggregation); the learning rate is
// constant (TRL's default schedule is linear decay over a known number of steps); DAPO's
// dynamic sampling drops groups without signal but does not resample to refill the batch.
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

#include "grpo/io/jsonl.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/rl/advantages.hpp"
#include "grpo/rl/grpo_loss.hpp"
#include "grpo/rl/policy_logprobs.hpp"
#include "grpo/rl/rewards/weighted.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/rollout.hpp"

namespace grpo {

// Defaults: DeepSeekMath's loss (clip 0.2, β 0.04, k3, per-sequence mean), TRL's advantages
// (sample std + 1e-4) and clipping (max_grad_norm 1.0), G = 8 (TRL num_generations), μ = 1
// (TRL num_iterations). The learning rate is not TRL's 1e-6, which is for billion-parameter
// models: a model of ~1M parameters needs ~5e-5, and above ~1e-4 GRPO runs collapse
// (tutorials/06-r1-zero.md shows it).
struct GrpoTrainerConfig {
    int prompts_per_step = 8;
    SamplingConfig sampling;  // group_size (G), temperature, top_k, top_p, max_new_tokens; its seed is unused
    PromptTemplate prompt_template = PromptTemplate::plain();
    RewardConfig rewards = RewardConfig::worked_example();
    AdvantageConfig advantages = AdvantageConfig::trl();
    GrpoLossConfig loss = GrpoLossConfig::deepseekmath();
    AdamWConfig optimizer{5e-5, 0.9, 0.99, 1e-8, 0.0};
    int mu = 1;                    // DeepSeekMath μ: optimizer steps per batch of samples
    double max_grad_norm = 1.0;    // TRL's default; 0 = no clipping
    bool dynamic_sampling = false; // DAPO §3.2: drop groups whose rewards are all equal
    std::uint64_t seed = 0;

    void validate() const {
        require(prompts_per_step >= 1, "GrpoTrainerConfig: prompts_per_step = ", prompts_per_step, ", expected >= 1");
        require(mu >= 1, "GrpoTrainerConfig: mu = ", mu, ", expected >= 1");
        require(max_grad_norm >= 0, "GrpoTrainerConfig: max_grad_norm = ", max_grad_norm, ", expected >= 0");
        require(sampling.temperature > 0, "GrpoTrainerConfig: sampling temperature = ", sampling.temperature,
                ", expected > 0 (GRPO needs sampled groups)");
        require(loss.entropy_coef == 0.0, "GrpoTrainerConfig: loss.entropy_coef = ", loss.entropy_coef,
                ", expected 0 (the trainer logs the entropy but does not differentiate it)");
        sampling.validate();
        grpo::validate(optimizer);
    }
};

// The rollout's rewards, lengths and timings (RolloutMetrics), then GRPO's own.
struct GrpoStepMetrics : RolloutMetrics {
    double frac_reward_zero_std = 0; // groups without signal (TRL's metric)
    int groups_trained = 0;          // groups in the update (fewer with dynamic sampling)
    double loss = 0, kl = 0, clip_frac_low = 0, clip_frac_high = 0, entropy = 0, grad_norm = 0;
    std::vector<std::vector<std::int64_t>> expert_load;  // per MoE block, tokens per routed expert
};

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
    j["expert_load"] = m.expert_load;
    return j;
}

// "step   12/200  reward 1.53  acc 0.62  len 31.0  kl 0.0021  clip 0.000  1.20 s/step  9650 tok/s"
inline std::string progress_line(const GrpoStepMetrics& m, std::int64_t total_steps) {
    char line[160];
    std::snprintf(line, sizeof line, "step %4lld/%lld  reward %.2f  acc %.2f  len %.1f  kl %.4f  clip %.3f  %.2f s/step  %.0f tok/s",
                  static_cast<long long>(m.step), static_cast<long long>(total_steps), m.reward_mean, m.accuracy,
                  m.length_mean, m.kl, m.clip_frac_low + m.clip_frac_high, m.step_seconds, m.tokens_per_second);
    return line;
}

template <class T, class B>
class GrpoTrainer {
public:
    using ProblemSource = grpo::ProblemSource;

    // The trainer updates `policy` in place; the reference is a frozen copy of it taken now.
    GrpoTrainer(Transformer<T, B>& policy, const Tokenizer& tokenizer, ProblemSource source,
                GrpoTrainerConfig config)
        : policy_(policy), tokenizer_(tokenizer), source_(std::move(source)), config_(std::move(config)),
          optimizer_(policy.params(), config_.optimizer) {
        config_.validate();
        require(static_cast<bool>(source_), "GrpoTrainer: the problem source is empty");
        if (config_.loss.beta > 0) {
            Rng unused(0);
            reference_ = std::make_unique<Transformer<T, B>>(policy.config(), unused);
            copy_model_state(policy, *reference_);
        }
    }

    // The problems of step s: the same for every run with this seed.
    std::vector<Problem> problems_for_step(std::int64_t s) const {
        return draw_problems(source_, config_.seed, s, config_.prompts_per_step);
    }

    GrpoStepMetrics step() {
        using trainer_detail::seconds_since;
        const auto start = std::chrono::steady_clock::now();
        GrpoStepMetrics m;
        m.step = steps_ + 1;
        const int G = config_.sampling.group_size;

        // 1-2. Problems, prompts, a group of completions each.
        std::vector<Problem> problems = problems_for_step(steps_);
        std::vector<std::vector<std::int32_t>> prompts = encode_prompts(problems, config_.prompt_template, tokenizer_);
        SamplingConfig sampling = config_.sampling;
        sampling.seed = sampler_seed(config_.seed, steps_);
        Completions completions = sample_groups(policy_, prompts, sampling);
        m.sampling_seconds = seconds_since(start);
        m.generated_tokens = completions.generated_tokens;
        m.tokens_per_second = m.sampling_seconds > 0 ? m.generated_tokens / m.sampling_seconds : 0;

        // 3. Rewards and advantages.
        const auto scoring_start = std::chrono::steady_clock::now();
        const std::vector<RewardBreakdown> scores = score_completions(completions, problems, tokenizer_, config_.rewards);
        const std::vector<double> totals = reward_totals(scores);
        log_rewards(completions, scores, &m);
        const Advantages adv = group_advantages(totals, G, config_.advantages);
        m.frac_reward_zero_std = adv.frac_reward_zero_std;
        std::vector<double> advantages = adv.advantages;
        if (config_.dynamic_sampling) keep_groups_with_signal(totals, &prompts, &completions, &advantages);
        m.groups_trained = static_cast<int>(prompts.size());
        if (prompts.empty()) {  // nothing to learn from this batch
            m.scoring_seconds = seconds_since(scoring_start);
            return finish(m, start);
        }
        const PolicyBatch<B> batch = pack_policy_batch<B>(prompts, completions);
        const Tensor<T, B> mask = completion_mask<T, B>(completions, batch.completion_width);
        Tensor<T, B> ref_logp;
        if (reference_)
            ref_logp = policy_logprobs(nullptr, *reference_, batch, config_.sampling.temperature).logp.value();
        const Tensor<T, B> advantage_tensor =
            Tensor<T, B>::from({batch.rows}, std::vector<T>(advantages.begin(), advantages.end()));
        m.scoring_seconds = seconds_since(scoring_start);

        // 5. μ updates; π_old is the first forward's log-probs.
        const auto update_start = std::chrono::steady_clock::now();
        Tensor<T, B> old_logp;
        for (int it = 0; it < config_.mu; ++it) {
            Tape tape;
            const auto lp = policy_logprobs(&tape, policy_, batch, config_.sampling.temperature, it == 0);
            if (it == 0) old_logp = lp.logp.value().clone();
            const auto out = grpo_loss(&tape, lp.logp, old_logp, ref_logp, advantage_tensor, mask, config_.loss,
                                       completions.truncated);
            Var<T, B> loss = out.loss;
            if (policy_.config().balance_loss_alpha > 0) loss = add(&tape, loss, policy_.balance_loss(&tape));
            optimizer_.zero_grad();
            tape.backward(loss);
            const double norm = config_.max_grad_norm > 0 ? clip_grad_norm(optimizer_.params(), config_.max_grad_norm)
                                                           : 0.0;
            optimizer_.step();
            policy_.update_balance_biases();
            if (it == 0) {  // the metrics of the policy that sampled
                m.loss = out.loss.value().item();
                m.kl = out.mean_kl;
                m.clip_frac_low = out.clip_frac_low;
                m.clip_frac_high = out.clip_frac_high;
                m.grad_norm = norm;
                m.entropy = trainer_detail::mean_over_mask(lp.entropy, mask);
                m.expert_load = policy_.expert_load();
            }
        }
        m.update_seconds = seconds_since(update_start);
        return finish(m, start);
    }

    // Runs until `total_steps` steps are done: a JSONL line per step to `log` (if given) and a
    // progress line to `progress` (if given; rewritten in place on a terminal).
    void run(std::int64_t total_steps, JsonlWriter* log = nullptr, std::FILE* progress = nullptr) {
        while (steps_ < total_steps) {
            const GrpoStepMetrics m = step();
            if (log) log->write(to_json(m));
            if (progress) print_progress(progress, progress_line(m, total_steps), steps_ == total_steps);
        }
    }

    // dir/policy.safetensors, dir/reference.safetensors (β > 0), dir/optimizer.safetensors;
    // each file written atomically and stamped with the step, which load() checks they share.
    void save(const std::string& dir) const {
        std::filesystem::create_directories(dir);
        const std::map<std::string, std::string> stamp = {{"grpo.trainer.step", std::to_string(steps_)}};
        save_checkpoint(policy_, dir + "/policy.safetensors", stamp);
        if (reference_) save_checkpoint(*reference_, dir + "/reference.safetensors", stamp);
        std::vector<NamedTensor> moments;
        const auto named = policy_.named_params();
        for (std::size_t i = 0; i < named.size(); ++i) {
            const Shape& s = named[i].second.shape();
            const std::vector<std::int64_t> shape(s.dim, s.dim + s.rank);
            moments.push_back(NamedTensor::from_values<T>("m." + named[i].first, shape, optimizer_.first_moment(i).to_host()));
            moments.push_back(NamedTensor::from_values<T>("v." + named[i].first, shape, optimizer_.second_moment(i).to_host()));
        }
        auto meta = stamp;
        meta["grpo.adamw.steps"] = std::to_string(optimizer_.steps());
        save_safetensors(dir + "/optimizer.safetensors", moments, meta);
    }

    void load(const std::string& dir) {
        const auto meta = load_checkpoint(policy_, dir + "/policy.safetensors");
        const std::string step = meta.at("grpo.trainer.step");
        if (reference_) {
            const auto ref_meta = load_checkpoint(*reference_, dir + "/reference.safetensors");
            require(ref_meta.at("grpo.trainer.step") == step, "GrpoTrainer::load: '", dir,
                    "' has a reference from step ", ref_meta.at("grpo.trainer.step"), " and a policy from step ", step);
        }
        const Safetensors opt = load_safetensors(dir + "/optimizer.safetensors");
        require(opt.metadata.count("grpo.trainer.step") && opt.metadata.at("grpo.trainer.step") == step,
                "GrpoTrainer::load: '", dir, "/optimizer.safetensors' is not from step ", step);
        std::vector<std::vector<T>> m, v;
        for (const auto& [name, var] : policy_.named_params()) {
            m.push_back(opt.at("m." + name).template values<T>());
            v.push_back(opt.at("v." + name).template values<T>());
        }
        optimizer_.restore(std::stoll(opt.metadata.at("grpo.adamw.steps")), m, v);
        steps_ = std::stoll(step);
    }

    std::int64_t steps() const { return steps_; }
    const GrpoTrainerConfig& config() const { return config_; }
    Transformer<T, B>& policy() { return policy_; }
    AdamW<T, B>& optimizer() { return optimizer_; }

private:
    GrpoStepMetrics finish(GrpoStepMetrics& m, std::chrono::steady_clock::time_point start) {
        ++steps_;
        m.step_seconds = trainer_detail::seconds_since(start);
        return m;
    }

    // DAPO's dynamic sampling: only the groups whose rewards differ stay in the batch.
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

    Transformer<T, B>& policy_;
    const Tokenizer& tokenizer_;
    ProblemSource source_;
    GrpoTrainerConfig config_;
    AdamW<T, B> optimizer_;
    std::unique_ptr<Transformer<T, B>> reference_;  // frozen π_ref, only when β > 0
    std::int64_t steps_ = 0;
};

}  // namespace grpo

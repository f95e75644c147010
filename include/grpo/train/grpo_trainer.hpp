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

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // isatty
#endif

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

struct GrpoStepMetrics {
    std::int64_t step = 0;  // steps finished, this one included
    double reward_mean = 0, reward_std = 0;
    RewardBreakdown reward_component_mean, reward_component_std;  // per rule, unweighted
    double accuracy = 0;             // share of completions whose answer is right
    double length_mean = 0;          // completion tokens
    std::int64_t length_max = 0;
    double truncated_frac = 0;       // no EOS within max_new_tokens
    double frac_reward_zero_std = 0; // groups without signal (TRL's metric)
    int groups_trained = 0;          // groups in the update (fewer with dynamic sampling)
    double loss = 0, kl = 0, clip_frac_low = 0, clip_frac_high = 0, entropy = 0, grad_norm = 0;
    std::vector<std::vector<std::int64_t>> expert_load;  // per MoE block, tokens per routed expert
    std::int64_t generated_tokens = 0;
    double tokens_per_second = 0;    // generated tokens / sampling seconds
    double sampling_seconds = 0, scoring_seconds = 0, update_seconds = 0, step_seconds = 0;
};

inline nlohmann::json to_json(const GrpoStepMetrics& m) {
    auto components = [](const RewardBreakdown& r) {
        return nlohmann::json{{"accuracy", r.accuracy}, {"format", r.format}, {"language", r.language},
                              {"length", r.length}};
    };
    return {{"step", m.step},
            {"reward_mean", m.reward_mean},
            {"reward_std", m.reward_std},
            {"reward_component_mean", components(m.reward_component_mean)},
            {"reward_component_std", components(m.reward_component_std)},
            {"accuracy", m.accuracy},
            {"completion_length_mean", m.length_mean},
            {"completion_length_max", m.length_max},
            {"truncated_frac", m.truncated_frac},
            {"frac_reward_zero_std", m.frac_reward_zero_std},
            {"groups_trained", m.groups_trained},
            {"loss", m.loss},
            {"kl", m.kl},
            {"clip_frac_low", m.clip_frac_low},
            {"clip_frac_high", m.clip_frac_high},
            {"entropy", m.entropy},
            {"grad_norm", m.grad_norm},
            {"expert_load", m.expert_load},
            {"generated_tokens", m.generated_tokens},
            {"tokens_per_second", m.tokens_per_second},
            {"sampling_seconds", m.sampling_seconds},
            {"scoring_seconds", m.scoring_seconds},
            {"update_seconds", m.update_seconds},
            {"step_seconds", m.step_seconds}};
}

// "step   12/200  reward 1.53  acc 0.62  len 31.0  kl 0.0021  clip 0.000  1.20 s/step  9650 tok/s"
inline std::string progress_line(const GrpoStepMetrics& m, std::int64_t total_steps) {
    char line[160];
    std::snprintf(line, sizeof line, "step %4lld/%lld  reward %.2f  acc %.2f  len %.1f  kl %.4f  clip %.3f  %.2f s/step  %.0f tok/s",
                  static_cast<long long>(m.step), static_cast<long long>(total_steps), m.reward_mean, m.accuracy,
                  m.length_mean, m.kl, m.clip_frac_low + m.clip_frac_high, m.step_seconds, m.tokens_per_second);
    return line;
}

namespace trainer_detail {
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
// splitmix64's finaliser: a different sampler key for every (seed, step).
inline std::uint64_t mix(std::uint64_t seed, std::uint64_t step) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (step + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
inline void mean_std(const std::vector<double>& x, double* mean, double* std) {
    double s = 0, s2 = 0;
    for (double v : x) s += v;
    *mean = x.empty() ? 0 : s / static_cast<double>(x.size());
    for (double v : x) s2 += (v - *mean) * (v - *mean);
    *std = x.empty() ? 0 : std::sqrt(s2 / static_cast<double>(x.size()));  // population: a log, not an estimate
}
}  // namespace trainer_detail

template <class T, class B>
class GrpoTrainer {
public:
    using ProblemSource = std::function<Problem(Rng&)>;

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
        Rng rng(config_.seed, static_cast<std::uint64_t>(s));
        std::vector<Problem> out;
        for (int i = 0; i < config_.prompts_per_step; ++i) out.push_back(source_(rng));
        return out;
    }

    GrpoStepMetrics step() {
        using trainer_detail::seconds_since;
        const auto start = std::chrono::steady_clock::now();
        GrpoStepMetrics m;
        m.step = steps_ + 1;
        const int G = config_.sampling.group_size;

        // 1-2. Problems, prompts, a group of completions each.
        std::vector<Problem> problems = problems_for_step(steps_);
        std::vector<std::vector<std::int32_t>> prompts;
        for (const Problem& p : problems) prompts.push_back(tokenizer_.encode(config_.prompt_template.render(p.question)));
        SamplingConfig sampling = config_.sampling;
        sampling.seed = trainer_detail::mix(config_.seed, static_cast<std::uint64_t>(steps_));
        Completions completions = sample_groups(policy_, prompts, sampling);
        m.sampling_seconds = seconds_since(start);
        m.generated_tokens = completions.generated_tokens;
        m.tokens_per_second = m.sampling_seconds > 0 ? m.generated_tokens / m.sampling_seconds : 0;

        // 3. Rewards and advantages.
        const auto scoring_start = std::chrono::steady_clock::now();
        std::vector<double> totals;
        std::vector<RewardBreakdown> scores;
        for (std::size_t n = 0; n < completions.tokens.size(); ++n) {
            const std::string text = tokenizer_.decode(completions.tokens[n], true);
            const Problem& problem = problems[n / static_cast<std::size_t>(G)];
            scores.push_back(score_completion(
                text, [&](std::string_view c) { return accuracy_reward(c, problem.check); }, config_.rewards,
                static_cast<int>(completions.tokens[n].size())));
            totals.push_back(scores.back().total);
        }
        log_rewards(completions, scores, totals, &m);
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
                m.entropy = masked_mean(lp.entropy, mask);
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

    static double masked_mean(const Tensor<T, B>& x, const Tensor<T, B>& mask) {
        const auto v = x.to_host(), w = mask.to_host();
        double s = 0, n = 0;
        for (std::size_t i = 0; i < v.size(); ++i) s += w[i] * v[i], n += w[i];
        return n > 0 ? s / n : 0.0;
    }

    static void log_rewards(const Completions& c, const std::vector<RewardBreakdown>& scores,
                            const std::vector<double>& totals, GrpoStepMetrics* m) {
        using trainer_detail::mean_std;
        mean_std(totals, &m->reward_mean, &m->reward_std);
        std::vector<double> acc, fmt, lang, len, lengths;
        double right = 0, truncated = 0;
        for (std::size_t n = 0; n < scores.size(); ++n) {
            acc.push_back(scores[n].accuracy), fmt.push_back(scores[n].format);
            lang.push_back(scores[n].language), len.push_back(scores[n].length);
            lengths.push_back(static_cast<double>(c.tokens[n].size()));
            m->length_max = std::max<std::int64_t>(m->length_max, static_cast<std::int64_t>(c.tokens[n].size()));
            right += scores[n].accuracy > 0;
            truncated += c.truncated[n];
        }
        mean_std(acc, &m->reward_component_mean.accuracy, &m->reward_component_std.accuracy);
        mean_std(fmt, &m->reward_component_mean.format, &m->reward_component_std.format);
        mean_std(lang, &m->reward_component_mean.language, &m->reward_component_std.language);
        mean_std(len, &m->reward_component_mean.length, &m->reward_component_std.length);
        double unused = 0;
        mean_std(lengths, &m->length_mean, &unused);
        m->accuracy = scores.empty() ? 0 : right / static_cast<double>(scores.size());
        m->truncated_frac = scores.empty() ? 0 : truncated / static_cast<double>(scores.size());
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

    // On a terminal the line is rewritten in place ('\r', then erase to the end: ANSI "\033[K")
    // and ends with a newline after the last step; into a file or pipe every step is a line.
    static void print_progress(std::FILE* out, const std::string& line, bool last) {
        if (is_terminal(out))
            std::fprintf(out, "\r%s\033[K%s", line.c_str(), last ? "\n" : "");
        else
            std::fprintf(out, "%s\n", line.c_str());
        std::fflush(out);
    }

    static bool is_terminal(std::FILE* out) {
#if defined(__unix__) || defined(__APPLE__)
        return isatty(fileno(out)) != 0;
#else
        static_cast<void>(out);
        return false;
#endif
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

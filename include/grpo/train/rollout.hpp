// The rollout half of an RL step, shared by GrpoTrainer and PpoTrainer (DeepSeekMath, arXiv
// 2402.03300, Algorithm 1 lines 5–7; InstructGPT's PPO collects its batch the same way):
//   draw_problems       the problems of step s, from Rng(seed, stream = s)
//   encode_prompts      question -> template -> token ids
//   sampler_seed        the sampler's key for step s (sample_groups then draws completion j of
//                       prompt i from Rng(key, stream = i·G + j))
//   score_completions   every completion decoded and scored by the reward functions
//                       (rl/rewards/reward_function.hpp: the built-in rules, or the user's own)
//   log_rewards         the reward, accuracy and length statistics of a batch (RolloutMetrics)
// and what both trainers print: the progress line, rewritten in place on a terminal.
// A step s therefore depends only on (seed, s) and the model: the same seed gives the same
// problems and the same random draws in either trainer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // isatty
#endif

#include "grpo/core/rng.hpp"
#include "grpo/core/tensor.hpp"
#include "grpo/rl/rewards/reward_function.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// Where a trainer's problems come from, in one of two forms:
///   ProblemSource   one problem per call from an Rng (the generated tasks of tasks/)
///   ProblemBatches  the `count` problems of step s, as a pure function of s (a data set:
///                   train/prompt_dataset.hpp's PromptDataset::draw)
/// Either way step s's problems depend on s alone, so a resumed run draws the same ones.
using ProblemSource = std::function<Problem(Rng&)>;
using ProblemBatches = std::function<std::vector<Problem>(std::int64_t step, int count)>;  ///< the `count` problems of step s, a pure function of s

/// One reward function's statistics over a batch: unweighted, over the completions it scored.
struct RewardComponentStats {
    std::string name;  ///< the reward function's name
    double weight = 0;  ///< its weight
    /// Its mean and std over the completions it scored.
    ///@{
    double mean = 0, std = 0;
    ///@}
    int missing = 0;  ///< completions it gave no score
};

/// What both trainers log about a batch of completions and about time; each trainer's metrics
/// add their loss terms to it.
struct RolloutMetrics {
    std::int64_t step = 0;  ///< steps finished, this one included
    /// The mean and std of the batch's total rewards.
    ///@{
    double reward_mean = 0, reward_std = 0;
    ///@}
    std::vector<RewardComponentStats> reward_components;  ///< one per reward function, in order
    double accuracy = 0;             ///< share of completions whose final answer the verifier accepts
    double length_mean = 0;          ///< completion tokens
    std::int64_t length_max = 0;  ///< longest completion, in tokens
    double truncated_frac = 0;       ///< no EOS within max_new_tokens
    int rewards_missing = 0;         ///< NaN totals: left out of their group's statistics
    std::int64_t generated_tokens = 0;  ///< Σ completion lengths
    double tokens_per_second = 0;    ///< generated tokens / sampling seconds
    /// Wall time of sampling, of scoring (with advantages), of the updates, and of the whole step.
    ///@{
    double sampling_seconds = 0, scoring_seconds = 0, update_seconds = 0, step_seconds = 0;
    ///@}

    /// The batch mean of the reward function `name`: m.component_mean("format").
    double component_mean(std::string_view name) const {
        for (const RewardComponentStats& c : reward_components)
            if (c.name == name) return c.mean;
        throw Error(str("RolloutMetrics: no reward function named '", name, "' in this step's metrics"));
    }
};

/// The RolloutMetrics part of a trainer's JSONL line.
inline nlohmann::json rollout_json(const RolloutMetrics& m) {
    nlohmann::json means = nlohmann::json::object(), stds = nlohmann::json::object();
    for (const RewardComponentStats& c : m.reward_components) means[c.name] = c.mean, stds[c.name] = c.std;
    return {{"step", m.step},
            {"reward_mean", m.reward_mean},
            {"reward_std", m.reward_std},
            {"reward_component_mean", means},
            {"reward_component_std", stds},
            {"accuracy", m.accuracy},
            {"completion_length_mean", m.length_mean},
            {"completion_length_max", m.length_max},
            {"truncated_frac", m.truncated_frac},
            {"rewards_missing", m.rewards_missing},
            {"generated_tokens", m.generated_tokens},
            {"tokens_per_second", m.tokens_per_second},
            {"sampling_seconds", m.sampling_seconds},
            {"scoring_seconds", m.scoring_seconds},
            {"update_seconds", m.update_seconds},
            {"step_seconds", m.step_seconds}};
}

namespace trainer_detail {
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
/// splitmix64's finaliser: a different sampler key for every (seed, step).
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
/// Σ mask·x / Σ mask over two tensors of the same shape, on the host (0 for an empty mask); a
/// metric, not the autograd op masked_mean.
template <class T, class B>
double mean_over_mask(const Tensor<T, B>& x, const Tensor<T, B>& mask) {
    const auto v = x.to_host(), w = mask.to_host();
    double s = 0, n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) s += w[i] * v[i], n += w[i];
    return n > 0 ? s / n : 0.0;
}

/// Σ mask: the completion tokens of a batch.
template <class T, class B>
double mask_sum(const Tensor<T, B>& mask) {
    double n = 0;
    for (const T w : mask.to_host()) n += static_cast<double>(w);
    return n;
}
}  // namespace trainer_detail

/// A step's problems as a trainer needs them: `count` of them, each with a verifier.
inline void check_problems(const std::vector<Problem>& problems, std::int64_t step, int count) {
    require(static_cast<int>(problems.size()) == count, "the problem source gave ", problems.size(),
            " problems for step ", step, ", expected ", count, " (prompts_per_step)");
    for (std::size_t i = 0; i < problems.size(); ++i)
        require(static_cast<bool>(problems[i].check), "problem ", i, " of step ", step, " ('", problems[i].question,
                "') has no verifier (Problem::check is empty)");
}

/// The problems of step s: `count` draws from Rng(seed, stream = s), the same for every run.
inline std::vector<Problem> draw_problems(const ProblemSource& source, std::uint64_t seed, std::int64_t step,
                                          int count) {
    Rng rng(seed, static_cast<std::uint64_t>(step));
    std::vector<Problem> out;
    for (int i = 0; i < count; ++i) out.push_back(source(rng));
    check_problems(out, step, count);
    return out;
}

/// A ProblemSource as ProblemBatches: step s draws from Rng(seed, stream = s).
inline ProblemBatches batches_from(ProblemSource source, std::uint64_t seed) {
    require(static_cast<bool>(source), "the problem source is empty (an empty ProblemSource)");
    return [source = std::move(source), seed](std::int64_t step, int count) {
        return draw_problems(source, seed, step, count);
    };
}

/// One prompt per problem: the template around the question, as text.
inline std::vector<std::string> render_prompts(const std::vector<Problem>& problems,
                                               const PromptTemplate& prompt_template) {
    std::vector<std::string> texts;
    for (const Problem& p : problems) texts.push_back(prompt_template.render(p.question));
    return texts;
}

/// One prompt per problem: the template around the question, as token ids.
inline std::vector<std::vector<std::int32_t>> encode_prompts(const std::vector<Problem>& problems,
                                                             const PromptTemplate& prompt_template,
                                                             const Tokenizer& tokenizer) {
    std::vector<std::vector<std::int32_t>> prompts;
    for (const std::string& text : render_prompts(problems, prompt_template)) prompts.push_back(tokenizer.encode(text));
    return prompts;
}

/// The sampler's seed for step s (SamplingConfig::seed), fresh every step.
inline std::uint64_t sampler_seed(std::uint64_t seed, std::int64_t step) {
    return trainer_detail::mix(seed, static_cast<std::uint64_t>(step));
}

/// What scoring a batch gives: every completion's scores, and whether its final answer is right
/// (Problem::check, whatever the reward functions are: the accuracy metric).
struct BatchScores {
    std::vector<RewardScores> scores;  ///< (N), completion n answers problem n / G
    std::vector<bool> correct;         ///< (N)
    std::vector<std::string> texts;    ///< (N) the decoded completions that were scored
};

/// Completion n answers problem n / G (Completions are grouped by prompt); `prompts` are the
/// rendered prompt texts, one per problem. The built-in rules never throw on a completion
/// (rl/rewards/); a verifier or reward function that throws is a bug in it, not a wrong answer:
/// a grpo::Error naming it and the problem.
inline BatchScores score_completions(const Completions& completions, const std::vector<Problem>& problems,
                                     const std::vector<std::string>& prompts, const Tokenizer& tokenizer,
                                     const std::vector<RewardFunction>& functions) {
    const std::size_t G = static_cast<std::size_t>(completions.group_size);
    require(G >= 1 && completions.tokens.size() == problems.size() * G && prompts.size() == problems.size(),
            "score_completions: ", completions.tokens.size(), " completions and ", prompts.size(), " prompts for ",
            problems.size(), " problems with G = ", G, ", expected problems x G completions and one prompt each");
    BatchScores out;
    for (std::size_t n = 0; n < completions.tokens.size(); ++n) {
        const std::string text = tokenizer.decode(completions.tokens[n], true);
        const Problem& problem = problems[n / G];
        const RewardInput input{problem, prompts[n / G], text, static_cast<int>(completions.tokens[n].size())};
        out.correct.push_back(verified_accuracy(problem, text) > 0.0);  // first: its error names the verifier
        out.scores.push_back(score_with(functions, input));
        out.texts.push_back(text);
    }
    return out;
}

/// Every completion's weighted total reward, in order.
inline std::vector<double> reward_totals(const BatchScores& batch) {
    std::vector<double> totals;
    for (const RewardScores& s : batch.scores) totals.push_back(s.total);
    return totals;
}

/// Component k of every completion (K rows of N): what multi_reward_advantages takes.
inline std::vector<std::vector<double>> reward_components(const BatchScores& batch, std::size_t count) {
    std::vector<std::vector<double>> rows(count);
    for (const RewardScores& s : batch.scores)
        for (std::size_t k = 0; k < count; ++k) rows[k].push_back(s.components[k]);
    return rows;
}

/// Fills the reward, accuracy and length fields of `m` (population statistics over the batch;
/// a component's over the completions it scored).
inline void log_rewards(const Completions& c, const BatchScores& batch, const std::vector<RewardFunction>& functions,
                        RolloutMetrics* m) {
    using trainer_detail::mean_std;
    const std::vector<double> totals = reward_totals(batch);
    std::vector<double> scored_totals;
    for (double t : totals)
        if (!std::isnan(t)) scored_totals.push_back(t);
    mean_std(scored_totals, &m->reward_mean, &m->reward_std);
    m->rewards_missing = static_cast<int>(totals.size() - scored_totals.size());
    m->reward_components.clear();
    for (std::size_t k = 0; k < functions.size(); ++k) {
        RewardComponentStats stats{functions[k].name, functions[k].weight, 0, 0, 0};
        std::vector<double> values;
        for (const RewardScores& s : batch.scores) {
            if (std::isnan(s.components[k])) ++stats.missing;
            else values.push_back(s.components[k]);
        }
        mean_std(values, &stats.mean, &stats.std);
        m->reward_components.push_back(std::move(stats));
    }
    std::vector<double> lengths;
    double right = 0, truncated = 0;
    for (std::size_t n = 0; n < batch.scores.size(); ++n) {
        lengths.push_back(static_cast<double>(c.tokens[n].size()));
        m->length_max = std::max<std::int64_t>(m->length_max, static_cast<std::int64_t>(c.tokens[n].size()));
        right += batch.correct[n];
        truncated += c.truncated[n];
    }
    double unused = 0;
    mean_std(lengths, &m->length_mean, &unused);
    const double count = static_cast<double>(batch.scores.size());
    m->accuracy = batch.scores.empty() ? 0 : right / count;
    m->truncated_frac = batch.scores.empty() ? 0 : truncated / count;
}

/// " (accuracy 0.62 format 0.91)": the means of the reward functions of non-zero weight, for a
/// progress line; empty when there is only one (the total says it all).
inline std::string reward_components_text(const RolloutMetrics& m) {
    std::string text;
    int shown = 0;
    for (const RewardComponentStats& c : m.reward_components) {
        if (c.weight == 0.0) continue;
        char value[32];
        std::snprintf(value, sizeof value, "%.2f", c.mean);
        text += (shown++ ? " " : " (") + c.name + " " + value;
    }
    return shown > 1 ? text + ")" : std::string();
}

namespace trainer_detail {
inline bool is_terminal(std::FILE* out) {
#if defined(__unix__) || defined(__APPLE__)
    return isatty(fileno(out)) != 0;
#else
    static_cast<void>(out);
    return false;
#endif
}
}  // namespace trainer_detail

/// On a terminal the line is rewritten in place (a carriage return, then erase to the end: ANSI `"\033[K"`)
/// and ends with a newline after the last step; into a file or pipe every step is a line.
inline void print_progress(std::FILE* out, const std::string& line, bool last) {
    if (trainer_detail::is_terminal(out))
        std::fprintf(out, "\r%s\033[K%s", line.c_str(), last ? "\n" : "");
    else
        std::fprintf(out, "%s\n", line.c_str());
    std::fflush(out);
}

}  // namespace grpo

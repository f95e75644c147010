// Rejection sampling: turning an RL model into an SFT data set (DeepSeek-R1 §2.3.3, "Rejection
// Sampling and Supervised Fine-Tuning": sample from the RL checkpoint, keep only correct
// responses, filter out "chain-of-thought with mixed languages, long paragraphs, and code
// blocks", add ~200k non-reasoning samples to the ~600k reasoning ones). Here:
//   judge_completion    one completion's fate, checked in a fixed order: format (strict R1
//                       template), answer (the problem's verifier), language (every word of the
//                       chain of thought in the target script), steps (every reasoning line
//                       true, rl/step_check.hpp); the first failing check names the reason;
//                       then, if the filter has reward functions (the list a trainer takes,
//                       rl/rewards/reward_function.hpp), their weighted total: "no score" from
//                       a function of non-zero weight rejects (unscored: a scorer that could not
//                       judge is not a pass), and a total below min_reward rejects (low_reward)
//   dedupe_and_cap      per prompt, drop repeated completions and keep at most `max_per_prompt`
//   mix_non_reasoning   add plain documents (empty prompt, the loss on every token) so they make
//                       up `share` of the set (R1: 200k of 800k, 0.25), then shuffle
//   rejection_sample    sample G completions per problem from a model, judge, dedupe and cap
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grpo/core/rng.hpp"
#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/rl/rewards/language.hpp"
#include "grpo/rl/rewards/reward_function.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/rl/step_check.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/rollout.hpp"
#include "grpo/train/sft.hpp"

namespace grpo {

/// A problem with the rule that checks each of its reasoning steps.
struct VerifiedProblem {
    Problem problem;  ///< the problem
    StepRule step_rule;  ///< scores one reasoning step
};

/// unscored and low_reward come last: the values before them are as they were (a saved set's
/// counts are read by name, train/r1_pipeline.hpp), and they are counted only when a filter has
/// reward functions.
enum class RejectReason {
    kept,
    bad_format,
    wrong_answer,
    mixed_language,
    unverified_step,
    duplicate,
    over_cap,
    unscored,
    low_reward
};

/// The fate's name, for reports: "kept", "wrong answer", …
inline const char* reject_reason_name(RejectReason r) {
    switch (r) {
        case RejectReason::kept: return "kept";
        case RejectReason::bad_format: return "bad format";
        case RejectReason::wrong_answer: return "wrong answer";
        case RejectReason::mixed_language: return "not all in the target language";
        case RejectReason::unverified_step: return "a step that does not check";
        case RejectReason::duplicate: return "duplicate";
        case RejectReason::over_cap: return "over the per-prompt cap";
        case RejectReason::unscored: return "a reward function gave no score";
        case RejectReason::low_reward: return "a reward below min_reward";
    }
    return "?";
}

/// What a completion must pass to be kept: format, answer, language, steps, rewards, a per-prompt cap.
struct RejectionFilter {
    Script target = Script::latin;  ///< the script the chain of thought must be written in
    std::size_t min_word_letters = 2;  ///< the variable x is not a word
    bool verify_steps = true;  ///< every reasoning step must check under the problem's step rule
    int max_per_prompt = 2;            ///< distinct completions kept per prompt
    /// Judged after the checks above, on the completions that pass them: kept only if
    /// Σ weight·score over the functions of non-zero weight is >= min_reward. Empty: not judged.
    std::vector<RewardFunction> reward_functions;
    double min_reward = -std::numeric_limits<double>::infinity();  ///< default: any score passes

    /// With reward functions: names unique, weights finite, callables set; min_reward not NaN
    /// and not +infinity. Throws naming the first offence.
    void validate() const {
        if (reward_functions.empty()) return;
        validate_reward_functions(reward_functions, "RejectionFilter");
        require(!std::isnan(min_reward) && min_reward < std::numeric_limits<double>::infinity(),
                "RejectionFilter: min_reward = ", min_reward, ", expected a number or -infinity");
    }
};

namespace rejection_detail {
inline RejectReason judge(std::string_view completion, const VerifiedProblem& p, const RejectionFilter& filter,
                          std::string_view prompt, int completion_tokens) {
    if (format_reward_strict(completion) == 0.0) return RejectReason::bad_format;
    if (accuracy_reward(completion, p.problem.check) == 0.0) return RejectReason::wrong_answer;
    if (language_consistency_reward(completion, filter.target, filter.min_word_letters) < 1.0)
        return RejectReason::mixed_language;
    if (filter.verify_steps && !verify_steps(completion, p.step_rule).all()) return RejectReason::unverified_step;
    if (filter.reward_functions.empty()) return RejectReason::kept;
    const double total =
        score_with(filter.reward_functions, RewardInput{p.problem, prompt, completion, completion_tokens}).total;
    if (std::isnan(total)) return RejectReason::unscored;
    return total >= filter.min_reward ? RejectReason::kept : RejectReason::low_reward;
}
}  // namespace rejection_detail

/// The rule checks never throw on the completion (it is model output); the problem's verifier is
/// guarded. The filter's reward functions see RewardInput{p.problem, prompt, completion, completion_tokens}
/// (rejection_sample passes the rendered prompt and the sampled length); one that throws or
/// returns NaN is a bug in it: a grpo::Error naming it (score_with).
inline RejectReason judge_completion(std::string_view completion, const VerifiedProblem& p,
                                     const RejectionFilter& filter, std::string_view prompt = {},
                                     int completion_tokens = 0) {
    filter.validate();
    return rejection_detail::judge(completion, p, filter, prompt, completion_tokens);
}

/// How many completions met each fate (kept included), and how many were sampled.
struct RejectionStats {
    std::int64_t sampled = 0;  ///< completions sampled
    std::map<RejectReason, std::int64_t> count;  ///< completions per fate

    /// The completions that met fate `r` (0 if none).
    std::int64_t operator[](RejectReason r) const {
        const auto it = count.find(r);
        return it == count.end() ? 0 : it->second;
    }
};

/// Keeps, in order, the first `max_per_prompt` distinct completions of each prompt; counts the
/// rest in `stats` (if given) as duplicate or over_cap.
inline std::vector<SftExample> dedupe_and_cap(const std::vector<SftExample>& examples, int max_per_prompt,
                                              RejectionStats* stats = nullptr) {
    require(max_per_prompt >= 1, "dedupe_and_cap: max_per_prompt = ", max_per_prompt, ", expected >= 1");
    std::set<std::pair<std::string, std::string>> seen;
    std::map<std::string, int> kept_per_prompt;
    std::vector<SftExample> out;
    for (const SftExample& e : examples) {
        RejectReason fate = RejectReason::kept;
        if (!seen.insert({e.prompt, e.completion}).second) fate = RejectReason::duplicate;
        else if (kept_per_prompt[e.prompt] >= max_per_prompt) fate = RejectReason::over_cap;
        if (fate == RejectReason::kept) {
            ++kept_per_prompt[e.prompt];
            out.push_back(e);
        } else if (stats) {
            ++stats->count[fate];
        }
    }
    return out;
}

/// `reasoning` plus round(n·share / (1 − share)) documents from `plain_document` (as examples
/// with an empty prompt), shuffled by Fisher-Yates with `rng`.
inline std::vector<SftExample> mix_non_reasoning(std::vector<SftExample> reasoning,
                                                 const std::function<std::string(Rng&)>& plain_document,
                                                 double share, Rng& rng) {
    require(share >= 0.0 && share < 1.0, "mix_non_reasoning: share = ", share, ", expected in [0, 1)");
    const auto n = static_cast<std::int64_t>(
        std::llround(static_cast<double>(reasoning.size()) * share / (1.0 - share)));
    for (std::int64_t i = 0; i < n; ++i) reasoning.push_back({"", plain_document(rng)});
    for (std::size_t i = reasoning.size(); i > 1; --i)
        std::swap(reasoning[i - 1], reasoning[static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(i) - 1))]);
    return reasoning;
}

/// What rejection sampling gives: the kept SFT examples and the count of every fate.
struct RejectionResult {
    std::vector<SftExample> examples;  ///< kept, deduplicated and capped; prompts rendered
    RejectionStats stats;  ///< the fates of all sampled completions
};

/// Samples `sampling.group_size` completions of every problem (in calls of 16 prompts, call c
/// with sampler_seed(seed, c)), judges each, then dedupes and caps per prompt. The filter's
/// reasons unscored and low_reward are counted only where they occur (so a filter without reward
/// functions has the counts it always had).
template <class T, class B>
RejectionResult rejection_sample(Transformer<T, B>& model, const Tokenizer& tok,
                                 const std::vector<VerifiedProblem>& problems, const PromptTemplate& prompt_template,
                                 SamplingConfig sampling, const RejectionFilter& filter, std::uint64_t seed) {
    constexpr std::size_t kPromptsPerCall = 16;
    filter.validate();
    sampling = with_eos_of(tok, sampling, "rejection_sample");
    RejectionResult result;
    std::vector<SftExample> passed;
    for (std::size_t begin = 0, call = 0; begin < problems.size(); begin += kPromptsPerCall, ++call) {
        const std::size_t end = std::min(problems.size(), begin + kPromptsPerCall);
        std::vector<std::string> prompt_texts;
        std::vector<std::vector<TokenId>> prompts;
        for (std::size_t i = begin; i < end; ++i) {
            prompt_texts.push_back(prompt_template.render(problems[i].problem.question));
            prompts.push_back(tok.encode(prompt_texts.back()));
        }
        sampling.seed = sampler_seed(seed, static_cast<std::int64_t>(call));
        const Completions c = sample_groups(model, prompts, sampling);
        for (std::size_t row = 0; row < c.tokens.size(); ++row) {
            const std::size_t i = row / static_cast<std::size_t>(sampling.group_size);
            const VerifiedProblem& p = problems[begin + i];
            const std::string text = tok.decode(c.tokens[row], true);
            const RejectReason fate = rejection_detail::judge(text, p, filter, prompt_texts[i],
                                                              static_cast<int>(c.tokens[row].size()));
            ++result.stats.sampled;
            if (fate == RejectReason::kept) passed.push_back({prompt_texts[i], text});
            else ++result.stats.count[fate];
        }
    }
    result.examples = dedupe_and_cap(passed, filter.max_per_prompt, &result.stats);
    result.stats.count[RejectReason::kept] = static_cast<std::int64_t>(result.examples.size());
    return result;
}

}  // namespace grpo

// Evaluating a policy on held-out problems, with the numbers DeepSeek-R1 reports (arXiv
// 2501.12948, §3 "Evaluation Setup" and Table 2):
//   greedy pass@1   share of problems whose one greedy (temperature 0) completion is right
//   sampled pass@1  mean over problems of c/k, c of k sampled completions right (R1: "pass@1 =
//                   (1/k) Σ p_i", sampled at temperature 0.6, top-p 0.95)
//   pass@k          Chen et al. 2021's unbiased estimator from the same k samples (see pass_at_k)
//   cons@k          majority vote over the k sampled answers (R1 Table 2's cons@64)
//   format rate     share of completions that pass the strict format reward
//   mean length     completion length in tokens, the EOS included (what the sampler generated),
//                   and the longest one
//   mixing rate     share of completions whose chain of thought mixes scripts (R1 §2.3.3's
//                   language mixing; rl/rewards/language.hpp), and the mean share of its words
//                   in the target script (the language reward)
// "Right" is the accuracy reward: the final answer is read as accuracy_reward reads it and the
// problem's own verifier judges it.
//
// Your own reward functions (EvalConfig::reward_functions, the list a trainer takes:
// rl/rewards/reward_function.hpp) are reported beside these, by name: each function's mean score
// over the greedy completions and over the sampled ones it scored, unweighted, and how many of
// each it left unscored ("no score" is not a zero: it is counted, not averaged). They add to the
// report and change none of its other numbers: pass@1, pass@k and cons@k stay the problem's
// verifier's, whatever the list. With an empty list (the default) nothing is scored and the
// report is what it was without one, bit for bit. EvalConfig::keep_samples keeps the decoded
// samples too, for a reader of your own (rl/reflection.hpp counts their self-checks).
//
// Randomness: the problems go to sample_groups in calls of `prompts_per_call`; call c samples
// with the seed drawn from Rng(config.seed, stream c), so no two calls share a Philox stream.
// The numbers are a function of (model, problems, prompts, config): the same call gives the same
// report, and a different prompts_per_call gives different (equally valid) samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/rl/rewards/language.hpp"
#include "grpo/rl/rewards/reward_function.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// The probability that at least one of k completions drawn without replacement from n, of which
/// c are right, is right: 1 − C(n−c, k) / C(n, k) (Chen et al. 2021, arXiv 2107.03374, eq. 1).
/// Computed as their numpy code does, 1 − Π_{i=n−c+1..n} (1 − k/i), which never forms a binomial.
inline double pass_at_k(int n, int c, int k) {
    require(n >= 1, "pass_at_k: n = ", n, " samples, expected >= 1");
    require(c >= 0 && c <= n, "pass_at_k: c = ", c, " correct, expected 0..n (", n, ")");
    require(k >= 1 && k <= n, "pass_at_k: k = ", k, ", expected 1..n (", n, "): pass@k needs at least k samples");
    if (n - c < k) return 1.0;  // every k-subset holds a right one
    double all_wrong = 1.0;     // C(n−c, k) / C(n, k)
    for (int i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - static_cast<double>(k) / i;
    return 1.0 - all_wrong;
}

/// What a completion votes for: its final answer as the accuracy reward reads it; a number is
/// keyed by its exact value ("3.5", "7/2" and "x = 3.50" all vote "7/2"), anything else by its
/// normalised text. nullopt when there is no answer to read.
inline std::optional<std::string> vote_key(std::string_view completion) {
    const auto answer = extract_answer(completion);
    if (!answer) return std::nullopt;
    const std::string_view text = normalize_answer(*answer);
    if (text.empty()) return std::nullopt;
    if (const auto number = answer_as_number(text)) return number->to_string();
    return std::string(text);
}

/// The majority answer of `completions` (R1's `cons@k`), as the first completion that voted for it
/// wrote it (normalised), so a problem's verifier can judge it. Completions without an answer do
/// not vote; nullopt when none votes. Ties go to the answer whose first vote came earliest.
inline std::optional<std::string> majority_answer(const std::vector<std::string>& completions) {
    struct Tally {
        int votes = 0;
        std::size_t first = 0;  // index of the first completion that voted for it
        std::string as_written;
    };
    std::map<std::string, Tally> tallies;
    for (std::size_t i = 0; i < completions.size(); ++i) {
        const auto key = vote_key(completions[i]);
        if (!key) continue;
        auto [it, fresh] = tallies.try_emplace(*key);
        if (fresh) it->second = {0, i, std::string(normalize_answer(*extract_answer(completions[i])))};
        ++it->second.votes;
    }
    const Tally* best = nullptr;
    for (const auto& [key, tally] : tallies)
        if (!best || tally.votes > best->votes || (tally.votes == best->votes && tally.first < best->first))
            best = &tally;
    if (!best) return std::nullopt;
    return best->as_written;
}

/// How a policy is evaluated: samples per problem, their sampling, seeds, the k reported, extra rewards.
struct EvalConfig {
    int samples = 16;            ///< k sampled completions per problem
    double temperature = 0.6;    ///< of the samples (R1 §3: 0.6)
    double top_p = 0.95;         ///< of the samples (R1 §3: 0.95)
    int max_new_tokens = 64;     ///< per completion, greedy and sampled
    std::uint64_t seed = 0;  ///< call c of sample_groups samples with a seed drawn from Rng(seed, c)
    int prompts_per_call = 32;   ///< problems per sample_groups call
    std::vector<int> pass_ks;    ///< the k of each `pass@k` reported; empty = {samples}
    Script language = Script::latin;   ///< the target script of the language share
    std::size_t min_word_letters = 2;  ///< of is_language_mixed and the language share
    std::vector<RewardFunction> reward_functions;  ///< reported by name (EvalReport::rewards); empty: none
    bool keep_samples = false;  ///< keep every decoded sample in ProblemEval::sample_completions

    std::vector<int> reported_ks() const { return pass_ks.empty() ? std::vector<int>{samples} : pass_ks; }  ///< the k reported: pass_ks, or {samples} when empty

    /// Throws naming the first offending field.
    void validate() const {
        require(samples >= 1, "EvalConfig: samples = ", samples, ", expected >= 1");
        require(std::isfinite(temperature) && temperature >= 0.0, "EvalConfig: temperature = ", temperature,
                ", expected >= 0 (0 = greedy)");
        require(top_p > 0.0 && top_p <= 1.0, "EvalConfig: top_p = ", top_p, ", expected in (0, 1]");
        require(max_new_tokens >= 1, "EvalConfig: max_new_tokens = ", max_new_tokens, ", expected >= 1");
        require(prompts_per_call >= 1, "EvalConfig: prompts_per_call = ", prompts_per_call, ", expected >= 1");
        for (int k : pass_ks)
            require(k >= 1 && k <= samples, "EvalConfig: pass_ks holds ", k, ", expected 1..samples (", samples, ")");
        if (!reward_functions.empty()) validate_reward_functions(reward_functions, "EvalConfig");
    }
};

/// One problem's outcome.
struct ProblemEval {
    bool greedy_correct = false;  ///< the greedy completion is right
    bool greedy_well_formed = false;  ///< strict format
    int greedy_tokens = 0;  ///< the greedy completion's length, EOS included
    std::string greedy_completion;    ///< decoded, for printing examples
    int samples_correct = 0;          ///< c of the k samples
    int samples_well_formed = 0;  ///< samples in the strict format
    std::int64_t sample_tokens = 0;   ///< Σ over the k samples
    int samples_truncated = 0;        ///< no EOS within max_new_tokens
    int sample_max_tokens = 0;        ///< the longest sample, EOS included
    std::vector<std::string> sample_completions;  ///< decoded, in order, when EvalConfig::keep_samples
    bool consensus_correct = false;   ///< the majority answer is right
    bool greedy_mixed = false;        ///< its chain of thought mixes scripts (is_language_mixed)
    int samples_mixed = 0;  ///< samples whose chain of thought mixes scripts
    double sampled_language_share = 0.0;  ///< mean language_consistency_reward of the k samples
    /// EvalConfig::reward_functions' scores (score_with: NaN where a function gave none); left
    /// empty without reward functions.
    RewardScores greedy_rewards;               ///< of the greedy completion
    std::vector<RewardScores> sample_rewards;  ///< one per sample, in order
};

/// One reward function over an evaluation, unweighted: its mean over the completions it scored
/// (NaN when it scored none) and how many it gave no score.
struct EvalRewardStats {
    std::string name;  ///< the reward function's name
    double weight = 0.0;  ///< its weight in the trainer's list
    /// Mean score over the greedy and over the sampled completions it scored (NaN: none).
    ///@{
    double greedy_mean = 0.0, sampled_mean = 0.0;
    ///@}
    /// Greedy and sampled completions it gave no score.
    ///@{
    int greedy_missing = 0, sampled_missing = 0;
    ///@}
};

/// The numbers of one evaluation: pass rates, consensus, format, length, language, rewards, per problem.
struct EvalReport {
    /// number of problems, k
    ///@{
    int problems = 0, samples = 0;
    ///@}
    double greedy_pass_at_1 = 0.0;  ///< share of problems whose greedy completion is right
    double sampled_pass_at_1 = 0.0;  ///< mean over problems of c/k
    std::map<int, double> pass_at_k;  ///< k -> mean over problems of pass_at_k(samples, c, k)
    double cons_at_k = 0.0;  ///< share of problems whose majority sampled answer is right
    /// Share of greedy and of sampled completions in the strict format.
    ///@{
    double greedy_format_rate = 0.0, sampled_format_rate = 0.0;
    ///@}
    /// Mean completion length in tokens, EOS included, greedy and sampled.
    ///@{
    double greedy_mean_tokens = 0.0, sampled_mean_tokens = 0.0;
    ///@}
    /// The longest completion in tokens, EOS included, greedy and sampled.
    ///@{
    int greedy_max_tokens = 0, sampled_max_tokens = 0;
    ///@}
    double sampled_truncated_rate = 0.0;  ///< share of samples with no EOS within max_new_tokens
    /// share of mixed chains of thought
    ///@{
    double greedy_mixing_rate = 0.0, sampled_mixing_rate = 0.0;
    ///@}
    double sampled_language_share = 0.0;  ///< mean share of target-script words in the samples' CoT
    std::vector<EvalRewardStats> rewards;  ///< one per EvalConfig::reward_functions, in order
    std::vector<ProblemEval> per_problem;  ///< one per problem, in order

    /// The mean `pass@k` for k; throws unless k was computed (EvalConfig::pass_ks).
    double pass_at(int k) const {
        const auto it = pass_at_k.find(k);
        require(it != pass_at_k.end(), "EvalReport::pass_at: pass@", k, " was not computed (EvalConfig::pass_ks)");
        return it->second;
    }

    /// The statistics of the reward function `name`: r.reward("format").sampled_mean.
    const EvalRewardStats& reward(std::string_view name) const {
        for (const EvalRewardStats& s : rewards)
            if (s.name == name) return s;
        throw Error(str("EvalReport::reward: no reward function named '", name,
                        "' in this report (EvalConfig::reward_functions)"));
    }
};

/// Scores one problem from its decoded completions (token counts are the caller's to fill).
inline ProblemEval score_problem(const Problem& problem, const std::string& greedy,
                                 const std::vector<std::string>& samples, Script language = Script::latin,
                                 std::size_t min_word_letters = 2) {
    require(static_cast<bool>(problem.check), "score_problem: problem '", problem.question, "' has no verifier");
    ProblemEval out;
    out.greedy_completion = greedy;
    out.greedy_correct = accuracy_reward(greedy, problem.check) > 0.0;
    out.greedy_well_formed = format_reward_strict(greedy) > 0.0;
    out.greedy_mixed = is_language_mixed(greedy, min_word_letters);
    for (const std::string& text : samples) {
        out.samples_correct += accuracy_reward(text, problem.check) > 0.0;
        out.samples_well_formed += format_reward_strict(text) > 0.0;
        out.samples_mixed += is_language_mixed(text, min_word_letters);
        out.sampled_language_share += language_consistency_reward(text, language, min_word_letters);
    }
    if (!samples.empty()) out.sampled_language_share /= static_cast<double>(samples.size());
    const auto majority = majority_answer(samples);
    out.consensus_correct = majority && problem.check(*majority);
    return out;
}

/// Fills e's greedy_rewards and sample_rewards: every function of `functions` on the greedy
/// completion, then on each sample, as RewardInput{problem, prompt, text, tokens}. A function that
/// throws or returns NaN is a grpo::Error naming it and the problem (score_with).
inline void score_problem_rewards(const std::vector<RewardFunction>& functions, const Problem& problem,
                                  std::string_view prompt, std::string_view greedy, int greedy_tokens,
                                  const std::vector<std::string>& samples, const std::vector<int>& sample_tokens,
                                  ProblemEval* e) {
    require(sample_tokens.size() == samples.size(), "score_problem_rewards: ", samples.size(), " samples and ",
            sample_tokens.size(), " token counts, expected one each");
    e->greedy_rewards = score_with(functions, RewardInput{problem, prompt, greedy, greedy_tokens});
    e->sample_rewards.clear();
    for (std::size_t j = 0; j < samples.size(); ++j)
        e->sample_rewards.push_back(score_with(functions, RewardInput{problem, prompt, samples[j], sample_tokens[j]}));
}

/// Means over problems; `samples` is k, `ks` the `pass@k` to compute. With `functions` (the
/// EvalConfig's reward functions), every problem must carry their scores (score_problem_rewards),
/// and the report gets one EvalRewardStats per function: means over every completion it scored.
inline EvalReport summarize_evaluation(std::vector<ProblemEval> per_problem, int samples, const std::vector<int>& ks,
                                       const std::vector<RewardFunction>& functions = {}) {
    require(!per_problem.empty(), "summarize_evaluation: no problems");
    require(samples >= 1, "summarize_evaluation: samples = ", samples, ", expected >= 1");
    EvalReport r;
    r.problems = static_cast<int>(per_problem.size());
    r.samples = samples;
    const double P = r.problems, k = samples;
    for (const ProblemEval& e : per_problem) {
        r.greedy_pass_at_1 += e.greedy_correct / P;
        r.sampled_pass_at_1 += e.samples_correct / k / P;
        for (int kk : ks) r.pass_at_k[kk] += pass_at_k(samples, e.samples_correct, kk) / P;
        r.cons_at_k += e.consensus_correct / P;
        r.greedy_format_rate += e.greedy_well_formed / P;
        r.sampled_format_rate += e.samples_well_formed / k / P;
        r.greedy_mean_tokens += e.greedy_tokens / P;
        r.sampled_mean_tokens += static_cast<double>(e.sample_tokens) / k / P;
        r.sampled_truncated_rate += e.samples_truncated / k / P;
        r.greedy_max_tokens = std::max(r.greedy_max_tokens, e.greedy_tokens);
        r.sampled_max_tokens = std::max(r.sampled_max_tokens, e.sample_max_tokens);
        r.greedy_mixing_rate += e.greedy_mixed / P;
        r.sampled_mixing_rate += e.samples_mixed / k / P;
        r.sampled_language_share += e.sampled_language_share / P;
    }
    for (std::size_t f = 0; f < functions.size(); ++f) {
        EvalRewardStats stats{functions[f].name, functions[f].weight, 0.0, 0.0, 0, 0};
        double greedy_sum = 0.0, sampled_sum = 0.0;
        int greedy_scored = 0, sampled_scored = 0;
        const auto add = [](double v, double* sum, int* scored, int* missing) {
            if (std::isnan(v)) ++*missing;
            else *sum += v, ++*scored;
        };
        for (std::size_t i = 0; i < per_problem.size(); ++i) {
            const ProblemEval& e = per_problem[i];
            require(e.greedy_rewards.components.size() == functions.size() &&
                        e.sample_rewards.size() == static_cast<std::size_t>(samples),
                    "summarize_evaluation: problem ", i, " has ", e.greedy_rewards.components.size(),
                    " greedy reward scores and ", e.sample_rewards.size(), " scored samples, expected ",
                    functions.size(), " and ", samples, " (score_problem_rewards)");
            add(e.greedy_rewards.components[f], &greedy_sum, &greedy_scored, &stats.greedy_missing);
            for (const RewardScores& s : e.sample_rewards) {
                require(s.components.size() == functions.size(), "summarize_evaluation: problem ", i,
                        " has a sample with ", s.components.size(), " reward scores, expected ", functions.size());
                add(s.components[f], &sampled_sum, &sampled_scored, &stats.sampled_missing);
            }
        }
        stats.greedy_mean = greedy_scored > 0 ? greedy_sum / greedy_scored : std::nan("");
        stats.sampled_mean = sampled_scored > 0 ? sampled_sum / sampled_scored : std::nan("");
        r.rewards.push_back(std::move(stats));
    }
    r.per_problem = std::move(per_problem);
    return r;
}

namespace evaluation_detail {
/// 64 bits from Rng(seed, stream): the seed of sample_groups call `stream`.
inline std::uint64_t call_seed(std::uint64_t seed, std::uint64_t stream) {
    Rng rng(seed, stream);
    const std::uint64_t hi = rng.next_u32();
    return (hi << 32) | rng.next_u32();
}
}  // namespace evaluation_detail

/// Greedy and k sampled completions for every problem, scored; see the header comment.
template <class T, class B>
EvalReport evaluate(Transformer<T, B>& model, const Tokenizer& tokenizer, const std::vector<Problem>& problems,
                    const std::function<std::string(const Problem&)>& prompt_of, const EvalConfig& config) {
    config.validate();
    require(!problems.empty(), "evaluate: no problems");
    SamplingConfig greedy;
    greedy.temperature = 0.0;
    greedy.group_size = 1;
    greedy.max_new_tokens = config.max_new_tokens;
    greedy.eos_id = tokenizer.eos_id();
    SamplingConfig sampled = greedy;
    sampled.temperature = config.temperature;
    sampled.top_p = config.top_p;
    sampled.group_size = config.samples;

    std::vector<ProblemEval> per_problem;
    const std::size_t per_call = static_cast<std::size_t>(config.prompts_per_call);
    for (std::size_t begin = 0, call = 0; begin < problems.size(); begin += per_call, ++call) {
        const std::size_t end = std::min(problems.size(), begin + per_call);
        std::vector<std::string> prompt_texts;
        std::vector<std::vector<TokenId>> prompts;
        for (std::size_t i = begin; i < end; ++i) {
            prompt_texts.push_back(prompt_of(problems[i]));
            prompts.push_back(tokenizer.encode(prompt_texts.back()));
        }
        sampled.seed = evaluation_detail::call_seed(config.seed, call);
        const Completions g = sample_groups(model, prompts, greedy);    // (prompts × 1)
        const Completions s = sample_groups(model, prompts, sampled);   // (prompts × k)
        for (std::size_t i = begin; i < end; ++i) {
            const std::size_t row = i - begin, first = row * config.samples;
            std::vector<std::string> texts;
            for (int j = 0; j < config.samples; ++j) texts.push_back(tokenizer.decode(s.tokens[first + j], true));
            ProblemEval e = score_problem(problems[i], tokenizer.decode(g.tokens[row], true), texts,
                                          config.language, config.min_word_letters);
            e.greedy_tokens = static_cast<int>(g.tokens[row].size());
            std::vector<int> sample_tokens;
            for (int j = 0; j < config.samples; ++j) {
                e.sample_tokens += static_cast<std::int64_t>(s.tokens[first + j].size());
                e.samples_truncated += s.truncated[first + j];
                e.sample_max_tokens = std::max(e.sample_max_tokens, static_cast<int>(s.tokens[first + j].size()));
                sample_tokens.push_back(static_cast<int>(s.tokens[first + j].size()));
            }
            if (!config.reward_functions.empty())
                score_problem_rewards(config.reward_functions, problems[i], prompt_texts[row], e.greedy_completion,
                                      e.greedy_tokens, texts, sample_tokens, &e);
            if (config.keep_samples) e.sample_completions = std::move(texts);
            per_problem.push_back(std::move(e));
        }
    }
    return summarize_evaluation(std::move(per_problem), config.samples, config.reported_ks(),
                                config.reward_functions);
}

/// The same with each problem's question put into a prompt template.
template <class T, class B>
EvalReport evaluate(Transformer<T, B>& model, const Tokenizer& tokenizer, const std::vector<Problem>& problems,
                    const PromptTemplate& prompt_template, const EvalConfig& config) {
    return evaluate(model, tokenizer, problems,
                    [&](const Problem& p) { return prompt_template.render(p.question); }, config);
}

}  // namespace grpo

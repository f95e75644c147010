// Reward functions: the list a trainer scores completions with. Each has a name (its column in
// the logs), a weight, and a callable of (problem, prompt, completion) that returns a score or
// "no score". The total is the weighted sum, as TRL's GRPOTrainer sums its reward_funcs with
// reward_weights:
//     r = Σ_k w_k · r_k
// "No score" (std::nullopt) means the scorer could not judge: a sandbox that did not start, a
// remote judge that timed out. It is not a zero, which would teach the policy that the answer
// was wrong: the completion's total is NaN, and the advantages leave it out and count it
// (rl/advantages.hpp), as TRL does with a reward function's None.
//
// The built-in rules of rewards/ (accuracy, format, language, length) are four such functions,
// made from a RewardConfig by builtin_reward_functions(); a user adds their own beside them, or
// replaces them.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/rl/rewards/weighted.hpp"
#include "grpo/tasks/problem.hpp"

namespace grpo {

/// What a reward function sees of one completion.
struct RewardInput {
    const Problem& problem;       ///< the question, its canonical answer, its verifier
    std::string_view prompt;      ///< the rendered prompt (template + question)
    std::string_view completion;  ///< the decoded completion, special tokens removed
    int completion_tokens = 0;    ///< its length in tokens (EOS included when it stopped)
};

using RewardScore = std::optional<double>;  ///< std::nullopt: no score (see above)

/// One entry of a trainer's reward list: a name, a weight, a scoring callable.
struct RewardFunction {
    std::string name;   ///< a key of the JSONL's reward_component_mean / _std
    double weight = 1.0;  ///< its factor in the weighted total
    std::function<RewardScore(const RewardInput&)> score;  ///< scores one completion, or gives no score
};

/// One completion's scores: each function's (NaN where it gave none) and the weighted total
/// (NaN when a function with a non-zero weight gave none).
struct RewardScores {
    std::vector<double> components;  ///< one score per reward function, in list order
    double total = 0.0;  ///< Σ weight · score
};

/// Names unique and not empty, weights finite, every callable set: checked when a trainer is made.
inline void validate_reward_functions(const std::vector<RewardFunction>& functions, const char* who) {
    require(!functions.empty(), who, ": no reward functions, expected at least one");
    for (std::size_t k = 0; k < functions.size(); ++k) {
        const RewardFunction& f = functions[k];
        require(!f.name.empty(), who, ": reward function ", k, " has an empty name");
        require(std::isfinite(f.weight), who, ": reward function '", f.name, "' has weight ", f.weight,
                ", expected a finite number");
        require(static_cast<bool>(f.score), who, ": reward function '", f.name, "' has no callable (score is empty)");
        for (std::size_t j = 0; j < k; ++j)
            require(functions[j].name != f.name, who, ": two reward functions are named '", f.name,
                    "', expected unique names (they are the log's keys)");
    }
}

/// Scores one completion with every function, in order. A function's exception is a bug in it,
/// not a low score: it becomes a grpo::Error naming the function and the problem.
inline RewardScores score_with(const std::vector<RewardFunction>& functions, const RewardInput& input) {
    RewardScores out;
    for (const RewardFunction& f : functions) {
        RewardScore s;
        try {
            s = f.score(input);
        } catch (const std::exception& e) {
            throw Error(str("reward function '", f.name, "' threw on a completion of problem '", input.problem.question,
                            "': ", e.what()));
        } catch (...) {
            throw Error(str("reward function '", f.name, "' threw on a completion of problem '", input.problem.question,
                            "' (not a std::exception)"));
        }
        require(!s || !std::isnan(*s), "reward function '", f.name, "' returned NaN for a completion of problem '",
                input.problem.question, "': return std::nullopt for \"no score\"");
        const double value = s ? *s : std::nan("");
        out.components.push_back(value);
        if (f.weight != 0.0) out.total += f.weight * value;  // a weight of 0 logs without scoring
    }
    return out;
}

/// The problem's verifier on the completion's final answer (rewards/accuracy.hpp). A verifier
/// that throws is a bug in the task: a grpo::Error naming the problem and the answer.
inline double verified_accuracy(const Problem& problem, std::string_view completion) {
    const auto checked = [&](std::string_view answer) {
        try {
            return problem.check(answer);
        } catch (const std::exception& e) {
            throw Error(str("the verifier of problem '", problem.question, "' threw on the answer '", answer,
                            "': ", e.what()));
        } catch (...) {
            throw Error(str("the verifier of problem '", problem.question, "' threw on the answer '", answer,
                            "' (not a std::exception)"));
        }
    };
    return accuracy_reward(completion, checked);
}

/// The built-in rules as reward functions, named accuracy, format, language and length, with
/// RewardConfig's weights (a rule of weight 0 is still computed and logged, as before).
inline std::vector<RewardFunction> builtin_reward_functions(const RewardConfig& config) {
    std::vector<RewardFunction> out;
    out.push_back({"accuracy", config.accuracy_weight,
                   [](const RewardInput& in) -> RewardScore { return verified_accuracy(in.problem, in.completion); }});
    out.push_back({"format", config.format_weight, [rule = config.format_rule](const RewardInput& in) -> RewardScore {
                       return format_reward(in.completion, rule);
                   }});
    out.push_back({"language", config.language_weight,
                   [script = config.target_script, letters = config.min_word_letters](const RewardInput& in) -> RewardScore {
                       return language_consistency_reward(in.completion, script, letters);
                   }});
    out.push_back({"length", config.length_weight, [config](const RewardInput& in) -> RewardScore {
                       if (config.length_rule == LengthRule::overlong)
                           return overlong_penalty(in.completion_tokens, config.overlong);
                       if (config.length_rule == LengthRule::cosine)
                           return cosine_length_reward(in.completion_tokens,
                                                       verified_accuracy(in.problem, in.completion) > 0.0, config.cosine);
                       return 0.0;
                   }});
    return out;
}

}  // namespace grpo

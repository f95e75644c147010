// Process supervision: a reward for every reasoning step instead of one per completion
// (DeepSeekMath, arXiv 2402.03300, §4.1.3). Three pieces:
//   1. a step rule for linear equations: each non-empty line of the reasoning is a step, and it
//      scores 1 if it is an equation "lhs = rhs" that holds when x is the true solution, else 0;
//   2. where each step ends in the token sequence (the token holding its last character);
//   3. process advantages: the step rewards of a group are normalised together, and a token's
//      advantage is the sum of the normalised rewards of the steps that end at or after it.
//
// "Holds at the true solution" is a rule-based stand-in for DeepSeekMath's process reward
// model, which is a learned network (trained on Math-Shepherd-style step labels). The rule is
// exact where it applies, but it has a blind spot a learned PRM is meant to see: a line that is
// true but useless scores 1 — restating the question "2x + 3 = 7", or "7 = 7", or "x + x = 2x".
// A policy trained on this reward alone can learn to pad its reasoning with such lines, so it
// belongs next to an outcome (accuracy) reward, not instead of one.
//
// Steps and rewards read untrusted text (the model's completion): they never throw on it.
// The caller's data — the equation, the group size, token ids outside the tokenizer's
// vocabulary, a step index outside the width — throws grpo::Error as everywhere else.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/tensor.hpp"
#include "grpo/rl/advantages.hpp"
#include "grpo/tasks/expression.hpp"
#include "grpo/tasks/linear_equation.hpp"
#include "grpo/text/strings.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// A step of a completion's text: the byte offset of its last byte, and its reward.
struct TextStep {
    std::size_t last_byte = 0;  ///< byte offset of the step's last byte in the completion
    double reward = 0.0;  ///< the step's reward
};

/// A step of a completion's tokens: the index of the token that holds its last character.
struct ProcessStep {
    std::int64_t end_token = 0;  ///< index of the token holding the step's last character
    double reward = 0.0;  ///< the step's reward
};

/// A step longer than this is not an equation a solver writes; it scores 0 unread.
constexpr std::size_t kMaxStepBytes = 256;

namespace process_detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// One side of a step with x replaced by "(value)", and a factor written next to another read
/// as a product: "2x", "(x - 1)x", "3(x + 1)", "x(x + 1)" get a '*' between them. The expression
/// evaluator knows no variables and no implicit multiplication. A number after x ("x2") gets no
/// '*' and stays unreadable.
inline std::string substitute_x(std::string_view side, std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < side.size(); ++i) {
        const char c = side[i], before = i > 0 ? side[i - 1] : ' ';
        const bool starts_factor = c == 'x' || c == '(';
        const bool ends_factor = is_digit(before) || before == ')' || before == 'x';
        if (starts_factor && ends_factor) out += '*';
        if (c == 'x') {
            out += '(';
            out += value;
            out += ')';
        } else {
            out += c;
        }
    }
    return out;
}

/// The exact value of one side at x = value, or nullopt if it is not an expression.
inline std::optional<Rational> evaluate_side(std::string_view side, std::string_view value) {
    ExpressionLimits limits;
    limits.max_length = 64 * kMaxStepBytes;  // room for every x of a long step to expand
    const std::optional<Evaluation> e = evaluate_expression(substitute_x(side, value), limits);
    if (!e) return std::nullopt;
    return e->value;
}

}  // namespace process_detail

/// The byte range [begin, end) of a completion's reasoning: after the first `<think>` (or from the
/// start if there is none) up to the first `</think>` after it; without one, up to the first
/// `<answer>`, or the end of the text.
struct TextRange {
    /// The range's first byte and one past its last.
    ///@{
    std::size_t begin = 0, end = 0;
    ///@}
};

/// The byte range of `completion`'s reasoning (see TextRange).
inline TextRange reasoning_range(std::string_view completion) {
    constexpr std::string_view open = "<think>", close = "</think>", answer = "<answer>";
    const std::size_t opened = completion.find(open);
    const std::size_t begin = opened == std::string_view::npos ? 0 : opened + open.size();
    std::size_t end = completion.find(close, begin);
    if (end == std::string_view::npos) end = completion.find(answer, begin);
    if (end == std::string_view::npos) end = completion.size();
    return {begin, end};
}

/// The steps of a completion: each non-empty line of its reasoning, without surrounding
/// whitespace, as byte ranges into `completion`.
inline std::vector<TextRange> reasoning_steps(std::string_view completion) {
    const TextRange reasoning = reasoning_range(completion);
    std::vector<TextRange> steps;
    std::size_t line_begin = reasoning.begin;
    while (line_begin < reasoning.end) {
        std::size_t line_end = completion.find('\n', line_begin);
        if (line_end == std::string_view::npos || line_end > reasoning.end) line_end = reasoning.end;
        std::size_t b = line_begin, e = line_end;
        while (b < e && is_space(completion[b])) ++b;
        while (e > b && is_space(completion[e - 1])) --e;
        if (b < e) steps.push_back({b, e});
        line_begin = line_end + 1;
    }
    return steps;
}

/// 1 if `step` is "lhs = rhs" (exactly one '=') where both sides are expressions in x — integers,
/// + - * / and their Unicode signs, parentheses, unary minus, "x", "2x", "-x" — that are equal
/// when x is `solution`, computed exactly; 0 for anything else. Never throws.
inline double linear_step_reward(std::string_view step, const Rational& solution) {
    if (step.size() > kMaxStepBytes) return 0.0;
    const std::size_t equals = step.find('=');
    if (equals == std::string_view::npos || step.find('=', equals + 1) != std::string_view::npos) return 0.0;
    const std::string value = solution.to_string();  // "2", "-7/2": the evaluator reads a fraction as a division
    const std::optional<Rational> lhs = process_detail::evaluate_side(step.substr(0, equals), value);
    const std::optional<Rational> rhs = process_detail::evaluate_side(step.substr(equals + 1), value);
    return lhs && rhs && *lhs == *rhs ? 1.0 : 0.0;
}

/// Every step of a completion, scored by linear_step_reward against the equation's solution.
inline std::vector<TextStep> linear_equation_text_steps(std::string_view completion, const LinearEquation& eq) {
    require(eq.a != 0, "linear_equation_text_steps: the equation has a = 0, expected a solvable a·x + b = c");
    const Rational solution = eq.solution();
    std::vector<TextStep> out;
    for (const TextRange& step : reasoning_steps(completion)) {
        const std::string_view text = completion.substr(step.begin, step.end - step.begin);
        out.push_back({step.end - 1, linear_step_reward(text, solution)});
    }
    return out;
}

/// The token that holds byte `offset` of the decoded text: the first t with ends[t] > offset.
/// ends: Tokenizer::text_ends of the same ids. -1 if the text is shorter (cannot happen for
/// offsets taken from the same decoded text).
inline std::int64_t token_holding_byte(const std::vector<std::size_t>& ends, std::size_t offset) {
    std::size_t lo = 0, hi = ends.size();  // binary search: ends is non-decreasing
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (ends[mid] > offset) hi = mid;
        else lo = mid + 1;
    }
    return lo < ends.size() ? static_cast<std::int64_t>(lo) : -1;
}

/// The process steps of one sampled completion (its token ids, as the sampler returns them):
/// decoded leniently, split and scored by the linear-equation rule, each step placed at the token
/// that holds its last character.
inline std::vector<ProcessStep> linear_equation_process_steps(const Tokenizer& tokenizer,
                                                              const std::vector<TokenId>& completion,
                                                              const LinearEquation& eq) {
    const std::string text = tokenizer.decode(completion, true);
    const std::vector<std::size_t> ends = tokenizer.text_ends(completion);
    std::vector<ProcessStep> out;
    for (const TextStep& step : linear_equation_text_steps(text, eq))
        out.push_back({token_holding_byte(ends, step.last_byte), step.reward});
    return out;
}

/// Per completion, its process steps. completions: (N) token rows = (prompts × G), grouped
/// consecutively as the sampler returns them; equations: one per prompt.
inline std::vector<std::vector<ProcessStep>> linear_equation_process_steps(
    const Tokenizer& tokenizer, const std::vector<std::vector<TokenId>>& completions,
    const std::vector<LinearEquation>& equations, int group_size) {
    require(group_size >= 1, "linear_equation_process_steps: group size G = ", group_size, ", expected >= 1");
    require(completions.size() == equations.size() * static_cast<std::size_t>(group_size),
            "linear_equation_process_steps: ", completions.size(), " completions for ", equations.size(),
            " equations with G = ", group_size, ", expected equations x G");
    std::vector<std::vector<ProcessStep>> out;
    for (std::size_t n = 0; n < completions.size(); ++n)
        out.push_back(linear_equation_process_steps(tokenizer, completions[n], equations[n / group_size]));
    return out;
}

/// Per-token advantages from step rewards (process supervision), with the groups' statistics.
struct ProcessAdvantages {
    std::vector<double> advantages;  ///< (N, L) row-major: A_{i,t}
    /// N, L
    ///@{
    std::int64_t rows = 0, width = 0;
    ///@}
    std::vector<double> group_mean;  ///< (N / G): mean of the group's step rewards
    std::vector<double> group_std;   ///< (N / G): the std that divided (before eps); 0 for `none`
    int zero_std_groups = 0;         ///< groups whose step rewards are all equal (or have none)
    double frac_reward_zero_std = 0.0;  ///< zero_std_groups / groups
};

/// Process-supervision advantages, DeepSeekMath §4.1.3: with R the rewards of every step of the
/// group's G completions,
///     r̃_j = (r_j − mean(R)) / std(R)        A_{i,t} = Σ_{steps j of o_i with end_j ≥ t} r̃_j
/// The std kind and eps are AdvantageConfig's, named as for the outcome version (advantages.hpp):
/// `none` gives r̃ = r − mean (Dr. GRPO's choice carried over). A group whose step rewards are all
/// equal (or that has no steps) gets exactly 0 everywhere; a completion without steps gets 0.
/// Tokens after a completion's last step get 0: no step after them is rewarded, so nothing says
/// whether they helped (with a final-answer step they would be the answer tags and EOS).
/// steps: (N) = (prompts × G), grouped consecutively; width L: the (N, L) layout of grpo_loss
/// (pack_completions' L, the longest completion); every end_token must lie in [0, L).
inline ProcessAdvantages process_advantages(const std::vector<std::vector<ProcessStep>>& steps, int group_size,
                                            std::int64_t width, const AdvantageConfig& config = {}) {
    using namespace advantages_detail;
    require(group_size >= 1, "process_advantages: group size G = ", group_size, ", expected >= 1");
    require(steps.size() % static_cast<std::size_t>(group_size) == 0, "process_advantages: ", steps.size(),
            " completions do not split into groups of G = ", group_size);
    require(width >= 1, "process_advantages: width L = ", width, ", expected >= 1");
    require(config.eps >= 0.0, "process_advantages: eps = ", config.eps, ", expected >= 0");
    require(config.scope == StdScope::group,
            "process_advantages: StdScope::batch is not defined for step rewards; use StdScope::group");
    for (std::size_t n = 0; n < steps.size(); ++n)
        for (const ProcessStep& s : steps[n]) {
            require(s.end_token >= 0 && s.end_token < width, "process_advantages: completion ", n,
                    " has a step ending at token ", s.end_token, ", outside [0, ", width, ")");
            require(std::isfinite(s.reward), "process_advantages: completion ", n, " has a step reward ",
                    s.reward, ", expected a finite number");
        }

    const std::size_t G = static_cast<std::size_t>(group_size), n_groups = steps.size() / G;
    ProcessAdvantages out;
    out.rows = static_cast<std::int64_t>(steps.size());
    out.width = width;
    out.advantages.assign(steps.size() * static_cast<std::size_t>(width), 0.0);
    out.group_mean.assign(n_groups, 0.0);
    out.group_std.assign(n_groups, 0.0);
    for (std::size_t g = 0; g < n_groups; ++g) {
        std::vector<double> rewards;  // R: every step reward of the group
        for (std::size_t i = g * G; i < (g + 1) * G; ++i)
            for (const ProcessStep& s : steps[i]) rewards.push_back(s.reward);
        const Moments m = moments(rewards.data(), rewards.data() + rewards.size());
        out.group_mean[g] = m.mean;
        out.group_std[g] = std_of(m, config.std);
        if (m.all_equal || (config.std == StdKind::sample && m.count < 2)) {
            ++out.zero_std_groups;  // includes a group with no steps at all
            continue;
        }
        const double scale = config.std == StdKind::none ? 1.0 : 1.0 / (out.group_std[g] + config.eps);
        for (std::size_t i = g * G; i < (g + 1) * G; ++i) {
            double* row = out.advantages.data() + i * static_cast<std::size_t>(width);  // (L)
            for (const ProcessStep& s : steps[i]) row[s.end_token] += (s.reward - m.mean) * scale;
            // Now row[t] holds the normalised rewards of the steps ending exactly at t; a suffix
            // sum turns that into the sum over the steps ending at or after t.
            for (std::int64_t t = width - 2; t >= 0; --t) row[t] += row[t + 1];
        }
    }
    out.frac_reward_zero_std = n_groups ? static_cast<double>(out.zero_std_groups) / n_groups : 0.0;
    return out;
}

/// The advantages as the (N, L) tensor grpo_loss takes for per-token advantages.
template <class T, class B>
Tensor<T, B> advantage_tensor(const ProcessAdvantages& a) {
    std::vector<T> values(a.advantages.size());
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<T>(a.advantages[k]);
    return Tensor<T, B>::from({a.rows, a.width}, values);
}

}  // namespace grpo

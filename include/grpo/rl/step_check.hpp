// Checking every step of a worked solution, for rejection sampling (DeepSeek-R1 §2.3.3 keeps
// only correct, readable reasoning; here "correct" reaches into the steps, as the issue asks):
//   step_equation   a step line without its label: "move: 2x = 7 + 3" -> "2x = 7 + 3" (labels
//                   are words of any script: "φερω: 2x = 7 + 3" too)
//   StepRule        1 if one step is true, else 0: for an equation, "lhs = rhs" holds at its
//                   solution (process_supervision.hpp's linear_step_reward); for arithmetic,
//                   "lhs = rhs" holds with no x in it
//   verify_steps    how many of a completion's reasoning lines a rule accepts
// The blind spot is process_supervision.hpp's: a true but useless line passes; the accuracy
// check still guards the answer.
#pragma once

#include <functional>
#include <string_view>

#include "grpo/rl/process_supervision.hpp"
#include "grpo/tasks/linear_equation.hpp"
#include "grpo/text/utf8.hpp"

namespace grpo {

/// `step` without a leading "label:" (one word of letters, any script); unchanged if it has none.
inline std::string_view step_equation(std::string_view step) {
    const std::size_t colon = step.find(':');
    if (colon == std::string_view::npos || colon == 0) return step;
    const std::string_view label = step.substr(0, colon);
    if (!is_valid_utf8(label)) return step;
    for (std::size_t pos = 0; pos < label.size();)
        if (script_of(next_code_point(label, pos)) == Script::none) return step;
    std::string_view rest = step.substr(colon + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return rest;
}

/// Scores one reasoning step: 1 when it checks, 0 when not.
using StepRule = std::function<double(std::string_view)>;

/// Scores a step 1 when it is an equation "lhs = rhs" that holds at the equation's solution.
inline StepRule linear_step_rule(const LinearEquation& eq) {
    require(eq.a != 0, "linear_step_rule: a = 0, expected a solvable a·x + b = c");
    const Rational solution = eq.solution();
    return [solution](std::string_view step) { return linear_step_reward(step_equation(step), solution); };
}

/// Scores a step 1 when it is an exact "lhs = rhs" without x.
inline StepRule arithmetic_step_rule() {
    return [](std::string_view step) {
        const std::string_view equation = step_equation(step);
        if (equation.find('x') != std::string_view::npos) return 0.0;
        return linear_step_reward(equation, Rational(0));  // no x: an exact "lhs = rhs" check
    };
}

/// How many reasoning steps a completion has and how many a step rule verified.
struct StepVerdict {
    /// The steps judged, and those the rule scored as correct.
    ///@{
    int steps = 0, verified = 0;
    ///@}
    bool all() const { return steps > 0 && verified == steps; }  ///< at least one step, and every step verified
};

/// The reasoning lines of `completion` (process_supervision.hpp's reasoning_steps), each judged.
inline StepVerdict verify_steps(std::string_view completion, const StepRule& rule) {
    StepVerdict verdict;
    for (const TextRange& step : reasoning_steps(completion)) {
        ++verdict.steps;
        verdict.verified += rule(completion.substr(step.begin, step.end - step.begin)) > 0.0;
    }
    return verdict;
}

}  // namespace grpo

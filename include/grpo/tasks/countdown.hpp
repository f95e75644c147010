// Countdown: given 3-4 numbers and a target, write an expression with + - * / that equals the
// target. The RL task of TinyZero (Pan et al., 2025, github.com/Jiayi-Pan/TinyZero), which
// reproduced R1-Zero-style reasoning on it; the data set is Jiayi-Pan/Countdown-Tasks-3to4.
// Rule: every given number is used exactly once. TinyZero's prompt says "each number can only be
// used once", but its verifier (verl/utils/reward_score/countdown.py, validate_equation) requires
// the sorted numbers of the equation to equal the sorted given numbers, so all must be used; we
// follow the verifier. The generator builds the target from a random expression over the numbers,
// so every problem is solvable and that expression is the reference answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/arithmetic.hpp"
#include "grpo/tasks/expression.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

/// The sizes of a random countdown problem (sample_countdown).
struct CountdownConfig {
    /// as in Countdown-Tasks-3to4
    ///@{
    int min_numbers = 3, max_numbers = 4;
    ///@}
    /// The range the given numbers are drawn from.
    ///@{
    std::int64_t number_min = 1, number_max = 99;
    ///@}
    /// The range the target must fall in.
    ///@{
    std::int64_t target_min = 1, target_max = 999;
    ///@}
    bool allow_division = true;              ///< only exact divisions, like every step
    std::int64_t max_intermediate = 100000;  ///< bound on every partial result of the solution
    ExpressionLimits limits;                 ///< what the verifier reads of a candidate
};

/// A countdown problem: the numbers, the target, and one solution.
struct Countdown {
    std::vector<std::int64_t> numbers;  ///< in the order the question lists them
    std::int64_t target = 0;  ///< the value to reach
    std::string solution;  ///< one expression that reaches the target: "(6 - 2) * 5"
};

/// Throws naming the first offending field.
inline void validate(const CountdownConfig& config) {
    require(config.min_numbers >= 2 && config.min_numbers <= config.max_numbers &&
                config.max_numbers <= 8,
            "CountdownConfig: numbers per problem [", config.min_numbers, ", ", config.max_numbers,
            "], expected 2 <= min <= max <= 8");
    require(config.max_intermediate >= 1 && config.max_intermediate <= 1000000000,
            "CountdownConfig: max_intermediate ", config.max_intermediate, ", expected 1..10^9");
    require(config.number_min >= 0 && config.number_min <= config.number_max &&
                config.number_max <= config.max_intermediate,
            "CountdownConfig: number range [", config.number_min, ", ", config.number_max,
            "], expected 0 <= min <= max <= max_intermediate");
    require(config.target_min <= config.target_max &&
                config.target_min >= -config.max_intermediate &&
                config.target_max <= config.max_intermediate,
            "CountdownConfig: target range [", config.target_min, ", ", config.target_max,
            "], expected a non-empty range within ±max_intermediate");
    require(config.limits.max_depth >= 0 && config.limits.max_depth <= kMaxExpressionDepth,
            "CountdownConfig: limits.max_depth ", config.limits.max_depth, ", expected 0..",
            kMaxExpressionDepth);
}

/// Draws the numbers, combines them in a shuffled order into a random expression, and keeps the
/// draw when its value is an integer target within [target_min, target_max]; otherwise draws
/// again, up to 1000 times.
inline Countdown sample_countdown(Rng& rng, const CountdownConfig& config = {}) {
    validate(config);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const auto count =
            static_cast<std::size_t>(rng.uniform_int(config.min_numbers, config.max_numbers));
        std::vector<std::int64_t> numbers(count);
        for (std::int64_t& n : numbers) n = rng.uniform_int(config.number_min, config.number_max);
        /// The solution uses the numbers in another order than the question lists them, so the
        /// listed order is no hint.
        std::vector<std::int64_t> order = numbers;
        for (std::size_t k = count - 1; k > 0; --k)
            std::swap(order[k],
                      order[static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(k)))]);
        const std::optional<RandomExpression> expression =
            random_expression(rng, order, config.allow_division, config.max_intermediate);
        if (!expression) continue;
        const std::int64_t target = expression->value.num();  // an integer: divisions are exact
        if (target < config.target_min || target > config.target_max) continue;
        return {std::move(numbers), target, expression->text};
    }
    throw Error(str("sample_countdown: no target in [", config.target_min, ", ", config.target_max,
                    "] in 1000 draws; widen the target range"));
}

/// The prompt text, worded after TinyZero's countdown prompt but stating the exactly-once rule
/// its verifier enforces.
inline std::string countdown_question(const Countdown& countdown) {
    std::string list;
    for (std::size_t i = 0; i < countdown.numbers.size(); ++i)
        list += (i ? ", " : "") + std::to_string(countdown.numbers[i]);
    return "Using the numbers [" + list + "], create an equation that equals " +
           std::to_string(countdown.target) +
           ". You can use basic arithmetic operations (+, -, *, /) and each number must be used "
           "exactly once.";
}

/// True when the candidate is an expression that uses exactly the given numbers, each once (as
/// a multiset: a number given twice may be used twice), and equals the target exactly. Rejects
/// reused or foreign numbers, division by zero, overflow, over-long or over-nested text; never
/// throws.
inline bool check_countdown(const std::vector<std::int64_t>& numbers, std::int64_t target,
                            std::string_view candidate, const ExpressionLimits& limits = {}) {
    const std::optional<Evaluation> evaluation =
        evaluate_expression(trim(candidate), limits);
    if (!evaluation || evaluation->value != Rational(target)) return false;
    std::vector<std::int64_t> used = evaluation->literals, given = numbers;
    std::sort(used.begin(), used.end());
    std::sort(given.begin(), given.end());
    return used == given;
}

/// The countdown as a Problem whose verifier checks the candidate expression within `limits`.
inline Problem make_countdown_problem(const Countdown& countdown,
                                      const ExpressionLimits& limits = {}) {
    return {countdown_question(countdown), countdown.solution,
            guarded_check([countdown, limits](std::string_view candidate) {
                return check_countdown(countdown.numbers, countdown.target, candidate, limits);
            })};
}

/// A random countdown Problem drawn from `rng`.
inline Problem generate_countdown(Rng& rng, const CountdownConfig& config = {}) {
    return make_countdown_problem(sample_countdown(rng, config), config.limits);
}

}  // namespace grpo

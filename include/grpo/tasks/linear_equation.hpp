// Linear equations a·x + b = c: the smallest math task with an exactly checkable answer, of the
// kind DeepSeek-R1 (DeepSeek-AI, 2025, section 2.2.2) rewards with rule-based accuracy checks.
// The generator draws a, x and b and sets c = a·x + b, so every equation has the solution it was
// built from; with `rational_solution` the solution is a non-integer fraction such as -7/2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "grpo/core/error.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

/// The ranges a random a·x + b = c is drawn from (sample_linear_equation).
struct LinearEquationConfig {
    /// coefficient of x; 0 is never drawn (a_min < 0 allows -x)
    ///@{
    std::int64_t a_min = 1, a_max = 9;
    ///@}
    /// the solution (its integer part, for fractions)
    ///@{
    std::int64_t x_min = -9, x_max = 9;
    ///@}
    /// The range of the constant b.
    ///@{
    std::int64_t b_min = -20, b_max = 20;
    ///@}
    bool rational_solution = false;  ///< x = (c - b)/a is a non-integer fraction
};

/// An equation a·x + b = c.
struct LinearEquation {
    /// The coefficient a, and the constants b and c.
    ///@{
    std::int64_t a = 1, b = 0, c = 0;
    ///@}
    Rational solution() const { return Rational(c - b, a); }  ///< x = (c − b)/a, exactly
};

/// Every range bound stays within ±10^6, so c = a·x + b can never overflow.
constexpr std::int64_t kMaxLinearBound = 1000000;

inline void validate(const LinearEquationConfig& config) {
    const std::int64_t bounds[] = {config.a_min, config.a_max, config.x_min,
                                   config.x_max, config.b_min, config.b_max};
    for (std::int64_t bound : bounds)
        require(bound >= -kMaxLinearBound && bound <= kMaxLinearBound,
                "LinearEquationConfig: bound ", bound, " is outside [-", kMaxLinearBound, ", ",
                kMaxLinearBound, "]");
    require(config.a_min <= config.a_max, "LinearEquationConfig: a range [", config.a_min, ", ",
            config.a_max, "] is empty");
    require(config.x_min <= config.x_max, "LinearEquationConfig: x range [", config.x_min, ", ",
            config.x_max, "] is empty");
    require(config.b_min <= config.b_max, "LinearEquationConfig: b range [", config.b_min, ", ",
            config.b_max, "] is empty");
    /// A fractional solution needs |a| >= 2; an integer one needs a != 0.
    const std::int64_t smallest = config.rational_solution ? 2 : 1;
    require(config.a_max >= smallest || config.a_min <= -smallest,
            "LinearEquationConfig: a range [", config.a_min, ", ", config.a_max,
            "] holds no coefficient with |a| >= ", smallest,
            config.rational_solution ? " (needed for a non-integer solution)" : "");
}

/// Draws a, then the solution, then b, and sets c so that a·x + b = c holds exactly.
inline LinearEquation sample_linear_equation(Rng& rng, const LinearEquationConfig& config = {}) {
    validate(config);
    const std::int64_t smallest = config.rational_solution ? 2 : 1;
    std::int64_t a = 0;
    while (a < smallest && a > -smallest) a = rng.uniform_int(config.a_min, config.a_max);

    /// numerator = a·k + r with 0 < |r| < |a| is not a multiple of a, so x = numerator / a
    /// = k + r/a is not an integer.
    const std::int64_t k = rng.uniform_int(config.x_min, config.x_max);
    std::int64_t numerator = a * k;
    if (config.rational_solution) {
        const std::int64_t abs_a = a < 0 ? -a : a;
        numerator += rng.uniform_int(1, abs_a - 1);
    }
    const std::int64_t b = rng.uniform_int(config.b_min, config.b_max);
    return {a, b, numerator + b};
}

/// The term a·x as a student writes it: "x", "-x", "3x".
inline std::string render_ax(std::int64_t a) { return a == 1 ? "x" : a == -1 ? "-x" : std::to_string(a) + "x"; }

/// "2x + 3 = 7", "x - 4 = 5", "-x = 3", "-3x - 20 = 1": coefficient 1 is omitted and a negative
/// b is written as subtraction, never "+ -3".
inline std::string render_linear_equation(const LinearEquation& eq) {
    std::string text = render_ax(eq.a);
    if (eq.b > 0) text += " + " + std::to_string(eq.b);
    if (eq.b < 0) text += " - " + std::to_string(-eq.b);
    return text + " = " + std::to_string(eq.c);
}

/// Reads a final answer for x: a number ("2", "-7/2", "3.5", "+2") or "x = <number>" / "x=<number>".
/// Returns std::nullopt for anything else; never throws.
inline std::optional<Rational> parse_linear_answer(std::string_view candidate) {
    std::string_view s = trim(candidate);
    if (!s.empty() && s.front() == 'x') {
        s = trim(s.substr(1));
        if (s.empty() || s.front() != '=') return std::nullopt;
        s = trim(s.substr(1));
    }
    return parse_rational(s);
}

/// True when the candidate equals the solution exactly as a Rational: "3.5", "7/2" and
/// "x = 3.50" all equal 7/2. A decimal that only approximates a non-terminating fraction
/// ("0.333" for 1/3) is wrong on purpose: the reward is for the exact answer, and "7/2"-style
/// fractions are always available to the model.
inline bool check_linear_equation(const LinearEquation& eq, std::string_view candidate) {
    const std::optional<Rational> x = parse_linear_answer(candidate);
    return x && *x == eq.solution();
}

/// "Solve for x: …" as a Problem whose verifier compares the answer with the exact solution.
inline Problem make_linear_equation_problem(const LinearEquation& eq) {
    return {"Solve for x: " + render_linear_equation(eq), eq.solution().to_string(),
            guarded_check(
                [eq](std::string_view candidate) { return check_linear_equation(eq, candidate); })};
}

/// A random linear-equation Problem drawn from `rng`.
inline Problem generate_linear_equation(Rng& rng, const LinearEquationConfig& config = {}) {
    return make_linear_equation_problem(sample_linear_equation(rng, config));
}

}  // namespace grpo

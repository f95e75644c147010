// Multi-step arithmetic: evaluate an expression such as "(3 + 4) * 2 - 5" exactly. A warm-up task
// with a rule-checkable answer, like the math problems DeepSeek-R1 (DeepSeek-AI, 2025, section
// 2.2.2) rewards by comparing the final answer. Also home of random_expression(), the random
// expression tree that countdown.hpp uses to build solvable targets (as TinyZero does).
// Division appears only where the quotient is an integer, so every answer is an integer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

/// A random arithmetic expression: its text, exact value and evaluation steps.
struct RandomExpression {
    std::string text;  ///< "(3 + 4) * 2 - 5", with only the parentheses that precedence needs
    Rational value;  ///< its exact value
    /// One line per operation, in an order that evaluates it: "3 + 4 = 7", "7 * 2 = 14",
    /// "14 - 5 = 9" (the worked solutions' steps, checkable one by one).
    std::vector<std::string> steps;
};

namespace arithmetic_detail {

/// A subexpression while the tree is built. precedence: 1 for + -, 2 for * /, 3 for atoms.
struct Piece {
    std::string text;
    Rational value;
    int precedence = 3;
    std::vector<std::string> steps;  ///< the operations inside it, innermost first
};

inline int precedence_of(char op) { return op == '+' || op == '-' ? 1 : 2; }

inline Piece literal_piece(std::int64_t n) {
    // A negative operand is parenthesised so that "4 - (-3)" never reads as "4 - -3".
    return {n < 0 ? "(" + std::to_string(n) + ")" : std::to_string(n), Rational(n), 3, {}};
}

/// left op right, or nothing if the result is not an exact integer or leaves [-max_abs, max_abs].
/// Values are integers within ±10^9 here, so no Rational operation below can overflow.
inline std::optional<Rational> apply(char op, Rational left, Rational right, std::int64_t max_abs) {
    Rational value;
    if (op == '+') value = left + right;
    if (op == '-') value = left - right;
    if (op == '*') value = left * right;
    if (op == '/') {
        if (right == Rational(0)) return std::nullopt;
        value = left / right;
    }
    if (!value.is_integer() || value.num() > max_abs || value.num() < -max_abs) return std::nullopt;
    return value;
}

/// Joins two pieces, adding parentheses where precedence needs them: a lower-precedence child
/// always, and a same-precedence right child of - or / ("8 - (3 - 1)", "8 / (4 / 2)").
inline Piece join(const Piece& left, char op, const Piece& right, Rational value) {
    const int p = precedence_of(op);
    const bool wrap_left = left.precedence < p;
    const bool wrap_right =
        right.precedence < p || (right.precedence == p && (op == '-' || op == '/'));
    std::string text = wrap_left ? "(" + left.text + ")" : left.text;
    text += std::string(" ") + op + " ";
    text += wrap_right ? "(" + right.text + ")" : right.text;
    std::vector<std::string> steps = left.steps;
    steps.insert(steps.end(), right.steps.begin(), right.steps.end());
    const auto operand = [](Rational v) { return v.num() < 0 ? "(" + v.to_string() + ")" : v.to_string(); };
    steps.push_back(operand(left.value) + " " + op + " " + operand(right.value) + " = " + value.to_string());
    return {std::move(text), value, p, std::move(steps)};
}

}  // namespace arithmetic_detail

/// Combines `operands`, in their given order, into a random binary expression tree: it repeatedly
/// picks two neighbouring pieces and joins them with a random operator (+ - *, and / when allowed
/// and exact) whose result stays an integer within ±max_abs. Returns std::nullopt when some join
/// has no such operator; callers draw again.
inline std::optional<RandomExpression> random_expression(Rng& rng,
                                                         const std::vector<std::int64_t>& operands,
                                                         bool allow_division,
                                                         std::int64_t max_abs) {
    using namespace arithmetic_detail;
    require(!operands.empty(), "random_expression: no operands");
    require(max_abs >= 1 && max_abs <= 1000000000, "random_expression: max_abs ", max_abs,
            ", expected 1..10^9");
    std::vector<Piece> pieces;
    for (std::int64_t n : operands) {
        require(n >= -max_abs && n <= max_abs, "random_expression: operand ", n, " is outside ±",
                max_abs);
        pieces.push_back(literal_piece(n));
    }
    while (pieces.size() > 1) {
        const auto i =
            static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(pieces.size()) - 2));
        /// The operators in a random order (Fisher-Yates); the first that works is used.
        std::vector<char> ops = {'+', '-', '*'};
        if (allow_division) ops.push_back('/');
        for (std::size_t k = ops.size() - 1; k > 0; --k)
            std::swap(ops[k], ops[static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(k)))]);
        bool joined = false;
        for (char op : ops) {
            const std::optional<Rational> value =
                apply(op, pieces[i].value, pieces[i + 1].value, max_abs);
            if (!value) continue;
            pieces[i] = join(pieces[i], op, pieces[i + 1], *value);
            pieces.erase(pieces.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            joined = true;
            break;
        }
        if (!joined) return std::nullopt;
    }
    return RandomExpression{pieces[0].text, pieces[0].value, pieces[0].steps};
}

/// The sizes of a random arithmetic problem (sample_arithmetic).
struct ArithmeticConfig {
    int num_operations = 3;  ///< binary operations: num_operations + 1 operands
    /// The range operands are drawn from.
    ///@{
    std::int64_t operand_min = 1, operand_max = 20;
    ///@}
    bool allow_division = false;         ///< ÷ only where the quotient is an integer
    std::int64_t max_abs_value = 10000;  ///< every intermediate result stays within ±this
};

/// Throws naming the first offending field.
inline void validate(const ArithmeticConfig& config) {
    require(config.num_operations >= 1 && config.num_operations <= 32,
            "ArithmeticConfig: num_operations ", config.num_operations, ", expected 1..32");
    require(config.max_abs_value >= 1 && config.max_abs_value <= 1000000000,
            "ArithmeticConfig: max_abs_value ", config.max_abs_value, ", expected 1..10^9");
    require(config.operand_min <= config.operand_max, "ArithmeticConfig: operand range [",
            config.operand_min, ", ", config.operand_max, "] is empty");
    require(
        config.operand_min >= -config.max_abs_value && config.operand_max <= config.max_abs_value,
        "ArithmeticConfig: operand range [", config.operand_min, ", ", config.operand_max,
        "] is outside ±max_abs_value ", config.max_abs_value);
}

/// A random expression with config.num_operations operators. Draws again (up to 1000 times) when
/// a draw cannot stay within max_abs_value.
inline RandomExpression sample_arithmetic(Rng& rng, const ArithmeticConfig& config = {}) {
    validate(config);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        std::vector<std::int64_t> operands;
        for (int i = 0; i <= config.num_operations; ++i)
            operands.push_back(rng.uniform_int(config.operand_min, config.operand_max));
        std::optional<RandomExpression> expression =
            random_expression(rng, operands, config.allow_division, config.max_abs_value);
        if (expression) return *expression;
    }
    throw Error(str("sample_arithmetic: no expression within ±", config.max_abs_value,
                    " in 1000 draws; widen max_abs_value or narrow the operand range"));
}

/// True when the candidate is a number ("13", "+13", "13.0", "26/2") exactly equal to `value`.
inline bool check_number(Rational value, std::string_view candidate) {
    const std::optional<Rational> number = parse_rational(trim(candidate));
    return number && *number == value;
}

/// "Compute: …" as a Problem whose verifier compares the answer with the exact value.
inline Problem make_arithmetic_problem(const RandomExpression& expression) {
    const Rational value = expression.value;
    return {"Compute: " + expression.text, value.to_string(),
            guarded_check(
                [value](std::string_view candidate) { return check_number(value, candidate); })};
}

/// A random arithmetic Problem drawn from `rng`.
inline Problem generate_arithmetic(Rng& rng, const ArithmeticConfig& config = {}) {
    return make_arithmetic_problem(sample_arithmetic(rng, config));
}

}  // namespace grpo

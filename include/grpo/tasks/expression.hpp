// A small, safe evaluator for the arithmetic a model writes in its final answer: integer
// literals, + - * / (and the Unicode signs − × ÷), parentheses and unary minus, computed exactly
// over Rationals. It reports the integer literals it read, which is what the countdown rule
// "each given number exactly once" is checked against (TinyZero, Pan et al. 2025,
// verl/utils/reward_score/countdown.py, compares the numbers in the equation with the given ones).
// Unlike TinyZero's Python eval(), this parser cannot run code, and it bounds its input length
// and nesting depth so hostile text cannot exhaust the stack: a model's output is untrusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rational.hpp"

namespace grpo {

/// Parsing deeper than this recurses about 4 stack frames per level; keep it far from any stack
/// limit.
constexpr int kMaxExpressionDepth = 1000;

/// How much text the evaluator reads before it rejects it.
struct ExpressionLimits {
    std::size_t max_length = 1024;  ///< bytes; longer text is rejected before it is read
    int max_depth = 32;             ///< nested parentheses; deeper text is rejected
};

/// What evaluate_expression returns: the exact value and the literals it read.
struct Evaluation {
    Rational value;  ///< the exact value
    std::vector<std::int64_t> literals;  ///< the integer literals, in the order they appear
};

namespace expression_detail {

/// Recursive descent over the grammar
///   sum     := product (('+' | '-') product)*
///   product := unary (('*' | '/') unary)*
///   unary   := ('+' | '-')* primary
///   primary := integer | '(' sum ')'
/// Every parse function returns std::nullopt on failure; only Rational overflow throws, and
/// evaluate_expression catches that.
struct Parser {
    Parser(std::string_view text_, const ExpressionLimits& limits_)
        : text(text_), limits(limits_) {}

    std::string_view text;
    ExpressionLimits limits;
    std::size_t pos = 0;
    int depth = 0;
    std::vector<std::int64_t> literals;

    void skip_spaces() {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    }
    /// Consumes `token` if it comes next (after spaces).
    bool accept(std::string_view token) {
        skip_spaces();
        if (text.substr(pos, token.size()) != token) return false;
        pos += token.size();
        return true;
    }
    bool accept_plus() { return accept("+"); }
    bool accept_minus() { return accept("-") || accept("\xE2\x88\x92"); }  // U+2212 minus sign
    bool accept_times() { return accept("*") || accept("\xC3\x97"); }      // U+00D7 ×
    bool accept_divide() { return accept("/") || accept("\xC3\xB7"); }     // U+00F7 ÷

    std::optional<Rational> parse_sum() {
        std::optional<Rational> left = parse_product();
        while (left) {
            if (accept_plus()) {
                const std::optional<Rational> right = parse_product();
                if (!right) return std::nullopt;
                left = *left + *right;
            } else if (accept_minus()) {
                const std::optional<Rational> right = parse_product();
                if (!right) return std::nullopt;
                left = *left - *right;
            } else {
                break;
            }
        }
        return left;
    }

    std::optional<Rational> parse_product() {
        std::optional<Rational> left = parse_unary();
        while (left) {
            if (accept_times()) {
                const std::optional<Rational> right = parse_unary();
                if (!right) return std::nullopt;
                left = *left * *right;
            } else if (accept_divide()) {
                const std::optional<Rational> right = parse_unary();
                if (!right || *right == Rational(0)) return std::nullopt;  // division by zero
                left = *left / *right;
            } else {
                break;
            }
        }
        return left;
    }

    /// Signs are read in a loop, not by recursion, so "------1" costs no stack.
    std::optional<Rational> parse_unary() {
        bool negative = false;
        for (;;) {
            if (accept_minus())
                negative = !negative;
            else if (!accept_plus())
                break;
        }
        const std::optional<Rational> value = parse_primary();
        if (!value) return std::nullopt;
        return negative ? Rational(0) - *value : *value;
    }

    std::optional<Rational> parse_primary() {
        if (accept("(")) {
            if (++depth > limits.max_depth) return std::nullopt;
            const std::optional<Rational> inner = parse_sum();
            if (!inner || !accept(")")) return std::nullopt;
            --depth;
            return inner;
        }
        skip_spaces();
        std::int64_t literal = 0;
        int digits = 0;
        if (!rational_detail::read_digits(text, pos, literal, digits) || digits == 0)
            return std::nullopt;  // no number here, or one too large for 64 bits
        literals.push_back(literal);
        return Rational(literal);
    }
};

}  // namespace expression_detail

/// The exact value of `text` and the literals it used, or std::nullopt if the text is not a
/// complete expression, is too long or too deeply nested, divides by zero, or overflows 64-bit
/// fractions. Decimals ("3.5") are not accepted: the tasks that use this work with integers.
/// Throws only for limits that are themselves invalid.
inline std::optional<Evaluation> evaluate_expression(std::string_view text,
                                                     const ExpressionLimits& limits = {}) {
    require(limits.max_depth >= 0 && limits.max_depth <= kMaxExpressionDepth,
            "evaluate_expression: max_depth ", limits.max_depth, ", expected 0..",
            kMaxExpressionDepth);
    if (text.size() > limits.max_length) return std::nullopt;
    expression_detail::Parser parser(text, limits);
    try {
        const std::optional<Rational> value = parser.parse_sum();
        parser.skip_spaces();
        if (!value || parser.pos != text.size()) return std::nullopt;
        return Evaluation{*value, std::move(parser.literals)};
    } catch (const Error&) {  // Rational overflow: "99999999999 * 99999999999 * ..."
        return std::nullopt;
    }
}

}  // namespace grpo

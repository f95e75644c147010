#include <doctest/doctest.h>

#include <grpo/tasks/expression.hpp>
#include <string>
#include <vector>

using grpo::evaluate_expression;
using grpo::Rational;

TEST_CASE("evaluate_expression follows precedence, parentheses and unary minus") {
    CHECK(evaluate_expression("(3 + 4) * 2 - 5")->value == Rational(9));
    CHECK(evaluate_expression("3 + 4 * 2 - 5")->value == Rational(6));
    CHECK(evaluate_expression("8 - 3 - 1")->value == Rational(4));  // left-associative
    CHECK(evaluate_expression("8 - (3 - 1)")->value == Rational(6));
    CHECK(evaluate_expression("8 / 4 / 2")->value == Rational(1));
    CHECK(evaluate_expression("7 / 2")->value == Rational(7, 2));  // exact, not integer division
    CHECK(evaluate_expression("-3 + 5")->value == Rational(2));
    CHECK(evaluate_expression("2 * -3")->value == Rational(-6));
    CHECK(evaluate_expression("--4")->value == Rational(4));
    CHECK(evaluate_expression("  (1+2)*(3+4)  ")->value == Rational(21));
    CHECK(evaluate_expression("6 \xC3\x97 7 \xE2\x88\x92 2 \xC3\xB7 4")->value == Rational(83, 2));
}

TEST_CASE("evaluate_expression reports the literals it read, in order") {
    const auto evaluation = evaluate_expression("(25 - 5) * 3 / 007");
    REQUIRE(evaluation);
    CHECK(evaluation->literals == std::vector<std::int64_t>{25, 5, 3, 7});
    CHECK(evaluation->value == Rational(60, 7));
}

TEST_CASE("evaluate_expression fails without throwing on bad input") {
    CHECK_FALSE(evaluate_expression(""));
    CHECK_FALSE(evaluate_expression("   "));
    CHECK_FALSE(evaluate_expression("2 2"));
    CHECK_FALSE(evaluate_expression("3.5"));
    CHECK_FALSE(evaluate_expression("1 +"));
    CHECK_FALSE(evaluate_expression("(1 + 2"));
    CHECK_FALSE(evaluate_expression("1 + 2)"));
    CHECK_FALSE(evaluate_expression("()"));
    CHECK_FALSE(evaluate_expression("x + 1"));
    CHECK_FALSE(evaluate_expression("2 ** 3"));
    CHECK_FALSE(evaluate_expression("5 / 0"));
    CHECK_FALSE(evaluate_expression("5 / (3 - 3)"));
    CHECK_FALSE(evaluate_expression("99999999999999999999"));                  // literal too large
    CHECK_FALSE(evaluate_expression("3000000000 * 3000000000 * 3000000000"));  // overflow
    CHECK_FALSE(evaluate_expression("1 = 1"));
}

TEST_CASE("evaluate_expression bounds length and nesting depth") {
    grpo::ExpressionLimits limits;
    limits.max_depth = 3;
    CHECK(evaluate_expression("(((1)))", limits)->value == Rational(1));
    CHECK_FALSE(evaluate_expression("((((1))))", limits));
    limits.max_length = 5;
    CHECK_FALSE(evaluate_expression("1 + 22", limits));

    // 10,000 nested parentheses: rejected by the default length limit, and by the depth limit
    // when the length limit allows it, without recursing 10,000 levels.
    const std::string nested = std::string(10000, '(') + "1" + std::string(10000, ')');
    CHECK_FALSE(evaluate_expression(nested));
    grpo::ExpressionLimits wide;
    wide.max_length = 1 << 20;
    wide.max_depth = grpo::kMaxExpressionDepth;
    CHECK_FALSE(evaluate_expression(nested, wide));
    const std::string allowed = std::string(1000, '(') + "1" + std::string(1000, ')');
    CHECK(evaluate_expression(allowed, wide)->value == Rational(1));

    wide.max_depth = grpo::kMaxExpressionDepth + 1;
    CHECK_THROWS_WITH_AS(evaluate_expression("1", wide),
                         "evaluate_expression: max_depth 1001, expected 0..1000", grpo::Error);
}

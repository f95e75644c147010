// Answer equivalence for GSM8K / MATH style answers: which written answers the accuracy reward
// counts as equal to a numeric reference (the rules: include/grpo/rl/rewards/accuracy.hpp's
// header comment, and docs/rl.md "Answer equivalence"). Each pair is (answer written inside
// <answer>…</answer>, reference, expected reward).
#include <doctest/doctest.h>

#include <grpo/rl/rewards.hpp>
#include <grpo/tasks/tasks.hpp>
#include <string>
#include <vector>

using namespace grpo;

namespace {

struct Pair {
    const char* answer;
    const char* reference;
    double expected;
};

void check_pairs(const std::vector<Pair>& pairs) {
    for (const Pair& p : pairs) {
        CAPTURE(p.answer);
        CAPTURE(p.reference);
        CHECK(accuracy_reward(std::string("<answer>") + p.answer + "</answer>", p.reference) ==
              p.expected);
    }
}

}  // namespace

TEST_CASE("answer equivalence: the six reported failures now score 1") {
    CHECK(accuracy_reward("<answer>\\boxed{\\frac{4}{2}}</answer>", "2") == 1.0);
    CHECK(accuracy_reward("<answer>\\dfrac{3}{4}</answer>", "0.75") == 1.0);
    CHECK(accuracy_reward("<answer>1,000</answer>", "1000") == 1.0);
    CHECK(accuracy_reward("<answer>\xE2\x88\x92" "5</answer>", "-5") == 1.0);  // U+2212
    CHECK(accuracy_reward("<answer>\\boxed{2}.</answer>", "2") == 1.0);
    CHECK(accuracy_reward("<answer>$2$.</answer>", "2") == 1.0);
    CHECK(accuracy_reward("<answer>\\boxed{$2$}</answer>", "2") == 1.0);
    CHECK(accuracy_reward("<answer>\\(x = 2\\)</answer>", "2") == 1.0);
}

TEST_CASE("answer equivalence: plain answers score as before") {
    check_pairs({
        // Plain numbers, read as parse_rational reads them.
        {"2", "2", 1}, {"-7/2", "-3.5", 1}, {"3.5", "7/2", 1}, {"+2", "2", 1}, {".5", "1/2", 1},
        {"2.", "2", 1}, {"007", "7", 1}, {"x = 2", "2", 1}, {"x=2", "2", 1}, {"X = 2", "2", 1},
        {"3", "2", 0}, {"2 or 3", "2", 0}, {"2, 3", "2", 0}, {"1e1", "10", 0}, {"2x", "2", 0},
        {"xy = 2", "2", 0}, {"2 = x", "2", 0},
    });
}

TEST_CASE("answer equivalence: math delimiters, boxes and a trailing period, in any order") {
    // Rule: $…$, $$…$$, \(…\), \[…\], \boxed{}, \fbox{} wrapping the whole answer, nested, and
    // one trailing period inside or outside them, are decoration.
    check_pairs({
        {"$2$", "2", 1},
        {"$$2$$", "2", 1},
        {"\\(2\\)", "2", 1},
        {"\\[2\\]", "2", 1},
        {"\\[ \\boxed{2} \\]", "2", 1},
        {"$\\boxed{2}$", "2", 1},
        {"\\boxed{\\boxed{2}}", "2", 1},
        {"\\fbox{2}", "2", 1},
        {"\\boxed {2}", "2", 1},
        {"$$\\boxed{2.}$$", "2", 1},
        {"\\boxed{2.}", "2", 1},
        {"  \\boxed{ $ 2 $ } . ", "2", 1},
        {"\\boxed{\\(2\\)}.", "2", 1},
        // near misses: unbalanced or partial wrappers, two boxes
        {"\\boxed{2", "2", 0},
        {"\\boxed{2}}", "2", 0},
        {"$2", "-2", 0},
        {"\\boxed{1}+\\boxed{2}", "2", 0},
        {"\\boxed{1}\\boxed{2}", "2", 0},
        {"\\(1\\) or \\(2\\)", "2", 0},
        {"\\boxed{}", "0", 0},
    });
}

TEST_CASE("answer equivalence: fractions") {
    // Rule: [sign] \frac / \dfrac / \tfrac of two {signed plain numbers} or single digits
    // (\frac12); a zero denominator is no number; mixed numbers are not read.
    check_pairs({
        {"\\frac{1}{2}", "0.5", 1},
        {"\\dfrac{1}{2}", "1/2", 1},
        {"\\tfrac{1}{2}", "1/2", 1},
        {"\\frac12", "1/2", 1},
        {"\\frac1{2}", "1/2", 1},
        {"\\frac {3} {4}", "3/4", 1},
        {"-\\frac{3}{4}", "-0.75", 1},
        {"\\frac{-3}{4}", "-3/4", 1},
        {"\\frac{3}{-4}", "-3/4", 1},
        {"\xE2\x88\x92\\frac{3}{4}", "-3/4", 1},
        {"\\frac{6}{4}", "3/2", 1},
        {"\\frac{1.5}{3}", "1/2", 1},
        {"\\frac{1,000}{4}", "250", 1},
        {"\\boxed{\\dfrac{10}{4}}", "5/2", 1},
        {"x = \\frac{7}{2}", "3.5", 1},
        {"\\frac{1}{3}", "0.333", 0},
        {"\\frac{1}{0}", "0", 0},
        {"2/0", "0", 0},
        {"\\frac{1}{2", "1/2", 0},
        {"\\frac123", "1/2", 0},
        {"1\\frac{1}{2}", "3/2", 0},
        {"\\frac{\\sqrt{2}}{2}", "1", 0},
        {"\\frac{1}", "1", 0},
        {"\\frac{2}{4}", "1/4", 0},
    });
}

TEST_CASE("answer equivalence: thousands separators") {
    // Rule: ",", "{,}", "\," or "\!" between a first group of 1-3 digits and groups of exactly
    // three digits, one separator throughout.
    check_pairs({
        {"1,000", "1000", 1},
        {"12,345,678", "12345678", 1},
        {"1{,}000", "1000", 1},
        {"1\\,000", "1000", 1},
        {"1\\!000", "1000", 1},
        {"-1,500", "-1500", 1},
        {"1,234.5", "2469/2", 1},
        {"\\$1,000", "1000", 1},
        {"1,00", "100", 0},
        {"1,0000", "10000", 0},
        {"1234,567", "1234567", 0},
        {",000", "0", 0},
        {"1,000,00", "100000", 0},
        {"1,000\\,000", "1000000", 0},
        {"1 000", "1000", 0},
        {"1.000,5", "1000.5", 0},
    });
}

TEST_CASE("answer equivalence: signs") {
    // Rule: '+', '-' or U+2212 directly before the number; no en dash, no space after the sign.
    check_pairs({
        {"\xE2\x88\x92" "7/2", "-3.5", 1},
        {"$\xE2\x88\x92" "3$", "-3", 1},
        {"x = \xE2\x88\x92" "2", "-2", 1},
        {"+0.5", "1/2", 1},
        {"-.5", "-1/2", 1},
        {"\xE2\x80\x93" "2", "-2", 0},  // en dash
        {"- 2", "-2", 0},
        {"--2", "2", 0},
        {"+-2", "-2", 0},
        {"\xE2\x88\x92\xE2\x88\x92" "2", "2", 0},
        {"-2", "2", 0},
    });
}

TEST_CASE("answer equivalence: parentheses around the whole answer") {
    // Rule: "(…)" and "\left(…\right)" wrapping the whole answer are removed; inside them a bare
    // comma makes a tuple, not a thousands group.
    check_pairs({
        {"(2)", "2", 1},
        {"(-3)", "-3", 1},
        {"\\left(2\\right)", "2", 1},
        {"\\boxed{(\\frac{1}{2})}", "1/2", 1},
        {"((2))", "2", 1},
        {"(1{,}200)", "1200", 1},
        {"(1,200)", "1200", 0},
        {"(1, 2)", "2", 0},
        {"(1) - (2)", "-1", 0},
        {"(2", "2", 0},
        {"[2]", "2", 0},
    });
}

TEST_CASE("answer equivalence: a one-letter variable") {
    // Rule: "x = " (one ASCII letter, first '=' only) is dropped, once.
    check_pairs({
        {"x = 2", "2", 1},
        {"y=-4", "-4", 1},
        {"\\(x = 2\\)", "2", 1},
        {"$x = \\frac{1}{2}$", "0.5", 1},
        {"\\boxed{x = 1,000}", "1000", 1},
        {"x = 2 or x = 3", "2", 0},
        {"x = y = 2", "2", 0},
        {"xy = 2", "2", 0},
        {"x = ", "0", 0},
    });
}

TEST_CASE("answer equivalence: percentages, units and currency") {
    // Rule (GSM8K convention: the number without its unit): one trailing \%, %, degree sign or
    // \text{words} unit, and one leading \$ or $, are dropped. 50% is 50, not 0.5. Bare words
    // are not units.
    check_pairs({
        {"50\\%", "50", 1},
        {"50%", "50", 1},
        {"\\boxed{12.5\\%}", "25/2", 1},
        {"50%", "0.5", 0},
        {"0.5", "50", 0},
        {"90^\\circ", "90", 1},
        {"90^{\\circ}", "90", 1},
        {"90\xC2\xB0", "90", 1},
        {"5 \\text{ cm}", "5", 1},
        {"5\\,\\text{cm}", "5", 1},
        {"\\boxed{18 \\text{ dollars}}", "18", 1},
        {"3\\mbox{ hours}", "3", 1},
        {"\\$5", "5", 1},
        {"$5", "5", 1},
        {"\\$18.00", "18", 1},
        {"\\$\\boxed{18}", "18", 1},
        {"5 dollars", "5", 0},
        {"5 \\text{cm} \\text{cm}", "5", 0},
        {"5\\text{2}", "5", 0},
        {"\\text{cm}", "0", 0},
        {"%", "0", 0},
        {"\\text{5}", "5", 0},
        {"$$5", "5", 0},
    });
}

TEST_CASE("answer equivalence: exact decimals") {
    // Rule: compared exactly as Rationals: 0.50 = 1/2, but 0.333 is not 1/3.
    check_pairs({
        {"0.50", "1/2", 1},
        {"0.25", "\\frac{1}{4}", 1},
        {"2.000", "2", 1},
        {"0.333", "1/3", 0},
        {"0.3333333333", "1/3", 0},
        {"2.01", "2", 0},
    });
}

TEST_CASE("answer equivalence: references written as answers are") {
    // Rule: the reference goes through the same reading.
    check_pairs({
        {"1000", "1,000", 1},
        {"0.5", "\\frac{1}{2}", 1},
        {"-5", "\xE2\x88\x92" "5", 1},
        {"2", "\\boxed{2}", 1},
    });
    CHECK_THROWS_AS(accuracy_reward("<answer>2</answer>", "\\frac{1}{0}"), Error);
    CHECK_THROWS_AS(accuracy_reward("<answer>2</answer>", "1,00"), Error);
}

TEST_CASE("answer equivalence: where the answer is read from, GSM8K and MATH completions") {
    // GSM8K-style free text: the last number, with its thousands groups.
    CHECK(accuracy_reward("She earns $1,000 a week, so in 2 weeks $2,000.", "2000") == 1.0);
    CHECK(accuracy_reward("The total is 12,345,678", "12345678") == 1.0);
    CHECK(accuracy_reward("so x = \xE2\x88\x92" "3", "-3") == 1.0);
    CHECK(accuracy_reward("so 7 - 3", "3") == 1.0);
    CHECK(accuracy_reward("values 1,2", "2") == 1.0);
    // MATH-style: the last box, \fbox too.
    CHECK(accuracy_reward("Thus the answer is $\\boxed{\\frac{1}{2}}$.", "1/2") == 1.0);
    CHECK(accuracy_reward("Hence \\fbox{7}.", "7") == 1.0);
    CHECK(accuracy_reward("\\boxed{3} then \\fbox{4}", "4") == 1.0);
}

TEST_CASE("answer equivalence: the verifier overload still receives expressions as written") {
    CHECK(normalize_answer("(6 - 2) * 5") == "(6 - 2) * 5");
    CHECK(normalize_answer("$(6 - 2) * 5$.") == "(6 - 2) * 5");
    CHECK(normalize_answer("\\[\\boxed{(6 - 2) * 5}\\]") == "(6 - 2) * 5");
    CHECK(normalize_answer("1,000") == "1,000");
    CHECK(normalize_answer("(2)") == "(2)");
    CHECK(normalize_answer("3 + 4.") == "3 + 4");
    const Problem countdown = make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"});
    CHECK(accuracy_reward("<answer>(6 - 2) * 5</answer>", countdown.check) == 1.0);
    CHECK(accuracy_reward("<answer>\\boxed{(6 - 2) * 5}.</answer>", countdown.check) == 1.0);
    CHECK(accuracy_reward("<answer>((6 - 2) * 5)</answer>", countdown.check) ==
          (countdown.check("((6 - 2) * 5)") ? 1.0 : 0.0));
}

TEST_CASE("answer equivalence: hostile input is bounded and never throws") {
    std::string deep;
    for (int i = 0; i < kMaxAnswerWrappers; ++i) deep += "\\boxed{";
    deep += "2";
    for (int i = 0; i < kMaxAnswerWrappers; ++i) deep += "}";
    CHECK(parse_math_answer(deep) == Rational(2));
    const std::string deeper = "\\boxed{" + deep + "}";
    CHECK_FALSE(parse_math_answer(deeper).has_value());
    std::string parens(100000, '(');
    parens += "2" + std::string(100000, ')');
    CHECK_FALSE(parse_math_answer(parens).has_value());
    CHECK_FALSE(parse_math_answer(std::string(100000, '$')).has_value());
    CHECK_FALSE(parse_math_answer("\\frac{9223372036854775807}{-1}x").has_value());
    CHECK(parse_math_answer("\\frac{9223372036854775807}{1}") == Rational(INT64_MAX));
    CHECK_FALSE(parse_math_answer("\\frac{9223372036854775807}{0.5}").has_value());  // overflow
    CHECK_FALSE(parse_math_answer("99999999999999999999").has_value());
    CHECK_FALSE(parse_math_answer("\xE2\x88").has_value());
    CHECK_FALSE(parse_math_answer("\\").has_value());
    CHECK_FALSE(parse_math_answer("").has_value());
    CHECK_FALSE(parse_math_answer("\\left(").has_value());
    CHECK_FALSE(parse_math_answer("\\text{").has_value());
}

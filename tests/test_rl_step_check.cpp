// Step checking (rl/step_check.hpp): labels stripped in either script, the labelled solutions of
// tasks/worked_solution.hpp verified line by line, and the sign slip caught at its move line.
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

using grpo::LanguagePlan;
using grpo::ReasoningLanguage;

TEST_CASE("step check: a one-word label of any script is stripped, anything else is kept") {
    CHECK(grpo::step_equation("move: 2x = 7 + 3") == "2x = 7 + 3");
    CHECK(grpo::step_equation("φερω: 2x = 7 + 3") == "2x = 7 + 3");
    CHECK(grpo::step_equation("2x = 10") == "2x = 10");
    CHECK(grpo::step_equation("two words: 2x = 10") == "two words: 2x = 10");  // a space is not a letter
    CHECK(grpo::step_equation("3: x = 3") == "3: x = 3");
    CHECK(grpo::step_equation(": x = 3") == ": x = 3");
    CHECK(grpo::step_equation("\xff: x = 3") == "\xff: x = 3");  // invalid UTF-8 is left alone
}

TEST_CASE("step check: every line of a labelled solution of 2x - 3 = 7 checks, in English and in Greek") {
    const grpo::LinearEquation eq{2, -3, 7};
    const std::string english = grpo::labelled_linear_solution(eq, LanguagePlan{});
    CHECK(english ==
          "<think>solve: 2x - 3 = 7\nmove: 2x = 7 + 3\nso: 2x = 10\ndivide: x = 10 / 2\nso: x = 5</think>"
          "<answer>5</answer>");
    const grpo::StepVerdict v = grpo::verify_steps(english, grpo::linear_step_rule(eq));
    CHECK(v.steps == 5);
    CHECK(v.verified == 5);
    CHECK(v.all());
    const std::string greek = grpo::labelled_linear_solution(eq, LanguagePlan{ReasoningLanguage::greek});
    CHECK(greek.find("φερω: 2x = 7 + 3\nαρα: 2x = 10\nδιαιρω: x = 10 / 2") != std::string::npos);
    CHECK(grpo::verify_steps(greek, grpo::linear_step_rule(eq)).all());
}

TEST_CASE("step check: the sign slip is caught from its move line on") {
    const grpo::LinearEquation eq{2, -3, 7};
    const std::string slipped = grpo::labelled_linear_solution(eq, LanguagePlan{}, true);
    CHECK(slipped == "<think>solve: 2x - 3 = 7\nmove: 2x = 7 - 3\nso: 2x = 4\ndivide: x = 4 / 2\nso: x = 2</think>"
                     "<answer>2</answer>");
    const auto rule = grpo::linear_step_rule(eq);
    CHECK(rule("solve: 2x - 3 = 7") == 1.0);
    CHECK(rule("move: 2x = 7 - 3") == 0.0);  // 10 != 4 at x = 5
    CHECK(rule("so: x = 2") == 0.0);
    const grpo::StepVerdict v = grpo::verify_steps(slipped, rule);
    CHECK(v.steps == 5);
    CHECK(v.verified == 1);
    CHECK_FALSE(v.all());
}

TEST_CASE("step check: arithmetic steps are exact equalities without x, in an order that evaluates") {
    grpo::Rng rng(3);
    const grpo::RandomExpression e = grpo::sample_arithmetic(rng, {3, 1, 9, false, 99});
    REQUIRE(e.steps.size() == 3);
    const auto rule = grpo::arithmetic_step_rule();
    for (const std::string& step : e.steps) CHECK(rule(step) == 1.0);
    CHECK(e.steps.back().substr(e.steps.back().rfind('=') + 2) == e.value.to_string());  // the last is the value
    CHECK(rule("then: 7 * 2 = 14") == 1.0);
    CHECK(rule("μετα: 7 * 2 = 14") == 1.0);
    CHECK(rule("then: 7 * 2 = 15") == 0.0);
    CHECK(rule("then: x = 3") == 0.0);
    CHECK(rule("then: 14 + (-6) = 8") == 1.0);
    CHECK(grpo::verify_steps("<think></think><answer>3</answer>", rule).steps == 0);
    CHECK_FALSE(grpo::verify_steps("<think></think><answer>3</answer>", rule).all());  // no steps: not verified
}

TEST_CASE("step check: the steps of (3 + 4) times 2 - 5 are recorded as the tree is joined") {
    using grpo::arithmetic_detail::join;
    using grpo::arithmetic_detail::literal_piece;
    using grpo::Rational;
    const auto sum = join(literal_piece(3), '+', literal_piece(4), Rational(7));
    const auto product = join(sum, '*', literal_piece(2), Rational(14));
    const auto whole = join(product, '-', literal_piece(5), Rational(9));
    CHECK(whole.text == "(3 + 4) * 2 - 5");
    CHECK(whole.steps == std::vector<std::string>{"3 + 4 = 7", "7 * 2 = 14", "14 - 5 = 9"});
    const auto negative = join(literal_piece(4), '-', join(literal_piece(3), '-', literal_piece(9), Rational(-6)),
                               Rational(10));
    CHECK(negative.steps == std::vector<std::string>{"3 - 9 = -6", "4 - (-6) = 10"});
}

#include <doctest/doctest.h>

#include <grpo/rl/rewards.hpp>
#include <grpo/tasks/tasks.hpp>
#include <grpo/tasks/worked_solution.hpp>

using namespace grpo;

TEST_CASE("worked solutions: the steps a student writes") {
    CHECK(worked_linear_solution({2, 3, 7}) ==
          "<think>2x + 3 = 7\n2x = 7 - 3\n2x = 4\nx = 4 / 2\nx = 2</think><answer>2</answer>");
    CHECK(linear_equation_steps({2, -3, 7}) == "2x - 3 = 7\n2x = 7 + 3\n2x = 10\nx = 10 / 2\nx = 5");
    CHECK(linear_equation_steps({1, 4, 9}) == "x + 4 = 9\nx = 9 - 4\nx = 5");
    CHECK(linear_equation_steps({2, 0, 7}) == "2x = 7\nx = 7 / 2\nx = 7/2");
    CHECK(linear_equation_steps({-3, 0, 6}) == "-3x = 6\nx = 6 / -3\nx = -2");
    CHECK(worked_linear_document({1, 4, 9}) ==
          "Solve for x: x + 4 = 9\n<think>x + 4 = 9\nx = 9 - 4\nx = 5</think><answer>5</answer>");
}

TEST_CASE("worked solutions: every generated one is correct and well formed") {
    Rng rng(17);
    for (bool rational : {false, true}) {
        LinearEquationConfig config;
        config.rational_solution = rational;
        for (int i = 0; i < 300; ++i) {
            const LinearEquation eq = sample_linear_equation(rng, config);
            const std::string text = worked_linear_solution(eq);
            CAPTURE(text);
            REQUIRE(format_reward_strict(text) == 1.0);
            REQUIRE(accuracy_reward(text, make_linear_equation_problem(eq).check) == 1.0);
        }
    }
}

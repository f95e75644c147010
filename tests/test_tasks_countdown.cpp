#include <doctest/doctest.h>

#include <algorithm>
#include <grpo/tasks/countdown.hpp>
#include <string>
#include <vector>

using grpo::Countdown;

TEST_CASE("a countdown problem lists the numbers and the target") {
    const Countdown c{{6, 2, 5}, 20, "(6 - 2) * 5"};
    const grpo::Problem p = grpo::make_countdown_problem(c);
    CHECK(p.question ==
          "Using the numbers [6, 2, 5], create an equation that equals 20. You can use basic "
          "arithmetic operations (+, -, *, /) and each number must be used exactly once.");
    CHECK(p.answer == "(6 - 2) * 5");
    CHECK(p.check(p.answer));
}

TEST_CASE("the countdown verifier accepts any expression that uses each number once") {
    const grpo::Problem p = grpo::make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"});
    for (const char* good : {"(6 - 2) * 5", "5*(6-2)", "5 \xC3\x97 (6 \xE2\x88\x92 2)", "(6-2)*5",
                             "((6 - 2)) * 5", " 5 * (6 - 2) ", "-(2 - 6) * 5"})
        CHECK_MESSAGE(p.check(good), good);
}

TEST_CASE("the countdown verifier rejects reuse, foreign numbers, wrong results and garbage") {
    const grpo::Problem p = grpo::make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"});
    CHECK_FALSE(p.check("(6 - 2) * 5 * 5 / 5"));  // 5 reused (value still 20)
    CHECK_FALSE(p.check("2 * 10"));               // 10 not given
    CHECK_FALSE(p.check("4 * 5"));                // 4 not given, 6 and 2 unused
    CHECK_FALSE(p.check("(6 - 2) * 5 + 0"));      // 0 not given
    CHECK_FALSE(p.check("6 * 5 - 2"));            // 28, a wrong result
    CHECK_FALSE(p.check("6 + 2"));                // right numbers missing, wrong result
    CHECK_FALSE(p.check("5 / (6 - 6) + 2"));      // division by zero, 6 reused
    CHECK_FALSE(p.check("(6 - 2) * 5 = 20"));     // an equation, not an expression
    CHECK_FALSE(p.check("20"));
    CHECK_FALSE(p.check(""));
    CHECK_FALSE(p.check("abc"));
    CHECK_FALSE(p.check("(6 - 2) * 5)"));
    CHECK_FALSE(p.check("6 2 5"));

    // Division by zero with exactly the given numbers.
    const grpo::Problem z = grpo::make_countdown_problem({{4, 2, 2}, 0, "(4 - 2 - 2)"});
    CHECK(z.check("4 - 2 - 2"));
    CHECK_FALSE(z.check("4 / (2 - 2)"));

    // A number given twice may be used twice, but not three times.
    const grpo::Problem twice = grpo::make_countdown_problem({{3, 3, 4}, 13, "3 * 3 + 4"});
    CHECK(twice.check("3 * 3 + 4"));
    CHECK_FALSE(twice.check("3 * 3 + 4 + 3 - 3"));
    CHECK_FALSE(twice.check("3 * 4 + 1"));
}

TEST_CASE("the countdown verifier survives a 1 MB string and 10,000 nested parentheses") {
    const grpo::Problem p = grpo::make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"});
    CHECK_FALSE(p.check(std::string(1 << 20, '(')));
    CHECK_FALSE(p.check(std::string(1 << 20, '9')));
    std::string long_sum = "(6 - 2) * 5";
    while (long_sum.size() < (1u << 20)) long_sum += " + 0";
    CHECK_FALSE(p.check(long_sum));
    CHECK_FALSE(p.check(std::string(10000, '(') + "(6 - 2) * 5" + std::string(10000, ')')));
    // Within the length limit but deeper than the default 32 levels.
    CHECK_FALSE(p.check(std::string(100, '(') + "(6 - 2) * 5" + std::string(100, ')')));
    CHECK(p.check(std::string(30, '(') + "(6 - 2) * 5" + std::string(30, ')')));
}

TEST_CASE("generated countdown problems are solvable and solved by their answers") {
    grpo::CountdownConfig config;
    grpo::Rng rng(2025);
    int with_four = 0;
    for (int i = 0; i < 300; ++i) {
        const Countdown c = grpo::sample_countdown(rng, config);
        REQUIRE((c.numbers.size() == 3 || c.numbers.size() == 4));
        with_four += c.numbers.size() == 4;
        for (std::int64_t n : c.numbers) CHECK((n >= 1 && n <= 99));
        CHECK((c.target >= 1 && c.target <= 999));
        const auto evaluation = grpo::evaluate_expression(c.solution);
        REQUIRE_MESSAGE(evaluation, c.solution);
        CHECK(evaluation->value == grpo::Rational(c.target));
        const grpo::Problem p = grpo::make_countdown_problem(c);
        CHECK_MESSAGE(p.check(p.answer), p.question, " answer ", p.answer);
    }
    CHECK(with_four > 50);
    CHECK(with_four < 250);
}

TEST_CASE("countdown: same seed gives the same problems, different seeds differ") {
    const auto questions = [](std::uint64_t seed) {
        grpo::Rng rng(seed);
        std::vector<std::string> out;
        for (int i = 0; i < 50; ++i) out.push_back(grpo::generate_countdown(rng).question);
        return out;
    };
    CHECK(questions(9) == questions(9));
    CHECK(questions(9) != questions(10));
}

TEST_CASE("CountdownConfig errors name the bad value") {
    grpo::Rng rng(1);
    grpo::CountdownConfig config;
    config.target_min = 10;
    config.target_max = 9;
    CHECK_THROWS_WITH_AS(grpo::sample_countdown(rng, config),
                         "CountdownConfig: target range [10, 9], expected a non-empty range within "
                         "±max_intermediate",
                         grpo::Error);
}

#include <doctest/doctest.h>

#include <grpo/tasks/linear_equation.hpp>
#include <string>
#include <vector>

using grpo::LinearEquation;
using grpo::LinearEquationConfig;
using grpo::Rational;

TEST_CASE("render_linear_equation writes signs and omits coefficient 1") {
    CHECK(grpo::render_linear_equation({2, 3, 7}) == "2x + 3 = 7");
    CHECK(grpo::render_linear_equation({1, -4, 5}) == "x - 4 = 5");
    CHECK(grpo::render_linear_equation({2, -3, 7}) == "2x - 3 = 7");
    CHECK(grpo::render_linear_equation({-1, 0, 3}) == "-x = 3");
    CHECK(grpo::render_linear_equation({-3, -20, -1}) == "-3x - 20 = -1");
    CHECK(grpo::render_linear_equation({5, 0, 0}) == "5x = 0");
}

TEST_CASE("a linear equation problem has the exact solution as its answer") {
    const grpo::Problem p = grpo::make_linear_equation_problem({2, 3, 7});
    CHECK(p.question == "Solve for x: 2x + 3 = 7");
    CHECK(p.answer == "2");
    const grpo::Problem q = grpo::make_linear_equation_problem({2, -3, 4});  // 2x - 3 = 4
    CHECK(q.answer == "7/2");
    const grpo::Problem r = grpo::make_linear_equation_problem({-2, 1, 8});  // -2x + 1 = 8
    CHECK(r.answer == "-7/2");
}

TEST_CASE("the linear verifier accepts equivalent forms and rejects wrong ones") {
    const grpo::Problem q = grpo::make_linear_equation_problem({2, -3, 4});  // x = 7/2
    for (const char* good :
         {"7/2", "3.5", "3.50", "x = 3.5", "x=7/2", "x = 3.50", "14/4", "+7/2", " x =  7/2 "})
        CHECK_MESSAGE(q.check(good), good);
    for (const char* bad : {"3.4", "x = 3", "", "abc", "2 2", "7 / 2", "x", "x =", "y = 3.5",
                            "3.5x", "x == 3.5", "-7/2", "7/0", "3,5"})
        CHECK_MESSAGE(!q.check(bad), bad);

    const grpo::Problem p = grpo::make_linear_equation_problem({2, 3, 7});  // x = 2
    CHECK(p.check("+2"));
    CHECK(p.check("2.0"));
    CHECK(p.check("x=2"));
    CHECK_FALSE(p.check("-2"));

    // A decimal that approximates a non-terminating fraction is not the exact answer.
    const grpo::Problem third = grpo::make_linear_equation_problem({3, 0, 1});  // x = 1/3
    CHECK(third.check("1/3"));
    CHECK_FALSE(third.check("0.333"));
    CHECK_FALSE(third.check("0.3333333333333333"));
}

TEST_CASE("generated linear equations are solved by their answers and satisfy a x + b = c") {
    for (bool rational : {false, true}) {
        LinearEquationConfig config;
        config.rational_solution = rational;
        config.a_min = -9;  // allow negative coefficients too
        grpo::Rng rng(42, rational ? 1 : 0);
        for (int i = 0; i < 300; ++i) {
            const LinearEquation eq = grpo::sample_linear_equation(rng, config);
            REQUIRE(eq.a != 0);
            const Rational x = eq.solution();
            CHECK(Rational(eq.a) * x + Rational(eq.b) == Rational(eq.c));
            CHECK(x.is_integer() == !rational);
            if (!rational) CHECK((x.num() >= -9 && x.num() <= 9));
            CHECK((eq.b >= -20 && eq.b <= 20));
            const grpo::Problem p = grpo::make_linear_equation_problem(eq);
            CHECK_MESSAGE(p.check(p.answer), p.question, " answer ", p.answer);
            CHECK(p.question.find("+ -") == std::string::npos);
            CHECK(p.question.find("1x") == std::string::npos);
        }
    }
}

TEST_CASE("linear equations: same seed gives the same problems, different seeds differ") {
    const auto questions = [](std::uint64_t seed) {
        grpo::Rng rng(seed);
        std::vector<std::string> out;
        for (int i = 0; i < 50; ++i) out.push_back(grpo::generate_linear_equation(rng).question);
        return out;
    };
    CHECK(questions(7) == questions(7));
    CHECK(questions(7) != questions(8));
}

TEST_CASE("LinearEquationConfig errors name the bad value") {
    grpo::Rng rng(1);
    LinearEquationConfig config;
    config.a_min = 0;
    config.a_max = 1;
    config.rational_solution = true;
    CHECK_THROWS_WITH_AS(grpo::sample_linear_equation(rng, config),
                         "LinearEquationConfig: a range [0, 1] holds no coefficient with |a| >= 2 "
                         "(needed for a non-integer solution)",
                         grpo::Error);
    config = {};
    config.x_min = 5;
    config.x_max = 4;
    CHECK_THROWS_WITH_AS(grpo::sample_linear_equation(rng, config),
                         "LinearEquationConfig: x range [5, 4] is empty", grpo::Error);
}

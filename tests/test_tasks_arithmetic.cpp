#include <doctest/doctest.h>

#include <grpo/tasks/arithmetic.hpp>
#include <grpo/tasks/expression.hpp>
#include <string>
#include <vector>

using grpo::Rational;

TEST_CASE("an arithmetic problem asks for the exact value of its expression") {
    const grpo::Problem p = grpo::make_arithmetic_problem({"(3 + 4) * 2 - 5", Rational(9), {}});
    CHECK(p.question == "Compute: (3 + 4) * 2 - 5");
    CHECK(p.answer == "9");
    for (const char* good : {"9", "+9", "9.0", "18/2", " 9 "}) CHECK_MESSAGE(p.check(good), good);
    for (const char* bad : {"8", "-9", "9.01", "", "abc", "9 9", "4 + 5", "nine", "9/0"})
        CHECK_MESSAGE(!p.check(bad), bad);
}

TEST_CASE("join parenthesises only where precedence needs it") {
    using grpo::arithmetic_detail::join;
    using grpo::arithmetic_detail::literal_piece;
    using grpo::arithmetic_detail::Piece;
    const Piece sum{"3 + 4", Rational(7), 1, {}}, difference{"3 - 1", Rational(2), 1, {}};
    const Piece product{"3 * 4", Rational(12), 2, {}}, quotient{"4 / 2", Rational(2), 2, {}};
    CHECK(join(sum, '*', literal_piece(2), Rational(14)).text == "(3 + 4) * 2");
    CHECK(join(literal_piece(8), '-', difference, Rational(6)).text == "8 - (3 - 1)");
    CHECK(join(literal_piece(8), '+', difference, Rational(10)).text == "8 + 3 - 1");
    CHECK(join(product, '+', literal_piece(2), Rational(14)).text == "3 * 4 + 2");
    CHECK(join(literal_piece(8), '/', product, Rational(2, 3)).text == "8 / (3 * 4)");
    CHECK(join(literal_piece(8), '*', quotient, Rational(16)).text == "8 * 4 / 2");
    CHECK(join(literal_piece(8), '/', quotient, Rational(4)).text == "8 / (4 / 2)");
    CHECK(join(literal_piece(4), '-', literal_piece(-3), Rational(7)).text == "4 - (-3)");
}

TEST_CASE("random_expression text reads back to its value") {
    grpo::Rng rng(3);
    for (int i = 0; i < 200; ++i) {
        const auto e = grpo::random_expression(rng, {8, -3, 2, 5}, true, 1000);
        if (!e) continue;
        CHECK(e->text.find("- -") == std::string::npos);  // negatives are written "(-3)"
        CHECK(e->text.find("(-3)") != std::string::npos);
        const auto back = grpo::evaluate_expression(e->text);
        REQUIRE_MESSAGE(back, e->text);
        CHECK_MESSAGE(back->value == e->value, e->text);
        // "(-3)" is unary minus applied to the literal 3.
        CHECK(back->literals == std::vector<std::int64_t>{8, 3, 2, 5});
    }
    CHECK_THROWS_WITH_AS(grpo::random_expression(rng, {}, false, 10),
                         "random_expression: no operands", grpo::Error);
}

TEST_CASE("generated arithmetic problems are solved by their answers") {
    for (bool division : {false, true}) {
        grpo::ArithmeticConfig config;
        config.allow_division = division;
        config.num_operations = division ? 4 : 3;
        grpo::Rng rng(11, division);
        for (int i = 0; i < 300; ++i) {
            const grpo::RandomExpression e = grpo::sample_arithmetic(rng, config);
            const auto back = grpo::evaluate_expression(e.text);
            REQUIRE_MESSAGE(back, e.text);
            CHECK_MESSAGE(back->value == e.value, e.text);
            CHECK(back->literals.size() == std::size_t(config.num_operations + 1));
            CHECK(e.value.is_integer());
            CHECK((e.value.num() >= -10000 && e.value.num() <= 10000));
            if (!division) CHECK(e.text.find('/') == std::string::npos);
            const grpo::Problem p = grpo::make_arithmetic_problem(e);
            CHECK_MESSAGE(p.check(p.answer), p.question);
        }
    }
}

TEST_CASE("arithmetic: same seed gives the same problems, different seeds differ") {
    const auto questions = [](std::uint64_t seed) {
        grpo::Rng rng(seed);
        std::vector<std::string> out;
        for (int i = 0; i < 50; ++i) out.push_back(grpo::generate_arithmetic(rng).question);
        return out;
    };
    CHECK(questions(5) == questions(5));
    CHECK(questions(5) != questions(6));
}

TEST_CASE("ArithmeticConfig errors name the bad value") {
    grpo::Rng rng(1);
    grpo::ArithmeticConfig config;
    config.num_operations = 0;
    CHECK_THROWS_WITH_AS(grpo::sample_arithmetic(rng, config),
                         "ArithmeticConfig: num_operations 0, expected 1..32", grpo::Error);
}

#include <doctest/doctest.h>

#include <grpo/core/rational.hpp>
#include <string>

using grpo::parse_rational;
using grpo::Rational;

TEST_CASE("Rational keeps lowest terms with a positive denominator") {
    CHECK(Rational(6, -4) == Rational(-3, 2));
    CHECK(Rational(6, -4).num() == -3);
    CHECK(Rational(6, -4).den() == 2);
    CHECK(Rational(0, 5) == Rational(0));
    CHECK(Rational(7, 2).to_string() == "7/2");
    CHECK(Rational(-4, 2).to_string() == "-2");
    CHECK_THROWS_WITH_AS(Rational(1, 0), "Rational: denominator is zero (numerator 1)", grpo::Error);
}

TEST_CASE("Rational arithmetic is exact and overflow throws") {
    CHECK(Rational(1, 3) + Rational(1, 6) == Rational(1, 2));
    CHECK(Rational(1, 3) - Rational(1, 2) == Rational(-1, 6));
    CHECK(Rational(2, 3) * Rational(9, 4) == Rational(3, 2));
    CHECK(Rational(2, 3) / Rational(4, 3) == Rational(1, 2));
    CHECK(Rational(1, 3) < Rational(1, 2));
    CHECK_THROWS_AS(Rational(5) / Rational(0), grpo::Error);
    CHECK_THROWS_AS(Rational(INT64_MAX) + Rational(1), grpo::Error);
    CHECK_THROWS_AS(Rational(INT64_MAX / 2) * Rational(3), grpo::Error);
}

TEST_CASE("parse_rational reads integers, decimals and fractions") {
    CHECK(*parse_rational("2") == Rational(2));
    CHECK(*parse_rational("-2") == Rational(-2));
    CHECK(*parse_rational("+2") == Rational(2));
    CHECK(*parse_rational("3.5") == Rational(7, 2));
    CHECK(*parse_rational("3.50") == Rational(7, 2));
    CHECK(*parse_rational("7/2") == Rational(7, 2));
    CHECK(*parse_rational("-7/2") == Rational(-7, 2));
    CHECK(*parse_rational("14/4") == Rational(7, 2));
    CHECK(*parse_rational(".5") == Rational(1, 2));
    CHECK(*parse_rational("2.") == Rational(2));
    CHECK(*parse_rational("-0") == Rational(0));
    CHECK(*parse_rational("007") == Rational(7));
}

TEST_CASE("parse_rational refuses what is not one number, without throwing") {
    for (const char* bad : {"", "-", "+", ".", "x", "2x", " 2", "2 ", "1/0", "1/", "/2", "1.5/2",
                            "--2", "2..", "1e5", "3/-2", "99999999999999999999",
                            "0.1234567890123456789", "１"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_rational(bad).has_value());
    }
    CHECK_FALSE(parse_rational(std::string(1 << 20, '9')).has_value());
}

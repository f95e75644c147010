#include <doctest/doctest.h>

#include <grpo/grpo.hpp>
#include <string>

using namespace grpo;

TEST_CASE("self check: substitution lines for right and wrong answers, by hand") {
    // 3x - 6 = 18: x = 8 is right (24 - 6 = 18); the slipped x = 4 gives 12 - 6 = 6.
    CHECK(substitution_check({3, -6, 18}, Rational(8)) == "check: 3*8 - 6 = 24 - 6 = 18, ok");
    CHECK(substitution_check({3, -6, 18}, Rational(4)) == "check: 3*4 - 6 = 12 - 6 = 6, not 18");
    // b > 0, a negative answer in parentheses: 7x + 15 = 8 at x = -1 is -7 + 15 = 8.
    CHECK(substitution_check({7, 15, 8}, Rational(-1)) == "check: 7*(-1) + 15 = -7 + 15 = 8, ok");
    // A fraction, in parentheses too: 4x - 13 = -33 slips to 4x = -46, x = -23/2; -46 - 13 = -59.
    CHECK(substitution_check({4, -13, -33}, Rational(-23, 2)) == "check: 4*(-23/2) - 13 = -46 - 13 = -59, not -33");
    // b = 0: no second term.
    CHECK(substitution_check({5, 0, 20}, Rational(4)) == "check: 5*4 = 20, ok");
    // a·x not an integer: no line of the solution holds that value.
    CHECK_THROWS_WITH_AS(substitution_check({2, 1, 5}, Rational(1, 3)),
                         doctest::Contains("a*x = 2/3 for x = 1/3 in 2x + 1 = 5, expected an integer"), Error);
}

TEST_CASE("self check: read_checks counts check lines and failed ones") {
    CHECK(read_checks("").checks == 0);
    CHECK_FALSE(read_checks("<think>3x = 24\nx = 8</think><answer>8</answer>").any());
    const std::string retried = "<think>3x - 6 = 18\n3x = 18 - 6\n3x = 12\nx = 12 / 3\nx = 4\n"
                                "check: 3*4 - 6 = 12 - 6 = 6, not 18\nretry: 3x - 6 = 18\n3x = 18 + 6\n3x = 24\nx = 24 / 3\nx = 8\n"
                                "check: 3*8 - 6 = 24 - 6 = 18, ok\nso x = 8</think><answer>8</answer>";
    const CheckTrace t = read_checks(retried);
    CHECK(t.checks == 2);
    CHECK(t.failed == 1);
    CHECK(t.any());
    // A check on the think block's first line counts; "check:" inside a line does not.
    CHECK(read_checks("<think>check: 1*1 = 1, ok</think>").checks == 1);
    CHECK(read_checks("I will check: nothing").checks == 0);
    // An untagged solution's check counts the same.
    CHECK(read_checks("x = 2\ncheck: 2*2 = 5, not 4\nanswer: 2").failed == 1);
}

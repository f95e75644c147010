#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <string>
#include <vector>

using namespace grpo;

namespace {
const char* const kPassed = "x = 8\ncheck: 3*8 - 6 = 18, ok\nanswer: 8";
const char* const kCorrected = "x = 4\ncheck: 3*4 - 6 = 6, not 18\nretry: 3x = 24\nx = 8\ncheck: 3*8 - 6 = 18, ok\nanswer: 8";
const char* const kCaughtButWrong = "x = 4\ncheck: 3*4 - 6 = 6, not 18\nanswer: 4";
const char* const kUnchecked = "x = 8\nanswer: 8";
}  // namespace

TEST_CASE("reflection: shares of checks, self-corrections and superficial checks, by hand") {
    ReflectionCounter counter;
    CHECK_THROWS_WITH_AS(counter.stats(), doctest::Contains("no completions"), Error);
    counter.add(kPassed, true);          // a check, right
    counter.add(kCorrected, true);       // a failed check, then right: a self-correction
    counter.add(kCaughtButWrong, false); // a failed check, still wrong: superficial
    counter.add(kUnchecked, true);
    counter.add(kUnchecked, false);
    const ReflectionStats s = counter.stats();
    CHECK(s.completions == 5);
    CHECK(s.check_rate == doctest::Approx(3.0 / 5));
    CHECK(s.failed_check_rate == doctest::Approx(2.0 / 5));
    CHECK(s.self_correction_rate == doctest::Approx(1.0 / 5));
    CHECK(s.superficial_rate == doctest::Approx(1.0 / 5));
    CHECK(s.accuracy_with_check == doctest::Approx(2.0 / 3));
    CHECK(s.accuracy_without_check == doctest::Approx(0.5));

    ReflectionCounter none_checked;
    none_checked.add(kUnchecked, true);
    CHECK(std::isnan(none_checked.stats().accuracy_with_check));
    CHECK(none_checked.stats().accuracy_without_check == 1.0);
}

TEST_CASE("reflection: from an evaluation report, judged by each problem's verifier") {
    const Problem eight = make_linear_equation_problem({3, -6, 18});  // x = 8
    ProblemEval e = score_problem(eight, kCorrected, {kPassed, kCaughtButWrong, kUnchecked});
    const EvalReport without_texts = summarize_evaluation({e}, 3, {1});
    CHECK_THROWS_WITH_AS(sampled_reflection(without_texts, {eight}), doctest::Contains("keep_samples = true"), Error);
    e.sample_completions = {kPassed, kCaughtButWrong, kUnchecked};
    const EvalReport r = summarize_evaluation({e}, 3, {1});
    const ReflectionStats sampled = sampled_reflection(r, {eight});
    CHECK(sampled.check_rate == doctest::Approx(2.0 / 3));
    CHECK(sampled.superficial_rate == doctest::Approx(1.0 / 3));  // "answer: 4" is wrong for x = 8
    CHECK(sampled.self_correction_rate == 0.0);
    CHECK(sampled.accuracy_without_check == 1.0);
    const ReflectionStats greedy = greedy_reflection(r);
    CHECK(greedy.completions == 1);
    CHECK(greedy.self_correction_rate == 1.0);
    CHECK_THROWS_WITH_AS(sampled_reflection(r, {eight, eight}), doctest::Contains("expected the same list"), Error);
}

// One input through every reward rule, every task verifier and the text helpers; shared by the doctest fuzz case
// (tests/test_fuzz_rewards.cpp) and the libFuzzer target (tests/fuzz/fuzz_rewards.cpp).
// Returns the sum of the scores so the compiler cannot drop the calls; every score must be
// finite and in its documented range, else it throws std::logic_error.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <grpo/grpo.hpp>

namespace grpo_fuzz {

inline void expect_in(double value, double lo, double hi, const char* what) {
    if (!(value >= lo && value <= hi)) throw std::logic_error(std::string(what) + " out of range");
}

inline double exercise_rewards(std::string_view text) {
    using namespace grpo;
    double sum = 0.0;
    for (FormatRule rule : {FormatRule::strict, FormatRule::lenient, FormatRule::graded}) {
        const double f = format_reward(text, rule);
        expect_in(f, 0.0, 1.0, "format reward");
        sum += f;
    }
    for (std::string_view reference : {"2", "-7/2", "0.5"}) {
        const double a = accuracy_reward(text, reference);
        expect_in(a, 0.0, 1.0, "accuracy reward");
        sum += a;
    }
    sum += accuracy_reward(text, [](std::string_view a) { return a.size() == 3; });
    for (Script script : {Script::latin, Script::cjk}) {
        const double l = language_consistency_reward(text, script);
        expect_in(l, 0.0, 1.0, "language reward");
        sum += l;
    }
    const RewardBreakdown r = score_completion(text, "2", RewardConfig::seed_003());
    expect_in(r.total, 0.0, 1.5, "weighted total");
    if (auto answer = extract_answer(text)) {
        sum += normalize_answer(*answer).size();
        (void)answer_as_number(*answer);
    }
    // The answer-equivalence readers on the raw bytes, not only on an extracted answer.
    sum += strip_answer_decorations(text).size();
    if (const auto number = parse_math_answer(text)) sum += number->is_integer();
    sum += is_valid_utf8(text);
    // The task verifiers, on the raw text and on the answer the accuracy rule extracts from it.
    static const Problem problems[] = {
        make_linear_equation_problem({2, 3, 7}),
        make_linear_equation_problem({2, 0, 7}),  // x = 7/2
        make_arithmetic_problem({"(3 + 4) * 2 - 5", Rational(9), {}}),
        make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"}),
    };
    for (const Problem& problem : problems) {
        sum += problem.check(text);
        sum += accuracy_reward(text, problem.check);
    }
    // Process supervision: every step scores 0 or 1 and ends inside the text, and inside the
    // token sequence once the text goes through the tokenizer.
    static const Tokenizer tokenizer = Tokenizer::ascii();
    const std::vector<TokenId> ids = tokenizer.encode(text);
    for (const LinearEquation& eq : {LinearEquation{2, 3, 7}, LinearEquation{2, 0, 7}}) {
        for (const TextStep& step : linear_equation_text_steps(text, eq)) {
            if (step.reward != 0.0 && step.reward != 1.0) throw std::logic_error("step reward out of range");
            if (step.last_byte >= text.size()) throw std::logic_error("step ends past the text");
            sum += step.reward;
        }
        for (const ProcessStep& step : linear_equation_process_steps(tokenizer, ids, eq))
            if (step.end_token < 0 || step.end_token >= static_cast<std::int64_t>(ids.size()))
                throw std::logic_error("step ends past the tokens");
    }
    return sum;
}

}  // namespace grpo_fuzz

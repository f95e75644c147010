#include <doctest/doctest.h>

#include <cstdint>
#include <grpo/backend/cpu/cpu.hpp>
#include <grpo/rl/grpo_loss.hpp>
#include <grpo/rl/process_supervision.hpp>
#include <grpo/tasks/worked_solution.hpp>
#include <string>
#include <vector>

using namespace grpo;

namespace {

std::vector<double> rewards_of(const std::vector<TextStep>& steps) {
    std::vector<double> r;
    for (const TextStep& s : steps) r.push_back(s.reward);
    return r;
}

std::vector<std::int64_t> ends_of(const std::vector<ProcessStep>& steps) {
    std::vector<std::int64_t> e;
    for (const ProcessStep& s : steps) e.push_back(s.end_token);
    return e;
}

// The completion of 2x + 3 = 7 with a sign slip in its second line: 3 is moved across
// without flipping its sign, and every later line follows from the slip.
const char* const kSlipSolution =
    "<think>2x + 3 = 7\n2x = 7 + 3\n2x = 10\nx = 10 / 2\nx = 5</think><answer>5</answer>";

}  // namespace

TEST_CASE("process supervision: every step of a worked solution holds at the solution") {
    const LinearEquation eq{2, 3, 7};  // x = 2
    const std::string text = worked_linear_solution(eq);
    // 2·2 + 3 = 7 | 4 = 7 − 3 | 4 = 4 | 2 = 4 / 2 | 2 = 2
    CHECK(rewards_of(linear_equation_text_steps(text, eq)) == std::vector<double>{1, 1, 1, 1, 1});

    // The same for generated equations, integer and fractional solutions, negative a included
    // ("x = 6 / -3", "x = -7/2").
    Rng rng(5);
    for (bool rational : {false, true}) {
        LinearEquationConfig config;
        config.a_min = -9;
        config.rational_solution = rational;
        for (int i = 0; i < 200; ++i) {
            const LinearEquation e = sample_linear_equation(rng, config);
            const std::string solution = worked_linear_solution(e);
            CAPTURE(solution);
            for (const TextStep& s : linear_equation_text_steps(solution, e)) REQUIRE(s.reward == 1.0);
        }
    }
}

TEST_CASE("process supervision: a sign slip and the lines that follow from it score 0") {
    const LinearEquation eq{2, 3, 7};
    // At x = 2: 7 = 7 | 4 vs 10 | 4 vs 10 | 2 vs 5 | 2 vs 5. Each later line is a correct step
    // from the one before, but none holds at the true solution.
    CHECK(rewards_of(linear_equation_text_steps(kSlipSolution, eq)) == std::vector<double>{1, 0, 0, 0, 0});
}

TEST_CASE("process supervision: the step rule, line by line") {
    const Rational two(2), minus_half(-1, 2);
    CHECK(linear_step_reward("2x + 3 = 7", two) == 1.0);
    CHECK(linear_step_reward("-x = -2", two) == 1.0);
    CHECK(linear_step_reward("x=2", two) == 1.0);
    CHECK(linear_step_reward("3(x + 1) = 9", two) == 1.0);      // 3·(2 + 1) = 9
    CHECK(linear_step_reward("(x - 1)x = 2", two) == 1.0);      // (2 − 1)·2 = 2
    CHECK(linear_step_reward("2x = 7 \xE2\x88\x92 3", two) == 1.0);  // Unicode minus sign
    CHECK(linear_step_reward("4x = -2", minus_half) == 1.0);    // 4·(−1/2) = −2
    CHECK(linear_step_reward("x = -1/2", minus_half) == 1.0);
    CHECK(linear_step_reward("x = 1/2", minus_half) == 0.0);
    // The blind spot: true lines that say nothing score 1 as well.
    CHECK(linear_step_reward("7 = 7", two) == 1.0);
    CHECK(linear_step_reward("x + x = 2x", two) == 1.0);
    // Not an equation, or not one this rule reads.
    CHECK(linear_step_reward("2x + 3", two) == 0.0);            // no '='
    CHECK(linear_step_reward("x = = 2", two) == 0.0);           // two '='
    CHECK(linear_step_reward("2x + 3 = 7 = 7", two) == 0.0);
    CHECK(linear_step_reward("= 2", two) == 0.0);               // empty side
    CHECK(linear_step_reward("x = 2 / 0", two) == 0.0);         // division by zero
    CHECK(linear_step_reward("x(x + 1) = 6", two) == 1.0);      // 2·(2 + 1) = 6
    CHECK(linear_step_reward("x2 = 4", two) == 0.0);            // a number after x does not multiply
    CHECK(linear_step_reward("y = 2", two) == 0.0);
    CHECK(linear_step_reward("x = 2.0", two) == 0.0);           // the evaluator reads no decimals
    CHECK(linear_step_reward("Subtract 3 from both sides", two) == 0.0);
}

TEST_CASE("process supervision: garbage, invalid UTF-8 and missing tags never throw") {
    const LinearEquation eq{2, 3, 7};
    const std::string long_line(100000, 'x');
    const std::string deep = std::string(120, '(') + "x" + std::string(120, ')') + " = 2";  // 120 > max_depth 32
    const std::string overflow = "x = 99999999999 * 99999999999 * 99999999999";
    for (const std::string& text :
         {std::string(), std::string("<think>"), std::string("</think>"), std::string("\xFF\xFE=\x80\n\xC3"),
          std::string("<think>\n\n   \n</think>"), long_line, deep, overflow, std::string(1, '\0') + "=\0"}) {
        std::vector<TextStep> steps;
        CHECK_NOTHROW(steps = linear_equation_text_steps(text, eq));
        for (const TextStep& s : steps) CHECK(s.reward == 0.0);
    }
    // No think block: the reasoning is everything before <answer>.
    CHECK(rewards_of(linear_equation_text_steps("2x = 4\nx = 3<answer>3</answer>", eq)) ==
          std::vector<double>{1, 0});
    // An unclosed think block: the reasoning runs to the end.
    CHECK(rewards_of(linear_equation_text_steps("<think>x = 2\n\n  2x = 4  \r\nhello", eq)) ==
          std::vector<double>{1, 1, 0});
    // Only the reasoning counts: the answer block is not a step.
    CHECK(linear_equation_text_steps("<think></think><answer>x = 2</answer>", eq).empty());
}

// "<think>x = 2\n✓\n2x = 5</think><answer>2</answer>" and <eos>, with the ASCII tokenizer; ✓ is
// U+2713 = bytes E2 9C 93, outside its alphabet, so it is three byte escapes:
//   token  0 <think>       bytes [0, 7)
//   tokens 1-6 "x = 2\n"   bytes 7..12
//   tokens 7-15 ✓          <byte> e 2 | <byte> 9 c | <byte> 9 3: one byte each 3rd token, 13..15
//   token 16 '\n'          byte 16
//   tokens 17-22 "2x = 5"  bytes 17..22
//   token 23 </think> [23, 31), 24 <answer> [31, 39), 25 '2' 39, 26 </answer> [40, 49), 27 <eos>
// Steps: "x = 2" ends at token 5 (holds at x = 2), "✓" at token 15 (its last byte), "2x = 5"
// at token 22 (4 ≠ 5).
TEST_CASE("process supervision: each step ends at the token holding its last character") {
    const Tokenizer tok = Tokenizer::ascii();
    std::vector<TokenId> ids = tok.encode("<think>x = 2\n\xE2\x9C\x93\n2x = 5</think><answer>2</answer>");
    ids.push_back(CharTokenizer::kEos);
    REQUIRE(ids.size() == 28);
    REQUIRE(ids[7] == CharTokenizer::kByte);

    const std::vector<std::size_t> ends = tok.text_ends(ids);
    const std::vector<std::size_t> want = {7,  8,  9,  10, 11, 12, 13, 13, 13, 14, 14, 14, 15, 15,
                                           15, 16, 17, 18, 19, 20, 21, 22, 23, 31, 39, 40, 49, 49};
    CHECK(ends == want);
    CHECK(ends.back() == tok.decode(ids, true).size());

    const std::vector<ProcessStep> steps = linear_equation_process_steps(tok, ids, {2, 3, 7});
    CHECK(ends_of(steps) == std::vector<std::int64_t>{5, 15, 22});
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].reward == 1.0);
    CHECK(steps[1].reward == 0.0);
    CHECK(steps[2].reward == 0.0);
}

TEST_CASE("process supervision: broken byte escapes take the width lenient decoding gives them") {
    const Tokenizer tok = Tokenizer::ascii();
    const TokenId a = tok.encode("a")[0], four = tok.encode("4")[0], x = tok.encode("x")[0];
    // <byte> 4 x: not two hex digits, so U+FFFD (3 bytes) on <byte>, then '4', then 'x'.
    const std::vector<TokenId> broken = {a, CharTokenizer::kByte, four, x};
    CHECK(tok.text_ends(broken) == std::vector<std::size_t>{1, 4, 5, 6});
    CHECK(tok.decode(broken, true).size() == 6);
    // A <byte> at the very end: U+FFFD.
    CHECK(tok.text_ends({a, CharTokenizer::kByte}) == std::vector<std::size_t>{1, 4});
    CHECK(tok.text_ends({}).empty());
    CHECK_THROWS_AS(tok.text_ends({tok.vocab_size()}), Error);
}

// Group of G = 2, width L = 4:
//   completion 0: steps (end 1, r = 1), (end 3, r = 0)
//   completion 1: steps (end 0, r = 1), (end 2, r = 1)
// R = {1, 0, 1, 1}: mean 3/4, population std sqrt((3·(1/4)² + (3/4)²) / 4) = sqrt(12/64) = √3/4.
//   r̃(1) = (1/4) / (√3/4) = 1/√3,  r̃(0) = (−3/4) / (√3/4) = −√3
//   completion 0: A = [1/√3 − √3, 1/√3 − √3, −√3, −√3] = [−2/√3, −2/√3, −√3, −√3]
//   completion 1: A = [2/√3, 1/√3, 1/√3, 0]   (token 3 is after its last step)
// Without a std (Dr. GRPO): r̃(1) = 1/4, r̃(0) = −3/4:
//   completion 0: [−1/2, −1/2, −3/4, −3/4];  completion 1: [1/2, 1/4, 1/4, 0]
const std::vector<std::vector<ProcessStep>> kHandGroup = {{{1, 1.0}, {3, 0.0}}, {{0, 1.0}, {2, 1.0}}};

TEST_CASE("process supervision: advantages of a hand-computed group") {
    const double s3 = std::sqrt(3.0);
    const ProcessAdvantages a = process_advantages(kHandGroup, 2, 4, AdvantageConfig::seed_table());
    CHECK(a.rows == 2);
    CHECK(a.width == 4);
    CHECK(a.group_mean[0] == 0.75);
    CHECK(a.group_std[0] == doctest::Approx(s3 / 4).epsilon(1e-15));
    const std::vector<double> want = {-2 / s3, -2 / s3, -s3, -s3, 2 / s3, 1 / s3, 1 / s3, 0.0};
    REQUIRE(a.advantages.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
        CAPTURE(k);
        CHECK(a.advantages[k] == doctest::Approx(want[k]).epsilon(1e-14));
    }
    CHECK(a.advantages[7] == 0.0);

    const ProcessAdvantages dr = process_advantages(kHandGroup, 2, 4, AdvantageConfig::dr_grpo());
    CHECK(dr.advantages == std::vector<double>{-0.5, -0.5, -0.75, -0.75, 0.5, 0.25, 0.25, 0.0});

    // TRL's choice: the sample std sqrt(12/16 / 3) = 1/2, plus eps 1e-4.
    const ProcessAdvantages trl = process_advantages(kHandGroup, 2, 4, AdvantageConfig::trl());
    CHECK(trl.group_std[0] == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(trl.advantages[0] == doctest::Approx(-0.5 / 0.5001).epsilon(1e-14));
}

TEST_CASE("process supervision: equal step rewards, and completions without steps, give zeros") {
    // Group 0: every step reward is 1. Group 1: no steps at all. Group 2: steps (end 0, r 1) and
    // (end 1, r 0) in completion 0 and none in completion 1: R = {1, 0}, mean 1/2, Dr. GRPO
    // r̃ = ±1/2, so completion 0 gets [1/2 − 1/2, −1/2, 0] and completion 1 zeros.
    const std::vector<std::vector<ProcessStep>> steps = {
        {{0, 1.0}, {2, 1.0}}, {{1, 1.0}}, {}, {}, {{0, 1.0}, {1, 0.0}}, {}};
    const ProcessAdvantages a = process_advantages(steps, 2, 3, AdvantageConfig::dr_grpo());
    CHECK(a.advantages ==
          std::vector<double>{0, 0, 0, 0, 0, 0, /* group 1 */ 0, 0, 0, 0, 0, 0, /* group 2 */ 0, -0.5, 0, 0, 0, 0});
    CHECK(a.zero_std_groups == 2);
    CHECK(a.frac_reward_zero_std == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
    // The equality test is exact: three 0.1s have a double mean 1 ulp off, never a ±1 advantage.
    const ProcessAdvantages tiny =
        process_advantages({{{0, 0.1}, {1, 0.1}}, {{0, 0.1}}}, 2, 2, AdvantageConfig::seed_table());
    CHECK(tiny.advantages == std::vector<double>{0, 0, 0, 0});
}

TEST_CASE("process supervision: the caller's data is checked") {
    CHECK_THROWS_AS(process_advantages(kHandGroup, 3, 4), Error);  // 2 completions, G = 3
    CHECK_THROWS_AS(process_advantages(kHandGroup, 2, 3), Error);  // a step ends at 3, L = 3
    CHECK_THROWS_AS(process_advantages({{{-1, 1.0}}}, 1, 3), Error);
    CHECK_THROWS_AS(process_advantages({{{0, NAN}}}, 1, 3), Error);
    CHECK_THROWS_AS(process_advantages(kHandGroup, 2, 4, AdvantageConfig::trl_batch()), Error);
    CHECK_THROWS_AS(process_advantages(kHandGroup, 0, 4), Error);
    const Tokenizer tok = Tokenizer::ascii();
    CHECK_THROWS_AS(linear_equation_process_steps(tok, {{}, {}, {}}, {{2, 3, 7}}, 2), Error);
    CHECK_THROWS_AS(linear_equation_text_steps("x = 2", {0, 3, 7}), Error);
}

// The worked solution and the slipped one of 2x + 3 = 7 as a group of G = 2, tokenised:
//   worked:  "<think>" 0 | "2x + 3 = 7" 1-10 | \n | "2x = 7 - 3" 12-21 | \n | "2x = 4" 23-28 | \n |
//            "x = 4 / 2" 30-38 | \n | "x = 2" 40-44 | </think> 45 ...      step ends 10 21 28 38 44
//   slipped: the same up to token 21, then "2x = 10" 23-29 | \n | "x = 10 / 2" 31-40 | \n |
//            "x = 5" 42-46 | </think> 47 <answer> 48 '5' 49 </answer> 50  step ends 10 21 29 40 46
// Rewards 1 1 1 1 1 and 1 0 0 0 0: R has six 1s and four 0s, mean 0.6; Dr. GRPO r̃ = 0.4 / −0.6.
//   worked:  t ≤ 10: 5·0.4 = 2.0, ≤ 21: 1.6, ≤ 28: 1.2, ≤ 38: 0.8, ≤ 44: 0.4, after: 0
//   slipped: t ≤ 10: 0.4 − 4·0.6 = −2.0, ≤ 21: −2.4, ≤ 29: −1.8, ≤ 40: −1.2, ≤ 46: −0.6, after: 0
// The slipped completion's first line is right, yet its tokens get −2.0: a token's advantage
// sums the steps it leads to, not only the one it belongs to.
TEST_CASE("process supervision: from sampled tokens to per-token advantages") {
    const Tokenizer tok = Tokenizer::ascii();
    const LinearEquation eq{2, 3, 7};
    const std::vector<std::vector<TokenId>> completions = {tok.encode(worked_linear_solution(eq)),
                                                           tok.encode(kSlipSolution)};
    const auto steps = linear_equation_process_steps(tok, completions, {eq}, 2);
    CHECK(ends_of(steps[0]) == std::vector<std::int64_t>{10, 21, 28, 38, 44});
    CHECK(ends_of(steps[1]) == std::vector<std::int64_t>{10, 21, 29, 40, 46});
    const std::int64_t L = static_cast<std::int64_t>(completions[1].size());
    REQUIRE(L == 51);
    const ProcessAdvantages a = process_advantages(steps, 2, L, AdvantageConfig::dr_grpo());
    const auto at = [&](std::int64_t row, std::int64_t t) { return a.advantages[static_cast<std::size_t>(row * L + t)]; };
    const std::vector<std::pair<std::int64_t, double>> worked = {{0, 2.0}, {10, 2.0}, {11, 1.6}, {21, 1.6},
                                                                 {28, 1.2}, {38, 0.8}, {44, 0.4}, {45, 0.0}};
    for (const auto& [t, want] : worked) CHECK(at(0, t) == doctest::Approx(want).epsilon(1e-14));
    const std::vector<std::pair<std::int64_t, double>> slipped = {{0, -2.0}, {10, -2.0}, {11, -2.4}, {29, -1.8},
                                                                  {30, -1.2}, {40, -1.2}, {46, -0.6}, {47, 0.0}};
    for (const auto& [t, want] : slipped) CHECK(at(1, t) == doctest::Approx(want).epsilon(1e-14));
    CHECK(at(0, 50) == 0.0);  // the worked completion is 49 tokens: padding
}

// μ = 1 (old_logp = logp, every ratio 1, no clipping) and β = 0: dloss/dlogp_{i,t} = −A_{i,t}·w_{i,t}.
// The Dr. GRPO hand group above, completion 0 four tokens long, completion 1 three (a pad at t = 3):
//   per-sequence mean (DeepSeekMath eq. 3): w = 1/(N·|o_i|) = 1/8 on row 0, 1/6 on row 1
//     row 0: −(−1/2)/8 = 1/16, 1/16, −(−3/4)/8 = 3/32, 3/32;  row 1: −(1/2)/6 = −1/12, −1/24, −1/24, 0
//   token mean (DAPO): w = 1/7 on every one of the 7 tokens
// The loss value is −Σ w·A = −(−2.5/8 + 1/6) = 0.3125 − 1/6: per-token advantages are not
// centred per sequence, so unlike the outcome case it need not be about 0.
TEST_CASE("process supervision: per-token advantages drive grpo_loss's gradient") {
    using TensorD = Tensor<double, Cpu>;
    using VarD = Var<double, Cpu>;
    const ProcessAdvantages a = process_advantages(kHandGroup, 2, 4, AdvantageConfig::dr_grpo());
    const TensorD adv = advantage_tensor<double, Cpu>(a);
    CHECK(adv.shape() == Shape{2, 4});
    const TensorD logp_values = TensorD::from({2, 4}, {-1.0, -2.0, -0.5, -3.0, -1.5, -0.25, -0.75, 0.0});
    const TensorD mask = TensorD::from({2, 4}, {1, 1, 1, 1, 1, 1, 1, 0});
    GrpoLossConfig config;
    config.beta = 0.0;

    const std::vector<double> per_sequence = {1.0 / 16, 1.0 / 16, 3.0 / 32, 3.0 / 32, -1.0 / 12, -1.0 / 24, -1.0 / 24, 0.0};
    const std::vector<double> token_mean = {0.5 / 7, 0.5 / 7, 0.75 / 7, 0.75 / 7, -0.5 / 7, -0.25 / 7, -0.25 / 7, 0.0};
    for (const auto agg : {LossAggregation::grpo, LossAggregation::dapo}) {
        config.aggregation = agg;
        VarD logp = VarD::param(logp_values.clone());
        Tape tape;
        const auto out = grpo_loss(&tape, logp, logp_values, TensorD(), adv, mask, config);
        tape.backward(out.loss);
        const std::vector<double> grad = logp.grad().to_host();
        const std::vector<double>& want = agg == LossAggregation::grpo ? per_sequence : token_mean;
        for (std::size_t k = 0; k < want.size(); ++k) {
            CAPTURE(k);
            CHECK(grad[k] == doctest::Approx(want[k]).epsilon(1e-14));
        }
        if (agg == LossAggregation::grpo)
            CHECK(out.loss.value().item() == doctest::Approx(0.3125 - 1.0 / 6).epsilon(1e-14));
        else
            CHECK(out.loss.value().item() == doctest::Approx(-(-2.5 + 1.0) / 7).epsilon(1e-14));
    }
}

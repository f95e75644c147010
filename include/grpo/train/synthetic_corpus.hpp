// A synthetic pretraining corpus for the R1-Zero demo: the "base model" is pretrained on it, then
// GRPO (DeepSeek-R1, arXiv 2501.12948, §2.2) must lift its accuracy on held-out equations.
// Two kinds of documents:
//   worked solutions  "Solve for x: 2x - 3 = 7\n<think>…</think><answer>5</answer>" in the R1
//                     template (tasks/worked_solution.hpp), for a·x + b = c. Some carry one
//                     systematic misconception: b is moved across without flipping its sign
//                     ("2x - 3 = 7" -> "2x = 7 - 3"), and the rest of the solution follows from
//                     that slip, to a wrong answer; a share `slip_rate_negative_b` of those with
//                     b < 0 and `slip_rate_positive_b` of those with b > 0 slip.
//   arithmetic drills lines like "7 - 3 = 4" and "12 / 3 = 4", always right, with the operands
//                     the solutions need (c ± |b| and a·x / a), so the misconception never
//                     starves the model of the correct additions.
// Why a systematic slip and not random ones: a base model that has learnt both moves, the
// wrong one more often, answers b < 0 wrongly when greedy but rightly in some samples, which is
// exactly what RL can amplify; random arithmetic slips would instead cap what RL can reach.
// Why the slip is for b < 0 only (default 0.7): GRPO rewards answers, not steps, so a slip on
// both signs of b opens a shortcut, two wrongs that make a right: miscopy the equation's sign
// ("4x - 7 = 9" as "4x + 7 = 9"), then slip ("4x = 9 - 7"). Measured with both signs at 0.65:
// the base answers 2.6% greedily (pass@16 99.6%), and GRPO stalls at 50% held-out greedy for
// 600 steps, its samples miscopying as often as solving. With the slip on b < 0 only, a miscopy
// lands in the b > 0 context, where the base never slips, and earns nothing; the cost is a base
// that already solves the b >= 0 half (greedy ~52%).
// Two options for the R1-Zero phenomena lesson (examples/06, --lesson=phenomena), both off by
// default so the misconception lesson's corpus stays what it was, draw for draw:
//   check_rate    a share of worked solutions check the answer by substituting it back, and
//                 after a failed check retry (tasks/self_check.hpp); the base model sees the
//                 behaviour rarely, and RL shows whether it is amplified
//   tagged_share  only this share of worked solutions is in the <think>/<answer> format; the
//                 rest write the same lines bare and end "answer: 5", so a base model produces
//                 the format only part of the time and the format reward has work to do
// and `document_template`, the prompt template the question is wrapped in (plain by default;
// PromptTemplate::compact() for R1-Zero's User/Assistant conversation).
// Held-out split: an equation is held out when a Philox hash of (a, b, c) under `split_seed`
// falls below `held_out_share`; held-out equations never become worked documents, so an
// evaluation on them measures generalisation, not recall.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/linear_equation.hpp"
#include "grpo/tasks/self_check.hpp"
#include "grpo/tasks/worked_solution.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/token_stream.hpp"

namespace grpo {

/// The R1-Zero pretraining corpus: worked linear-equation solutions, some with a sign slip, and arithmetic drills.
struct SyntheticCorpusConfig {
    LinearEquationConfig equations;  ///< integer solutions: a 1..9, x -9..9, b -20..20
    double slip_rate_negative_b = 0.7;  ///< share of worked solutions with b < 0 that slip
    double slip_rate_positive_b = 0.0;  ///< share of worked solutions with b > 0 that slip
    double drill_share = 0.5;        ///< share of documents that are arithmetic drills
    int drills_per_document = 8;     ///< lines per drill document
    double division_drill_share = 0.25;  ///< share of drill lines that divide, the rest add or subtract
    double held_out_share = 0.1;     ///< share of all equations kept out of the corpus
    std::uint64_t split_seed = 0;    ///< the hash key of the held-out split
    double check_rate = 0.0;         ///< share of worked solutions that check their answer (and retry after a failed check)
    double tagged_share = 1.0;       ///< share of worked solutions in the `<think>`/`<answer>` format; the rest end "answer: x"
    PromptTemplate document_template = PromptTemplate::plain();  ///< wraps each worked document's question

    /// Throws naming the first offending field.
    void validate() const {
        grpo::validate(equations);
        require(!equations.rational_solution, "SyntheticCorpusConfig: equations.rational_solution is set; "
                "the corpus writes integer-solution equations only");
        const auto share = [](double value, const char* field) {
            require(value >= 0.0 && value <= 1.0, "SyntheticCorpusConfig: ", field, " = ", value,
                    ", expected in [0, 1]");
        };
        share(slip_rate_negative_b, "slip_rate_negative_b");
        share(slip_rate_positive_b, "slip_rate_positive_b");
        share(drill_share, "drill_share");
        share(division_drill_share, "division_drill_share");
        share(check_rate, "check_rate");
        share(tagged_share, "tagged_share");
        require(held_out_share >= 0.0 && held_out_share <= 0.5, "SyntheticCorpusConfig: held_out_share = ",
                held_out_share, ", expected in [0, 0.5] (worked documents are drawn by rejection)");
        require(drills_per_document >= 1, "SyntheticCorpusConfig: drills_per_document = ", drills_per_document,
                ", expected >= 1");
    }
};

/// Whether a·x + b = c is held out: the first Philox word of (a, b, c) keyed by split_seed,
/// as a fraction of 2^32, is below held_out_share.
inline bool is_held_out(const LinearEquation& eq, const SyntheticCorpusConfig& config) {
    const auto lo = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
    const auto hi = [](std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); };
    /// a and b fit 32 bits (|bound| <= 10^6); c = a·x + b may not.
    const auto a = static_cast<std::uint64_t>(eq.a), b = static_cast<std::uint64_t>(eq.b);
    const auto c = static_cast<std::uint64_t>(eq.c);
    const PhiloxCounter counter{{lo(a), lo(b), lo(c), hi(c)}};
    const PhiloxKey key{{lo(config.split_seed), hi(config.split_seed)}};
    return philox4x32_10(counter, key)[0] * 0x1.0p-32 < config.held_out_share;
}

/// Every held-out equation of the configured ranges, in order of a, then x, then b.
inline std::vector<LinearEquation> held_out_linear_equations(const SyntheticCorpusConfig& config) {
    config.validate();
    const LinearEquationConfig& r = config.equations;
    std::vector<LinearEquation> out;
    for (std::int64_t a = r.a_min; a <= r.a_max; ++a) {
        if (a == 0) continue;
        for (std::int64_t x = r.x_min; x <= r.x_max; ++x)
            for (std::int64_t b = r.b_min; b <= r.b_max; ++b) {
                const LinearEquation eq{a, b, a * x + b};
                if (is_held_out(eq, config)) out.push_back(eq);
            }
    }
    return out;
}

/// The reasoning lines of the misconception: b moves across keeping its sign, so 2x - 3 = 7
/// becomes 2x = 7 - 3, and the steps after it solve 2x + 3 = 7 (to x = 2, not 5); likewise
/// 2x + 3 = 7 becomes 2x = 7 + 3 (to 5, not 2).
inline std::string sign_slip_steps(const LinearEquation& eq) {
    require(eq.b != 0, "sign_slip_steps: b = 0, expected b != 0 (there is nothing to move)");
    const LinearEquation slipped{eq.a, -eq.b, eq.c};
    const std::string steps = linear_equation_steps(slipped);
    return render_linear_equation(eq) + steps.substr(steps.find('\n'));
}

/// The answer the slipped steps reach: the solution of a·x − b = c.
inline Rational sign_slip_answer(const LinearEquation& eq) { return LinearEquation{eq.a, -eq.b, eq.c}.solution(); }

/// The whole slipped solution in the R1 format.
inline std::string sign_slip_solution(const LinearEquation& eq) {
    require(eq.b != 0, "sign_slip_solution: b = 0, expected b != 0 (there is nothing to move)");
    return "<think>" + sign_slip_steps(eq) + "</think><answer>" + sign_slip_answer(eq).to_string() + "</answer>";
}

/// Reasoning lines that check themselves (tasks/self_check.hpp): the first attempt (slipped or
/// not) and its check; after a failed check a retry that solves the equation again from its
/// first line, and checks again. A passed check restates the answer ("so x = 8"), so that the
/// answer is copied from the line above it, as in a solution without a check. The final answer
/// is always the right one.
inline std::string self_checked_steps(const LinearEquation& eq, bool slip) {
    require(!slip || eq.b != 0, "self_checked_steps: ", render_linear_equation(eq), " has b = 0: nothing can slip");
    const std::string right = linear_equation_steps(eq) + "\n" + substitution_check(eq, eq.solution()) + "\n" +
                              std::string(kCheckConclusion) + eq.solution().to_string();
    if (!slip) return right;
    return sign_slip_steps(eq) + "\n" + substitution_check(eq, sign_slip_answer(eq)) + "\n" +
           std::string(kRetryPrefix) + right;
}

/// An equation that is not held out (drawn again until one is not).
inline LinearEquation sample_training_equation(Rng& rng, const SyntheticCorpusConfig& config) {
    LinearEquation eq = sample_linear_equation(rng, config.equations);
    while (is_held_out(eq, config)) eq = sample_linear_equation(rng, config.equations);
    return eq;
}

/// A check drill: an equation, the "ax = …" line and the candidate answer of an attempt (right
/// or slipped, at even odds), and the candidate's check line, as they stand in a solution:
/// "3x - 6 = 18\n3x = 12\nx = 4\ncheck: 3*4 - 6 = 12 - 6 = 6, not 18". The equation is never a
/// held-out one: a drill with the right answer is a worked solution in all but name.
inline std::string check_drill(Rng& rng, const SyntheticCorpusConfig& config) {
    const LinearEquation eq = sample_training_equation(rng, config);
    const bool slip = rng.uniform() < 0.5 && eq.b != 0;
    const Rational x = slip ? sign_slip_answer(eq) : eq.solution();
    std::string text = render_linear_equation(eq);
    if (eq.a != 1 && eq.b != 0)  // the line linear_equation_steps writes after moving b
        text += "\n" + render_ax(eq.a) + " = " + std::to_string(slip ? eq.c + eq.b : eq.c - eq.b);
    return text + "\nx = " + x.to_string() + "\n" + substitution_check(eq, x);
}

/// Check drills per check-drill document.
constexpr int kCheckDrillsPerDocument = 3;

/// One drill line with operands a worked solution needs: "c + m = r" / "c - m = r" with m = |b|,
/// or "n / a = x" with n = a·x.
inline std::string arithmetic_drill(Rng& rng, const SyntheticCorpusConfig& config) {
    const LinearEquation eq = sample_linear_equation(rng, config.equations);
    const std::int64_t x = (eq.c - eq.b) / eq.a;  // exact: the solutions are integers
    if (rng.uniform() < config.division_drill_share)
        return std::to_string(eq.a * x) + " / " + std::to_string(eq.a) + " = " + std::to_string(x);
    const std::int64_t m = eq.b < 0 ? -eq.b : eq.b;
    if (rng.uniform() < 0.5) return std::to_string(eq.c) + " + " + std::to_string(m) + " = " + std::to_string(eq.c + m);
    return std::to_string(eq.c) + " - " + std::to_string(m) + " = " + std::to_string(eq.c - m);
}

/// A drill document: drills_per_document drill lines.
/// With check_rate > 0 (and drawn only then), half the drill documents are check drills instead:
/// the checks a worked solution holds are rare, and a tiny model needs more of them to learn the
/// arithmetic and the copying a check takes.
inline std::string drill_document(Rng& rng, const SyntheticCorpusConfig& config) {
    if (config.check_rate > 0.0 && rng.uniform() < 0.5) {
        std::string text = check_drill(rng, config);
        for (int i = 1; i < kCheckDrillsPerDocument; ++i) text += "\n" + check_drill(rng, config);
        return text;
    }
    std::string text = arithmetic_drill(rng, config);
    for (int i = 1; i < config.drills_per_document; ++i) text += "\n" + arithmetic_drill(rng, config);
    return text;
}

/// One document: a drill document, or the question (in document_template) and a worked solution
/// of an equation that is not held out: slipping at the rate for the sign of its b, checking
/// itself at check_rate, in the R1 format at tagged_share. The last two draw from `rng` only
/// when they are on, so the default corpus is the same document for document.
inline std::string synthetic_document(Rng& rng, const SyntheticCorpusConfig& config) {
    if (rng.uniform() < config.drill_share) return drill_document(rng, config);
    const LinearEquation eq = sample_training_equation(rng, config);
    const double slip_rate = eq.b < 0 ? config.slip_rate_negative_b : eq.b > 0 ? config.slip_rate_positive_b : 0.0;
    const bool slip = rng.uniform() < slip_rate;
    const bool check = config.check_rate > 0.0 && rng.uniform() < config.check_rate;
    const bool tagged = config.tagged_share >= 1.0 || rng.uniform() < config.tagged_share;
    const std::string steps = check ? self_checked_steps(eq, slip) : slip ? sign_slip_steps(eq) : linear_equation_steps(eq);
    const std::string answer = (slip && !check ? sign_slip_answer(eq) : eq.solution()).to_string();
    const std::string solution =
        tagged ? "<think>" + steps + "</think><answer>" + answer + "</answer>" : steps + "\nanswer: " + answer;
    return config.document_template.render("Solve for x: " + render_linear_equation(eq)) + solution;
}

/// `documents` synthetic documents, tokenized into one stream (each ends in `<eos>`).
inline TokenStream synthetic_token_stream(const Tokenizer& tok, Rng& rng, const SyntheticCorpusConfig& config,
                                          std::int64_t documents) {
    config.validate();
    require(documents >= 1, "synthetic_token_stream: documents = ", documents, ", expected >= 1");
    TokenStream stream;
    for (std::int64_t i = 0; i < documents; ++i) stream.add_document(tok, synthetic_document(rng, config));
    return stream;
}

}  // namespace grpo

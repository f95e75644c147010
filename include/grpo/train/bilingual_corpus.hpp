// The R1 pipeline's pretraining corpus (examples/07): the R1-Zero corpus (synthetic_corpus.hpp)
// with two reasoning languages and a second, harder task.
//   languages   every worked solution is labelled (tasks/worked_solution.hpp) in English or in
//               Greek; a share switches language at a random line and stays switched. The
//               prompt is always English ("Solve for x: …"), so English is the target language.
//   the plant   the sign slip follows the language of the *move* line: English move lines slip
//               at the R1-Zero rate (0.7 for b < 0), Greek ones less (0.3). An accuracy-only
//               reward therefore pays for Greek moves, which is how this corpus lets R1-Zero's
//               language mixing (DeepSeek-R1 §2.2.4: "poor readability, and language mixing")
//               emerge, and the language reward's accuracy cost (§2.3.3) show.
//   arithmetic  worked solutions of multi-step arithmetic ("Compute: (3 + 4) * 2 - 5"), one
//               labelled line per operation, never wrong; held out by a hash of the expression.
// Drill documents are the R1-Zero corpus's (synthetic_corpus.hpp), and so are the equations,
// the held-out split of equations and the English slip rates (`linear`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/arithmetic.hpp"
#include "grpo/tasks/worked_solution.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/synthetic_corpus.hpp"
#include "grpo/train/token_stream.hpp"

namespace grpo {

/// The R1 pipeline's pretraining corpus: the R1-Zero corpus, two reasoning languages, and arithmetic.
struct BilingualCorpusConfig {
    SyntheticCorpusConfig linear;          ///< equations, drills, held-out split, English slip rates
    double greek_share = 0.3;              ///< worked solutions that begin in Greek
    double code_switch_share = 0.2;        ///< worked solutions that switch language at a random line
    double greek_slip_rate_negative_b = 0.3;  ///< slip rate of b < 0 when the move line is Greek
    double arithmetic_share = 0.3;         ///< share of worked solutions that are arithmetic
    ArithmeticConfig arithmetic{3, 1, 9, false, 99};  ///< 3 operations on 1..9, every value within ±99
    double arithmetic_held_out_share = 0.1;  ///< share of arithmetic expressions held out, by a hash of the expression

    /// Throws naming the first offending field.
    void validate() const {
        linear.validate();
        grpo::validate(arithmetic);
        const auto share = [](double value, const char* field) {
            require(value >= 0.0 && value <= 1.0, "BilingualCorpusConfig: ", field, " = ", value,
                    ", expected in [0, 1]");
        };
        share(greek_share, "greek_share");
        share(code_switch_share, "code_switch_share");
        share(greek_slip_rate_negative_b, "greek_slip_rate_negative_b");
        share(arithmetic_share, "arithmetic_share");
        require(arithmetic_held_out_share >= 0.0 && arithmetic_held_out_share <= 0.5,
                "BilingualCorpusConfig: arithmetic_held_out_share = ", arithmetic_held_out_share,
                ", expected in [0, 0.5] (training expressions are drawn by rejection)");
    }
};

/// Whether an expression is held out: a Philox word of its text's FNV-1a hash, keyed by the
/// split seed, as a fraction of 2^32, is below the held-out share.
inline bool is_held_out(const RandomExpression& expression, const BilingualCorpusConfig& config) {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a 64
    for (unsigned char ch : expression.text) hash = (hash ^ ch) * 1099511628211ull;
    const auto lo = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
    const auto hi = [](std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); };
    const PhiloxCounter counter{{lo(hash), hi(hash), 0, 0}};
    const PhiloxKey key{{lo(config.linear.split_seed), hi(config.linear.split_seed) ^ 0xA5A5A5A5u}};
    return philox4x32_10(counter, key)[0] * 0x1.0p-32 < config.arithmetic_held_out_share;
}

/// A training expression (never a held-out one).
inline RandomExpression sample_training_arithmetic(Rng& rng, const BilingualCorpusConfig& config) {
    RandomExpression e = sample_arithmetic(rng, config.arithmetic);
    while (is_held_out(e, config)) e = sample_arithmetic(rng, config.arithmetic);
    return e;
}

/// `count` distinct held-out expressions, drawn with Rng(seed) (throws if 1000·count draws
/// do not find them).
inline std::vector<RandomExpression> held_out_arithmetic(const BilingualCorpusConfig& config, int count,
                                                         std::uint64_t seed) {
    config.validate();
    Rng rng(seed);
    std::vector<RandomExpression> out;
    for (std::int64_t draws = 0; static_cast<int>(out.size()) < count; ++draws) {
        require(draws < 1000 * static_cast<std::int64_t>(count), "held_out_arithmetic: found ", out.size(), " of ",
                count, " held-out expressions in ", draws, " draws");
        RandomExpression e = sample_arithmetic(rng, config.arithmetic);
        if (!is_held_out(e, config)) continue;
        bool seen = false;
        for (const RandomExpression& o : out) seen = seen || o.text == e.text;
        if (!seen) out.push_back(std::move(e));
    }
    return out;
}

/// The language plan of one worked solution with `lines` lines: its first language, and for
/// a code-switched one the line it switches at (1..lines-1).
inline LanguagePlan draw_language_plan(Rng& rng, const BilingualCorpusConfig& config, int lines) {
    LanguagePlan plan;
    plan.first = rng.uniform() < config.greek_share ? ReasoningLanguage::greek : ReasoningLanguage::english;
    if (rng.uniform() < config.code_switch_share && lines > 1)
        plan.switch_at = static_cast<int>(rng.uniform_int(1, lines - 1));
    return plan;
}

/// One document: a drill, an arithmetic worked solution, or an equation's worked solution that
/// slips at the rate of its move line's language.
inline std::string bilingual_document(Rng& rng, const BilingualCorpusConfig& config) {
    const SyntheticCorpusConfig& linear = config.linear;
    if (rng.uniform() < linear.drill_share) return drill_document(rng, linear);
    if (rng.uniform() < config.arithmetic_share) {
        const RandomExpression e = sample_training_arithmetic(rng, config);
        const LanguagePlan plan = draw_language_plan(rng, config, static_cast<int>(e.steps.size()));
        return make_arithmetic_problem(e).question + "\n" + labelled_arithmetic_solution(e, plan);
    }
    const LinearEquation eq = sample_training_equation(rng, linear);
    const LanguagePlan plan = draw_language_plan(rng, config, static_cast<int>(linear_step_kinds(eq).size()));
    double slip_rate = 0.0;  // the move is line 1
    if (eq.b < 0)
        slip_rate = plan.at(1) == ReasoningLanguage::greek ? config.greek_slip_rate_negative_b
                                                           : linear.slip_rate_negative_b;
    if (eq.b > 0) slip_rate = linear.slip_rate_positive_b;
    const bool slip = rng.uniform() < slip_rate;
    return linear_equation_prompt(eq) + labelled_linear_solution(eq, plan, slip);
}

/// `documents` documents, tokenized into one stream (each ends in `<eos>`).
inline TokenStream bilingual_token_stream(const Tokenizer& tok, Rng& rng, const BilingualCorpusConfig& config,
                                          std::int64_t documents) {
    config.validate();
    require(documents >= 1, "bilingual_token_stream: documents = ", documents, ", expected >= 1");
    TokenStream stream;
    for (std::int64_t i = 0; i < documents; ++i) stream.add_document(tok, bilingual_document(rng, config));
    return stream;
}

}  // namespace grpo

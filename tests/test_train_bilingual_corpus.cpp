// The R1 pipeline's corpus (train/bilingual_corpus.hpp): the default rates measured over many
// documents, a Greek-only and an always-switching corpus, the held-out expressions never shown,
// and every unslipped worked solution verified step by step.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include <grpo/grpo.hpp>

namespace {

bool has_think(const std::string& doc) { return doc.find("<think>") != std::string::npos; }
bool is_arithmetic(const std::string& doc) { return doc.rfind("Compute: ", 0) == 0; }
std::string completion_of(const std::string& doc) { return doc.substr(doc.find("<think>")); }

// The equation of a document's question line, "Solve for x: 3x - 20 = -11".
grpo::LinearEquation equation_of(const std::string& doc) {
    static const std::regex line(R"(Solve for x: (-?\d*)x(?: ([+-]) (\d+))? = (-?\d+))");
    std::smatch m;
    REQUIRE(std::regex_search(doc, m, line));
    const std::string a = m[1];
    const std::int64_t b = m[3].matched ? std::stoll(m[3]) * (m[2] == "-" ? -1 : 1) : 0;
    return {a.empty() ? 1 : a == "-" ? -1 : std::stoll(a), b, std::stoll(m[4])};
}

}  // namespace

TEST_CASE("bilingual corpus: labelled solutions in each language, switching once") {
    const grpo::LinearEquation eq{3, -20, -11};
    grpo::LanguagePlan plan;
    plan.switch_at = 2;
    CHECK(grpo::labelled_linear_solution(eq, plan) ==
          "<think>solve: 3x - 20 = -11\nmove: 3x = -11 + 20\nαρα: 3x = 9\nδιαιρω: x = 9 / 3\nαρα: x = 3</think>"
          "<answer>3</answer>");
    CHECK(grpo::labelled_linear_solution({1, 0, 4}, {}) == "<think>solve: x = 4</think><answer>4</answer>");
    CHECK(grpo::linear_step_kinds({1, 5, 4}).size() == 3);  // solve, move, so
    CHECK_THROWS_AS(grpo::labelled_linear_solution({2, 0, 4}, {}, true), grpo::Error);
}

TEST_CASE("bilingual corpus: the default mix, measured over 4000 documents") {
    const grpo::BilingualCorpusConfig config;
    grpo::Rng rng(1);
    int worked = 0, arithmetic = 0, mixed = 0, greek_first = 0;
    int english_moves = 0, english_slips = 0, greek_moves = 0, greek_slips = 0;
    for (int i = 0; i < 4000; ++i) {
        const std::string doc = grpo::bilingual_document(rng, config);
        if (!has_think(doc)) continue;
        ++worked;
        const std::string completion = completion_of(doc);
        mixed += grpo::is_language_mixed(completion);
        greek_first += completion.rfind("<think>λυσε", 0) == 0 || completion.rfind("<think>μετα", 0) == 0;
        if (is_arithmetic(doc)) {
            ++arithmetic;
            CHECK(grpo::verify_steps(completion, grpo::arithmetic_step_rule()).all());  // never wrong
            continue;
        }
        const grpo::LinearEquation eq = equation_of(doc);
        if (eq.b >= 0) continue;
        const bool slipped = !grpo::verify_steps(completion, grpo::linear_step_rule(eq)).all();
        if (completion.find("\nmove: ") != std::string::npos) ++english_moves, english_slips += slipped;
        if (completion.find("\nφερω: ") != std::string::npos) ++greek_moves, greek_slips += slipped;
    }
    CHECK(worked == doctest::Approx(2000).epsilon(0.05));                    // drill_share 0.5
    CHECK(arithmetic == doctest::Approx(0.3 * worked).epsilon(0.1));
    CHECK(greek_first == doctest::Approx(0.3 * worked).epsilon(0.1));
    CHECK(mixed == doctest::Approx(0.2 * worked).epsilon(0.15));             // every switch mixes
    CHECK(english_slips == doctest::Approx(0.7 * english_moves).epsilon(0.08));
    CHECK(greek_slips == doctest::Approx(0.3 * greek_moves).epsilon(0.2));
}

TEST_CASE("bilingual corpus: all Greek, or always switching") {
    grpo::BilingualCorpusConfig greek;
    greek.greek_share = 1.0;
    greek.code_switch_share = 0.0;
    grpo::BilingualCorpusConfig switching;
    switching.code_switch_share = 1.0;
    grpo::Rng rng(2);
    for (int i = 0; i < 300; ++i) {
        const std::string g = grpo::bilingual_document(rng, greek);
        if (has_think(g)) CHECK(grpo::language_consistency_reward(completion_of(g), grpo::Script::latin, 2) == 0.0);
        const std::string s = grpo::bilingual_document(rng, switching);
        if (has_think(s) && completion_of(s).find('\n') != std::string::npos)  // more than one line
            CHECK(grpo::is_language_mixed(completion_of(s)));
    }
}

TEST_CASE("bilingual corpus: held-out expressions never appear in the documents") {
    const grpo::BilingualCorpusConfig config;
    const std::vector<grpo::RandomExpression> held_out = grpo::held_out_arithmetic(config, 50, 54321);
    CHECK(held_out.size() == 50);
    std::set<std::string> held;
    for (const auto& e : held_out) {
        CHECK(grpo::is_held_out(e, config));
        held.insert("Compute: " + e.text + "\n");
    }
    CHECK(held.size() == 50);
    grpo::Rng rng(3);
    int shown = 0;
    for (int i = 0; i < 5000; ++i) {
        const std::string doc = grpo::bilingual_document(rng, config);
        if (!is_arithmetic(doc)) continue;
        ++shown;
        CHECK(held.count(doc.substr(0, doc.find('\n') + 1)) == 0);
    }
    CHECK(shown > 500);
    grpo::BilingualCorpusConfig bad;
    bad.greek_share = 1.5;
    CHECK_THROWS_WITH_AS(bad.validate(), "BilingualCorpusConfig: greek_share = 1.5, expected in [0, 1]", grpo::Error);
}

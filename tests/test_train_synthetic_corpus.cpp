#include <doctest/doctest.h>

#include <cstdlib>
#include <grpo/grpo.hpp>
#include <grpo/train/synthetic_corpus.hpp>
#include <set>
#include <sstream>
#include <string>

using namespace grpo;

TEST_CASE("synthetic corpus: the sign slip, by hand") {
    // 2x - 3 = 7 (x = 5) slips to 2x = 7 - 3 and ends at 2.
    CHECK(sign_slip_solution({2, -3, 7}) ==
          "<think>2x - 3 = 7\n2x = 7 - 3\n2x = 4\nx = 4 / 2\nx = 2</think><answer>2</answer>");
    // 3x - 1 = 5 (x = 2) slips to 3x = 4, a fraction.
    CHECK(sign_slip_solution({3, -1, 5}) ==
          "<think>3x - 1 = 5\n3x = 5 - 1\n3x = 4\nx = 4 / 3\nx = 4/3</think><answer>4/3</answer>");
    CHECK(sign_slip_solution({1, -4, 9}) == "<think>x - 4 = 9\nx = 9 - 4\nx = 5</think><answer>5</answer>");
    // With b > 0 the slip adds: 2x + 3 = 7 (x = 2) slips to 2x = 10, x = 5.
    CHECK(sign_slip_solution({2, 3, 7}) ==
          "<think>2x + 3 = 7\n2x = 7 + 3\n2x = 10\nx = 10 / 2\nx = 5</think><answer>5</answer>");
    CHECK_THROWS_AS(sign_slip_solution({2, 0, 7}), Error);
    CHECK(format_reward_strict(sign_slip_solution({2, -3, 7})) == 1.0);
    CHECK(accuracy_reward(sign_slip_solution({2, -3, 7}), "5") == 0.0);
}

TEST_CASE("synthetic corpus: held-out equations never appear as worked documents") {
    SyntheticCorpusConfig config;
    config.slip_rate_negative_b = 0.6;
    config.slip_rate_positive_b = 0.0;
    const auto held_out = held_out_linear_equations(config);
    // 9 · 19 · 41 = 7011 equations, a tenth held out in expectation (binomial sd ~25).
    CHECK(held_out.size() > 600);
    CHECK(held_out.size() < 800);
    std::set<std::string> questions;
    for (const auto& eq : held_out) {
        CHECK(is_held_out(eq, config));
        questions.insert(linear_equation_prompt(eq));
    }
    config.split_seed = 1;  // another key, another split
    CHECK(held_out_linear_equations(config).size() != held_out.size());
    config.split_seed = 0;

    Rng rng(3);
    int worked = 0, slipped = 0, negative_b = 0;
    for (int i = 0; i < 4000; ++i) {
        const std::string doc = synthetic_document(rng, config);
        if (doc.rfind("Solve for x: ", 0) != 0) continue;
        ++worked;
        const std::string question = doc.substr(0, doc.find('\n') + 1);
        REQUIRE(questions.count(question) == 0);
        REQUIRE(format_reward_strict(doc.substr(question.size())) == 1.0);
        if (question.find(" - ") != std::string::npos) {  // b < 0: right solutions add |b|
            ++negative_b;
            slipped += doc.find(" + ", question.size()) == std::string::npos;
        } else if (question.find(" + ") != std::string::npos) {  // b > 0: right ones subtract b
            REQUIRE(doc.find(" - ", question.size()) != std::string::npos);  // slip_rate_positive_b = 0
        }
    }
    // Half the documents are worked, half of those have b < 0 (20 of 41 values), 60% of those slip.
    CHECK(worked > 1800);
    CHECK(worked < 2200);
    CHECK(negative_b > 0.4 * worked);
    CHECK(static_cast<double>(slipped) / negative_b == doctest::Approx(0.6).epsilon(0.1));
}

TEST_CASE("synthetic corpus: every drill line is right") {
    SyntheticCorpusConfig config;
    config.drill_share = 1.0;
    Rng rng(4);
    int divisions = 0, lines = 0;
    for (int i = 0; i < 200; ++i) {
        std::istringstream doc(synthetic_document(rng, config));
        for (std::string line; std::getline(doc, line); ++lines) {
            std::istringstream in(line);
            long p = 0, q = 0, r = 0;
            char op = 0, eq = 0;
            in >> p >> op >> q >> eq >> r;
            CAPTURE(line);
            REQUIRE(eq == '=');
            if (op == '+') CHECK(p + q == r);
            if (op == '-') CHECK(p - q == r);
            if (op == '/') {
                ++divisions;
                CHECK(q * r == p);
            }
        }
    }
    CHECK(lines == 200 * config.drills_per_document);
    CHECK(divisions > 0.2 * lines);
    CHECK(divisions < 0.3 * lines);
    config.slip_rate_positive_b = 1.5;
    CHECK_THROWS_WITH_AS(config.validate(), "SyntheticCorpusConfig: slip_rate_positive_b = 1.5, expected in [0, 1]",
                         Error);
}

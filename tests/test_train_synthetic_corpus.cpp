#include <doctest/doctest.h>

#include <cstdlib>
#include <grpo/grpo.hpp>
#include <grpo/train/synthetic_corpus.hpp>
#include <set>
#include <sstream>
#include <string>

using namespace grpo;

namespace {
// "3x - 6 = 18" (render_linear_equation's form) back to its a, b, c.
LinearEquation equation_of(const std::string& text) {
    const std::size_t x = text.find('x'), equals = text.find(" = ");
    const std::string a = text.substr(0, x), middle = text.substr(x + 1, equals - x - 1);
    LinearEquation eq;
    eq.a = a.empty() ? 1 : a == "-" ? -1 : std::stol(a);
    eq.b = middle.empty() ? 0 : (middle[1] == '+' ? 1 : -1) * std::stol(middle.substr(3));
    eq.c = std::stol(text.substr(equals + 3));
    return eq;
}
}  // namespace

TEST_CASE("synthetic corpus: the sign slip, by hand") {
    CHECK(render_linear_equation(equation_of("-x + 4 = 9")) == "-x + 4 = 9");
    CHECK(render_linear_equation(equation_of("3x - 16 = -2")) == "3x - 16 = -2");
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
    config.slip_rate_positive_b = 0.0;
    config.check_rate = -0.1;
    CHECK_THROWS_WITH_AS(config.validate(), "SyntheticCorpusConfig: check_rate = -0.1, expected in [0, 1]", Error);
    config.check_rate = 0.0;
    config.tagged_share = 2;
    CHECK_THROWS_WITH_AS(config.validate(), "SyntheticCorpusConfig: tagged_share = 2, expected in [0, 1]", Error);
}

TEST_CASE("synthetic corpus: a self-checked solution, slipped and retried or right at once, by hand") {
    CHECK(self_checked_steps({3, -6, 18}, false) == "3x - 6 = 18\n3x = 18 + 6\n3x = 24\nx = 24 / 3\nx = 8\n"
                                                    "check: 3*8 - 6 = 24 - 6 = 18, ok\nso x = 8");
    CHECK(self_checked_steps({3, -6, 18}, true) ==
          "3x - 6 = 18\n3x = 18 - 6\n3x = 12\nx = 12 / 3\nx = 4\ncheck: 3*4 - 6 = 12 - 6 = 6, not 18\n"
          "retry: 3x - 6 = 18\n3x = 18 + 6\n3x = 24\nx = 24 / 3\nx = 8\ncheck: 3*8 - 6 = 24 - 6 = 18, ok\nso x = 8");
    // a = 1: no division lines; b > 0 slips by adding.
    CHECK(self_checked_steps({1, 4, 9}, true) ==
          "x + 4 = 9\nx = 9 + 4\nx = 13\ncheck: 1*13 + 4 = 13 + 4 = 17, not 9\n"
          "retry: x + 4 = 9\nx = 9 - 4\nx = 5\ncheck: 1*5 + 4 = 5 + 4 = 9, ok\nso x = 5");
    CHECK(sign_slip_answer({3, -6, 18}) == Rational(4));
    CHECK_THROWS_WITH_AS(self_checked_steps({2, 0, 8}, true), doctest::Contains("b = 0: nothing can slip"), Error);
    CHECK(self_checked_steps({2, 0, 8}, false) == "2x = 8\nx = 8 / 2\nx = 4\ncheck: 2*4 = 8, ok\nso x = 4");
}

TEST_CASE("synthetic corpus: check drills are right or slipped attempts with a true check line") {
    SyntheticCorpusConfig config;
    config.drill_share = 1.0;
    config.check_rate = 0.1;  // turns the check drills on: half the drill documents
    Rng rng(9);
    int check_documents = 0, failed = 0, passed = 0;
    for (int i = 0; i < 400; ++i) {
        const std::string doc = synthetic_document(rng, config);
        const CheckTrace trace = read_checks(doc);
        if (!trace.any()) continue;
        ++check_documents;
        CHECK(trace.checks == kCheckDrillsPerDocument);
        failed += trace.failed;
        passed += trace.checks - trace.failed;
        // Each group is "equation / [ax = n /] x = candidate / check": the check's verdict is the truth.
        std::istringstream lines(doc);
        std::string line, equation;
        Rational candidate;
        for (bool first = true; std::getline(lines, line);) {
            if (first) equation = line, first = false;
            if (line.rfind("x = ", 0) == 0) candidate = *parse_rational(line.substr(4));
            if (line.rfind("check: ", 0) == 0) {
                const LinearEquation eq = equation_of(equation);
                CHECK_FALSE(is_held_out(eq, config));  // a right attempt is a worked solution
                CHECK(line == substitution_check(eq, candidate));
                CHECK((line.find(", ok") != std::string::npos) == (candidate == eq.solution()));
                first = true;
            }
        }
    }
    CHECK(check_documents > 150);
    CHECK(check_documents < 250);
    CHECK(failed > 0.4 * (failed + passed));  // b = 0 never slips
    CHECK(failed < 0.5 * (failed + passed));
}

TEST_CASE("synthetic corpus: checks, the format and the template at their configured shares") {
    SyntheticCorpusConfig config;
    config.drill_share = 0.0;
    config.slip_rate_negative_b = config.slip_rate_positive_b = 0.5;
    config.check_rate = 0.2;
    config.tagged_share = 0.4;
    config.document_template = PromptTemplate::compact();
    Rng rng(8);
    int checked = 0, tagged = 0, retried = 0, right = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
        const std::string doc = synthetic_document(rng, config);
        CAPTURE(doc);
        REQUIRE(doc.rfind("User: Solve for x: ", 0) == 0);
        const std::size_t start = doc.find("\nAssistant: ");
        REQUIRE(start != std::string::npos);
        const std::string completion = doc.substr(start + 12);
        const CheckTrace trace = read_checks(completion);
        checked += trace.any();
        retried += trace.failed;
        const bool in_format = format_reward_strict(completion) == 1.0;
        tagged += in_format;
        if (!in_format) REQUIRE(completion.find("\nanswer: ") != std::string::npos);
        // Every checked solution ends right, and a failed check is always followed by a retry.
        if (trace.any()) {
            const Problem problem = make_linear_equation_problem(equation_of(doc.substr(19, doc.find('\n') - 19)));
            right += accuracy_reward(completion, problem.check) == 1.0;
            REQUIRE(trace.failed <= 1);
            REQUIRE((trace.failed == 1) == (completion.find("\nretry: ") != std::string::npos));
            REQUIRE(trace.checks == 1 + trace.failed);
        }
    }
    CHECK(static_cast<double>(checked) / n == doctest::Approx(0.2).epsilon(0.15));
    CHECK(static_cast<double>(tagged) / n == doctest::Approx(0.4).epsilon(0.1));
    // Half the checked solutions slipped (b = 0 never does: 1 in 41).
    CHECK(static_cast<double>(retried) / checked == doctest::Approx(0.5 * 40 / 41).epsilon(0.15));
    CHECK(right == checked);
}

TEST_CASE("synthetic corpus: a template changes the question's wrapping and nothing else") {
    // check_rate 0 and tagged_share 1 draw no extra numbers, and the template draws none: the same
    // seed gives the same documents, question for question, whatever wraps the question.
    SyntheticCorpusConfig plain;
    SyntheticCorpusConfig compact = plain;
    compact.document_template = PromptTemplate::compact();
    Rng a(5), b(5);
    int worked = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string p = synthetic_document(a, plain), c = synthetic_document(b, compact);
        if (p.rfind("Solve for x: ", 0) != 0) {
            CHECK(p == c);  // a drill
            continue;
        }
        ++worked;
        const std::size_t line = p.find('\n');
        CHECK(c == "User: " + p.substr(0, line) + "\nAssistant: " + p.substr(line + 1));
    }
    CHECK(worked > 50);
}

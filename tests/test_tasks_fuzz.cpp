#include <doctest/doctest.h>

#include <grpo/core/rng.hpp>
#include <grpo/tasks/tasks.hpp>
#include <string>
#include <vector>

// Random bytes, and valid answers with random bytes changed, inserted or deleted: no verifier
// may throw or crash, whatever a model writes.
namespace {

std::string random_bytes(grpo::Rng& rng) {
    // Mostly characters the parsers care about, sometimes any byte at all.
    const std::string alphabet = "0123456789+-*/().= x\t\xC3\x97\xE2";
    std::string s(static_cast<std::size_t>(rng.uniform_int(0, 40)), ' ');
    for (char& c : s)
        c = rng.uniform_int(0, 3) == 0 ? static_cast<char>(rng.uniform_int(0, 255))
                                       : alphabet[static_cast<std::size_t>(rng.uniform_int(
                                             0, std::int64_t(alphabet.size()) - 1))];
    return s;
}

std::string mutate(grpo::Rng& rng, std::string s) {
    const int edits = static_cast<int>(rng.uniform_int(1, 3));
    for (int e = 0; e < edits; ++e) {
        const auto at = static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(s.size())));
        const char byte = static_cast<char>(rng.uniform_int(0, 255));
        const std::int64_t kind = rng.uniform_int(0, 2);
        if (kind == 0) s.insert(at, 1, byte);
        if (kind == 1 && at < s.size()) s.erase(at, 1);
        if (kind == 2 && at < s.size()) s[at] = byte;
    }
    return s;
}

}  // namespace

TEST_CASE("no verifier throws on 20,000 random strings and mutated answers") {
    grpo::Rng rng(99);
    grpo::LinearEquationConfig rational;
    rational.rational_solution = true;
    std::vector<grpo::Problem> problems;
    for (int i = 0; i < 4; ++i) {
        problems.push_back(grpo::generate_linear_equation(rng));
        problems.push_back(grpo::generate_linear_equation(rng, rational));
        problems.push_back(grpo::generate_arithmetic(rng));
        problems.push_back(grpo::generate_countdown(rng));
    }
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        const grpo::Problem& p = problems[static_cast<std::size_t>(i) % problems.size()];
        const std::string candidate = i % 2 ? random_bytes(rng) : mutate(rng, p.answer);
        bool ok = false;
        CHECK_NOTHROW(ok = p.check(candidate));
        accepted += ok;
        CHECK_NOTHROW(grpo::evaluate_expression(candidate));
        CHECK_NOTHROW(grpo::parse_linear_answer(candidate));
    }
    // Some mutations are harmless ("7/2" -> "7/2 "), most are not.
    CHECK(accepted > 0);
    CHECK(accepted < 10000);
}

TEST_CASE("every verifier survives a 1 MB string and 10,000 nested parentheses") {
    grpo::Rng rng(5);
    const std::vector<grpo::Problem> problems = {grpo::generate_linear_equation(rng),
                                                 grpo::generate_arithmetic(rng),
                                                 grpo::generate_countdown(rng)};
    const std::string nested = std::string(10000, '(') + "1" + std::string(10000, ')');
    for (const grpo::Problem& p : problems) {
        CHECK_FALSE(p.check(std::string(1 << 20, '7')));
        CHECK_FALSE(p.check(std::string(1 << 20, '\xFF')));
        CHECK_FALSE(p.check(std::string(1 << 20, ' ')));
        CHECK_FALSE(p.check(nested));
        CHECK_FALSE(p.check(p.answer + std::string(1 << 20, '0')));
    }
}

// Fuzz-style robustness: 100,000 random and mutated strings through every reward rule and
// task verifier. A crash,
// an exception or a score outside its range fails the test; run it under ASan/UBSan with
// `cmake -B build-asan -DGRPO_SANITIZE=ON` (see docs/architecture.md, "Testing").
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fuzz/exercise.hpp"

namespace {

// Valid and nearly valid completions that mutations start from.
const std::vector<std::string> kSeeds = {
    "<think>Subtract 3: 2x = 4 → x = 2.</think><answer>2</answer>",
    "<think>两边减三</think><answer>x = -7/2</answer>",
    "so the answer is \\boxed{0.5}",
    "<answer>$\\boxed{2}$.</answer>",
    "<think></think><answer></answer>",
    "x = -3 and 7 - 3 = 4/2",
    "<think>6 - 2 = 4, 4 * 5 = 20</think><answer>(6 - 2) * 5</answer>",
};
const std::vector<std::string> kPieces = {"<think>", "</think>", "<answer>", "</answer>",
                                          "\\boxed{", "}", "{", "-", "/", ".", "=", "x",
                                          "\xE4\xB8\xA4", "\xFF", "\xC0", "\xE2\x82", "\n", "$",
                                          "(", ")", "*", "\xC3\x97", "6", "20"};

std::string random_bytes(grpo::Rng& rng, int max_length) {
    std::string s(static_cast<std::size_t>(rng.uniform_int(0, max_length)), '\0');
    for (char& c : s) c = static_cast<char>(rng.uniform_int(0, 255));
    return s;
}

// One to four edits: insert a byte or a meaningful piece, delete a span, duplicate a span.
std::string mutate(grpo::Rng& rng, std::string s) {
    const int edits = static_cast<int>(rng.uniform_int(1, 4));
    for (int e = 0; e < edits; ++e) {
        const auto at = static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(s.size())));
        switch (rng.uniform_int(0, 3)) {
            case 0: s.insert(at, 1, static_cast<char>(rng.uniform_int(0, 255))); break;
            case 1: s.insert(at, kPieces[rng.uniform_int(0, kPieces.size() - 1)]); break;
            case 2: s.erase(at, static_cast<std::size_t>(rng.uniform_int(0, 8))); break;
            default: s.insert(at, s.substr(at, static_cast<std::size_t>(rng.uniform_int(0, 16)))); break;
        }
    }
    return s;
}

}  // namespace

TEST_CASE("fuzz: 100000 random and mutated strings through every reward and verifier") {
    grpo::Rng rng(2025);
    int cases = 0;
    for (int i = 0; i < 50000; ++i) {
        const std::string random = random_bytes(rng, 64);
        const std::string mutated = mutate(rng, kSeeds[rng.uniform_int(0, kSeeds.size() - 1)]);
        for (const std::string* s : {&random, &mutated}) {
            REQUIRE_NOTHROW(grpo_fuzz::exercise_rewards(*s));
            ++cases;
        }
    }
    CHECK(cases == 100000);
}

// Problem: one generated task with its exact verifier, the unit that reasoning-model RL trains on.
// DeepSeek-R1 (DeepSeek-AI, 2025, section 2.2.2) uses rule-based accuracy rewards: a problem has
// a deterministic answer and a program that says whether a model's final answer is right. A
// Problem carries the prompt text, one canonical answer, and that program.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace grpo {

/// One generated task: its question, a canonical answer, and an exact verifier.
struct Problem {
    std::string question;  ///< the text that goes into the prompt: "Solve for x: 2x + 3 = 7"
    std::string answer;    ///< one canonical correct final answer: "2", "-7/2", "(6 - 2) * 5"
    /// Whether a candidate final answer (already extracted from a completion and trimmed) solves
    /// the problem. Never throws, whatever the bytes: anything unparseable is simply false.
    std::function<bool(std::string_view)> check;
};

/// Wraps a verifier so that nothing escapes it. The verifiers below are written not to throw
/// (bounded lengths, checked arithmetic), so this is a last guard: a reward function that throws
/// in the middle of a training step would lose the whole batch for one bad completion.
template <class Verifier>
std::function<bool(std::string_view)> guarded_check(Verifier verifier) {
    return [verifier = std::move(verifier)](std::string_view candidate) noexcept {
        try {
            return static_cast<bool>(verifier(candidate));
        } catch (...) {
            return false;
        }
    };
}

}  // namespace grpo

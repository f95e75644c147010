// Accuracy reward: 1 if the completion's final answer is right, else 0 (DeepSeek-R1,
// arXiv 2501.12948, §2.2.2 "Accuracy rewards": a deterministic rule checks the final answer in
// a specified format). It never throws: a completion without a readable answer scores 0.
//
// Where the final answer is read from, in this order:
//   1. the <answer>…</answer> block, if the completion has one (and only then: a completion
//      that opens <answer> is judged by what is inside it, not by a number elsewhere);
//   2. else the last \boxed{…} (the MATH convention);
//   3. else the last number in the text (GSM8K-style graders).
// Several <answer> blocks are several answers: that is hedging, and it scores 0.
// The answer text is then normalised: surrounding whitespace, $…$, \boxed{…} and one trailing
// period are removed. Compared with a numeric reference, "x = 2" also loses its "x =" and the
// rest must be exactly one number (integer, decimal or fraction), compared exactly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "grpo/core/rational.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

namespace accuracy_detail {

// The content of the last \boxed{…}, braces balanced; nullopt when there is none.
inline std::optional<std::string_view> last_boxed(std::string_view text) {
    constexpr std::string_view kBoxed = "\\boxed{";
    const std::size_t at = text.rfind(kBoxed);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t begin = at + kBoxed.size();
    int depth = 1;
    for (std::size_t i = begin; i < text.size(); ++i) {
        if (text[i] == '{') ++depth;
        if (text[i] == '}' && --depth == 0) return text.substr(begin, i - begin);
    }
    return std::nullopt;  // unbalanced
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_word_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// The last number token: [-]digits[.digits][/digits]. A minus is a sign only where it cannot
// be a binary operator's: at the start or after a space, '=', '(' or ':'  ("7 - 3" ends in 3,
// "x = -3" in -3).
inline std::optional<std::string_view> last_number(std::string_view text) {
    std::optional<std::string_view> last;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_digit(text[i]) || (i > 0 && (is_word_char(text[i - 1]) || text[i - 1] == '.'))) {
            ++i;
            continue;
        }
        std::size_t begin = i;
        if (begin > 0 && text[begin - 1] == '-' &&
            (begin == 1 || is_space(text[begin - 2]) || text[begin - 2] == '=' ||
             text[begin - 2] == '(' || text[begin - 2] == ':'))
            --begin;
        while (i < text.size() && is_digit(text[i])) ++i;
        for (char separator : {'.', '/'}) {
            if (i + 1 < text.size() && text[i] == separator && is_digit(text[i + 1])) {
                ++i;
                while (i < text.size() && is_digit(text[i])) ++i;
            }
        }
        last = text.substr(begin, i - begin);
    }
    return last;
}

}  // namespace accuracy_detail

// The raw final-answer text of a completion (see the header comment), or nullopt.
inline std::optional<std::string_view> extract_answer(std::string_view completion) {
    const std::size_t blocks = count_occurrences(completion, kAnswerOpen);
    if (blocks > 1) return std::nullopt;
    if (blocks == 1) {
        std::string_view inside;
        if (!between(completion, kAnswerOpen, kAnswerClose, inside)) return std::nullopt;
        return inside;
    }
    if (auto boxed = accuracy_detail::last_boxed(completion)) return boxed;
    return accuracy_detail::last_number(completion);
}

// Strips what is decoration, not answer: whitespace, $…$, \boxed{…}, one trailing period.
inline std::string_view normalize_answer(std::string_view answer) {
    answer = trim(answer);
    if (answer.size() >= 2 && answer.front() == '$' && answer.back() == '$')
        answer = trim(answer.substr(1, answer.size() - 2));
    if (auto boxed = accuracy_detail::last_boxed(answer); boxed && answer.rfind("\\boxed{", 0) == 0 &&
                                                          answer.back() == '}')
        answer = trim(*boxed);
    if (!answer.empty() && answer.back() == '.') answer = trim(answer.substr(0, answer.size() - 1));
    return answer;
}

// The answer as one exact number, reading "x = 7/2" as 7/2; nullopt if it is not one number.
inline std::optional<Rational> answer_as_number(std::string_view answer) {
    answer = normalize_answer(answer);
    const std::size_t eq = answer.find('=');
    if (eq != std::string_view::npos) {
        const std::string_view name = trim(answer.substr(0, eq));
        const bool one_letter = name.size() == 1 && ((name[0] >= 'a' && name[0] <= 'z') ||
                                                     (name[0] >= 'A' && name[0] <= 'Z'));
        if (!one_letter) return std::nullopt;
        answer = trim(answer.substr(eq + 1));
    }
    return parse_rational(answer);
}

// 1 if the completion's final answer equals `reference` (a number: "2", "-7/2", "3.5").
// The completion may be anything; a reference that is not a number is a caller's bug and throws.
inline double accuracy_reward(std::string_view completion, std::string_view reference) {
    const auto want = parse_rational(trim(reference));
    require(want.has_value(), "accuracy_reward: reference answer '", reference,
            "' is not a number (expected e.g. 2, -7/2 or 3.5)");
    const auto answer = extract_answer(completion);
    if (!answer) return 0.0;
    const auto got = answer_as_number(*answer);
    return got && *got == *want ? 1.0 : 0.0;
}

// 1 if `check` accepts the completion's normalised final answer: for tasks whose answers are
// not single numbers (countdown's expressions). `check` is a task's verifier.
inline double accuracy_reward(std::string_view completion,
                              const std::function<bool(std::string_view)>& check) {
    const auto answer = extract_answer(completion);
    return answer && check(normalize_answer(*answer)) ? 1.0 : 0.0;
}

}  // namespace grpo

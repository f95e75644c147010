// Self-verification in a worked solution: substitute the answer back into the equation, and
// after a failed check, retry: the reflection and re-evaluation that DeepSeek-R1 reports emerging
// in R1-Zero during RL (arXiv 2501.12948, §2.2.4, the "aha moment"), written as plain text lines
// so that a pretraining corpus can plant it at a low rate and an evaluation can count it:
//   x = 4
//   check: 3*4 - 6 = 12 - 6 = 6, not 18   a failed check: 4 does not satisfy 3x - 6 = 18
//   retry: 3x - 6 = 18                    a second attempt, from the equation again
//   3x = 18 + 6
//   3x = 24
//   x = 24 / 3
//   x = 8
//   check: 3*8 - 6 = 24 - 6 = 18, ok     a passed check
//   so x = 8                              the answer restated after a passed check
// Checking is easier than solving here: a·x is already on a line above ("3x = 12" before "x = 12
// / 3"), so a check is one addition and a comparison, while solving needs the right sign move.
// read_checks reads these lines back from any completion, whatever else it holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "grpo/core/rational.hpp"
#include "grpo/tasks/linear_equation.hpp"

namespace grpo {

/// The words the check, retry and conclusion lines start with.
///@{
inline constexpr std::string_view kCheckPrefix = "check: ";
inline constexpr std::string_view kRetryPrefix = "retry: ";
inline constexpr std::string_view kCheckConclusion = "so x = ";
///@}
/// What a failed check line says after its value ("… = 6, not 18"), and a passed one ("… = 18, ok").
///@{
inline constexpr std::string_view kCheckFailedMark = ", not ";
inline constexpr std::string_view kCheckPassedMark = ", ok";
///@}

/// The check line for answer x of a·x + b = c: "check: 3*4 - 6 = 12 - 6 = 6, not 18" or "check:
/// 3*8 - 6 = 24 - 6 = 18, ok" (a negative or fractional x in parentheses; with b = 0 no middle
/// step). a·x must be an integer: it is the value of the "ax = …" line the answer came from.
inline std::string substitution_check(const LinearEquation& eq, const Rational& x) {
    const Rational ax = Rational(eq.a) * x;
    require(ax.den() == 1, "substitution_check: a*x = ", ax.to_string(), " for x = ", x.to_string(),
            " in ", render_linear_equation(eq), ", expected an integer (the value of the line 'ax = ...')");
    const std::string x_text = x.num() < 0 || !x.is_integer() ? "(" + x.to_string() + ")" : x.to_string();
    const std::string b_text = eq.b > 0 ? " + " + std::to_string(eq.b) : eq.b < 0 ? " - " + std::to_string(-eq.b) : "";
    std::string line = std::string(kCheckPrefix) + std::to_string(eq.a) + "*" + x_text + b_text;
    const std::int64_t value = ax.num() + eq.b;
    if (eq.b != 0) line += " = " + std::to_string(ax.num()) + b_text;  // a·x first: it is on a line above
    line += " = " + std::to_string(value);
    if (value == eq.c) return line + std::string(kCheckPassedMark);
    return line + std::string(kCheckFailedMark) + std::to_string(eq.c);
}

/// What a completion's check lines say: how many lines start with "check: ", and how many of them
/// say ", not " (failed). Lines are split at '\n'; a check inside `<think>` counts as any other.
struct CheckTrace {
    int checks = 0;  ///< lines that start with kCheckPrefix
    int failed = 0;  ///< of those, the ones holding kCheckFailedMark
    bool any() const { return checks > 0; }  ///< the completion checked at least once
};

/// Reads the check lines of `completion` (a leading "<think>" before a line's words is allowed).
inline CheckTrace read_checks(std::string_view completion) {
    CheckTrace trace;
    std::size_t begin = 0;
    while (begin <= completion.size()) {
        std::size_t end = completion.find('\n', begin);
        if (end == std::string_view::npos) end = completion.size();
        std::string_view line = completion.substr(begin, end - begin);
        constexpr std::string_view think = "<think>";  // the first line of a tagged solution starts with it
        if (line.substr(0, think.size()) == think) line.remove_prefix(think.size());
        if (line.substr(0, kCheckPrefix.size()) == kCheckPrefix) {
            ++trace.checks;
            if (line.find(kCheckFailedMark) != std::string_view::npos) ++trace.failed;
        }
        begin = end + 1;
    }
    return trace;
}

}  // namespace grpo

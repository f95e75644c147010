// Accuracy reward: 1 if the completion's final answer is right, else 0 (DeepSeek-R1,
// arXiv 2501.12948, §2.2.2 "Accuracy rewards": a deterministic rule checks the final answer in
// a specified format). It never throws on a completion: one without a readable answer scores 0.
//
// Where the final answer is read from, in this order:
//   1. the <answer>…</answer> block, if the completion has one (and only then: a completion
//      that opens <answer> is judged by what is inside it, not by a number elsewhere);
//   2. else the last \boxed{…} or \fbox{…} (MATH, Hendrycks et al. 2021: answers are boxed);
//   3. else the last number in the text (GSM8K-style graders take the last number), read with
//      its thousands groups ("1,000", not "000") and a U+2212 minus sign.
// Several <answer> blocks are several answers: that is hedging, and it scores 0.
//
// Decorations (normalize_answer; rewards/math_answer.hpp strip_answer_decorations), removed in
// any order and nesting, at most kMaxAnswerWrappers = 16 layers, each only when it wraps the
// whole answer ("\boxed{1}+\boxed{2}" is kept as written, and is no number):
//   - surrounding whitespace;
//   - math delimiters $…$, $$…$$, \(…\), \[…\] (how LaTeX marks math; "\$" is not one);
//   - \boxed{…}, \fbox{…} (the MATH answer box);
//   - one trailing period, inside or outside the others ("\boxed{2}.", "$2.$").
// These never change an expression, so the verifier overload receives this text (countdown's
// "(6 - 2) * 5" arrives as written).
//
// Compared with a numeric reference (answer_as_number = parse_math_answer), the answer must be
// exactly one number, compared exactly (Rational: 0.50 == 1/2, 0.333 != 1/3), after these
// number-only rules, in any order, each once unless said:
//   - outer parentheses "(2)", "\left(2\right)" (layers, like the wrappers); inside them a
//     bare ',' is a tuple ("(1,200)" is a pair, not 1200), so only {,} \, \! group digits;
//   - a one-letter variable "x = 2", "x=2", "X = 2", "\(x = 2\)" (first '=' only, so
//     "x = 2 or x = 3" and "x = y = 2" are no number);
//   - one unit after the number: "\%" or "%" (GSM8K graders compare the number without its
//     unit: 50% equals 50, and does NOT equal 0.5), a degree sign (^\circ, ^{\circ}, U+00B0),
//     or a \text{…}/\mbox{…}/\mathrm{…}/\textrm{…} group of words (letters, no digits), as
//     the MATH normaliser drops units ("5 \text{ cm}" is 5); bare words are not units ("5
//     dollars" is no number: a grader cannot tell a unit from the start of a second answer);
//   - one leading currency sign "\$5" or "$5" (GSM8K money answers are written "$5");
//   - the number: [sign] digits [. digits], [sign] .digits, or [sign] integer/integer (as
//     parse_rational reads them: "+2", ".5", "2.", "-7/2"), whose integers may group
//     thousands with ",", "{,}", "\," or "\!" (a first group of 1-3 digits, then groups of
//     exactly 3, one separator throughout: "1,00" and "1,0000" are no numbers); or [sign]
//     \frac/\dfrac/\tfrac of two arguments, each a {plain signed number} or one digit
//     ("\frac12", LaTeX's shorthand), with a zero denominator no number;
//   - the sign is '+', '-' or U+2212 (the Unicode minus sign, which typeset math copies as),
//     directly before the number: "- 2" is no number, and an en dash (U+2013) is no minus
//     (it writes ranges, "3–5"). Mixed numbers ("1\frac12"), scientific notation ("1e3"),
//     radicals and expressions are no numbers: 0.
// The reference is read by the same rules, so a MATH "\frac{1}{2}" or a GSM8K "1,000" works
// as a reference; one that is no number is a caller's bug and throws.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "grpo/core/rational.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/rl/rewards/math_answer.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

namespace accuracy_detail {

/// The content of the last \boxed{…} or \fbox{…}, braces balanced; nullopt when there is none
/// (or the last one is not closed).
inline std::optional<std::string_view> last_boxed(std::string_view text) {
    constexpr std::string_view kBoxed = "\\boxed{", kFbox = "\\fbox{";
    const std::size_t boxed = text.rfind(kBoxed), fbox = text.rfind(kFbox);
    std::size_t begin = 0;
    if (boxed != std::string_view::npos && (fbox == std::string_view::npos || boxed > fbox))
        begin = boxed + kBoxed.size();
    else if (fbox != std::string_view::npos)
        begin = fbox + kFbox.size();
    else
        return std::nullopt;
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

/// The last number token: [-]digits[,ddd…][.digits][/digits]. A minus ('-' or U+2212) is a
/// sign only where it cannot be a binary operator's: at the start or after a space, '=', '(' or
/// ':'  ("7 - 3" ends in 3, "x = -3" in -3). Thousands groups are part of the number when the
/// first group has 1-3 digits and each ",ddd" has exactly 3 ("1,000" is one token; "1,2" two).
inline std::optional<std::string_view> last_number(std::string_view text) {
    std::optional<std::string_view> last;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_digit(text[i]) || (i > 0 && (is_word_char(text[i - 1]) || text[i - 1] == '.'))) {
            ++i;
            continue;
        }
        std::size_t begin = i;
        std::size_t minus = 0;  // bytes of a minus sign just before the digits
        if (begin > 0 && text[begin - 1] == '-') minus = 1;
        if (begin >= 3 && text.substr(begin - 3, 3) == math_answer_detail::kUnicodeMinus) minus = 3;
        if (minus > 0 && (begin == minus || is_space(text[begin - minus - 1]) ||
                          text[begin - minus - 1] == '=' || text[begin - minus - 1] == '(' ||
                          text[begin - minus - 1] == ':'))
            begin -= minus;
        const std::size_t digits = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (i - digits <= 3) {  // thousands groups: ",ddd" not followed by a fourth digit
            while (i + 3 < text.size() && text[i] == ',' && is_digit(text[i + 1]) &&
                   is_digit(text[i + 2]) && is_digit(text[i + 3]) &&
                   (i + 4 == text.size() || !is_digit(text[i + 4])))
                i += 4;
        }
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

/// The raw final-answer text of a completion (see the header comment), or nullopt.
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

/// Strips what is decoration, not answer (see the header comment): whitespace, $…$, $$…$$,
/// `\(…\)`, `\[…\]`, `\boxed{…}`, `\fbox{…}`, one trailing period. Safe for expressions.
inline std::string_view normalize_answer(std::string_view answer) {
    return strip_answer_decorations(answer);
}

/// The answer as one exact number ("x = 7/2", "\boxed{\frac{7}{2}}", "$3.50$" are 7/2; "1,000"
/// is 1000); nullopt if it is not one number. The rules: parse_math_answer (header comment).
inline std::optional<Rational> answer_as_number(std::string_view answer) {
    return parse_math_answer(answer);
}

/// 1 if the completion's final answer equals `reference` (a number: "2", "-7/2", "3.5", or
/// written as an answer is: "\frac{7}{2}", "1,000"). The completion may be anything; a
/// reference that is not a number is a caller's bug and throws.
inline double accuracy_reward(std::string_view completion, std::string_view reference) {
    const auto want = parse_math_answer(reference);
    require(want.has_value(), "accuracy_reward: reference answer '", reference,
            "' is not a number (expected e.g. 2, -7/2 or 3.5)");
    const auto answer = extract_answer(completion);
    if (!answer) return 0.0;
    const auto got = answer_as_number(*answer);
    return got && *got == *want ? 1.0 : 0.0;
}

/// 1 if `check` accepts the completion's normalised final answer: for tasks whose answers are
/// not single numbers (countdown's expressions). `check` is a task's verifier.
inline double accuracy_reward(std::string_view completion,
                              const std::function<bool(std::string_view)>& check) {
    const auto answer = extract_answer(completion);
    return answer && check(normalize_answer(*answer)) ? 1.0 : 0.0;
}

}  // namespace grpo

// Reading a written math answer (GSM8K / MATH style) as one exact number: the notation a model
// wraps around a final answer, and the number inside it. The accuracy reward
// (rewards/accuracy.hpp) uses it; the rules are listed there, in its header comment.
//
// Two levels, because not every answer is a number:
//   strip_answer_decorations  removes only what can wrap any answer (whitespace, $…$, $$…$$,
//                             \(…\), \[…\], \boxed{…}, \fbox{…}, one trailing period). It never
//                             changes an expression's meaning, so a verifier of expressions
//                             (countdown's "(6 - 2) * 5") can receive its result.
//   parse_math_answer         also applies the rules that only make sense for a number:
//                             outer parentheses, "x =", units, %, currency, \frac, thousands
//                             separators, the Unicode minus; nullopt unless exactly one number
//                             is left.
// Both are exact (Rational), never throw on any bytes, and are bounded: at most
// kMaxAnswerWrappers wrapping layers are removed, and every step is a linear scan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "grpo/core/rational.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

/// How many wrapping layers (`$`, `\boxed{}`, parentheses, …) are removed at most; deeper nesting is
/// left in place and the answer is then not read as a number.
constexpr int kMaxAnswerWrappers = 16;

namespace math_answer_detail {

constexpr std::size_t npos = std::string_view::npos;
constexpr std::string_view kUnicodeMinus = "\xE2\x88\x92";  ///< U+2212 MINUS SIGN

inline bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}
inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
inline bool digit(char c) { return c >= '0' && c <= '9'; }
inline bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// One past the '}' that closes the '{' at s[open]; npos when it is never closed.
inline std::size_t close_brace(std::string_view s, std::size_t open) {
    std::size_t depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        if (s[i] == '}' && --depth == 0) return i + 1;
    }
    return npos;
}

/// A '$' that is not the escaped dollar sign "\$".
inline bool has_math_dollar(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '$' && (i == 0 || s[i - 1] != '\\')) return true;
    return false;
}

/// "\boxed{…}" (or \fbox) spanning all of s, spaces allowed before '{': sets the inside.
inline bool strip_command_group(std::string_view& s, std::string_view command) {
    if (!starts_with(s, command)) return false;
    std::size_t open = command.size();
    while (open < s.size() && is_space(s[open])) ++open;
    if (open >= s.size() || s[open] != '{' || close_brace(s, open) != s.size()) return false;
    s = s.substr(open + 1, s.size() - open - 2);
    return true;
}

/// Removes one math delimiter pair or \boxed{}/\fbox{} that wraps all of s (s is trimmed).
inline bool strip_wrapper(std::string_view& s) {
    auto inner = [&](std::size_t front, std::size_t back) {
        return s.substr(front, s.size() - front - back);
    };
    if (s.size() >= 4 && starts_with(s, "$$") && ends_with(s, "$$") && s[s.size() - 3] != '\\' &&
        !has_math_dollar(inner(2, 2))) {
        s = inner(2, 2);
        return true;
    }
    if (s.size() >= 2 && s.front() == '$' && s.back() == '$' && s[s.size() - 2] != '\\' &&
        !has_math_dollar(inner(1, 1))) {
        s = inner(1, 1);
        return true;
    }
    for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"\\(", "\\)"},
                               {"\\[", "\\]"}}) {
        // "\(1\) or \(2\)" is two formulas, not one wrapped answer
        if (s.size() >= 4 && starts_with(s, open) && ends_with(s, close) &&
            inner(2, 2).find(open) == npos && inner(2, 2).find(close) == npos) {
            s = inner(2, 2);
            return true;
        }
    }
    return strip_command_group(s, "\\boxed") || strip_command_group(s, "\\fbox");
}

/// Removes "(…)" or "\left(…\right)" when the first '(' is closed by the last ')'.
inline bool strip_parentheses(std::string_view& s) {
    std::string_view inside;
    if (starts_with(s, "\\left(") && ends_with(s, "\\right)") && s.size() >= 13)
        inside = s.substr(6, s.size() - 13);
    else if (s.size() >= 2 && s.front() == '(' && s.back() == ')')
        inside = s.substr(1, s.size() - 2);
    else
        return false;
    std::size_t depth = 0;  // the inside must be balanced: "(1) - (2)" is not wrapped
    for (char c : inside) {
        if (c == '(') ++depth;
        if (c == ')' && depth-- == 0) return false;
    }
    if (depth != 0) return false;
    s = inside;
    return true;
}

/// "x = 2" -> "2": one ASCII letter, then '=' (the first '=' in s).
inline bool strip_variable(std::string_view& s) {
    const std::size_t eq = s.find('=');
    if (eq == npos) return false;
    const std::string_view name = trim(s.substr(0, eq));
    if (name.size() != 1 || !letter(name[0])) return false;
    s = s.substr(eq + 1);
    return true;
}

/// Drops LaTeX spacing at the end of s ("5\,\text{cm}" leaves "5\," before it).
inline void trim_trailing_spacing(std::string_view& s) {
    for (int i = 0; i < kMaxAnswerWrappers; ++i) {
        s = trim(s);
        if (ends_with(s, "\\,") || ends_with(s, "\\;") || ends_with(s, "\\ ") || ends_with(s, "\\!"))
            s.remove_suffix(2);
        else if (ends_with(s, "~"))
            s.remove_suffix(1);
        else
            return;
    }
}

/// One unit after the number: "\%", "%", a degree sign, or a \text{}/\mbox{}/\mathrm{}/\textrm{}
/// group that holds words (letters, no digits) and follows something.
inline bool strip_unit(std::string_view& s) {
    std::string_view rest = s;
    bool found = false;
    for (std::string_view suffix : {"\\%", "%", "^\\circ", "^{\\circ}", "\xC2\xB0"}) {
        if (ends_with(rest, suffix)) {
            rest.remove_suffix(suffix.size());
            found = true;
            break;
        }
    }
    if (!found && !rest.empty() && rest.back() == '}') {
        for (std::string_view command : {"\\text{", "\\mbox{", "\\mathrm{", "\\textrm{"}) {
            const std::size_t at = rest.rfind(command);
            if (at == npos || at == 0) continue;
            const std::size_t open = at + command.size() - 1;
            if (close_brace(rest, open) != rest.size()) continue;
            const std::string_view words = rest.substr(open + 1, rest.size() - open - 2);
            bool has_letter = false, has_digit = false;
            for (char c : words) has_letter |= letter(c), has_digit |= digit(c);
            if (!has_letter || has_digit) continue;
            rest = rest.substr(0, at);
            found = true;
            break;
        }
    }
    if (!found) return false;
    trim_trailing_spacing(rest);
    if (rest.empty()) return false;
    s = rest;
    return true;
}

/// A leading currency sign: "\$5" or "$5" (a "$" without its closing partner).
inline bool strip_currency(std::string_view& s) {
    if (starts_with(s, "\\$")) s.remove_prefix(2);
    else if (starts_with(s, "$") && !has_math_dollar(s.substr(1))) s.remove_prefix(1);
    else return false;
    return true;
}

/// A sign at s[pos]: '+', '-' or U+2212; advances pos, returns true for a minus.
inline bool read_sign(std::string_view s, std::size_t& pos) {
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) return s[pos++] == '-';
    if (starts_with(s.substr(pos), kUnicodeMinus)) {
        pos += kUnicodeMinus.size();
        return true;
    }
    return false;
}

/// Appends the digits of an integer at s[pos] to `out`, reading thousands groups "1,000",
/// "1{,}000", "1\,000", "1\!000": a first group of 1-3 digits, then groups of exactly three
/// digits, all with the same separator. False when a separator is followed by anything else.
inline bool read_integer(std::string_view s, std::size_t& pos, std::string& out, bool commas) {
    const std::size_t begin = pos;
    while (pos < s.size() && digit(s[pos])) out += s[pos++];
    const std::size_t first = pos - begin;
    for (std::string_view separator : {",", "{,}", "\\,", "\\!"}) {
        if (!starts_with(s.substr(pos), separator)) continue;
        if (separator == "," && !commas) return false;
        if (first == 0 || first > 3) return false;
        while (starts_with(s.substr(pos), separator)) {
            const std::size_t group = pos + separator.size();
            if (group + 3 > s.size() || !digit(s[group]) || !digit(s[group + 1]) ||
                !digit(s[group + 2]) || (group + 3 < s.size() && digit(s[group + 3])))
                return false;
            out.append(s.substr(group, 3));
            pos = group + 3;
        }
        return true;
    }
    return true;
}

/// A plain number filling all of s: [sign] integer [. digits] or [sign] integer / integer, the
/// integers with optional thousands groups; the result of parse_rational on the digits.
inline std::optional<Rational> read_plain(std::string_view s, bool sign_allowed, bool commas) {
    s = trim(s);
    std::size_t pos = 0;
    std::string canonical;
    if (sign_allowed && read_sign(s, pos)) canonical += '-';
    if (pos < s.size() && !digit(s[pos]) && s[pos] != '.') return std::nullopt;  // "--2", "+-2"
    if (!read_integer(s, pos, canonical, commas)) return std::nullopt;
    if (pos < s.size() && s[pos] == '/') {
        canonical += s[pos++];
        if (!read_integer(s, pos, canonical, commas)) return std::nullopt;
    } else if (pos < s.size() && s[pos] == '.') {
        canonical += s[pos++];
        while (pos < s.size() && digit(s[pos])) canonical += s[pos++];
    }
    if (pos != s.size()) return std::nullopt;
    return parse_rational(canonical);
}

/// A TeX macro argument at s[pos]: a {group} or one digit ("\frac12").
inline std::optional<std::string_view> read_argument(std::string_view s, std::size_t& pos) {
    while (pos < s.size() && is_space(s[pos])) ++pos;
    if (pos >= s.size()) return std::nullopt;
    if (digit(s[pos])) return s.substr(pos++, 1);
    if (s[pos] != '{') return std::nullopt;
    const std::size_t end = close_brace(s, pos);
    if (end == npos) return std::nullopt;
    const std::string_view inside = s.substr(pos + 1, end - pos - 2);
    pos = end;
    return inside;
}

/// a / b without throwing: nullopt for b == 0 or 64-bit overflow.
inline std::optional<Rational> divide(Rational a, Rational b, bool negate) {
    std::int64_t num = 0, den = 0;
    if (b.num() == 0 || __builtin_mul_overflow(a.num(), b.den(), &num) ||
        __builtin_mul_overflow(a.den(), b.num(), &den) || num == INT64_MIN || den == INT64_MIN)
        return std::nullopt;
    return Rational(negate ? -num : num, den);
}

/// The number that fills all of s once decorations are gone: a plain number or
/// [sign] \frac / \dfrac / \tfrac with two arguments, each a plain (signed) number.
inline std::optional<Rational> read_number(std::string_view s, bool commas) {
    std::size_t pos = 0;
    const bool negative = read_sign(s, pos);
    for (std::string_view command : {"\\frac", "\\dfrac", "\\tfrac"}) {
        if (!starts_with(s.substr(pos), command)) continue;
        pos += command.size();
        const auto top = read_argument(s, pos);
        if (!top) return std::nullopt;
        const auto bottom = read_argument(s, pos);
        if (!bottom || pos != s.size()) return std::nullopt;
        const auto a = read_plain(*top, true, commas);
        const auto b = read_plain(*bottom, true, commas);
        if (!a || !b) return std::nullopt;
        return divide(*a, *b, negative);
    }
    return read_plain(s, true, commas);
}

}  // namespace math_answer_detail

/// Removes what can wrap any final answer, in any order and nesting (up to kMaxAnswerWrappers
/// layers): surrounding whitespace, `$…$`, `$$…$$`, `\(…\)`, `\[…\]`, `\boxed{…}`, `\fbox{…}`, and one
/// trailing period (inside or outside the other wrappers). A wrapper is removed only when it
/// spans the whole answer ("\boxed{1}+\boxed{2}" stays as it is). Expression-safe.
inline std::string_view strip_answer_decorations(std::string_view answer) {
    using namespace math_answer_detail;
    answer = trim(answer);
    bool period = false;
    for (int layers = 0; layers <= kMaxAnswerWrappers;) {
        if (layers < kMaxAnswerWrappers && strip_wrapper(answer)) {
            ++layers;
        } else if (!period && !answer.empty() && answer.back() == '.') {
            period = true;
            answer.remove_suffix(1);
        } else {
            break;
        }
        answer = trim(answer);
    }
    return answer;
}

/// The answer as one exact number, or nullopt: strip_answer_decorations' wrappers, and also
/// (in any order, each rule once) outer parentheses and `\left(…\right)` (up to the same layer
/// limit), a one-letter "x =", one unit after the number (`\%`, `%`, `^\circ`, `\text{cm}`), one leading
/// currency sign (\$, $); then a plain number (2, -7/2, 3.50, .5, 1,000, 1{,}000, 1\,000) or a
/// [signed] `\frac`/`\dfrac`/`\tfrac` of two plain numbers; '-' or U+2212 as a minus. Inside outer
/// parentheses a bare ',' is a tuple, not a thousands separator: "(1,200)" is not a number.
inline std::optional<Rational> parse_math_answer(std::string_view answer) {
    using namespace math_answer_detail;
    std::string_view s = trim(answer);
    bool period = false, variable = false, unit = false, currency = false, commas = true;
    for (int layers = 0; layers <= kMaxAnswerWrappers;) {
        if (layers < kMaxAnswerWrappers && strip_wrapper(s)) {
            ++layers;
        } else if (layers < kMaxAnswerWrappers && strip_parentheses(s)) {
            ++layers;
            commas = false;
        } else if (!period && !s.empty() && s.back() == '.') {
            period = true;
            s.remove_suffix(1);
        } else if (!variable && strip_variable(s)) {
            variable = true;
        } else if (!unit && strip_unit(s)) {
            unit = true;
        } else if (!currency && strip_currency(s)) {
            currency = true;
        } else {
            break;
        }
        s = trim(s);
    }
    if (s.empty()) return std::nullopt;
    return read_number(s, commas);
}

}  // namespace grpo

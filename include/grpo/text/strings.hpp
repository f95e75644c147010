// Small string helpers the reward rules share: trimming ASCII whitespace and counting or
// finding substrings. string_view in, string_view out: nothing is copied.
#pragma once

#include <cstddef>
#include <string_view>

namespace grpo {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }  ///< an ASCII whitespace character

/// `s` without its leading and trailing ASCII whitespace.
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

inline bool is_blank(std::string_view s) { return trim(s).empty(); }  ///< empty or only whitespace

/// Non-overlapping occurrences of `needle` in `text`.
inline std::size_t count_occurrences(std::string_view text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string_view::npos;
         at = text.find(needle, at + needle.size()))
        ++count;
    return count;
}

/// The text between the first `open` and the next `close` after it; npos-safe: returns false
/// when either tag is missing.
inline bool between(std::string_view text, std::string_view open, std::string_view close,
                    std::string_view& inside) {
    const std::size_t begin = text.find(open);
    if (begin == std::string_view::npos) return false;
    const std::size_t end = text.find(close, begin + open.size());
    if (end == std::string_view::npos) return false;
    inside = text.substr(begin + open.size(), end - begin - open.size());
    return true;
}

}  // namespace grpo

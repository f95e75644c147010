// UTF-8 decoding and the writing system (script) of a code point: what the language-consistency
// reward needs to tell "x equals two" from "x 等于 two". Decoding never fails: each byte of an
// invalid or truncated sequence decodes to U+FFFD (one of the substitution practices the Unicode
// Standard allows, §3.9; simpler to read than the "maximal subpart" one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace grpo {

constexpr char32_t kReplacementChar = 0xFFFD;  ///< U+FFFD, what an invalid byte decodes to

/// Decodes the code point that starts at text[pos] and advances pos past it. Overlong forms,
/// surrogates and values above U+10FFFF are invalid (RFC 3629 §3) and give U+FFFD.
inline char32_t next_code_point(std::string_view text, std::size_t& pos) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) return ++pos, lead;
    int extra;
    char32_t cp, min;
    if ((lead & 0xE0) == 0xC0) extra = 1, cp = lead & 0x1F, min = 0x80;
    else if ((lead & 0xF0) == 0xE0) extra = 2, cp = lead & 0x0F, min = 0x800;
    else if ((lead & 0xF8) == 0xF0) extra = 3, cp = lead & 0x07, min = 0x10000;
    else return ++pos, kReplacementChar;  // a continuation byte or 0xF8..0xFF cannot lead
    if (pos + extra >= text.size()) return ++pos, kReplacementChar;  // truncated at the end
    for (int i = 1; i <= extra; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80) return ++pos, kReplacementChar;
        cp = (cp << 6) | (byte(pos + i) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return ++pos, kReplacementChar;
    pos += extra + 1;
    return cp;
}

/// Appends the UTF-8 encoding of cp (RFC 3629 §3), for a valid code point.
inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Whether `text` is valid UTF-8.
inline bool is_valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        if (next_code_point(text, pos) == kReplacementChar &&
            text.substr(start, pos - start) != "\xEF\xBF\xBD")
            return false;
    }
    return true;
}

/// The scripts the language reward distinguishes. `none` is everything that is not a letter:
/// digits, punctuation, math symbols, spaces, U+FFFD.
enum class Script { none, latin, cjk, cyrillic, greek, arabic, other_letter };

/// The script's name, for messages.
inline const char* script_name(Script s) {
    switch (s) {
        case Script::none: return "none";
        case Script::latin: return "latin";
        case Script::cjk: return "cjk";
        case Script::cyrillic: return "cyrillic";
        case Script::greek: return "greek";
        case Script::arabic: return "arabic";
        case Script::other_letter: return "other";
    }
    return "?";
}

/// Block ranges from the Unicode code charts. Coarse on purpose: a teaching reward needs
/// "which writing system", not full Unicode letter properties.
inline Script script_of(char32_t cp) {
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) return Script::latin;
    if (cp < 0xC0) return Script::none;                                   // ASCII and Latin-1 symbols
    if (cp <= 0x24F && cp != 0xD7 && cp != 0xF7) return Script::latin;   // Latin-1 letters, Latin Ext-A/B
    if (cp >= 0x1E00 && cp <= 0x1EFF) return Script::latin;              // Latin Extended Additional
    if (cp >= 0x370 && cp <= 0x3FF) return Script::greek;
    if (cp >= 0x400 && cp <= 0x52F) return Script::cyrillic;
    if (cp >= 0x600 && cp <= 0x6FF) return Script::arabic;
    if ((cp >= 0x3040 && cp <= 0x30FF) ||   // Hiragana, Katakana
        (cp >= 0x3400 && cp <= 0x4DBF) ||   // CJK Extension A
        (cp >= 0x4E00 && cp <= 0x9FFF) ||   // CJK Unified Ideographs
        (cp >= 0xAC00 && cp <= 0xD7AF) ||   // Hangul syllables
        (cp >= 0xF900 && cp <= 0xFAFF) ||   // CJK Compatibility Ideographs
        (cp >= 0x20000 && cp <= 0x2FA1F))   // CJK Extensions B..F, supplement
        return Script::cjk;
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFF00 && cp <= 0xFF65) || cp == kReplacementChar || cp >= 0x1F000)
        return Script::none;  // punctuation, arrows, math, CJK punctuation, fullwidth forms, emoji
    return Script::other_letter;
}

}  // namespace grpo

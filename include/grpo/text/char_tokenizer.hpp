// CharTokenizer: characters of a small alphabet, the R1 special tokens, and a byte escape so that
// any string round-trips.
//
// Why characters and not BPE: the models here are tiny (a vocabulary of ~100 keeps the
// embedding and LM head a small part of the compute), every digit is its own token (number
// tokenization that splits digits helps arithmetic; Llama and DeepSeek-V3 also split digits),
// and a character vocabulary needs no training. Anything outside the alphabet — other scripts,
// emoji, invalid UTF-8 — is written as one <byte> token followed by two hex-digit tokens per
// byte, so decode(encode(s)) == s for every byte string s, at three tokens a byte.
//
// Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <think>, 4 </think>, 5 <answer>, 6 </answer>, 7 <byte>,
// then the alphabet in the order given. The four tags are matched in the text, so a model reads
// and writes "<think>" as one token; <pad>, <bos> and <eos> are never produced from text and
// decode to nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/text/tokenizer_model.hpp"
#include "grpo/text/utf8.hpp"

namespace grpo {

/// One token per character of a small alphabet, the R1 tags as single tokens, and a byte escape.
class CharTokenizer final : public TokenizerModel {
public:
    /// The special tokens' ids; the alphabet's characters follow from kFirstCharacter.
    ///@{
    static constexpr TokenId kPad = 0, kBos = 1, kEos = 2, kThinkOpen = 3, kThinkClose = 4,
                             kAnswerOpen = 5, kAnswerClose = 6, kByte = 7, kFirstCharacter = 8;
    ///@}

    /// `alphabet` is UTF-8 text whose distinct code points become tokens, in order of first
    /// appearance; the hex digits 0-9a-f are added if missing (the byte escape needs them).
    explicit CharTokenizer(std::string_view alphabet) {
        require(is_valid_utf8(alphabet), "CharTokenizer: the alphabet is not valid UTF-8");
        for (std::size_t pos = 0; pos < alphabet.size();) add_character(next_code_point(alphabet, pos));
        for (char c : std::string_view("0123456789abcdef")) add_character(static_cast<unsigned char>(c));
    }

    /// Printable ASCII and newline: enough for every task and template in this library.
    static CharTokenizer ascii() { return ascii_with(""); }

    /// ascii() plus the code points of `extra` as single tokens after it (ascii()'s ids are kept):
    /// a second script costs one token a letter instead of a 3-token byte escape per byte.
    static CharTokenizer ascii_with(std::string_view extra) {
        std::string alphabet = "\n";
        for (char c = ' '; c <= '~'; ++c) alphabet += c;
        return CharTokenizer(alphabet + std::string(extra));
    }

    int vocab_size() const override { return kFirstCharacter + static_cast<int>(characters_.size()); }  ///< the special tokens plus the alphabet

    std::vector<TokenId> encode(std::string_view text) const override {
        std::vector<TokenId> ids;
        ids.reserve(text.size());
        for (std::size_t pos = 0; pos < text.size();) {
            if (const TokenId tag = tag_at(text, pos); tag >= 0) {
                ids.push_back(tag);
                pos += special_text(tag).size();
                continue;
            }
            const std::size_t start = pos;
            const char32_t cp = next_code_point(text, pos);
            const auto found = ids_.find(cp);
            /// An invalid byte also decodes to U+FFFD; only a real U+FFFD may use its token.
            const bool decoded_cleanly =
                cp != kReplacementChar || text.compare(start, pos - start, "\xEF\xBF\xBD") == 0;
            if (found != ids_.end() && decoded_cleanly) {
                ids.push_back(found->second);
                continue;
            }
            for (std::size_t i = start; i < pos; ++i) push_byte(ids, static_cast<unsigned char>(text[i]));
        }
        return ids;
    }

    /// Text of the ids. Strict (the default) throws on a `<byte>` that is not followed by two hex
    /// digits, which encode() never produces. A model's samples can contain anything, so
    /// `lenient` decodes such a broken escape as U+FFFD and goes on: use it for generated text.
    std::string decode(const std::vector<TokenId>& ids, bool lenient = false) const override {
        std::string text;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const TokenId id = ids[i];
            require(id >= 0 && id < vocab_size(), "CharTokenizer::decode: id ", id, " at position ", i,
                    " is outside the vocabulary of ", vocab_size());
            if (id == kByte) {
                const int hi = i + 1 < ids.size() ? hex_value(ids[i + 1]) : -1;
                const int lo = i + 2 < ids.size() ? hex_value(ids[i + 2]) : -1;
                if (hi >= 0 && lo >= 0) {
                    text += static_cast<char>(hi * 16 + lo);
                    i += 2;
                } else if (lenient) {
                    text += "\xEF\xBF\xBD";
                } else {
                    throw Error(str("CharTokenizer::decode: <byte> at position ", i,
                                    " is not followed by two hex digits"));
                }
            } else if (id < kFirstCharacter) {
                text += special_text(id);
            } else {
                append_utf8(text, characters_[id - kFirstCharacter]);
            }
        }
        return text;
    }

    TokenId pad_id() const override { return kPad; }
    TokenId eos_id() const override { return kEos; }

    /// Per token, as lenient decoding lays the text out: a tag such as `<think>` is one token of
    /// several bytes; `<eos>` and `<pad>` have none; a byte escape `<byte>` h l is three tokens for
    /// one byte, held by its last token (the first two add nothing); a broken escape is U+FFFD
    /// (3 bytes) on the `<byte>` token. Throws only for an id outside the vocabulary.
    std::vector<std::size_t> text_ends(const std::vector<TokenId>& ids) const override {
        std::vector<std::size_t> ends(ids.size());
        std::size_t length = 0;
        for (std::size_t t = 0; t < ids.size(); ++t) {
            if (ids[t] == kByte && t + 2 < ids.size()) {
                const std::string byte = decode({ids[t], ids[t + 1], ids[t + 2]}, true);
                if (byte.size() == 1) {  // a well-formed escape (a broken one gives U+FFFD + more)
                    ends[t] = ends[t + 1] = length;
                    ends[t + 2] = ++length;
                    t += 2;
                    continue;
                }
            }
            length += decode({ids[t]}, true).size();
            ends[t] = length;
        }
        return ends;
    }

    /// The text of a special token: "<think>" etc.; "" for `<pad>`, `<bos>`, `<eos>`.
    static std::string_view special_text(TokenId id) {
        switch (id) {
            case kThinkOpen: return "<think>";
            case kThinkClose: return "</think>";
            case kAnswerOpen: return "<answer>";
            case kAnswerClose: return "</answer>";
            default: return "";
        }
    }

    /// A readable name for any id, for printing token tables: "<eos>", "'7'", "'\n'".
    std::string token_name(TokenId id) const override {
        static const char* const names[] = {"<pad>", "<bos>", "<eos>", "<think>", "</think>",
                                            "<answer>", "</answer>", "<byte>"};
        require(id >= 0 && id < vocab_size(), "CharTokenizer::token_name: id ", id,
                " is outside the vocabulary of ", vocab_size());
        if (id < kFirstCharacter) return names[id];
        std::string text;
        append_utf8(text, characters_[id - kFirstCharacter]);
        return text == "\n" ? "'\\n'" : "'" + text + "'";
    }

private:
    void add_character(char32_t cp) {
        if (ids_.count(cp)) return;
        ids_[cp] = kFirstCharacter + static_cast<TokenId>(characters_.size());
        characters_.push_back(cp);
    }

    static TokenId tag_at(std::string_view text, std::size_t pos) {
        if (text[pos] != '<') return -1;
        for (TokenId tag = kThinkOpen; tag <= kAnswerClose; ++tag)
            if (text.compare(pos, special_text(tag).size(), special_text(tag)) == 0) return tag;
        return -1;
    }

    void push_byte(std::vector<TokenId>& ids, unsigned char byte) const {
        constexpr std::string_view kHex = "0123456789abcdef";
        ids.push_back(kByte);
        ids.push_back(ids_.at(static_cast<unsigned char>(kHex[byte >> 4])));
        ids.push_back(ids_.at(static_cast<unsigned char>(kHex[byte & 15])));
    }

    /// The value of a hex-digit token, or -1 for any other id.
    int hex_value(TokenId id) const {
        const char32_t cp = id >= kFirstCharacter && id < vocab_size() ? characters_[id - kFirstCharacter] : 0;
        if (cp >= '0' && cp <= '9') return static_cast<int>(cp - '0');
        if (cp >= 'a' && cp <= 'f') return static_cast<int>(cp - 'a' + 10);
        return -1;
    }

    std::vector<char32_t> characters_;              ///< id - kFirstCharacter -> code point
    std::unordered_map<char32_t, TokenId> ids_;     ///< code point -> id
};

}  // namespace grpo

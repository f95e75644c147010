// BpeTokenizer: byte-level BPE (GPT-2 style) read from a Hugging Face tokenizer.json, so that a
// model here can use the tokenizer of a real model, or one trained with the `tokenizers` library.
// tests/test_text_bpe_tokenizer.cpp checks it against `tokenizers` on tests/data/bpe/ (made by
// scripts/make_bpe_fixture.py).
//
// How a text becomes ids (what tokenizers does with add_special_tokens=False):
//   1. Added tokens ("<think>", ...) are found in the raw text, leftmost first, longest first;
//      they become their own id and cut the text into segments.
//   2. Each segment gets a leading space if add_prefix_space is set and it has none, and is cut
//      into pieces by the GPT-2 pattern (words, numbers, punctuation, runs of white space).
//   3. Each piece's UTF-8 bytes become byte tokens, which the merges join, lowest rank first.
// Decoding maps each token back to its bytes and the bytes to text.
//
// Choices that differ from tokenizers, all because of the TokenizerModel contract:
//   - the pad and eos tokens are never matched in the text (the text "<eos>" is encoded as
//     ordinary characters) and decode to "", so decode(encode(s)) == s; every other added token,
//     special or not, decodes to its content (tokenizers' decode with skip_special_tokens=False);
//   - encode() refuses text that is not valid UTF-8 (tokenizers only takes Python str).
// With add_prefix_space = true decode keeps the added space (so does tokenizers), and
// decode(encode(s)) is s with a space before each segment: use add_prefix_space = false where
// the round trip matters.
//
// Supported tokenizer.json: model BPE (no dropout, no subword prefix or suffix, no byte
// fallback, ignore_merges either way), pre_tokenizer ByteLevel with use_regex (alone or as the
// one element of a Sequence), decoder ByteLevel, no normalizer, no truncation or padding, added
// tokens without lstrip/rstrip/single_word. The post_processor is ignored: encode() never adds
// BOS/EOS tokens. Everything else is refused with a grpo::Error that names the field and value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"
#include "grpo/text/tokenizer_model.hpp"
#include "grpo/text/unicode_classes.hpp"
#include "grpo/text/utf8.hpp"

namespace grpo {

/// Names of the padding and end tokens: tokenizer.json does not say which tokens they are.
struct BpeSpecialTokens {
    std::string pad = "<pad>";  ///< content of the padding token
    std::string eos = "<eos>";  ///< content of the end-of-sequence token
};

namespace bpe_detail {

/// The JSON type tokenizer.json is read into.
using Json = nlohmann::json;

/// One step of a UTF-8 scan: the length of the sequence at a position and whether it is valid.
struct Utf8Step {
    std::size_t length;  ///< bytes of the valid sequence, or of the maximal invalid subpart (>= 1)
    bool valid;          ///< whether those bytes are one well-formed code point
};

/// The sequence that starts at bytes[pos]. An invalid one has the length of its "maximal
/// subpart" (Unicode §3.9, Table 3-7): the bytes that could still have begun a valid sequence.
/// One U+FFFD per maximal subpart is what Python's decode('utf-8', 'replace') and Rust's
/// String::from_utf8_lossy (used by tokenizers' ByteLevel decoder) write.
inline Utf8Step utf8_step(std::string_view bytes, std::size_t pos) {
    const auto byte_at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte_at(pos);
    if (lead < 0x80) return {1, true};
    std::size_t length;
    unsigned char second_low = 0x80, second_high = 0xBF;  // E0, ED, F0, F4 narrow the 2nd byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_low = 0xA0;   // no overlong forms
        if (lead == 0xED) second_high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_low = 0x90;   // no overlong forms
        if (lead == 0xF4) second_high = 0x8F;  // nothing above U+10FFFF
    } else {
        return {1, false};  // C0, C1, F5..FF and continuation bytes never start a sequence
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (pos + i >= bytes.size()) return {i, false};
        const unsigned char b = byte_at(pos + i);
        const bool fits = i == 1 ? (b >= second_low && b <= second_high) : (b >= 0x80 && b <= 0xBF);
        if (!fits) return {i, false};
    }
    return {length, true};
}

/// Byte offset of the first invalid UTF-8 sequence, or npos when all of `bytes` is valid.
inline std::size_t first_invalid_utf8(std::string_view bytes) {
    for (std::size_t pos = 0; pos < bytes.size();) {
        const Utf8Step step = utf8_step(bytes, pos);
        if (!step.valid) return pos;
        pos += step.length;
    }
    return std::string_view::npos;
}

/// `bytes` as text, each maximal invalid subpart replaced by U+FFFD (from_utf8_lossy).
inline std::string utf8_lossy(std::string_view bytes) {
    std::string text;
    for (std::size_t pos = 0; pos < bytes.size();) {
        const Utf8Step step = utf8_step(bytes, pos);
        if (step.valid) text.append(bytes.substr(pos, step.length));
        else text += "\xEF\xBF\xBD";
        pos += step.length;
    }
    return text;
}

/// GPT-2's byte -> character table (bytes_to_unicode() in GPT-2's src/encoder.py, also in
/// tokenizers' pre_tokenizers/byte_level.rs): the printable bytes '!'..'~', 0xA1..0xAC and
/// 0xAE..0xFF stand for themselves, the other 68 bytes for U+0100, U+0101, ... in byte order,
/// so that every token is printable text without spaces.
inline std::array<char32_t, 256> byte_to_char_table() {
    std::array<char32_t, 256> table{};
    char32_t next_unprintable = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        table[b] = printable ? static_cast<char32_t>(b) : next_unprintable++;
    }
    return table;
}

/// Code points of `text` (valid UTF-8) and the byte offset of each, plus the end offset.
struct CodePoints {
    std::vector<char32_t> cps;         ///< the code points
    std::vector<std::size_t> offsets;  ///< offsets[i] = byte where cps[i] starts; size cps + 1
};

/// Decodes valid UTF-8 text into code points with their offsets.
inline CodePoints code_points_of(std::string_view text) {
    CodePoints out;
    for (std::size_t pos = 0; pos < text.size();) {
        out.offsets.push_back(pos);
        out.cps.push_back(next_code_point(text, pos));
    }
    out.offsets.push_back(text.size());
    return out;
}

/// Length of the contraction 's 't 're 've 'm 'll 'd (ASCII, case-sensitive) at cps[i], or 0.
inline std::size_t match_contraction(const std::vector<char32_t>& cps, std::size_t i) {
    static const char* const kSuffixes[] = {"s", "t", "re", "ve", "m", "ll", "d"};
    if (cps[i] != '\'') return 0;
    for (const char* suffix : kSuffixes) {
        std::size_t k = 0;
        while (suffix[k] != '\0' && i + 1 + k < cps.size() && cps[i + 1 + k] == static_cast<char32_t>(suffix[k])) ++k;
        if (suffix[k] == '\0') return 1 + k;
    }
    return 0;
}

/// Length of ` ?C+` at cps[i] (an optional U+0020, then one or more code points of class C), or 0.
template <class InClass>
std::size_t match_space_then_run(const std::vector<char32_t>& cps, std::size_t i, InClass in_class) {
    std::size_t start = i;
    if (cps[i] == ' ' && i + 1 < cps.size() && in_class(cps[i + 1])) start = i + 1;
    std::size_t end = start;
    while (end < cps.size() && in_class(cps[end])) ++end;
    return end > start ? end - i : 0;
}

/// Length of `\s+(?!\S)|\s+` at cps[i], a white-space code point. The lookahead makes a run
/// that is followed by text give back its last code point, which then starts the next piece
/// (so "a  b" is "a", " ", " b"); at the end of the text, or for a run of one, the whole run.
inline std::size_t match_whitespace(const std::vector<char32_t>& cps, std::size_t i) {
    std::size_t end = i;
    while (end < cps.size() && is_whitespace(cps[end])) ++end;
    const std::size_t run = end - i;
    return end == cps.size() || run == 1 ? run : run - 1;
}

/// Cuts text (valid UTF-8) into the pieces of the GPT-2 pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// (GPT-2's src/encoder.py; tokenizers' ByteLevel pre-tokenizer uses the same pattern), trying
/// the alternatives in order at each position as a backtracking regex engine does. Every code
/// point is a letter, a number, white space or "other", so some alternative always matches.
inline std::vector<std::string_view> split_gpt2(std::string_view text) {
    const CodePoints points = code_points_of(text);
    const std::vector<char32_t>& cps = points.cps;
    const auto is_other = [](char32_t cp) { return !is_whitespace(cp) && !is_letter(cp) && !is_number(cp); };
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i < cps.size();) {
        std::size_t length = match_contraction(cps, i);
        if (length == 0) length = match_space_then_run(cps, i, is_letter);
        if (length == 0) length = match_space_then_run(cps, i, is_number);
        if (length == 0) length = match_space_then_run(cps, i, is_other);
        if (length == 0) length = match_whitespace(cps, i);
        const std::size_t begin = points.offsets[i], end = points.offsets[i + length];
        pieces.push_back(text.substr(begin, end - begin));
        i += length;
    }
    return pieces;
}

/// A part of the text to encode: an added token (its id) or plain text (added_id < 0).
struct Segment {
    std::string_view text;  ///< the bytes of the part
    TokenId added_id;       ///< the added token's id, or -1 for plain text
};

/// An added token that encode() looks for in the text.
struct AddedToken {
    std::string content;  ///< its literal text
    TokenId id;           ///< its id
};

/// Cuts the plain-text segments further at every occurrence of one of `tokens`: at the leftmost
/// position where one matches, the longest one wins (the LeftmostLongest matching of
/// tokenizers' tokenizer/added_vocabulary.rs).
inline std::vector<Segment> split_on_added(const std::vector<Segment>& segments, const std::vector<AddedToken>& tokens) {
    std::vector<Segment> out;
    for (const Segment& segment : segments) {
        if (segment.added_id >= 0 || tokens.empty()) {
            out.push_back(segment);
            continue;
        }
        const std::string_view text = segment.text;
        std::size_t plain_start = 0;
        for (std::size_t pos = 0; pos < text.size();) {
            const AddedToken* longest = nullptr;
            for (const AddedToken& token : tokens)
                if (text.compare(pos, token.content.size(), token.content) == 0 &&
                    (longest == nullptr || token.content.size() > longest->content.size()))
                    longest = &token;
            if (longest == nullptr) {
                ++pos;
                continue;
            }
            if (pos > plain_start) out.push_back({text.substr(plain_start, pos - plain_start), -1});
            out.push_back({text.substr(pos, longest->content.size()), longest->id});
            pos += longest->content.size();
            plain_start = pos;
        }
        if (plain_start < text.size()) out.push_back({text.substr(plain_start), -1});
    }
    return out;
}

/// The member `name` of a JSON object, or nullptr when absent.
inline const Json* find_field(const Json& object, const char* name) {
    const auto found = object.find(name);
    return found == object.end() ? nullptr : &*found;
}

/// Throws unless `ok`: "BpeTokenizer: <path> is <value>; <supported>".
inline void check_field(bool ok, const std::string& path, const Json& value, const char* supported) {
    require(ok, "BpeTokenizer: ", path, " is ", value.dump(), "; ", supported);
}

/// Throws unless the optional field is absent or has one of the values that change nothing.
inline void check_absent_or(const Json& object, const char* name, const std::string& path,
                            const Json& neutral_a, const Json& neutral_b, const char* supported) {
    const Json* value = find_field(object, name);
    if (value != nullptr) check_field(*value == neutral_a || *value == neutral_b, path + "." + name, *value, supported);
}

/// The string in `value`, or an error naming path.
inline const std::string& string_field(const Json& value, const std::string& path) {
    check_field(value.is_string(), path, value, "expected a string");
    return value.get_ref<const std::string&>();
}

/// The bool member `name` of `object`, `missing` when absent, or an error naming the path.
inline bool bool_field(const Json& object, const char* name, const std::string& path, bool missing) {
    const Json* value = find_field(object, name);
    if (value == nullptr) return missing;
    check_field(value->is_boolean(), path + "." + name, *value, "expected true or false");
    return value->get<bool>();
}

/// The member `name` of `object`, which must exist.
inline const Json& required_field(const Json& object, const char* name, const std::string& path) {
    const Json* value = find_field(object, name);
    require(value != nullptr, "BpeTokenizer: ", path, ".", name, " is missing");
    return *value;
}

/// Token text for printing: printable ASCII as is, `\n` `\t` `\r` `\\` escaped, other control bytes
/// and bytes that are not part of valid UTF-8 as `\xNN`, valid non-ASCII characters as is.
inline std::string escaped_for_name(std::string_view bytes) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t pos = 0; pos < bytes.size();) {
        const unsigned char b = static_cast<unsigned char>(bytes[pos]);
        const Utf8Step step = utf8_step(bytes, pos);
        if (step.valid && b >= 0x80) {
            out.append(bytes.substr(pos, step.length));
            pos += step.length;
            continue;
        }
        if (b == '\n') out += "\\n";
        else if (b == '\t') out += "\\t";
        else if (b == '\r') out += "\\r";
        else if (b == '\\') out += "\\\\";
        else if (b >= 0x20 && b < 0x7F) out += static_cast<char>(b);
        else out += std::string("\\x") + kHex[b >> 4] + kHex[b & 15];
        ++pos;
    }
    return out;
}

}  // namespace bpe_detail

/// Byte-level BPE tokenizer read from a Hugging Face tokenizer.json (see the top of this file).
class BpeTokenizer final : public TokenizerModel {
public:
    /// Builds the tokenizer from the text of a tokenizer.json; throws grpo::Error on anything unsupported.
    static BpeTokenizer from_json_text(std::string_view json, BpeSpecialTokens names = {}) {
        bpe_detail::Json parsed;
        try {
            parsed = bpe_detail::Json::parse(json.begin(), json.end());
        } catch (const bpe_detail::Json::exception& e) {
            throw Error(str("BpeTokenizer: tokenizer.json is not valid JSON: ", e.what()));
        }
        try {
            return BpeTokenizer(parsed, names);
        } catch (const bpe_detail::Json::exception& e) {  // a field of an unexpected JSON type
            throw Error(str("BpeTokenizer: unexpected value in tokenizer.json: ", e.what()));
        }
    }

    /// Reads a tokenizer.json file; errors name the path.
    static BpeTokenizer from_file(const std::string& path, BpeSpecialTokens names = {}) {
        std::ifstream in(path, std::ios::binary);
        require(in.good(), "BpeTokenizer: cannot open ", path);
        std::ostringstream text;
        text << in.rdbuf();
        try {
            return from_json_text(text.str(), std::move(names));
        } catch (const Error& e) {
            throw Error(str(e.what(), " (in ", path, ")"));
        }
    }

    /// Number of ids: model vocabulary and added tokens together.
    int vocab_size() const override { return static_cast<int>(token_bytes_.size()); }

    /// Ids of valid UTF-8 text, as tokenizers' encode(text, add_special_tokens=False) except that
    /// pad and eos are not matched; throws grpo::Error naming the byte where the UTF-8 breaks.
    std::vector<TokenId> encode(std::string_view text) const override {
        const std::size_t bad = bpe_detail::first_invalid_utf8(text);
        require(bad == std::string_view::npos, "BpeTokenizer::encode: the text is not valid UTF-8 at byte ", bad);
        /// Tokens with normalized=false are matched first, then the others in what is left
        /// (tokenizers' added_vocabulary.rs; with no normalizer the two texts are the same).
        std::vector<bpe_detail::Segment> segments = {{text, -1}};
        segments = bpe_detail::split_on_added(segments, added_raw_);
        segments = bpe_detail::split_on_added(segments, added_normalized_);
        std::vector<TokenId> ids;
        for (const bpe_detail::Segment& segment : segments) {
            if (segment.added_id >= 0) ids.push_back(segment.added_id);
            else encode_plain(segment.text, ids);
        }
        return ids;
    }

    /// Text of the ids: pad and eos give "", added tokens their content, others their bytes.
    /// Strict mode throws grpo::Error when the bytes are not UTF-8 (naming the byte and token);
    /// lenient mode writes U+FFFD per maximal invalid subpart, as tokenizers' decode does.
    /// An id out of range throws in both modes.
    std::string decode(const std::vector<TokenId>& ids, bool lenient = false) const override {
        std::string bytes;
        std::vector<std::size_t> token_starts;  // byte where each id's bytes begin, for errors
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const TokenId id = ids[i];
            require(id >= 0 && id < vocab_size(), "BpeTokenizer::decode: id ", id, " at position ", i,
                    " is outside the vocabulary of ", vocab_size());
            token_starts.push_back(bytes.size());
            if (id != pad_id_ && id != eos_id_) bytes += token_bytes_[id];
        }
        if (lenient) return bpe_detail::utf8_lossy(bytes);
        const std::size_t bad = bpe_detail::first_invalid_utf8(bytes);
        if (bad != std::string::npos) {
            std::size_t position = 0;
            while (position + 1 < token_starts.size() && token_starts[position + 1] <= bad) ++position;
            throw Error(str("BpeTokenizer::decode: the bytes are not valid UTF-8 at byte ", bad, " (token at position ",
                            position, ", id ", ids[position], ")"));
        }
        return bytes;
    }

    /// A readable name: an added token's content ("<eos>"), else the token's bytes in quotes
    /// with bpe_detail::escaped_for_name's escapes: a newline is `\n`, a lone byte E2 `\xe2`.
    std::string token_name(TokenId id) const override {
        require(id >= 0 && id < vocab_size(), "BpeTokenizer::token_name: id ", id, " is outside the vocabulary of ",
                vocab_size());
        if (is_added_[id]) return token_bytes_[id];
        return "'" + bpe_detail::escaped_for_name(token_bytes_[id]) + "'";
    }

    /// Id of the token named BpeSpecialTokens::pad.
    TokenId pad_id() const override { return pad_id_; }
    /// Id of the token named BpeSpecialTokens::eos.
    TokenId eos_id() const override { return eos_id_; }

private:
    using Json = bpe_detail::Json;

    /// A merge: its rank (lower merges first) and the id of the joined token.
    struct Merge {
        int rank;
        TokenId result;
    };

    /// Reads and checks everything; the order matters (ids before merges before specials).
    BpeTokenizer(const Json& root, const BpeSpecialTokens& names) {
        require(root.is_object(), "BpeTokenizer: tokenizer.json must be a JSON object");
        check_pipeline(root);
        const Json& model = required_field_of(root, "model", "tokenizer.json");
        check_model_options(model);
        const Json* added = bpe_detail::find_field(root, "added_tokens");
        read_ids(model, added == nullptr ? Json::array() : *added);
        read_merges(required_field_of(model, "merges", "model"));
        pad_id_ = special_id(names.pad, "pad");
        eos_id_ = special_id(names.eos, "eos");
        collect_matched_added_tokens(added == nullptr ? Json::array() : *added);
    }

    /// required_field with a C-string path, for brevity at the call sites.
    static const Json& required_field_of(const Json& object, const char* name, const char* path) {
        return bpe_detail::required_field(object, name, path);
    }

    /// Normalizer, pre-tokenizer, decoder, truncation and padding: only what byte-level BPE needs.
    void check_pipeline(const Json& root) {
        using bpe_detail::check_absent_or;
        check_absent_or(root, "normalizer", "tokenizer.json", nullptr, nullptr, "supported: null (no normalizer)");
        check_absent_or(root, "truncation", "tokenizer.json", nullptr, nullptr, "supported: null (encode never truncates)");
        check_absent_or(root, "padding", "tokenizer.json", nullptr, nullptr, "supported: null (encode never pads)");
        const Json& pre = required_field_of(root, "pre_tokenizer", "tokenizer.json");
        const Json* byte_level = &pre;
        std::string path = "pre_tokenizer";
        if (pre.is_object() && pre.value("type", "") == "Sequence") {
            const Json& inner = required_field_of(pre, "pretokenizers", "pre_tokenizer");
            bpe_detail::check_field(inner.is_array() && inner.size() == 1, "pre_tokenizer.pretokenizers", inner,
                                    "supported: a Sequence of exactly one ByteLevel");
            byte_level = &inner[0];
            path = "pre_tokenizer.pretokenizers[0]";
        }
        bpe_detail::check_field(byte_level->is_object() && byte_level->value("type", "") == "ByteLevel", path, *byte_level,
                                "supported: ByteLevel (alone or the only element of a Sequence)");
        add_prefix_space_ = bpe_detail::bool_field(*byte_level, "add_prefix_space", path, true);
        bpe_detail::check_field(bpe_detail::bool_field(*byte_level, "use_regex", path, true), path + ".use_regex",
                                false, "supported: true (the GPT-2 pattern)");
        const Json& decoder = required_field_of(root, "decoder", "tokenizer.json");
        bpe_detail::check_field(decoder.is_object() && decoder.value("type", "") == "ByteLevel", "decoder", decoder,
                                "supported: ByteLevel");
    }

    /// The BPE options that change what a text encodes to.
    void check_model_options(const Json& model) {
        using bpe_detail::check_absent_or;
        bpe_detail::check_field(model.is_object(), "model", model, "expected an object");
        const Json& type = required_field_of(model, "type", "model");
        bpe_detail::check_field(type == "BPE", "model.type", type, "supported: \"BPE\"");
        check_absent_or(model, "dropout", "model", nullptr, nullptr, "supported: null (no BPE dropout)");
        check_absent_or(model, "continuing_subword_prefix", "model", nullptr, "", "supported: null or \"\"");
        check_absent_or(model, "end_of_word_suffix", "model", nullptr, "", "supported: null or \"\"");
        check_absent_or(model, "byte_fallback", "model", false, false,
                        "supported: false (byte-level BPE has a token for every byte)");
        // unk_token is accepted but never used: every byte has a token (checked in read_ids).
        // ignore_merges: a piece that is itself in the vocabulary skips the merges
        // (tokenizers' models/bpe/model.rs).
        ignore_merges_ = bpe_detail::bool_field(model, "ignore_merges", "model", false);
    }

    /// Fills token_bytes_ and is_added_ from model.vocab and added_tokens; ids must be 0..n-1
    /// with each id named once (an added token may repeat its own vocab entry).
    void read_ids(const Json& model, const Json& added) {
        const Json& vocab = required_field_of(model, "vocab", "model");
        bpe_detail::check_field(vocab.is_object(), "model.vocab", vocab, "expected an object of token: id");
        bpe_detail::check_field(added.is_array(), "added_tokens", added, "expected an array");
        const std::size_t bound = vocab.size() + added.size();  // no gaps means every id is below this
        std::vector<std::string> text(bound);
        std::vector<bool> filled(bound, false);
        is_added_.assign(bound, false);
        for (auto entry = vocab.begin(); entry != vocab.end(); ++entry) {
            const TokenId id = checked_id(entry.value(), "model.vocab[\"" + entry.key() + "\"]", bound);
            require(!filled[id], "BpeTokenizer: model.vocab has id ", id, " twice (\"", text[id], "\" and \"",
                    entry.key(), "\"); each id must be one token");
            text[id] = entry.key();
            filled[id] = true;
            vocab_ids_[entry.key()] = id;
        }
        for (std::size_t i = 0; i < added.size(); ++i) {
            const std::string path = str("added_tokens[", i, "]");
            const Json& token = added[i];
            bpe_detail::check_field(token.is_object(), path, token, "expected an object");
            const TokenId id = checked_id(required_field_of(token, "id", path.c_str()), path + ".id", bound);
            const std::string& content = bpe_detail::string_field(required_field_of(token, "content", path.c_str()),
                                                                  path + ".content");
            require(!filled[id] || (text[id] == content && !is_added_[id]), "BpeTokenizer: ", path, " has id ", id,
                    " which is already \"", text[id], "\"; each id must be one token");
            text[id] = content;
            filled[id] = true;
            is_added_[id] = true;
        }
        std::size_t n = 0;
        for (std::size_t id = 0; id < bound; ++id)
            if (filled[id]) n = id + 1;
        for (std::size_t id = 0; id < n; ++id)
            require(filled[id], "BpeTokenizer: no token has id ", id, "; ids must be 0..", n - 1, " without gaps");
        text.resize(n);
        is_added_.resize(n);
        token_bytes_.resize(n);
        for (std::size_t id = 0; id < n; ++id)
            token_bytes_[id] = is_added_[id] ? text[id] : bytes_of_vocab_entry(text[id]);
        read_byte_tokens();
    }

    /// An id from JSON: an integer in [0, bound).
    static TokenId checked_id(const Json& value, const std::string& path, std::size_t bound) {
        const bool ok = value.is_number_integer() && value.get<long long>() >= 0 &&
                        value.get<long long>() < static_cast<long long>(bound);
        bpe_detail::check_field(ok, path, value, str("ids must be 0..n-1 without gaps, here below ", bound).c_str());
        return static_cast<TokenId>(value.get<long long>());
    }

    /// The bytes a vocab entry stands for: each of its characters must be a byte-level one.
    std::string bytes_of_vocab_entry(const std::string& entry) const {
        require(!entry.empty(), "BpeTokenizer: model.vocab has an empty token");
        static const std::unordered_map<char32_t, unsigned char> char_to_byte = [] {
            std::unordered_map<char32_t, unsigned char> table;
            const std::array<char32_t, 256> byte_to_char = bpe_detail::byte_to_char_table();
            for (int b = 0; b < 256; ++b) table[byte_to_char[b]] = static_cast<unsigned char>(b);
            return table;
        }();
        std::string bytes;
        for (std::size_t pos = 0; pos < entry.size();) {
            const auto found = char_to_byte.find(next_code_point(entry, pos));
            require(found != char_to_byte.end(), "BpeTokenizer: model.vocab token \"", entry,
                    "\" is not byte-level text (GPT-2's byte-to-character table) and is not an added token");
            bytes += static_cast<char>(found->second);
        }
        return bytes;
    }

    /// The id of each single-byte token; all 256 must exist (so unk_token is never needed).
    void read_byte_tokens() {
        const std::array<char32_t, 256> byte_to_char = bpe_detail::byte_to_char_table();
        for (int b = 0; b < 256; ++b) {
            std::string entry;
            append_utf8(entry, byte_to_char[b]);
            const auto found = vocab_ids_.find(entry);
            require(found != vocab_ids_.end(), "BpeTokenizer: model.vocab has no token for byte ", b, " (\"", entry,
                    "\"); supported: vocabularies with all 256 byte tokens (ByteLevel.alphabet())");
            byte_token_[b] = found->second;
        }
    }

    /// Merges in rank order, as "a b" strings or [a, b] arrays; each part and the joined token
    /// must be in the vocabulary, and no pair may appear twice.
    void read_merges(const Json& merges) {
        bpe_detail::check_field(merges.is_array(), "model.merges", merges, "expected an array");
        for (std::size_t rank = 0; rank < merges.size(); ++rank) {
            const std::string path = str("model.merges[", rank, "]");
            const Json& merge = merges[rank];
            std::string left, right;
            if (merge.is_string()) {
                const std::string& pair = merge.get_ref<const std::string&>();
                const std::size_t space = pair.find(' ');
                bpe_detail::check_field(space != std::string::npos && space > 0 && space + 1 < pair.size() &&
                                            pair.find(' ', space + 1) == std::string::npos,
                                        path, merge, "expected \"left right\" with one space");
                left = pair.substr(0, space);
                right = pair.substr(space + 1);
            } else {
                bpe_detail::check_field(merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string(),
                                        path, merge, "expected \"left right\" or [\"left\", \"right\"]");
                left = merge[0].get<std::string>();
                right = merge[1].get<std::string>();
            }
            const TokenId left_id = vocab_id_for_merge(left, path, merge), right_id = vocab_id_for_merge(right, path, merge);
            const TokenId result = vocab_id_for_merge(left + right, path, merge);
            const bool inserted = merges_.emplace(pair_key(left_id, right_id), Merge{static_cast<int>(rank), result}).second;
            bpe_detail::check_field(inserted, path, merge, "each pair may be merged once");
            merge_results_.push_back(result);
        }
    }

    /// The id of one part (or the result) of a merge, or an error naming the merge.
    TokenId vocab_id_for_merge(const std::string& token, const std::string& path, const Json& merge) const {
        const auto found = vocab_ids_.find(token);
        require(found != vocab_ids_.end(), "BpeTokenizer: ", path, " is ", merge.dump(), " but \"", token,
                "\" is not in model.vocab; a merge's parts and result must be tokens");
        return found->second;
    }

    /// One 64-bit key for a pair of ids, for the merge table.
    static std::uint64_t pair_key(TokenId left, TokenId right) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
    }

    /// The id of the pad or eos token named `content`. An added token, or a vocab entry that
    /// encode() can never produce (not a byte, not a merge result, no ignore_merges).
    TokenId special_id(const std::string& content, const char* role) const {
        for (std::size_t id = 0; id < token_bytes_.size(); ++id)
            if (is_added_[id] && token_bytes_[id] == content) return static_cast<TokenId>(id);
        const auto found = vocab_ids_.find(content);
        require(found != vocab_ids_.end(), "BpeTokenizer: the ", role, " token \"", content,
                "\" is neither in added_tokens nor in model.vocab; name it in BpeSpecialTokens::", role);
        bool producible = ignore_merges_;
        for (TokenId byte_id : byte_token_) producible = producible || byte_id == found->second;
        for (TokenId merged : merge_results_) producible = producible || merged == found->second;
        require(!producible, "BpeTokenizer: the ", role, " token \"", content,
                "\" is a vocab entry that encode() can produce; make it an added token");
        return found->second;
    }

    /// The added tokens that encode() matches: all but pad and eos, split by `normalized`.
    void collect_matched_added_tokens(const Json& added) {
        for (std::size_t i = 0; i < added.size(); ++i) {
            const std::string path = str("added_tokens[", i, "]");
            const Json& token = added[i];
            for (const char* flag : {"lstrip", "rstrip", "single_word"})
                bpe_detail::check_absent_or(token, flag, path, false, false, "supported: false");
            const TokenId id = static_cast<TokenId>(token["id"].get<long long>());
            const std::string& content = token["content"].get_ref<const std::string&>();
            require(!content.empty(), "BpeTokenizer: ", path, ".content is empty");
            if (id == pad_id_ || id == eos_id_) continue;
            /// With no normalizer, normalized only changes the order of the two matching passes.
            const bool normalized = bpe_detail::bool_field(token, "normalized", path, true);
            (normalized ? added_normalized_ : added_raw_).push_back({content, id});
        }
    }

    /// Appends the ids of a segment without added tokens.
    void encode_plain(std::string_view segment, std::vector<TokenId>& ids) const {
        std::string prefixed;
        // tokenizers' ByteLevel pre-tokenizer adds the space to every segment between added
        // tokens that does not start with one (pre_tokenizers/byte_level.rs).
        if (add_prefix_space_ && segment.front() != ' ') {
            prefixed = " " + std::string(segment);
            segment = prefixed;
        }
        std::vector<TokenId> symbols;
        for (std::string_view piece : bpe_detail::split_gpt2(segment)) {
            if (ignore_merges_ && encode_whole_piece(piece, ids)) continue;
            symbols.clear();
            for (char c : piece) symbols.push_back(byte_token_[static_cast<unsigned char>(c)]);
            apply_merges(symbols);
            ids.insert(ids.end(), symbols.begin(), symbols.end());
        }
    }

    /// With ignore_merges: a piece that is a vocab entry is that one token.
    bool encode_whole_piece(std::string_view piece, std::vector<TokenId>& ids) const {
        static const std::array<char32_t, 256> byte_to_char = bpe_detail::byte_to_char_table();
        std::string entry;
        for (char c : piece) append_utf8(entry, byte_to_char[static_cast<unsigned char>(c)]);
        const auto found = vocab_ids_.find(entry);
        if (found == vocab_ids_.end() || is_added_[found->second]) return false;
        ids.push_back(found->second);
        return true;
    }

    /// GPT-2's merge loop (Encoder.bpe() in src/encoder.py): find the adjacent pair with the
    /// lowest rank, join every occurrence of it from left to right, repeat until no pair merges.
    void apply_merges(std::vector<TokenId>& symbols) const {
        std::vector<TokenId> joined;
        while (symbols.size() > 1) {
            int best_rank = std::numeric_limits<int>::max();
            TokenId best_left = -1, best_right = -1, best_result = -1;
            for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
                const auto found = merges_.find(pair_key(symbols[i], symbols[i + 1]));
                if (found != merges_.end() && found->second.rank < best_rank) {
                    best_rank = found->second.rank;
                    best_left = symbols[i];
                    best_right = symbols[i + 1];
                    best_result = found->second.result;
                }
            }
            if (best_result < 0) break;
            joined.clear();
            for (std::size_t i = 0; i < symbols.size();) {
                if (i + 1 < symbols.size() && symbols[i] == best_left && symbols[i + 1] == best_right) {
                    joined.push_back(best_result);
                    i += 2;
                } else {
                    joined.push_back(symbols[i++]);
                }
            }
            symbols.swap(joined);
        }
    }

    std::vector<std::string> token_bytes_;                  ///< id -> bytes it decodes to (added: content)
    std::vector<bool> is_added_;                            ///< id -> whether it is an added token
    std::unordered_map<std::string, TokenId> vocab_ids_;    ///< model.vocab text -> id
    std::array<TokenId, 256> byte_token_{};                 ///< byte -> id of its single-byte token
    std::unordered_map<std::uint64_t, Merge> merges_;       ///< (left id, right id) -> merge
    std::vector<TokenId> merge_results_;                    ///< id made by each merge, in rank order
    std::vector<bpe_detail::AddedToken> added_raw_;         ///< matched first (normalized = false)
    std::vector<bpe_detail::AddedToken> added_normalized_;  ///< matched second (normalized = true)
    TokenId pad_id_ = -1, eos_id_ = -1;
    bool add_prefix_space_ = false;
    bool ignore_merges_ = false;
};

}  // namespace grpo

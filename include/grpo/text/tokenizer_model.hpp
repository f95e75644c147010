// TokenizerModel: what the sampler, the trainers and the templates need from a tokenizer, as an
// interface, so that a user's own tokenizer plugs in. Two implementations ship: CharTokenizer
// (char_tokenizer.hpp, one token a character, the R1 tags as single tokens) and BpeTokenizer
// (bpe_tokenizer.hpp, byte-level BPE read from a Hugging Face tokenizer.json). Nothing outside
// a tokenizer assumes an id: the padding and end ids are asked from it.
//
// The contract (tests/test_text_tokenizer_contract.cpp checks it for both):
//   - ids are 0 .. vocab_size() - 1;
//   - decode(encode(s)) == s for every valid UTF-8 string s;
//   - pad and eos are never produced by encode() and decode to "";
//   - decode(ids, lenient = false) throws grpo::Error on ids that no text encodes to (an id
//     out of range, a broken byte sequence); lenient = true decodes whatever a model samples,
//     writing U+FFFD where text cannot be made, and throws only on an id out of range.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace grpo {

using TokenId = std::int32_t;  ///< a token's id, 0 .. vocab_size() − 1

/// The interface of a tokenizer: what the sampler, trainers and templates need of one.
class TokenizerModel {
public:
    virtual ~TokenizerModel() = default;

    virtual int vocab_size() const = 0;  ///< ids are 0 .. vocab_size() − 1
    virtual std::vector<TokenId> encode(std::string_view text) const = 0;  ///< the ids of `text`; never pad or eos
    virtual std::string decode(const std::vector<TokenId>& ids, bool lenient) const = 0;  ///< the text of `ids`; strict throws on ids no text encodes to, `lenient` writes U+FFFD there
    /// A readable name for an id, for printing token tables: "<eos>", "'7'", "'\n'".
    virtual std::string token_name(TokenId id) const = 0;

    /// Right-padding of batches (never a target of the loss).
    virtual TokenId pad_id() const = 0;
    /// Ends a document and a completion: the sampler stops a row when it samples it.
    virtual TokenId eos_id() const = 0;

    /// ends[t] = the byte offset just past token t's text in decode(ids, lenient = true): where
    /// each token's text ends, to place a per-character score on a token (process supervision).
    /// This default decodes every prefix and makes the offsets non-decreasing from the end: a
    /// token that stops inside a UTF-8 character decodes with a U+FFFD that the next token
    /// replaces, so the character is held by the token that completes it. A tokenizer with a
    /// cheaper or more exact answer overrides it (CharTokenizer: its byte escapes).
    virtual std::vector<std::size_t> text_ends(const std::vector<TokenId>& ids) const {
        std::vector<std::size_t> ends(ids.size());
        for (std::size_t t = 0; t < ids.size(); ++t)
            ends[t] = decode(std::vector<TokenId>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(t) + 1), true).size();
        for (std::size_t t = ids.size(); t-- > 1;) ends[t - 1] = std::min(ends[t - 1], ends[t]);
        return ends;
    }
};

}  // namespace grpo

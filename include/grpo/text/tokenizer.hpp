// Tokenizer: the handle the sampler's callers, the trainers, the evaluator and the corpora keep.
// It holds any TokenizerModel (tokenizer_model.hpp) behind a shared, immutable pointer, so it is
// a value: copying it is cheap and a trainer that copies it can never dangle.
//
//   Tokenizer chars = Tokenizer::ascii();                        // CharTokenizer, the default
//   Tokenizer bpe = Tokenizer::hugging_face("tokenizer.json");   // byte-level BPE
//   Tokenizer mine(std::make_shared<MyTokenizer>(...));          // a TokenizerModel of your own
//
// Nothing in the library assumes an id: the end of a completion is tokenizer.eos_id(), padding
// is tokenizer.pad_id().
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/text/bpe_tokenizer.hpp"
#include "grpo/text/char_tokenizer.hpp"
#include "grpo/text/tokenizer_model.hpp"

namespace grpo {

/// A cheap-to-copy handle on any TokenizerModel, shared and immutable.
class Tokenizer {
public:
    /// A CharTokenizer over the code points of `alphabet` (see char_tokenizer.hpp).
    explicit Tokenizer(std::string_view alphabet) : Tokenizer(CharTokenizer(alphabet)) {}

    /// Wraps a model of your own; it must not be null.
    explicit Tokenizer(std::shared_ptr<const TokenizerModel> model) : model_(std::move(model)) {
        require(model_ != nullptr, "Tokenizer: the model is null, expected a TokenizerModel");
    }

    /// Takes any TokenizerModel by value: `Tokenizer tok = CharTokenizer::ascii();`.
    template <class Model, class = std::enable_if_t<std::is_base_of_v<TokenizerModel, std::decay_t<Model>>>>
    Tokenizer(Model&& model)  // NOLINT: implicit on purpose, a model is a tokenizer
        : model_(std::make_shared<const std::decay_t<Model>>(std::forward<Model>(model))) {}

    /// Printable ASCII and newline, one token a character (CharTokenizer::ascii()).
    static Tokenizer ascii() { return CharTokenizer::ascii(); }

    /// ascii() plus the code points of `extra` (CharTokenizer::ascii_with()).
    static Tokenizer ascii_with(std::string_view extra) { return CharTokenizer::ascii_with(extra); }

    /// A byte-level BPE read from a Hugging Face tokenizer.json (BpeTokenizer::from_file()).
    static Tokenizer hugging_face(const std::string& path, const BpeSpecialTokens& names = {}) {
        return BpeTokenizer::from_file(path, names);
    }

    int vocab_size() const { return model_->vocab_size(); }  ///< ids are 0 .. vocab_size() − 1
    std::vector<TokenId> encode(std::string_view text) const { return model_->encode(text); }  ///< the ids of `text`
    /// Strict by default; `lenient` for sampled ids (see tokenizer_model.hpp).
    std::string decode(const std::vector<TokenId>& ids, bool lenient = false) const {
        return model_->decode(ids, lenient);
    }
    std::string token_name(TokenId id) const { return model_->token_name(id); }  ///< a readable name for an id: "<eos>", "'7'"
    TokenId pad_id() const { return model_->pad_id(); }  ///< the right-padding id
    TokenId eos_id() const { return model_->eos_id(); }  ///< the id that ends a completion
    /// Where each token's text ends in the lenient decoding (TokenizerModel::text_ends).
    std::vector<std::size_t> text_ends(const std::vector<TokenId>& ids) const { return model_->text_ends(ids); }

    /// The model itself, e.g. to dynamic_cast to CharTokenizer for its byte escape.
    const TokenizerModel& model() const { return *model_; }

private:
    std::shared_ptr<const TokenizerModel> model_;
};

}  // namespace grpo

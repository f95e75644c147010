// TokenStream: pretraining data as nanoGPT feeds it — one long stream of token ids (documents
// separated by <eos>), from which each batch takes random windows; the targets are the same
// windows shifted by one token (next-token prediction).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/vocab.hpp"  // Ids
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/core/tensor.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// Pretraining data: one long stream of token ids, documents separated by eos, sampled in random windows.
class TokenStream {
public:
    /// Appends a document and the `<eos>` that ends it.
    void add_document(const Tokenizer& tok, const std::string& text) {
        for (TokenId id : tok.encode(text)) tokens_.push_back(id);
        tokens_.push_back(tok.eos_id());
    }

    /// `batch` random windows of `steps` tokens: ids (B, T) and next-token targets (B, T).
    template <class B>
    std::pair<Ids<B>, Ids<B>> sample_batch(Rng& rng, int batch, int steps) const {
        require(batch > 0 && steps > 0, "TokenStream::sample_batch: batch ", batch, " x steps ", steps,
                ", expected positive sizes");
        require(static_cast<std::int64_t>(tokens_.size()) > steps, "TokenStream::sample_batch: ",
                tokens_.size(), " tokens cannot fill a window of ", steps, " + 1");
        std::vector<TokenId> ids, targets;
        for (int b = 0; b < batch; ++b) {
            const auto start = static_cast<std::size_t>(
                rng.uniform_int(0, static_cast<std::int64_t>(tokens_.size()) - steps - 1));
            ids.insert(ids.end(), tokens_.begin() + start, tokens_.begin() + start + steps);
            targets.insert(targets.end(), tokens_.begin() + start + 1, tokens_.begin() + start + steps + 1);
        }
        return {Ids<B>::from({batch, steps}, ids), Ids<B>::from({batch, steps}, targets)};
    }

    std::size_t size() const { return tokens_.size(); }  ///< tokens in the stream
    const std::vector<TokenId>& tokens() const { return tokens_; }  ///< the stream's ids

private:
    std::vector<TokenId> tokens_;
};

}  // namespace grpo

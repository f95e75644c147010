// A tokenizer of a user's own, for the tests that prove nothing assumes the CharTokenizer's ids:
// the CharTokenizer's ids rotated by `shift` (mod vocab_size), so <pad> is `shift`, <eos> is
// shift + 2, and the ids the CharTokenizer gives letters are specials here.
#pragma once

#include <grpo/text/tokenizer.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grpo_test {

class ShiftedTokenizer final : public grpo::TokenizerModel {
public:
    ShiftedTokenizer(grpo::CharTokenizer inner, grpo::TokenId shift) : inner_(std::move(inner)), shift_(shift) {}

    int vocab_size() const override { return inner_.vocab_size(); }
    std::vector<grpo::TokenId> encode(std::string_view text) const override {
        std::vector<grpo::TokenId> ids = inner_.encode(text);
        for (grpo::TokenId& id : ids) id = (id + shift_) % vocab_size();
        return ids;
    }
    std::string decode(const std::vector<grpo::TokenId>& ids, bool lenient) const override {
        std::vector<grpo::TokenId> inner_ids(ids);
        for (grpo::TokenId& id : inner_ids)
            if (id >= 0 && id < vocab_size()) id = (id - shift_ + vocab_size()) % vocab_size();
        return inner_.decode(inner_ids, lenient);
    }
    std::string token_name(grpo::TokenId id) const override {
        return inner_.token_name((id - shift_ + vocab_size()) % vocab_size());
    }
    grpo::TokenId pad_id() const override { return (grpo::CharTokenizer::kPad + shift_) % vocab_size(); }
    grpo::TokenId eos_id() const override { return (grpo::CharTokenizer::kEos + shift_) % vocab_size(); }

private:
    grpo::CharTokenizer inner_;
    grpo::TokenId shift_;
};

}  // namespace grpo_test

// The TokenizerModel contract (text/tokenizer_model.hpp), checked for every tokenizer the library
// ships and for one of a user's own (tests/shifted_tokenizer.hpp), through the Tokenizer handle
// that the rest of the library keeps.
#include <doctest/doctest.h>

#include <grpo/core/rng.hpp>
#include <grpo/text/tokenizer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "shifted_tokenizer.hpp"

using grpo::CharTokenizer;
using grpo::TokenId;
using grpo::Tokenizer;

namespace {

struct NamedTokenizer {
    const char* name;
    Tokenizer tokenizer;
};

std::vector<NamedTokenizer> contract_tokenizers() {
    return {{"CharTokenizer::ascii", Tokenizer::ascii()},
            {"CharTokenizer with CJK letters", Tokenizer::ascii_with("两边减三")},
            {"BpeTokenizer from a Hugging Face tokenizer.json",
             Tokenizer::hugging_face(GRPO_TEST_DATA_DIR "/bpe/tokenizer.json")},
            {"a user's own model (ids rotated by 13)",
             Tokenizer(std::make_shared<grpo_test::ShiftedTokenizer>(CharTokenizer::ascii(), 13))}};
}

const char* const kContractTexts[] = {
    "",
    "Solve for x: 2x + 3 = 7",
    "<think>2x = 4, so x = 2</think><answer>2</answer>",
    "two  spaces, a\ttab and\nnew lines\n\n",
    "x 等于 two; 两边减三",
    "é, ü, ∑ and an emoji \xF0\x9F\x99\x82",
    "<thin <answer <eos> <pad> are plain text here",
};

}  // namespace

TEST_CASE("tokenizer contract: decode(encode(s)) == s, pad and eos are never text, text ends rise to its length") {
    for (const NamedTokenizer& t : contract_tokenizers()) {
        CAPTURE(t.name);
        const Tokenizer& tok = t.tokenizer;
        CHECK(tok.pad_id() != tok.eos_id());
        for (const char* text : kContractTexts) {
            CAPTURE(text);
            const std::vector<TokenId> ids = tok.encode(text);
            for (TokenId id : ids) {
                CHECK(id >= 0);
                CHECK(id < tok.vocab_size());
                CHECK(id != tok.pad_id());
                CHECK(id != tok.eos_id());
            }
            CHECK(tok.decode(ids) == text);
            const std::vector<std::size_t> ends = tok.text_ends(ids);  // where each token's text ends
            REQUIRE(ends.size() == ids.size());
            for (std::size_t t = 1; t < ends.size(); ++t) CHECK(ends[t - 1] <= ends[t]);
            if (!ends.empty()) CHECK(ends.back() == std::string(text).size());
            std::vector<TokenId> framed = ids;  // pad and eos add no text, wherever they are
            framed.insert(framed.begin(), tok.pad_id());
            framed.push_back(tok.eos_id());
            framed.push_back(tok.pad_id());
            CHECK(tok.decode(framed) == text);
        }
    }
}

TEST_CASE("tokenizer contract: lenient decoding takes any ids in range, strict names an id out of range") {
    for (const NamedTokenizer& t : contract_tokenizers()) {
        CAPTURE(t.name);
        const Tokenizer& tok = t.tokenizer;
        grpo::Rng rng(5);
        for (int row = 0; row < 200; ++row) {  // what an untrained model samples
            std::vector<TokenId> ids(16);
            for (TokenId& id : ids) id = static_cast<TokenId>(rng.uniform_int(0, tok.vocab_size() - 1));
            CHECK_NOTHROW(tok.decode(ids, true));
        }
        CHECK_THROWS_AS(tok.decode({tok.vocab_size()}), grpo::Error);
        CHECK_THROWS_AS(tok.decode({tok.vocab_size()}, true), grpo::Error);
        CHECK_THROWS_AS(tok.decode({-1}, true), grpo::Error);
    }
}

TEST_CASE("tokenizer handle: copies share one model, a null model is refused, a model converts") {
    const Tokenizer a = Tokenizer::ascii();
    const Tokenizer b = a;  // cheap: the model is shared and immutable
    CHECK(&a.model() == &b.model());
    const Tokenizer c = CharTokenizer::ascii();  // any TokenizerModel by value
    CHECK(c.encode("x = 2") == a.encode("x = 2"));
    CHECK(dynamic_cast<const CharTokenizer*>(&c.model()) != nullptr);
    CHECK_THROWS_WITH_AS(Tokenizer(std::shared_ptr<const grpo::TokenizerModel>()),
                         "Tokenizer: the model is null, expected a TokenizerModel", grpo::Error);
    const Tokenizer shifted(std::make_shared<grpo_test::ShiftedTokenizer>(CharTokenizer::ascii(), 13));
    CHECK(shifted.pad_id() == 13);
    CHECK(shifted.eos_id() == 15);
    CHECK(shifted.token_name(15) == "<eos>");
    CHECK(shifted.encode("<think>") == std::vector<TokenId>{CharTokenizer::kThinkOpen + 13});
}

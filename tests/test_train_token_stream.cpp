#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

TEST_CASE("token stream: windows and their next-token targets") {
    const grpo::Tokenizer tok("abcdef");
    grpo::TokenStream stream;
    stream.add_document(tok, "abc");
    stream.add_document(tok, "de");
    // a b c <eos> d e <eos>
    CHECK(stream.tokens() == std::vector<grpo::TokenId>{8, 9, 10, 2, 11, 12, 2});
    grpo::Rng rng(1);
    const auto [ids, targets] = stream.sample_batch<grpo::Cpu>(rng, 3, 4);
    const auto x = ids.to_host(), y = targets.to_host();
    for (int b = 0; b < 3; ++b)
        for (int t = 0; t < 3; ++t) CHECK(y[b * 4 + t] == x[b * 4 + t + 1]);
    CHECK_THROWS_AS(stream.sample_batch<grpo::Cpu>(rng, 1, 7), grpo::Error);
}

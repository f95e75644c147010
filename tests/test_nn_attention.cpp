#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <grpo/nn/attention.hpp>

using namespace grpo;
using VarD = Var<double, Cpu>;
using TensorD = Tensor<double, Cpu>;
using AttentionD = CausalSelfAttention<double, Cpu>;

TEST_CASE("nn attention: decoding token by token with a KV cache equals the full forward") {
    Rng rng(7);
    const CausalSelfAttention<double, Cpu> attn(16, 2, 4, 10000.0, rng, 0.3);
    const TensorD x = TensorD::randn({2, 5, 16}, rng);  // (B, T, C)
    const std::vector<double> full = attn.forward(nullptr, VarD(x)).value().to_host();

    KVCache<double, Cpu> cache;
    // A prefix of 2 tokens at once, then 3 single tokens.
    std::vector<double> stepwise(full.size());
    std::int64_t done = 0;
    for (const std::int64_t chunk : {2, 1, 1, 1}) {
        TensorD part = TensorD::empty({2, chunk, 16});
        const auto xs = x.to_host();
        std::vector<double> vals;
        for (std::int64_t b = 0; b < 2; ++b)
            for (std::int64_t t = done; t < done + chunk; ++t)
                for (int c = 0; c < 16; ++c) vals.push_back(xs[(b * 5 + t) * 16 + c]);
        part.copy_from_host(vals);
        const auto y = attn.forward(nullptr, VarD(part), &cache).value().to_host();
        for (std::int64_t b = 0; b < 2; ++b)
            for (std::int64_t t = 0; t < chunk; ++t)
                for (int c = 0; c < 16; ++c) stepwise[((b * 5) + done + t) * 16 + c] = y[(b * chunk + t) * 16 + c];
        done += chunk;
        CHECK(cache.length() == done);
    }
    for (std::size_t i = 0; i < full.size(); ++i) REQUIRE(stepwise[i] == doctest::Approx(full[i]).epsilon(1e-12));
}

TEST_CASE("nn attention: gradients of every weight and the input match finite differences") {
    Rng rng(11);
    const CausalSelfAttention<double, Cpu> attn(8, 2, 4, 10000.0, rng, 0.4);
    std::vector<VarD> inputs = {VarD::param(TensorD::randn({2, 3, 8}, rng))};
    for (auto& [name, p] : attn.named_params("")) inputs.push_back(p);
    const auto errors = gradient_errors(
        [&](Tape* tape, std::vector<VarD>& in) { return attn.forward(tape, in[0]); }, inputs, rng);
    for (double e : errors) CHECK(e < 1e-6);
    CHECK(errors.size() == 5);
}

TEST_CASE("nn attention: a cache with a tape, or a bad shape, is refused") {
    Rng rng(1);
    const CausalSelfAttention<double, Cpu> attn(8, 2, 4, 10000.0, rng);
    KVCache<double, Cpu> cache;
    Tape tape;
    const VarD x = VarD::param(TensorD::zeros({1, 2, 8}));
    CHECK_THROWS_WITH_AS(attn.forward(&tape, x, &cache),
                         "CausalSelfAttention: a KV cache is for inference; pass no tape", Error);
    CHECK_THROWS_AS(attn.forward(nullptr, VarD(TensorD::zeros({2, 8}))), Error);
    CHECK_THROWS_AS((AttentionD{8, 2, 3, 10000.0, rng}), Error);
}

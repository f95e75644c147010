#include <doctest/doctest.h>

#include <grpo/nn/config.hpp>

using grpo::TransformerConfig;

TEST_CASE("nn config: the reference config is valid and bad fields are named") {
    CHECK_NOTHROW(TransformerConfig{}.validate());
    TransformerConfig c;
    c.head_dim = 33;
    CHECK_THROWS_WITH_AS(c.validate(),
                         "TransformerConfig: head_dim = 33, expected an even number (RoPE rotates pairs)",
                         grpo::Error);
    c = {};
    c.experts_per_token = 9;
    CHECK_THROWS_WITH_AS(c.validate(), "TransformerConfig: experts_per_token = 9, expected 1..n_routed_experts (8)",
                         grpo::Error);
    c = {};
    c.n_dense_layers = 5;
    CHECK_THROWS_WITH_AS(c.validate(), "TransformerConfig: n_dense_layers = 5, expected 0..n_layers (4)",
                         grpo::Error);
    c = {};
    c.n_groups = 3;
    CHECK_THROWS_WITH_AS(c.validate(), "TransformerConfig: n_groups = 3 does not divide n_routed_experts = 8",
                         grpo::Error);
    c = {};
    c.vocab_size = 0;
    CHECK_THROWS_WITH_AS(c.validate(), "TransformerConfig: vocab_size = 0, expected > 0", grpo::Error);
    // An all-dense model needs no expert fields.
    c = {};
    c.n_dense_layers = c.n_layers;
    c.n_routed_experts = 0;
    CHECK_NOTHROW(c.validate());
}

// The tiny model of the checkpoint fuzz target and of its seed writer (make_fuzz_seeds.cpp).
#pragma once

#include <grpo/grpo.hpp>
// grpo.hpp includes grpo/nn/checkpoint.hpp (through generic.hpp)

namespace grpo_fuzz {

// As tests/test_nn_checkpoint.cpp's small_config: dense and MoE layers, a few hundred weights.
inline grpo::TransformerConfig tiny_config() {
    grpo::TransformerConfig c;
    c.vocab_size = 13;
    c.d_model = 8;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 4;
    c.dense_hidden = 12;
    c.n_routed_experts = 4;
    c.expert_hidden = 6;
    c.max_seq_len = 8;
    return c;
}

// The bits of a checkpoint fuzz input's first byte: what the rest is, and how it is loaded.
enum Mode : unsigned char {
    whole_file = 0,        // the rest is the checkpoint file
    config_text = 1,       // the rest is the "grpo.config" metadata of an otherwise valid checkpoint
    allow_non_finite = 2,  // load with CheckpointLoadOptions::allow_non_finite
};

}  // namespace grpo_fuzz

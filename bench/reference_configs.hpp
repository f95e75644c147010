// The reference configuration the GRPO benchmarks share (bench_grpo_step, bench_ppo_vs_grpo):
// the default model over the character tokenizer's vocabulary, and a GRPO step of 16 prompts
// x G = 8 completions of up to 40 new tokens, seeded.
#pragma once

#include <grpo/generic.hpp>  // configs only: the .cu benchmarks include it too

namespace grpo_bench {

inline grpo::TransformerConfig reference_model_config() {
    grpo::TransformerConfig c;
    c.vocab_size = grpo::Tokenizer::ascii().vocab_size();
    // Linear-equation prompts reach ~30 tokens, + 40 new: 64 positions would refuse some (the
    // sampler checks). Only a limit: RoPE keeps no table, so the step's compute is unchanged.
    c.max_seq_len = 96;
    return c;
}

inline grpo::GrpoTrainerConfig reference_grpo_config() {
    grpo::GrpoTrainerConfig c;
    c.prompts_per_step = 16;
    c.sampling.group_size = 8;
    c.sampling.max_new_tokens = 40;
    c.seed = 1;
    return c;
}

}  // namespace grpo_bench

// Helpers of the trainer tests (test_train_grpo_trainer.cpp, test_train_ppo_trainer.cpp,
// test_train_trainer_state.cpp).
#pragma once

#include <string_view>

#include <grpo/grpo.hpp>

#include "test_support.hpp"

namespace grpo_test {

// The tiny MoE of test_support.hpp with the tokenizer's vocabulary and room for a prompt
// (up to ~28 tokens) plus a few new tokens.
inline grpo::TransformerConfig trainer_model_config() {
    grpo::TransformerConfig c = tiny_moe_config(40);
    c.vocab_size = grpo::Tokenizer::ascii().vocab_size();
    return c;
}

// A step's JSONL line (GrpoStepMetrics, PpoStepMetrics) without its timings, which differ
// from run to run.
template <class Metrics>
nlohmann::json metrics_without_timings(const Metrics& m) {
    nlohmann::json j = to_json(m);
    for (const char* key : {"tokens_per_second", "sampling_seconds", "scoring_seconds", "update_seconds", "step_seconds"})
        j.erase(key);
    return j;
}

inline grpo::Problem linear(grpo::Rng& rng) { return grpo::generate_linear_equation(rng); }

// A random tiny model almost never solves an equation, so its groups carry no signal. Calling
// any number right gives signal: about half of 8 random characters contain a digit.
inline grpo::Problem any_number_is_right(grpo::Rng& rng) {
    grpo::Problem p = grpo::generate_linear_equation(rng);
    p.check = [](std::string_view) { return true; };
    return p;
}

}  // namespace grpo_test

// Distillation, as DeepSeek-R1 §2.4 does it: a small dense student is fine-tuned (plain SFT,
// no RL) on the reasoning data the big model's rejection sampling produced (train/sft.hpp on
// train/rejection_sampling.hpp's set). What this header adds is what the comparison with RL on
// the student needs (R1 §4.1: distilling beats RL at the same student size):
//   active_parameter_count   parameters one token passes through (an MoE's top-k routed
//                            experts, not all of them): the size the student is measured against
//   dense_student_config     an all-dense model of the teacher's vocabulary and context
//   compute units            token positions: one forward position costs 1, a forward and a
//                            backward 3 (the backward is two matmuls per forward matmul, as in
//                            Kaplan et al. 2020's 6N vs 2N FLOPs per token); the same student,
//                            so positions compare exactly where seconds would be noisy
#pragma once

#include <cstdint>
#include <string>

#include "grpo/core/error.hpp"
#include "grpo/nn/config.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/train/sft.hpp"

namespace grpo {

/// Every parameter, with the routed experts counted at k of n (each token uses k).
template <class T, class B>
std::int64_t active_parameter_count(const Transformer<T, B>& model) {
    const TransformerConfig& c = model.config();
    std::int64_t all = 0, routed = 0;
    for (const auto& [name, var] : model.named_params()) {
        all += var.numel();
        if (name.find(".experts.") != std::string::npos) routed += var.numel();
    }
    if (routed == 0) return all;  // a dense model
    return all - routed + routed * c.experts_per_token / c.n_routed_experts;
}

/// A dense student: `n_layers` blocks of width `d_model` (4 heads, FFN hidden 2·d_model), with
/// the teacher's vocabulary, context, RoPE, norm and init.
inline TransformerConfig dense_student_config(const TransformerConfig& teacher, int d_model, int n_layers) {
    require(d_model % 8 == 0, "dense_student_config: d_model = ", d_model,
            ", expected a multiple of 8 (4 heads of an even size)");
    TransformerConfig c = teacher;
    c.d_model = d_model;
    c.n_layers = n_layers;
    c.n_heads = 4;
    c.head_dim = d_model / 4;
    c.n_dense_layers = n_layers;
    c.dense_hidden = 2 * d_model;
    c.validate();
    return c;
}

/// An SFT step: a forward and a backward over the batch's non-padding positions.
inline double sft_step_compute(const SftStepMetrics& m) { return 3.0 * static_cast<double>(m.positions); }

/// A GRPO step over `positions` prompt + completion positions: sampling (a forward, with the KV
/// cache), μ updates (forward and backward each; π_old is the first one's forward), and the
/// reference's forward when β > 0.
inline double grpo_step_compute(std::int64_t positions, int mu, bool reference) {
    return (1.0 + 3.0 * mu + (reference ? 1.0 : 0.0)) * static_cast<double>(positions);
}

}  // namespace grpo

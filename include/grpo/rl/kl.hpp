// KL divergence to the reference policy, estimated from the sampled token alone (Schulman,
// "Approximating KL Divergence", 2020) or computed exactly over the vocabulary.
// With log r = logp_ref − logp at the sampled token (r = π_ref / π_θ):
//   k1          = −log r                        unbiased, can be negative
//   k2          = ½ (log r)²                    biased, ≥ 0, low variance
//   k3          = r − log r − 1                 unbiased, ≥ 0: DeepSeekMath (arXiv 2402.03300)
//                                               eq. 4; TRL uses it unclamped
//   low_var_kl  = k3 with log r clamped to ±20 and the result capped at 10 (verl's
//                 core_algos.kl_penalty, "low_var_kl"; verl's default kl_loss_type)
//   exact       = Σ_v π_θ(v) (log π_θ(v) − log π_ref(v)) per position, from both (N, V) logits
// The scalar formulas and their derivatives d/d logp live in backend/grpo_formulas.hpp, shared by
// every backend's fused GRPO loss; this header adds the tensor-level estimates.
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/core/error.hpp"
#include "grpo/backend/grpo_formulas.hpp"
#include "grpo/core/tensor.hpp"

namespace grpo {

/// Per-token estimate: logp, ref_logp any equal shapes -> the same shape. No tape: a metric.
template <class T, class B>
Tensor<T, B> kl_estimate(KlEstimator kind, const Tensor<T, B>& logp, const Tensor<T, B>& ref_logp) {
    require_shape(ref_logp, logp.shape(), "kl_estimate", "ref_logp");
    Tensor<T, B> out = Tensor<T, B>::empty(logp.shape());
    B::kl_estimate_forward(logp.numel(), kind, logp.data(), ref_logp.data(), out.data());
    return out;
}

/// Exact KL(π_θ ‖ π_ref) per row from logits: logits_p, logits_ref (N, V) -> (N). No tape.
template <class T, class B>
Tensor<T, B> exact_kl(const Tensor<T, B>& logits_p, const Tensor<T, B>& logits_ref) {
    require(logits_p.rank() == 2, "exact_kl: logits_p has shape ", logits_p.shape(), ", expected (N, V)");
    require_shape(logits_ref, logits_p.shape(), "exact_kl", "logits_ref");
    const std::int64_t N = logits_p.dim(0), V = logits_p.dim(1);
    require(V > 0, "exact_kl: empty vocabulary in logits of shape ", logits_p.shape());
    Tensor<T, B> out = Tensor<T, B>::empty(Shape{N});
    B::exact_kl_forward(N, V, logits_p.data(), logits_ref.data(), out.data());
    return out;
}

}  // namespace grpo

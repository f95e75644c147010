// Global-norm gradient clipping (Pascanu et al. 2013, "On the difficulty of training recurrent
// neural networks"), as torch.nn.utils.clip_grad_norm_ does it: the norm of all gradients
// together, ||g|| = sqrt(Σ_params Σ g²); if it exceeds max_norm, every gradient is scaled by
// max_norm / (||g|| + 1e-6). Returns the norm before clipping (the number training logs show).
#pragma once

#include <cmath>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/core/error.hpp"

namespace grpo {

/// ||g|| over every parameter that has a gradient; NaN or inf when any gradient is.
template <class T, class B>
double global_grad_norm(const std::vector<Var<T, B>>& params) {
    double sum = 0.0;
    for (const Var<T, B>& p : params)
        if (p.has_grad()) sum += B::sum_squares(p.numel(), p.grad().data());
    return std::sqrt(sum);
}

/// The clipping itself, for a caller that has the norm already: every gradient scaled by
/// max_norm / (norm + 1e-6) when that is below 1.
template <class T, class B>
void scale_to_max_norm(const std::vector<Var<T, B>>& params, double norm, double max_norm) {
    require(max_norm > 0, "clip_grad_norm: max_norm ", max_norm, ", expected > 0");
    const double coefficient = max_norm / (norm + 1e-6);  // PyTorch's eps
    if (coefficient < 1.0)
        for (const Var<T, B>& p : params)
            if (p.has_grad()) B::scale(p.numel(), T(coefficient), p.grad().data(), p.grad_data());
}

/// Scales the gradients so their global norm is at most max_norm (PyTorch's clip_grad_norm_); returns the norm before.
template <class T, class B>
double clip_grad_norm(const std::vector<Var<T, B>>& params, double max_norm) {
    const double norm = global_grad_norm(params);
    scale_to_max_norm(params, norm, max_norm);
    return norm;
}

}  // namespace grpo

// Differentiable activations: sigmoid (the MoE gate's affinity, DeepSeek-V3 arXiv 2412.19437
// eq. 15), SiLU and the SwiGLU gate, fused so the FFN's gate product costs one pass forward and
// one backward.
// SiLU(x) = x·σ(x) (Elfwing et al. 2017); SwiGLU(a, b) = SiLU(a)·b (Shazeer 2020, "GLU Variants
// Improve Transformer"), as in DeepSeek-V3's Expert: w2(silu(w1(x)) * w3(x)).
#pragma once

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// σ(x) = 1 / (1 + e^(−x)); backward dx = dy·σ·(1 − σ) from the saved output.
template <class T, class B>
Var<T, B> sigmoid(Tape* tape, const Var<T, B>& x) {
    const std::int64_t n = x.numel();
    Var<T, B> out(Tensor<T, B>::empty(x.shape()), recording(tape, x));
    B::sigmoid_forward(n, x.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, out, n] {
        if (out.has_grad()) B::sigmoid_backward(n, out.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// SiLU(x) = x·σ(x), elementwise.
template <class T, class B>
Var<T, B> silu(Tape* tape, const Var<T, B>& x) {
    const std::int64_t n = x.numel();
    Var<T, B> out(Tensor<T, B>::empty(x.shape()), recording(tape, x));
    B::silu_forward(n, x.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, out, n] {
        if (out.has_grad()) B::silu_backward(n, x.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// silu(a) ⊙ b, same shapes (a: the gate projection, b: the up projection).
template <class T, class B>
Var<T, B> swiglu(Tape* tape, const Var<T, B>& a, const Var<T, B>& b) {
    require(a.shape() == b.shape(), "swiglu: gate ", a.shape(), " and up ", b.shape(),
            " must have the same shape");
    const std::int64_t n = a.numel();
    Var<T, B> out(Tensor<T, B>::empty(a.shape()), recording(tape, a, b));
    B::swiglu_forward(n, a.data(), b.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([a, b, out, n] {
        if (out.has_grad())
            B::swiglu_backward(n, a.data(), b.data(), out.grad_data(), a.grad_data(), b.grad_data());
    });
    return out;
}

}  // namespace grpo

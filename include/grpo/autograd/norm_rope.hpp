// Differentiable RMSNorm and rotary position embedding.
// RMSNorm: y = x / sqrt(mean(x²) + eps) · w over the last axis (Zhang & Sennrich 2019), the norm
// of Llama and DeepSeek-V3.
// RoPE: Su et al. 2021, "RoFormer", eq. 34: pair i of a head turns by p·θ^(−2i/D) at position p.
// Pairing: RopeStyle::interleaved pairs (2i, 2i+1) — DeepSeek-V3 inference/model.py
// apply_rotary_emb and Meta's reference llama/model.py (both view_as_complex over adjacent
// pairs); RopeStyle::half pairs (i, i + D/2) — the rotate_half of GPT-NeoX and Hugging Face's
// Llama. Both give the same attention scores up to a fixed permutation of each head's weights.
#pragma once

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// x: (..., C), w: (C) -> (..., C)
template <class T, class B>
Var<T, B> rmsnorm(Tape* tape, const Var<T, B>& x, const Var<T, B>& w, T eps = T(1e-6)) {
    const std::int64_t C = x.shape().last(), rows = x.shape().rows();
    require(x.shape().rank >= 1 && w.shape() == Shape{C}, "rmsnorm: weight ", w.shape(),
            " does not match the last axis of x ", x.shape());
    Var<T, B> out(Tensor<T, B>::empty(x.shape()), recording(tape, x, w));
    Tensor<T, B> rstd = Tensor<T, B>::empty({rows});  // (rows) 1/rms, kept for backward
    B::rmsnorm_forward(rows, C, x.data(), w.data(), eps, out.data(), rstd.data());
    if (!out.requires_grad()) return out;
    tape->record([x, w, out, rstd, rows, C] {
        if (out.has_grad())
            B::rmsnorm_backward(rows, C, x.data(), w.data(), rstd.data(), out.grad_data(), x.grad_data(),
                                w.grad_data());
    });
    return out;
}

/// Which pairs RoPE rotates: interleaved (2i, 2i+1), as DeepSeek-V3 and Llama, or the halves (i, i + D/2), as GPT-NeoX.
enum class RopeStyle { interleaved, half };

/// x: (B, T, H, D) -> same; row t sits at position pos0 + t (pos0 > 0 when decoding after a
/// KV cache). theta: the base, 10000 in RoFormer and Llama.
template <class T, class B>
Var<T, B> rope(Tape* tape, const Var<T, B>& x, std::int64_t pos0 = 0, double theta = 10000.0,
               RopeStyle style = RopeStyle::interleaved) {
    const Shape& s = x.shape();
    require(s.rank == 4 && s.dim[3] % 2 == 0, "rope: x has shape ", s,
            ", expected (B, T, H, D) with an even head size D");
    require(pos0 >= 0, "rope: start position ", pos0, " < 0");
    const bool inter = style == RopeStyle::interleaved;
    Var<T, B> out(Tensor<T, B>::empty(s), recording(tape, x));
    B::rope(s.dim[0], s.dim[1], s.dim[2], s.dim[3], pos0, theta, inter, +1, x.data(), out.data(), false);
    if (!out.requires_grad()) return out;
    tape->record([x, out, s, pos0, theta, inter] {
        if (out.has_grad())  // rotate the gradient back: Rᵀ = R(−angle)
            B::rope(s.dim[0], s.dim[1], s.dim[2], s.dim[3], pos0, theta, inter, -1, out.grad_data(),
                    x.grad_data(), true);
    });
    return out;
}

}  // namespace grpo

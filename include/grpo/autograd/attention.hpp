// Differentiable causal multi-head attention, fused: one op for softmax(q·kᵀ/√D + causal mask)·v
// (Vaswani et al. 2017, eq. 1), forward and backward each in one backend call per batch, like
// llm.c's attention_forward/backward. The (B, H, T, S) probabilities are kept for backward
// (and not even computed as a whole when nothing records: inference).
// KV prefix: k and v may hold S ≥ T positions, the first S − T from earlier tokens (a KV cache
// while decoding); query t then sits at position S − T + t and sees keys 0..S−T+t.
#pragma once

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// q: (B, T, H, D), k, v: (B, S, H, D) with S ≥ T -> (B, T, H, D)
template <class T, class B>
Var<T, B> attention(Tape* tape, const Var<T, B>& q, const Var<T, B>& k, const Var<T, B>& v) {
    const Shape& sq = q.shape();
    const Shape& sk = k.shape();
    require(sq.rank == 4 && sk.rank == 4 && sk == v.shape(), "attention: q ", sq, ", k ", sk, ", v ",
            v.shape(), ": expected q (B, T, H, D) and k, v both (B, S, H, D)");
    require(sk.dim[0] == sq.dim[0] && sk.dim[2] == sq.dim[2] && sk.dim[3] == sq.dim[3] &&
                sk.dim[1] >= sq.dim[1],
            "attention: k ", sk, " does not fit q ", sq, " (same B, H, D and S >= T)");
    const std::int64_t Bn = sq.dim[0], T_ = sq.dim[1], S = sk.dim[1], H = sq.dim[2], D = sq.dim[3];
    Var<T, B> out(Tensor<T, B>::empty(sq), recording(tape, q, k, v));
    if (!out.requires_grad()) {  // inference keeps no probabilities (CUDA then runs a fused kernel)
        B::attention_forward(Bn, T_, S, H, D, q.data(), k.data(), v.data(), out.data(), static_cast<T*>(nullptr));
        return out;
    }
    Tensor<T, B> att = Tensor<T, B>::empty({Bn, H, T_, S});  // (B, H, T, S) probabilities
    B::attention_forward(Bn, T_, S, H, D, q.data(), k.data(), v.data(), out.data(), att.data());
    tape->record([q, k, v, out, att, Bn, T_, S, H, D] {
        if (out.has_grad())
            B::attention_backward(Bn, T_, S, H, D, q.data(), k.data(), v.data(), att.data(),
                                  out.grad_data(), q.grad_data(), k.grad_data(), v.grad_data());
    });
    return out;
}

}  // namespace grpo

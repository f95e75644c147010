// Differentiable ops at the two ends of a language model: embedding lookup (its backward
// scatters and accumulates into the table), log-softmax, the fused per-token log-prob that
// GRPO's ratio needs (DeepSeekMath eq. 3: π(o_t | q, o_<t)), and cross-entropy for SFT and
// pretraining. The fused ops keep one logsumexp per row and never store an (N, V) log-softmax.
// Token ids are Tensor<int32_t, B>; out-of-range ids throw.
#pragma once

#include <cstdint>

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// Token ids (int32) on backend B.
template <class B>
using Ids = Tensor<std::int32_t, B>;

/// ids: (...) int32, table: (V, C) -> (..., C)
template <class T, class B>
Var<T, B> embedding(Tape* tape, const Ids<B>& ids, const Var<T, B>& table) {
    require(table.shape().rank == 2 && ids.rank() <= 3, "embedding: table ", table.shape(),
            " must be (V, C) and ids ", ids.shape(), " of rank <= 3");
    const std::int64_t N = ids.numel(), V = table.shape().dim[0], C = table.shape().dim[1];
    Shape so = ids.shape();
    so.dim[so.rank++] = C;
    Var<T, B> out(Tensor<T, B>::empty(so), recording(tape, table));
    B::embedding_forward(N, V, C, ids.data(), table.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([ids, table, out, N, C] {
        if (out.has_grad()) B::embedding_backward(N, C, ids.data(), out.grad_data(), table.grad_data());
    });
    return out;
}

/// log softmax over the last axis: (..., V) -> (..., V)
template <class T, class B>
Var<T, B> log_softmax(Tape* tape, const Var<T, B>& x) {
    require(x.shape().rank >= 1, "log_softmax: x is a scalar");
    const std::int64_t V = x.shape().last(), N = x.shape().rows();
    Var<T, B> out(Tensor<T, B>::empty(x.shape()), recording(tape, x));
    B::log_softmax_forward(N, V, x.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, out, N, V] {
        if (out.has_grad()) B::log_softmax_backward(N, V, out.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// log p(target) per row: logits (..., V), targets (...) -> (...)
template <class T, class B>
Var<T, B> token_logprobs(Tape* tape, const Var<T, B>& logits, const Ids<B>& targets) {
    const Shape& s = logits.shape();
    require(s.rank >= 1 && targets.numel() == s.rows() && targets.rank() == s.rank - 1,
            "token_logprobs: targets ", targets.shape(), " do not match the rows of logits ", s);
    const std::int64_t V = s.last(), N = s.rows();
    Var<T, B> out(Tensor<T, B>::empty(targets.shape()), recording(tape, logits));
    Tensor<T, B> lse = Tensor<T, B>::empty({N});  // (N) logsumexp per row
    B::token_logprobs_forward(N, V, logits.data(), targets.data(), out.data(), lse.data());
    if (!out.requires_grad()) return out;
    tape->record([logits, targets, out, lse, N, V] {
        if (out.has_grad())
            B::token_logprobs_backward(N, V, logits.data(), targets.data(), lse.data(), out.grad_data(),
                                       logits.grad_data());
    });
    return out;
}

/// mean over rows whose target is not −1 of −log p(target): logits (..., V), targets (...) -> ()
template <class T, class B>
Var<T, B> cross_entropy(Tape* tape, const Var<T, B>& logits, const Ids<B>& targets) {
    const Shape& s = logits.shape();
    require(s.rank >= 1 && targets.numel() == s.rows() && targets.rank() == s.rank - 1,
            "cross_entropy: targets ", targets.shape(), " do not match the rows of logits ", s);
    const std::int64_t V = s.last(), N = s.rows();
    Var<T, B> out(Tensor<T, B>::empty(Shape{}), recording(tape, logits));
    Tensor<T, B> lse = Tensor<T, B>::empty({N});  // (N)
    const std::int64_t count =
        B::cross_entropy_forward(N, V, logits.data(), targets.data(), lse.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([logits, targets, out, lse, N, V, count] {
        if (out.has_grad())
            B::cross_entropy_backward(N, V, logits.data(), targets.data(), lse.data(), out.grad_data(),
                                      count, logits.grad_data());
    });
    return out;
}

}  // namespace grpo

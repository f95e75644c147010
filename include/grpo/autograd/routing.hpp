// Differentiable ops for Mixture-of-Experts routing (DeepSeek-V3, arXiv 2412.19437 §2.1.2,
// inference/model.py Gate and MoE): the gate's softmax over experts and the division of each row
// by its sum (renormalised gate weights), top-k with its indices, gather along the last axis
// (take the gate weights of the chosen experts, V3 chooses by biased scores but weighs by
// unbiased ones), and the dispatch/combine ops: gather_rows sends token rows to an expert's
// batch, concat_rows stacks the experts' outputs, scatter_add_rows adds the weighted expert
// outputs back into the token rows.
#pragma once

#include <cstdint>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/autograd/vocab.hpp"

namespace grpo {

/// softmax over the last axis: x (..., E) -> (..., E)  (DeepSeek-V2's gate, arXiv 2405.04434 eq. 13)
template <class T, class B>
Var<T, B> softmax(Tape* tape, const Var<T, B>& x) {
    const Shape& s = x.shape();
    require(s.rank >= 1 && s.last() > 0, "softmax: x of shape ", s, " needs a non-empty last axis");
    const std::int64_t N = s.rows(), E = s.last();
    Var<T, B> out(Tensor<T, B>::empty(s), recording(tape, x));
    B::softmax_forward(N, E, x.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, out, N, E] {
        if (out.has_grad()) B::softmax_backward(N, E, out.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// Each row divided by its sum: x (..., E) -> (..., E), y = x / Σ_e x  (DeepSeek-V3 eq. 13,
/// the renormalised gate weights; eq. 19, the normalised affinity). A row summing to 0 throws.
template <class T, class B>
Var<T, B> normalize_rows(Tape* tape, const Var<T, B>& x) {
    const Shape& s = x.shape();
    require(s.rank >= 1 && s.last() > 0, "normalize_rows: x of shape ", s, " needs a non-empty last axis");
    const std::int64_t N = s.rows(), E = s.last();
    Var<T, B> out(Tensor<T, B>::empty(s), recording(tape, x));
    B::normalize_rows_forward(N, E, x.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, out, N, E] {
        if (out.has_grad())
            B::normalize_rows_backward(N, E, x.data(), out.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// The rows of several (M_i, C) matrices stacked into one (Σ M_i, C); each gets its slice of the
/// gradient back. MoE: the per-expert outputs, in the order of the sorted (token, slot) pairs.
template <class T, class B>
Var<T, B> concat_rows(Tape* tape, const std::vector<Var<T, B>>& parts) {
    require(!parts.empty(), "concat_rows: no parts");
    const std::int64_t C = parts[0].shape().last();
    std::int64_t M = 0;
    bool needs_grad = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        require(parts[i].shape().rank == 2 && parts[i].shape().dim[1] == C, "concat_rows: part ", i,
                " has shape ", parts[i].shape(), ", expected (M, ", C, ")");
        M += parts[i].shape().dim[0];
        needs_grad = needs_grad || parts[i].requires_grad();
    }
    Var<T, B> out(Tensor<T, B>::empty({M, C}), tape != nullptr && needs_grad);
    std::int64_t offset = 0;
    for (const auto& p : parts) {
        if (p.numel()) B::copy(p.data(), out.data() + offset, p.numel());
        offset += p.numel();
    }
    if (!out.requires_grad()) return out;
    tape->record([parts, out] {
        if (!out.has_grad()) return;
        std::int64_t offset = 0;
        for (const auto& p : parts) {
            if (T* dp = p.grad_data()) B::axpy(p.numel(), T(1), out.grad_data() + offset, dp);
            offset += p.numel();
        }
    });
    return out;
}

/// out[..., j] = x[..., idx[..., j]]: x (..., E), idx (..., k) -> (..., k)
template <class T, class B>
Var<T, B> gather_last(Tape* tape, const Var<T, B>& x, const Ids<B>& idx) {
    const Shape& s = x.shape();
    require(s.rank >= 1 && idx.rank() == s.rank && idx.shape().rows() == s.rows(), "gather_last: indices ",
            idx.shape(), " do not match x ", s, " (same rank and leading axes)");
    const std::int64_t N = s.rows(), E = s.last(), k = idx.shape().last();
    Var<T, B> out(Tensor<T, B>::empty(idx.shape()), recording(tape, x));
    B::gather_last_forward(N, E, k, x.data(), idx.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, idx, out, N, E, k] {
        if (out.has_grad()) B::gather_last_backward(N, E, k, idx.data(), out.grad_data(), x.grad_data());
    });
    return out;
}

/// What topk returns: the k largest entries of each row and their indices.
template <class T, class B>
struct TopK {
    Var<T, B> values;  ///< (..., k), differentiable
    Ids<B> indices;    ///< (..., k), largest first, ties to the lower index
};

/// The k largest entries of each row of x (..., E); gradients flow to the chosen entries.
template <class T, class B>
TopK<T, B> topk(Tape* tape, const Var<T, B>& x, std::int64_t k) {
    const Shape& s = x.shape();
    require(s.rank >= 1 && 1 <= k && k <= s.last(), "topk: k = ", k, " for x of shape ", s,
            ", expected 1 <= k <= ", s.last());
    Shape si = s;
    si.dim[si.rank - 1] = k;
    Ids<B> idx = Ids<B>::empty(si);
    B::topk_indices(s.rows(), s.last(), k, x.data(), idx.data());
    return {gather_last(tape, x, idx), idx};
}

/// Dispatch: out[m] = x[idx[m]]: x (N, C), idx (M) -> (M, C)
template <class T, class B>
Var<T, B> gather_rows(Tape* tape, const Var<T, B>& x, const Ids<B>& idx) {
    require(x.shape().rank == 2 && idx.rank() == 1, "gather_rows: x ", x.shape(), " must be (N, C) and idx ",
            idx.shape(), " (M)");
    const std::int64_t M = idx.numel(), N = x.shape().dim[0], C = x.shape().dim[1];
    Var<T, B> out(Tensor<T, B>::empty({M, C}), recording(tape, x));
    B::gather_rows(M, N, C, x.data(), idx.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([x, idx, out, M, N, C] {
        if (out.has_grad())
            B::scatter_add_rows(M, N, C, out.grad_data(), static_cast<const T*>(nullptr), idx.data(), x.grad_data());
    });
    return out;
}

/// Combine: out[n] = Σ_{m: idx[m] = n} w[m]·y[m]: y (M, C), w (M), idx (M) -> (N, C)
template <class T, class B>
Var<T, B> scatter_add_rows(Tape* tape, const Var<T, B>& y, const Var<T, B>& w, const Ids<B>& idx,
                           std::int64_t N) {
    require(y.shape().rank == 2 && w.shape() == Shape{y.shape().dim[0]} && idx.shape() == w.shape(),
            "scatter_add_rows: y ", y.shape(), ", w ", w.shape(), ", idx ", idx.shape(),
            ": expected y (M, C), w (M), idx (M)");
    const std::int64_t M = y.shape().dim[0], C = y.shape().dim[1];
    Var<T, B> out(Tensor<T, B>::zeros({N, C}), recording(tape, y, w));
    B::scatter_add_rows(M, N, C, y.data(), w.data(), idx.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([y, w, idx, out, M, C] {
        if (out.has_grad())
            B::scatter_add_rows_backward(M, C, y.data(), w.data(), idx.data(), out.grad_data(), y.grad_data(),
                                         w.grad_data());
    });
    return out;
}

}  // namespace grpo

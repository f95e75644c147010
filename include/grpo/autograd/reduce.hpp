// Differentiable reductions to a scalar: sum and mean, plain or under a 0/1 mask (the completion
// mask of GRPO's token-level losses: Σ l·m / Σ m is DAPO's token mean, arXiv 2503.14476 eq. 8).
// The mask is a plain tensor of x's shape: it gets no gradient. Outputs have shape () (rank 0).
#pragma once

#include "grpo/autograd/tape.hpp"

namespace grpo {

namespace reduce_detail {
template <class T, class B>
Var<T, B> weighted_sum(Tape* tape, const Var<T, B>& x, const Tensor<T, B>* mask, T factor) {
    const std::int64_t n = x.numel();
    Var<T, B> out(Tensor<T, B>::empty(Shape{}), recording(tape, x));
    const T* m = mask ? mask->data() : nullptr;
    B::reduce_sum(n, x.data(), m, out.data());
    if (factor != T(1)) B::scale(1, factor, out.data(), out.data());
    if (!out.requires_grad()) return out;
    Tensor<T, B> saved_mask = mask ? *mask : Tensor<T, B>();
    tape->record([x, out, n, factor, saved_mask] {
        if (!out.has_grad()) return;
        const T* m = saved_mask.defined() ? saved_mask.data() : nullptr;
        B::broadcast_acc(n, out.grad_data(), factor, m, x.grad_data());
    });
    return out;
}
}  // namespace reduce_detail

/// Σ x
template <class T, class B>
Var<T, B> sum(Tape* tape, const Var<T, B>& x) {
    return reduce_detail::weighted_sum<T, B>(tape, x, nullptr, T(1));
}
/// Σ x / numel
template <class T, class B>
Var<T, B> mean(Tape* tape, const Var<T, B>& x) {
    require(x.numel() > 0, "mean: empty tensor of shape ", x.shape());
    return reduce_detail::weighted_sum<T, B>(tape, x, nullptr, T(1) / static_cast<T>(x.numel()));
}
/// Σ x·mask
template <class T, class B>
Var<T, B> masked_sum(Tape* tape, const Var<T, B>& x, const Tensor<T, B>& mask) {
    require_shape(mask, x.shape(), "masked_sum", "mask");
    return reduce_detail::weighted_sum<T, B>(tape, x, &mask, T(1));
}
/// Σ x·mask / Σ mask; throws when the mask is all zero.
template <class T, class B>
Var<T, B> masked_mean(Tape* tape, const Var<T, B>& x, const Tensor<T, B>& mask) {
    require_shape(mask, x.shape(), "masked_mean", "mask");
    Tensor<T, B> count = Tensor<T, B>::empty(Shape{});
    B::reduce_sum(mask.numel(), mask.data(), static_cast<const T*>(nullptr), count.data());
    const T c = count.item();
    require(c > T(0), "masked_mean: the mask of shape ", mask.shape(), " selects nothing");
    return reduce_detail::weighted_sum<T, B>(tape, x, &mask, T(1) / c);
}

}  // namespace grpo

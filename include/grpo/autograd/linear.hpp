// Differentiable linear algebra: matmul (with transposes, batched), add (with bias broadcast),
// elementwise mul, reshape, and scale by a constant. Each forward checks shapes and calls the backend;
// each backward is the textbook rule, accumulated into the input gradients:
//   C = A·B  ->  dA = dC·Bᵀ,  dB = Aᵀ·dC   (Giles 2008, "Collected matrix derivative results")
#pragma once

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// op(a)·op(b) over the last two axes. a: (..., M, K), stored (..., K, M) when trans_a.
/// b: (K, N) shared by every matrix of a (a linear layer), stored (N, K) when trans_b; or b has
/// a's rank and leading axes (a batched product, e.g. attention scores). Out: (..., M, N).
template <class T, class B>
Var<T, B> matmul(Tape* tape, const Var<T, B>& a, const Var<T, B>& b, bool trans_a = false,
                 bool trans_b = false) {
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    require(sa.rank >= 2 && (sb.rank == 2 || sb.rank == sa.rank), "matmul: shapes ", sa, " and ",
            sb, ": a needs rank >= 2 and b rank 2 or a's rank");
    const std::int64_t M = trans_a ? sa.dim[sa.rank - 1] : sa.dim[sa.rank - 2];
    const std::int64_t K = trans_a ? sa.dim[sa.rank - 2] : sa.dim[sa.rank - 1];
    const std::int64_t Kb = trans_b ? sb.dim[sb.rank - 1] : sb.dim[sb.rank - 2];
    const std::int64_t N = trans_b ? sb.dim[sb.rank - 2] : sb.dim[sb.rank - 1];
    require(K == Kb, "matmul: inner dimensions differ: a ", sa, (trans_a ? "ᵀ" : ""), " and b ", sb,
            (trans_b ? "ᵀ" : ""), " (", K, " vs ", Kb, ")");
    std::int64_t batch = 1;
    for (int i = 0; i < sa.rank - 2; ++i) batch *= sa.dim[i];
    const bool shared_b = sb.rank == 2;
    if (!shared_b)
        for (int i = 0; i < sa.rank - 2; ++i)
            require(sa.dim[i] == sb.dim[i], "matmul: batch axes differ: a ", sa, ", b ", sb);

    Shape so = sa;
    so.dim[so.rank - 2] = M;
    so.dim[so.rank - 1] = N;
    /// A linear layer (shared b, a not transposed) is one tall GEMM over all rows of a.
    const bool flat = shared_b && !trans_a;
    const std::int64_t nb = flat ? 1 : batch, m = flat ? batch * M : M;
    const std::int64_t stride_a = m * K, stride_b = shared_b ? 0 : K * N, stride_c = m * N;

    Var<T, B> out(Tensor<T, B>::empty(so), recording(tape, a, b));
    B::gemm_batched(trans_a, trans_b, nb, m, N, K, T(1), a.data(), stride_a, b.data(), stride_b,
                    T(0), out.data(), stride_c);
    if (!out.requires_grad()) return out;
    tape->record([a, b, out, trans_a, trans_b, nb, m, N, K, stride_a, stride_b, stride_c] {
        if (!out.has_grad()) return;
        const T* dc = out.grad_data();
        if (T* da = a.grad_data()) {
            if (!trans_a)  // dA (m, K) = dC · op(B)ᵀ
                B::gemm_batched(false, !trans_b, nb, m, K, N, T(1), dc, stride_c, b.data(), stride_b,
                                T(1), da, stride_a);
            else  // dA stored (K, m) = op(B) · dCᵀ
                B::gemm_batched(trans_b, true, nb, K, m, N, T(1), b.data(), stride_b, dc, stride_c,
                                T(1), da, stride_a);
        }
        if (T* db = b.grad_data()) {
            if (!trans_b)  // dB (K, N) = op(A)ᵀ · dC
                B::gemm_batched(!trans_a, false, nb, K, N, m, T(1), a.data(), stride_a, dc, stride_c,
                                T(1), db, stride_b);
            else  // dB stored (N, K) = dCᵀ · op(A)
                B::gemm_batched(true, trans_a, nb, N, K, m, T(1), dc, stride_c, a.data(), stride_a,
                                T(1), db, stride_b);
        }
    });
    return out;
}

/// a + b, where b has a's shape or the shape of a's trailing axes (a bias: (C) for a (..., C)).
template <class T, class B>
Var<T, B> add(Tape* tape, const Var<T, B>& a, const Var<T, B>& b) {
    const Shape& sa = a.shape();
    const Shape& sb = b.shape();
    bool trailing = sb.rank <= sa.rank;
    for (int i = 0; trailing && i < sb.rank; ++i) trailing = sb.dim[i] == sa.dim[sa.rank - sb.rank + i];
    require(trailing, "add: shape ", sb, " is neither ", sa, " nor its trailing axes");
    const std::int64_t cols = sb.numel(), rows = cols ? sa.numel() / cols : 0;
    Var<T, B> out(Tensor<T, B>::empty(sa), recording(tape, a, b));
    if (sa == sb) B::add(sa.numel(), a.data(), b.data(), out.data());
    else B::add_bias(rows, cols, a.data(), b.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([a, b, out, rows, cols] {
        if (!out.has_grad()) return;
        if (T* da = a.grad_data()) B::axpy(rows * cols, T(1), out.grad_data(), da);
        if (T* db = b.grad_data()) {  // a bias collects the sum over rows
            if (rows == 1) B::axpy(cols, T(1), out.grad_data(), db);
            else B::col_sum_acc(rows, cols, out.grad_data(), db);
        }
    });
    return out;
}

/// a ⊙ b, same shapes.
template <class T, class B>
Var<T, B> mul(Tape* tape, const Var<T, B>& a, const Var<T, B>& b) {
    require(a.shape() == b.shape(), "mul: shapes differ: ", a.shape(), " and ", b.shape());
    const std::int64_t n = a.numel();
    Var<T, B> out(Tensor<T, B>::empty(a.shape()), recording(tape, a, b));
    B::mul(n, a.data(), b.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([a, b, out, n] {
        if (!out.has_grad()) return;
        if (T* da = a.grad_data()) B::mul_acc(n, out.grad_data(), b.data(), da);
        if (T* db = b.grad_data()) B::mul_acc(n, out.grad_data(), a.data(), db);
    });
    return out;
}

/// The same values viewed with another shape of equal size (no copy); the gradient flows back
/// unchanged. Use it to split (B, T, C) into heads (B, T, H, D) and back.
template <class T, class B>
Var<T, B> reshape(Tape* tape, const Var<T, B>& a, Shape shape) {
    Var<T, B> out(a.value().reshape(shape), recording(tape, a));
    // (requires_grad implies a tape; the explicit test keeps GCC's -Wnonnull from flagging the
    // inlined no-tape path)
    if (!out.requires_grad() || tape == nullptr) return out;
    const std::int64_t n = a.numel();
    tape->record([a, out, n] {
        if (out.has_grad()) B::axpy(n, T(1), out.grad_data(), a.grad_data());
    });
    return out;
}

/// s · a for a constant s.
template <class T, class B>
Var<T, B> scale(Tape* tape, const Var<T, B>& a, T s) {
    const std::int64_t n = a.numel();
    Var<T, B> out(Tensor<T, B>::empty(a.shape()), recording(tape, a));
    B::scale(n, s, a.data(), out.data());
    if (!out.requires_grad()) return out;
    tape->record([a, out, n, s] {
        if (out.has_grad()) B::axpy(n, s, out.grad_data(), a.grad_data());
    });
    return out;
}

}  // namespace grpo

// Elementwise ops and plain reductions of the CPU backend: add, bias, mul, scale, sigmoid, SiLU,
// SwiGLU, sums. Every *_backward *accumulates* into its gradient buffers (dx += ...), so a tensor used
// twice gets the sum of both gradients.
// SiLU(x) = x·σ(x) (Elfwing et al. 2017; Ramachandran et al. 2017 "Swish");
// SwiGLU(a, b) = SiLU(a)·b, the gated FFN of Shazeer 2020, "GLU Variants Improve Transformer".
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

/// The CPU backend's elementwise ops and plain reductions.
struct CpuElementwise {
    /// y += alpha·x   (n)
    template <class T>
    static void axpy(std::int64_t n, T alpha, const T* x, T* y) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
    }
    /// out = a + b   (n)
    template <class T>
    static void add(std::int64_t n, const T* a, const T* b, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
    }
    /// out[r, c] = a[r, c] + bias[c]   a, out: (rows, cols), bias: (cols)
    template <class T>
    static void add_bias(std::int64_t rows, std::int64_t cols, const T* a, const T* bias, T* out) {
        GRPO_PARALLEL_FOR(rows * cols > kCpuParallelMin)
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = a[r * cols + c] + bias[c];
    }
    /// dbias[c] += Σ_r dy[r, c]   dy: (rows, cols), dbias: (cols)
    template <class T>
    static void col_sum_acc(std::int64_t rows, std::int64_t cols, const T* dy, T* dbias) {
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c) dbias[c] += dy[r * cols + c];
    }
    /// out = a·b   (n)
    template <class T>
    static void mul(std::int64_t n, const T* a, const T* b, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
    }
    /// out += a·b   (n)
    template <class T>
    static void mul_acc(std::int64_t n, const T* a, const T* b, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
    }
    /// out = s·x   (n)
    template <class T>
    static void scale(std::int64_t n, T s, const T* x, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = s * x[i];
    }

    /// out = σ(x) = 1 / (1 + e^(−x))   (n)   (the MoE gate's affinity, DeepSeek-V3 eq. 15)
    template <class T>
    static void sigmoid_forward(std::int64_t n, const T* x, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = T(1) / (T(1) + std::exp(-x[i]));
    }
    /// dx += dout·y·(1 − y), y = σ(x)   (n)
    template <class T>
    static void sigmoid_backward(std::int64_t n, const T* y, const T* dout, T* dx) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) dx[i] += dout[i] * y[i] * (T(1) - y[i]);
    }

    /// out = x·σ(x)   (n)
    template <class T>
    static void silu_forward(std::int64_t n, const T* x, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] / (T(1) + std::exp(-x[i]));
    }
    /// dx += dout·σ(x)·(1 + x·(1 − σ(x)))   (n)
    template <class T>
    static void silu_backward(std::int64_t n, const T* x, const T* dout, T* dx) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) {
            const T s = T(1) / (T(1) + std::exp(-x[i]));
            dx[i] += dout[i] * s * (T(1) + x[i] * (T(1) - s));
        }
    }
    /// out = silu(a)·b   (n)
    template <class T>
    static void swiglu_forward(std::int64_t n, const T* a, const T* b, T* out) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] / (T(1) + std::exp(-a[i])) * b[i];
    }
    /// da += dout·b·silu'(a),  db += dout·silu(a)   (n)
    template <class T>
    static void swiglu_backward(std::int64_t n, const T* a, const T* b, const T* dout, T* da, T* db) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) {
            const T s = T(1) / (T(1) + std::exp(-a[i]));
            if (da) da[i] += dout[i] * b[i] * s * (T(1) + a[i] * (T(1) - s));
            if (db) db[i] += dout[i] * a[i] * s;
        }
    }

    /// out[0] = Σ_i x[i]·mask[i]   (mask may be null: all ones). Summed in double.
    template <class T>
    static void reduce_sum(std::int64_t n, const T* x, const T* mask, T* out) {
        double acc = 0.0;
        for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(mask ? x[i] * mask[i] : x[i]);
        out[0] = static_cast<T>(acc);
    }
    /// dx[i] += dout[0]·factor·mask[i]   (mask may be null). dout is a one-element buffer.
    template <class T>
    static void broadcast_acc(std::int64_t n, const T* dout, T factor, const T* mask, T* dx) {
        const T g = dout[0] * factor;
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) dx[i] += mask ? g * mask[i] : g;
    }
};

}  // namespace grpo

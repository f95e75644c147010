// RMSNorm and rotary position embedding (RoPE) on the CPU, one row / one head at a time.
// RMSNorm: y = x / sqrt(mean(x²) + eps) · w   (Zhang & Sennrich 2019, "Root Mean Square Layer
// Normalization"). RoPE: rotate each pair (x1, x2) of a head by the angle p·θ^(−2i/D), p the
// position (Su et al. 2021, "RoFormer", eq. 34). Pairs are either interleaved (2i, 2i+1), as in
// DeepSeek-V3's inference/model.py and Meta's reference llama/model.py (view_as_complex), or the
// two halves (i, i + D/2), the "rotate_half" of GPT-NeoX and Hugging Face's Llama.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

/// The CPU backend's RMSNorm and RoPE (forward and backward).
struct CpuNormRope {
    /// y = x·rstd·w, rstd[r] = 1/sqrt(mean_c x[r,c]² + eps)   x, y: (rows, C), w: (C), rstd: (rows)
    template <class T>
    static void rmsnorm_forward(std::int64_t rows, std::int64_t C, const T* x, const T* w, T eps,
                                T* y, T* rstd) {
        GRPO_PARALLEL_FOR(rows * C > kCpuParallelMin)
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* xr = x + r * C;
            T ss = 0;
            for (std::int64_t c = 0; c < C; ++c) ss += xr[c] * xr[c];
            const T s = T(1) / std::sqrt(ss / T(C) + eps);
            rstd[r] = s;
            for (std::int64_t c = 0; c < C; ++c) y[r * C + c] = xr[c] * s * w[c];
        }
    }
    /// With x̂ = x·rstd and g = dy·w:  dx += rstd·(g − x̂·mean(g·x̂)),  dw += Σ_rows dy·x̂.
    template <class T>
    static void rmsnorm_backward(std::int64_t rows, std::int64_t C, const T* x, const T* w,
                                 const T* rstd, const T* dy, T* dx, T* dw) {
        if (dx) {
            GRPO_PARALLEL_FOR(rows * C > kCpuParallelMin)
            for (std::int64_t r = 0; r < rows; ++r) {
                const T* xr = x + r * C;
                const T* dyr = dy + r * C;
                const T s = rstd[r];
                T dot = 0;  // Σ_c g·x̂
                for (std::int64_t c = 0; c < C; ++c) dot += dyr[c] * w[c] * xr[c] * s;
                const T mean_dot = dot / T(C);
                for (std::int64_t c = 0; c < C; ++c)
                    dx[r * C + c] += s * (dyr[c] * w[c] - xr[c] * s * mean_dot);
            }
        }
        if (dw)
            for (std::int64_t r = 0; r < rows; ++r)
                for (std::int64_t c = 0; c < C; ++c) dw[c] += dy[r * C + c] * x[r * C + c] * rstd[r];
    }

    /// out (=, or += when accumulate) the rotation of x by sign·angle.   x, out: (B, T, H, D)
    /// Position of row t is pos0 + t. sign = −1 rotates back: that is RoPE's backward, since a
    /// rotation's transpose is its inverse.
    template <class T>
    static void rope(std::int64_t B, std::int64_t T_, std::int64_t H, std::int64_t D,
                     std::int64_t pos0, double theta, bool interleaved, int sign, const T* x,
                     T* out, bool accumulate) {
        const std::int64_t half = D / 2;
        /// cos and sin of every (position, pair) once per call, not once per batch row and head.
        std::vector<T> cs(static_cast<std::size_t>(T_ * half * 2));
        GRPO_PARALLEL_FOR(T_ * half > 4096)
        for (std::int64_t t = 0; t < T_; ++t) {
            const double p = static_cast<double>(pos0 + t);
            for (std::int64_t i = 0; i < half; ++i) {
                const double angle = p * std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(D));
                cs[static_cast<std::size_t>((t * half + i) * 2)] = static_cast<T>(std::cos(angle));
                cs[static_cast<std::size_t>((t * half + i) * 2 + 1)] = static_cast<T>(sign * std::sin(angle));
            }
        }
        GRPO_PARALLEL_FOR(B * T_ * H * D > kCpuParallelMin)
        for (std::int64_t bt = 0; bt < B * T_; ++bt) {
            const T* row = cs.data() + (bt % T_) * half * 2;
            for (std::int64_t i = 0; i < half; ++i) {
                const T c = row[2 * i], s = row[2 * i + 1];
                const std::int64_t i1 = interleaved ? 2 * i : i, i2 = interleaved ? 2 * i + 1 : i + half;
                for (std::int64_t h = 0; h < H; ++h) {
                    const std::int64_t base = (bt * H + h) * D;
                    const T x1 = x[base + i1], x2 = x[base + i2];
                    const T y1 = x1 * c - x2 * s, y2 = x1 * s + x2 * c;
                    if (accumulate) {
                        out[base + i1] += y1;
                        out[base + i2] += y2;
                    } else {
                        out[base + i1] = y1;
                        out[base + i2] = y2;
                    }
                }
            }
        }
    }
};

}  // namespace grpo

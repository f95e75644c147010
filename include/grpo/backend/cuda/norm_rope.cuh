// RMSNorm and RoPE on the GPU; the formulas and layouts of backend/cpu/norm_rope.hpp.
// RMSNorm runs one warp per row (a row is d_model ≤ a few thousand values: each lane strides
// over it, then a shuffle reduction; llm.c's rmsnorm_forward_kernel1 shape). The weight's
// gradient is a column sum over rows, done in two deterministic passes (elementwise.cuh).
// RoPE computes each (position, pair)'s cos and sin once, in double like the CPU, then rotates.
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/backend/cuda/elementwise.cuh"

namespace grpo {
namespace cuda_detail {

constexpr int kRowsPerBlock = 8;  // warps per block of a warp-per-row kernel

template <class T>
__global__ void rmsnorm_forward_kernel(std::int64_t rows, std::int64_t C, const T* x, const T* w, T eps, T* y,
                                       T* rstd) {
    const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const T* xr = x + r * C;
    T ss = 0;
    for (std::int64_t c = lane; c < C; c += 32) ss += xr[c] * xr[c];
    const T s = T(1) / sqrt(warp_sum(ss) / T(C) + eps);
    if (lane == 0) rstd[r] = s;
    for (std::int64_t c = lane; c < C; c += 32) y[r * C + c] = xr[c] * s * w[c];
}

template <class T>
__global__ void rmsnorm_backward_dx_kernel(std::int64_t rows, std::int64_t C, const T* x, const T* w,
                                           const T* rstd, const T* dy, T* dx) {
    const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (r >= rows) return;
    const T* xr = x + r * C;
    const T* dyr = dy + r * C;
    const T s = rstd[r];
    T dot = 0;  // Σ_c g·x̂
    for (std::int64_t c = lane; c < C; c += 32) dot += dyr[c] * w[c] * xr[c] * s;
    const T mean_dot = warp_sum(dot) / T(C);
    for (std::int64_t c = lane; c < C; c += 32) dx[r * C + c] += s * (dyr[c] * w[c] - xr[c] * s * mean_dot);
}

template <class T>
struct NormalisedTimesGrad {  // value(r, c) = dy[r, c]·x[r, c]·rstd[r], the terms of dw
    const T *x, *rstd, *dy;
    std::int64_t cols;
    __device__ T operator()(std::int64_t r, std::int64_t c) const { return dy[r * cols + c] * x[r * cols + c] * rstd[r]; }
};

// cs[t, i] = (cos, sign·sin) of (pos0 + t)·θ^(−2i/D), in double, stored as T.
template <class T>
__global__ void rope_table_kernel(std::int64_t T_, std::int64_t half, std::int64_t D, std::int64_t pos0, double theta,
                                  int sign, T* cs) {
    GRPO_GRID_STRIDE(j, T_ * half) {
        const std::int64_t t = j / half, i = j % half;
        const double angle = static_cast<double>(pos0 + t) * pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(D));
        cs[2 * j] = static_cast<T>(cos(angle));
        cs[2 * j + 1] = static_cast<T>(sign * sin(angle));
    }
}
// One thread per (b, t, h, pair).
template <class T>
__global__ void rope_kernel(std::int64_t B, std::int64_t T_, std::int64_t H, std::int64_t D, bool interleaved,
                            const T* cs, const T* x, T* out, bool accumulate) {
    const std::int64_t half = D / 2;
    GRPO_GRID_STRIDE(j, B * T_ * H * half) {
        const std::int64_t i = j % half, bth = j / half, bt = bth / H;
        const T* row = cs + ((bt % T_) * half + i) * 2;
        const T c = row[0], s = row[1];
        const std::int64_t base = bth * D;
        const std::int64_t i1 = interleaved ? 2 * i : i, i2 = interleaved ? 2 * i + 1 : i + half;
        const T x1 = x[base + i1], x2 = x[base + i2];
        const T y1 = x1 * c - x2 * s, y2 = x1 * s + x2 * c;
        out[base + i1] = accumulate ? out[base + i1] + y1 : y1;
        out[base + i2] = accumulate ? out[base + i2] + y2 : y2;
    }
}

}  // namespace cuda_detail

struct CudaNormRope {
    template <class T>
    static void rmsnorm_forward(std::int64_t rows, std::int64_t C, const T* x, const T* w, T eps, T* y, T* rstd) {
        if (rows == 0) return;
        const unsigned blocks = static_cast<unsigned>((rows + cuda_detail::kRowsPerBlock - 1) / cuda_detail::kRowsPerBlock);
        cuda_detail::rmsnorm_forward_kernel<<<blocks, 32 * cuda_detail::kRowsPerBlock, 0, cuda_stream()>>>(rows, C, x, w, eps,
                                                                                                          y, rstd);
        GRPO_CUDA_CHECK_LAUNCH();
    }
    template <class T>
    static void rmsnorm_backward(std::int64_t rows, std::int64_t C, const T* x, const T* w, const T* rstd, const T* dy,
                                 T* dx, T* dw) {
        if (rows == 0) return;
        if (dx) {
            const unsigned blocks = static_cast<unsigned>((rows + cuda_detail::kRowsPerBlock - 1) / cuda_detail::kRowsPerBlock);
            cuda_detail::rmsnorm_backward_dx_kernel<<<blocks, 32 * cuda_detail::kRowsPerBlock, 0, cuda_stream()>>>(
                rows, C, x, w, rstd, dy, dx);
            GRPO_CUDA_CHECK_LAUNCH();
        }
        if (dw) cuda_detail::column_sum_acc(rows, C, cuda_detail::NormalisedTimesGrad<T>{x, rstd, dy, C}, dw);
    }
    template <class T>
    static void rope(std::int64_t B, std::int64_t T_, std::int64_t H, std::int64_t D, std::int64_t pos0, double theta,
                     bool interleaved, int sign, const T* x, T* out, bool accumulate) {
        const std::int64_t half = D / 2;
        if (B * T_ * H * half == 0) return;
        auto cs = CudaMemory::allocate<T>(T_ * half * 2);
        GRPO_LAUNCH(cuda_detail::rope_table_kernel, T_ * half, T_, half, D, pos0, theta, sign, cs.get());
        GRPO_LAUNCH(cuda_detail::rope_kernel, B * T_ * H * half, B, T_, H, D, interleaved, cs.get(), x, out, accumulate);
    }
};

}  // namespace grpo

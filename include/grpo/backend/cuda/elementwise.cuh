// Elementwise ops and plain reductions of the CUDA backend; the same functions as
// backend/cpu/elementwise.hpp (see the formulas there). One grid-stride kernel per op; every
// *_backward accumulates (dx += ...). Sums run in double in a fixed order (device_sum), so a
// result is the same on every run.
#pragma once

#include <cstdint>

#include "grpo/backend/cuda/launch.cuh"
#include "grpo/backend/cuda/memory.cuh"

namespace grpo {
namespace cuda_detail {

template <class T>
__device__ T sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }

template <class T>
__global__ void axpy_kernel(std::int64_t n, T alpha, const T* x, T* y) { GRPO_GRID_STRIDE(i, n) y[i] += alpha * x[i]; }
template <class T>
__global__ void add_kernel(std::int64_t n, const T* a, const T* b, T* out) { GRPO_GRID_STRIDE(i, n) out[i] = a[i] + b[i]; }
template <class T>
__global__ void add_bias_kernel(std::int64_t rows, std::int64_t cols, const T* a, const T* bias, T* out) {
    GRPO_GRID_STRIDE(i, rows * cols) out[i] = a[i] + bias[i % cols];
}
template <class T>
__global__ void mul_kernel(std::int64_t n, const T* a, const T* b, T* out, bool accumulate) {
    GRPO_GRID_STRIDE(i, n) out[i] = accumulate ? out[i] + a[i] * b[i] : a[i] * b[i];
}
template <class T>
__global__ void scale_kernel(std::int64_t n, T s, const T* x, T* out) { GRPO_GRID_STRIDE(i, n) out[i] = s * x[i]; }
template <class T>
__global__ void sigmoid_forward_kernel(std::int64_t n, const T* x, T* out) { GRPO_GRID_STRIDE(i, n) out[i] = sigmoid(x[i]); }
template <class T>
__global__ void sigmoid_backward_kernel(std::int64_t n, const T* y, const T* dout, T* dx) {
    GRPO_GRID_STRIDE(i, n) dx[i] += dout[i] * y[i] * (T(1) - y[i]);
}
template <class T>
__global__ void silu_forward_kernel(std::int64_t n, const T* x, T* out) { GRPO_GRID_STRIDE(i, n) out[i] = x[i] * sigmoid(x[i]); }
template <class T>
__global__ void silu_backward_kernel(std::int64_t n, const T* x, const T* dout, T* dx) {
    GRPO_GRID_STRIDE(i, n) {
        const T s = sigmoid(x[i]);
        dx[i] += dout[i] * s * (T(1) + x[i] * (T(1) - s));
    }
}
template <class T>
__global__ void swiglu_forward_kernel(std::int64_t n, const T* a, const T* b, T* out) {
    GRPO_GRID_STRIDE(i, n) out[i] = a[i] * sigmoid(a[i]) * b[i];
}
template <class T>
__global__ void swiglu_backward_kernel(std::int64_t n, const T* a, const T* b, const T* dout, T* da, T* db) {
    GRPO_GRID_STRIDE(i, n) {
        const T s = sigmoid(a[i]);
        if (da) da[i] += dout[i] * b[i] * s * (T(1) + a[i] * (T(1) - s));
        if (db) db[i] += dout[i] * a[i] * s;
    }
}

// Column sums in two deterministic passes: block (x, y) sums rows y·chunk .. (y+1)·chunk of
// column x into partial[y, x]; then one thread per column adds the partials into out.
constexpr int kColumnChunks = 64;
template <class T, class Value>
__global__ void column_partials_kernel(std::int64_t rows, std::int64_t cols, std::int64_t chunk, Value value,
                                       T* partial) {
    const std::int64_t c = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    const std::int64_t r0 = blockIdx.y * chunk, r1 = min(rows, r0 + chunk);
    T acc = 0;
    for (std::int64_t r = r0; r < r1; ++r) acc += value(r, c);
    partial[blockIdx.y * cols + c] = acc;
}
template <class T>
__global__ void add_column_partials_kernel(std::int64_t chunks, std::int64_t cols, const T* partial, T* out) {
    GRPO_GRID_STRIDE(c, cols) {
        T acc = 0;
        for (std::int64_t k = 0; k < chunks; ++k) acc += partial[k * cols + c];
        out[c] += acc;
    }
}
template <class T>
struct PlainValue {  // value(r, c) = x[r, c]
    const T* x;
    std::int64_t cols;
    __device__ T operator()(std::int64_t r, std::int64_t c) const { return x[r * cols + c]; }
};

// out[c] += Σ_r value(r, c), for value a device functor (r, c) -> T.
template <class T, class Value>
void column_sum_acc(std::int64_t rows, std::int64_t cols, Value value, T* out) {
    if (rows == 0 || cols == 0) return;
    const std::int64_t chunks = std::min<std::int64_t>(kColumnChunks, rows);
    const std::int64_t chunk = (rows + chunks - 1) / chunks;
    auto partial = CudaMemory::allocate<T>(chunks * cols);  // freed at return; stream order keeps it valid
    const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(chunks));
    column_partials_kernel<<<grid, kThreads, 0, cuda_stream()>>>(rows, cols, chunk, value, partial.get());
    GRPO_CUDA_CHECK_LAUNCH();
    add_column_partials_kernel<<<blocks_for(cols), kThreads, 0, cuda_stream()>>>(chunks, cols, partial.get(), out);
    GRPO_CUDA_CHECK_LAUNCH();
}

// Sums in double in two passes, the same on every run: block b adds its grid-stride share of
// value(i) into partial[b] (kSumBlocks blocks keep every SM busy), then one block adds the
// partials in a fixed tree order into out[0].
constexpr int kSumBlocks = 256;
template <class Value>
__global__ void partial_sums_kernel(std::int64_t n, Value value, double* partial) {
    double acc = 0.0;
    GRPO_GRID_STRIDE(i, n) acc += value(i);
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
template <class T>
__global__ void finish_sum_kernel(const double* partial, T* out) {
    const double total = block_sum(partial[threadIdx.x]);  // blockDim.x == kSumBlocks
    if (threadIdx.x == 0) out[0] = static_cast<T>(total);
}
// out[0] (device) = Σ_{i < n} value(i), for value a device functor i -> double.
template <class T, class Value>
void device_sum(std::int64_t n, Value value, T* out) {
    auto partial = CudaMemory::allocate<double>(kSumBlocks);
    partial_sums_kernel<<<kSumBlocks, kThreads, 0, cuda_stream()>>>(n, value, partial.get());
    GRPO_CUDA_CHECK_LAUNCH();
    finish_sum_kernel<<<1, kSumBlocks, 0, cuda_stream()>>>(partial.get(), out);
    GRPO_CUDA_CHECK_LAUNCH();
}
template <class T>
struct MaskedValue {  // x[i]·mask[i] (mask null: x[i]), as the CPU's reduce_sum
    const T *x, *mask;
    __device__ double operator()(std::int64_t i) const { return static_cast<double>(mask ? x[i] * mask[i] : x[i]); }
};

template <class T>
__global__ void broadcast_acc_kernel(std::int64_t n, const T* dout, T factor, const T* mask, T* dx) {
    const T g = dout[0] * factor;
    GRPO_GRID_STRIDE(i, n) dx[i] += mask ? g * mask[i] : g;
}

#define GRPO_LAUNCH(kernel, n, ...)                                                                 \
    do {                                                                                           \
        if ((n) > 0) {                                                                             \
            kernel<<<::grpo::cuda_detail::blocks_for(n), ::grpo::cuda_detail::kThreads, 0, ::grpo::cuda_stream()>>>( \
                __VA_ARGS__);                                                                      \
            GRPO_CUDA_CHECK_LAUNCH();                                                              \
        }                                                                                          \
    } while (0)

}  // namespace cuda_detail

struct CudaElementwise {
    template <class T>
    static void axpy(std::int64_t n, T alpha, const T* x, T* y) { GRPO_LAUNCH(cuda_detail::axpy_kernel, n, n, alpha, x, y); }
    template <class T>
    static void add(std::int64_t n, const T* a, const T* b, T* out) { GRPO_LAUNCH(cuda_detail::add_kernel, n, n, a, b, out); }
    template <class T>
    static void add_bias(std::int64_t rows, std::int64_t cols, const T* a, const T* bias, T* out) {
        GRPO_LAUNCH(cuda_detail::add_bias_kernel, rows * cols, rows, cols, a, bias, out);
    }
    template <class T>
    static void col_sum_acc(std::int64_t rows, std::int64_t cols, const T* dy, T* dbias) {
        cuda_detail::column_sum_acc(rows, cols, cuda_detail::PlainValue<T>{dy, cols}, dbias);
    }
    template <class T>
    static void mul(std::int64_t n, const T* a, const T* b, T* out) { GRPO_LAUNCH(cuda_detail::mul_kernel, n, n, a, b, out, false); }
    template <class T>
    static void mul_acc(std::int64_t n, const T* a, const T* b, T* out) { GRPO_LAUNCH(cuda_detail::mul_kernel, n, n, a, b, out, true); }
    template <class T>
    static void scale(std::int64_t n, T s, const T* x, T* out) { GRPO_LAUNCH(cuda_detail::scale_kernel, n, n, s, x, out); }
    template <class T>
    static void sigmoid_forward(std::int64_t n, const T* x, T* out) { GRPO_LAUNCH(cuda_detail::sigmoid_forward_kernel, n, n, x, out); }
    template <class T>
    static void sigmoid_backward(std::int64_t n, const T* y, const T* dout, T* dx) {
        GRPO_LAUNCH(cuda_detail::sigmoid_backward_kernel, n, n, y, dout, dx);
    }
    template <class T>
    static void silu_forward(std::int64_t n, const T* x, T* out) { GRPO_LAUNCH(cuda_detail::silu_forward_kernel, n, n, x, out); }
    template <class T>
    static void silu_backward(std::int64_t n, const T* x, const T* dout, T* dx) {
        GRPO_LAUNCH(cuda_detail::silu_backward_kernel, n, n, x, dout, dx);
    }
    template <class T>
    static void swiglu_forward(std::int64_t n, const T* a, const T* b, T* out) {
        GRPO_LAUNCH(cuda_detail::swiglu_forward_kernel, n, n, a, b, out);
    }
    template <class T>
    static void swiglu_backward(std::int64_t n, const T* a, const T* b, const T* dout, T* da, T* db) {
        GRPO_LAUNCH(cuda_detail::swiglu_backward_kernel, n, n, a, b, dout, da, db);
    }
    template <class T>
    static void reduce_sum(std::int64_t n, const T* x, const T* mask, T* out) {
        cuda_detail::device_sum(n, cuda_detail::MaskedValue<T>{x, mask}, out);
    }
    template <class T>
    static void broadcast_acc(std::int64_t n, const T* dout, T factor, const T* mask, T* dx) {
        GRPO_LAUNCH(cuda_detail::broadcast_acc_kernel, n, n, dout, factor, mask, dx);
    }
};

}  // namespace grpo

// The vocabulary end of the model on the GPU; the contract of backend/cpu/vocab.hpp. Rows of V
// logits run one block per row: a block max, then a block sum of exp (logsumexp in two passes,
// llm.c's fused classifier shape), so a vocabulary of any size fits.
// Ids live in device memory, so checking them costs one small kernel and one copy back: the
// first bad position (an atomicMin over positions), then its value, for the same message as the
// CPU's. The embedding's backward adds rows with atomicAdd, since two positions may hold one id
// (the order of those float adds can differ between runs: the last bits may too).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "grpo/backend/cuda/elementwise.cuh"

namespace grpo {
namespace cuda_detail {

template <class I>
__global__ void first_out_of_range_kernel(std::int64_t n, const I* ids, std::int64_t lo, std::int64_t hi,
                                          bool allow_minus_one, unsigned long long* first) {
    GRPO_GRID_STRIDE(i, n) {
        const std::int64_t id = ids[i];
        if ((id < lo || id >= hi) && !(allow_minus_one && id == -1)) atomicMin(first, static_cast<unsigned long long>(i));
    }
}

// The first i < n with ids[i] outside [lo, hi) (−1 allowed when allow_minus_one), or −1 if none.
inline std::int64_t first_out_of_range(std::int64_t n, const std::int32_t* ids, std::int64_t lo, std::int64_t hi,
                                       bool allow_minus_one = false) {
    if (n == 0) return -1;
    const unsigned long long none = std::numeric_limits<unsigned long long>::max();
    auto first = CudaMemory::allocate<unsigned long long>(1);
    CudaMemory::copy_from_host(&none, first.get(), 1);
    GRPO_LAUNCH(first_out_of_range_kernel, n, n, ids, lo, hi, allow_minus_one, first.get());
    unsigned long long found = none;
    CudaMemory::copy_to_host(first.get(), &found, 1);
    return found == none ? -1 : static_cast<std::int64_t>(found);
}
// The value at ids[i] (one device read).
inline std::int32_t id_at(const std::int32_t* ids, std::int64_t i) {
    std::int32_t v = 0;
    CudaMemory::copy_to_host(ids + i, &v, 1);
    return v;
}

template <class T>
__global__ void embedding_forward_kernel(std::int64_t N, std::int64_t C, const std::int32_t* ids, const T* table, T* out) {
    GRPO_GRID_STRIDE(i, N * C) out[i] = table[static_cast<std::int64_t>(ids[i / C]) * C + i % C];
}
template <class T>
__global__ void embedding_backward_kernel(std::int64_t N, std::int64_t C, const std::int32_t* ids, const T* dout, T* dtable) {
    GRPO_GRID_STRIDE(i, N * C) atomicAdd(dtable + static_cast<std::int64_t>(ids[i / C]) * C + i % C, dout[i]);
}

// logsumexp of row z (V values) by the whole block.
template <class T>
__device__ T block_logsumexp(std::int64_t V, const T* z) {
    T m = -INFINITY;
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) m = z[v] > m ? z[v] : m;
    m = block_max(m);
    T s = 0;
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) s += exp(z[v] - m);
    return m + log(block_sum(s));
}

template <class T>
__global__ void log_softmax_forward_kernel(std::int64_t V, const T* z, T* y) {
    const std::int64_t n = blockIdx.x;
    const T lse = block_logsumexp(V, z + n * V);
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) y[n * V + v] = z[n * V + v] - lse;
}
template <class T>
__global__ void log_softmax_backward_kernel(std::int64_t V, const T* y, const T* dy, T* dz) {
    const std::int64_t n = blockIdx.x;
    T s = 0;
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) s += dy[n * V + v];
    s = block_sum(s);
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) dz[n * V + v] += dy[n * V + v] - exp(y[n * V + v]) * s;
}

// lse[n] for every row; out[n] = z[n, y_n] − lse[n] when out is given (targets ≥ 0).
template <class T>
__global__ void row_logsumexp_kernel(std::int64_t V, const T* z, const std::int32_t* targets, T* lse, T* out) {
    const std::int64_t n = blockIdx.x;
    const T l = block_logsumexp(V, z + n * V);
    if (threadIdx.x == 0) {
        lse[n] = l;
        if (out) out[n] = z[n * V + targets[n]] - l;
    }
}
// dz[n, v] += g_n·(1[v = y_n] − softmax(z_n)_v), with g_n = sign·dout[n], or sign·dloss[0]/count
// (cross-entropy, rows with y_n < 0 skipped).
template <class T>
__global__ void softmax_minus_onehot_kernel(std::int64_t V, const T* z, const std::int32_t* targets, const T* lse,
                                            const T* dout_rows, const T* dloss, std::int64_t count, T* dz) {
    const std::int64_t n = blockIdx.x;
    const std::int32_t y = targets[n];
    if (y < 0) return;
    // token_logprobs: d/dz of (z_y − lse) is onehot − softmax; cross_entropy: softmax − onehot.
    const T g = dout_rows ? dout_rows[n] : -dloss[0] / static_cast<T>(count);
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x)
        dz[n * V + v] += g * ((v == y ? T(1) : T(0)) - exp(z[n * V + v] - lse[n]));
}

// loss[0] = Σ_{y_n ≥ 0} (lse[n] − z[n, y_n]) / count, one block, in double.
template <class T>
__global__ void cross_entropy_mean_kernel(std::int64_t N, std::int64_t V, const T* z, const std::int32_t* targets,
                                          const T* lse, std::int64_t count, T* loss) {
    double acc = 0.0;
    for (std::int64_t n = threadIdx.x; n < N; n += blockDim.x)
        if (targets[n] >= 0) acc += static_cast<double>(lse[n] - z[n * V + targets[n]]);
    acc = block_sum(acc);
    if (threadIdx.x == 0) loss[0] = count ? static_cast<T>(acc / static_cast<double>(count)) : T(0);
}
template <class I>
__global__ void count_targets_kernel(std::int64_t N, const I* targets, unsigned long long* count) {
    unsigned long long c = 0;
    for (std::int64_t n = threadIdx.x; n < N; n += blockDim.x) c += targets[n] >= 0;
    c = block_sum(c);
    if (threadIdx.x == 0) count[0] = c;
}

}  // namespace cuda_detail

struct CudaVocab {
    template <class T>
    static void embedding_forward(std::int64_t N, std::int64_t V, std::int64_t C, const std::int32_t* ids, const T* table,
                                  T* out) {
        const std::int64_t bad = cuda_detail::first_out_of_range(N, ids, 0, V);
        require(bad < 0, "embedding: token id ", bad < 0 ? 0 : cuda_detail::id_at(ids, bad), " at position ", bad,
                " is out of range for a table of shape (", V, ", ", C, ")");
        GRPO_LAUNCH(cuda_detail::embedding_forward_kernel, N * C, N, C, ids, table, out);
    }
    template <class T>
    static void embedding_backward(std::int64_t N, std::int64_t C, const std::int32_t* ids, const T* dout, T* dtable) {
        GRPO_LAUNCH(cuda_detail::embedding_backward_kernel, N * C, N, C, ids, dout, dtable);
    }
    template <class T>
    static void log_softmax_forward(std::int64_t N, std::int64_t V, const T* z, T* y) {
        if (N == 0) return;
        cuda_detail::log_softmax_forward_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(V, z, y);
        GRPO_CUDA_CHECK_LAUNCH();
    }
    template <class T>
    static void log_softmax_backward(std::int64_t N, std::int64_t V, const T* y, const T* dy, T* dz) {
        if (N == 0) return;
        cuda_detail::log_softmax_backward_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(
            V, y, dy, dz);
        GRPO_CUDA_CHECK_LAUNCH();
    }

    static void check_targets(std::int64_t N, std::int64_t V, const std::int32_t* targets, bool allow_ignore, const char* op) {
        const std::int64_t bad = cuda_detail::first_out_of_range(N, targets, 0, V, allow_ignore);
        require(bad < 0, op, ": target ", bad < 0 ? 0 : cuda_detail::id_at(targets, bad), " at row ", bad,
                " is out of range for logits of shape (", N, ", ", V, ")", allow_ignore ? " (-1 = ignore)" : "");
    }

    template <class T>
    static void token_logprobs_forward(std::int64_t N, std::int64_t V, const T* z, const std::int32_t* targets, T* out,
                                       T* lse) {
        check_targets(N, V, targets, false, "token_logprobs");
        if (N == 0) return;
        cuda_detail::row_logsumexp_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(
            V, z, targets, lse, out);
        GRPO_CUDA_CHECK_LAUNCH();
    }
    template <class T>
    static void token_logprobs_backward(std::int64_t N, std::int64_t V, const T* z, const std::int32_t* targets,
                                        const T* lse, const T* dout, T* dz) {
        if (N == 0) return;
        cuda_detail::softmax_minus_onehot_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(
            V, z, targets, lse, dout, static_cast<const T*>(nullptr), 0, dz);
        GRPO_CUDA_CHECK_LAUNCH();
    }

    template <class T>
    static std::int64_t cross_entropy_forward(std::int64_t N, std::int64_t V, const T* z, const std::int32_t* targets,
                                              T* lse, T* loss) {
        check_targets(N, V, targets, true, "cross_entropy");
        auto count_device = CudaMemory::allocate<unsigned long long>(1);
        cuda_detail::count_targets_kernel<<<1, 1024, 0, cuda_stream()>>>(N, targets, count_device.get());
        GRPO_CUDA_CHECK_LAUNCH();
        unsigned long long count = 0;
        CudaMemory::copy_to_host(count_device.get(), &count, 1);
        if (N > 0) {
            cuda_detail::row_logsumexp_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(
                V, z, targets, lse, static_cast<T*>(nullptr));
            GRPO_CUDA_CHECK_LAUNCH();
        }
        cuda_detail::cross_entropy_mean_kernel<<<1, 1024, 0, cuda_stream()>>>(N, V, z, targets, lse,
                                                                              static_cast<std::int64_t>(count), loss);
        GRPO_CUDA_CHECK_LAUNCH();
        return static_cast<std::int64_t>(count);
    }
    template <class T>
    static void cross_entropy_backward(std::int64_t N, std::int64_t V, const T* z, const std::int32_t* targets,
                                       const T* lse, const T* dloss, std::int64_t count, T* dz) {
        if (count == 0 || N == 0) return;
        cuda_detail::softmax_minus_onehot_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(
            V, z, targets, lse, static_cast<const T*>(nullptr), dloss, count, dz);
        GRPO_CUDA_CHECK_LAUNCH();
    }
};

}  // namespace grpo

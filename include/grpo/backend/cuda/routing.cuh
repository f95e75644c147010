// The ops of MoE routing on the GPU; the contract of backend/cpu/routing.hpp. Gate rows are
// short (E experts, tens to a few hundred), so softmax and row normalisation run a warp per row
// and top-k one thread per row (k passes of an argmax that skips the ones already taken, the
// same order as the CPU: larger first, ties to the lower column). Dispatch (gather_rows) copies
// rows; combine (scatter_add_rows) adds with atomicAdd, since several slots land on one token.
// The sort of (token, slot) pairs by expert that decides those rows is moe_dispatch.cuh (Thrust).
#pragma once

#include <cstdint>

#include "grpo/backend/cuda/norm_rope.cuh"
#include "grpo/backend/cuda/vocab.cuh"

namespace grpo {
namespace cuda_detail {

template <class T>
__global__ void softmax_rows_kernel(std::int64_t N, std::int64_t E, const T* z, T* y) {
    const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (n >= N) return;
    T m = -INFINITY;
    for (std::int64_t e = lane; e < E; e += 32) m = z[n * E + e] > m ? z[n * E + e] : m;
    m = warp_max(m);
    T total = 0;
    for (std::int64_t e = lane; e < E; e += 32) total += (y[n * E + e] = exp(z[n * E + e] - m));
    total = warp_sum(total);
    for (std::int64_t e = lane; e < E; e += 32) y[n * E + e] /= total;
}
template <class T>
__global__ void softmax_rows_backward_kernel(std::int64_t N, std::int64_t E, const T* y, const T* dy, T* dz) {
    const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (n >= N) return;
    T dot = 0;
    for (std::int64_t e = lane; e < E; e += 32) dot += dy[n * E + e] * y[n * E + e];
    dot = warp_sum(dot);
    for (std::int64_t e = lane; e < E; e += 32) dz[n * E + e] += y[n * E + e] * (dy[n * E + e] - dot);
}
// y = x / Σ x per row; a row summing to zero sets *zero_row to its index (the smallest such).
template <class T>
__global__ void normalize_rows_kernel(std::int64_t N, std::int64_t E, const T* x, T* y, unsigned long long* zero_row) {
    const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (n >= N) return;
    T total = 0;
    for (std::int64_t e = lane; e < E; e += 32) total += x[n * E + e];
    total = warp_sum(total);
    if (total == T(0)) {
        if (lane == 0) atomicMin(zero_row, static_cast<unsigned long long>(n));
        return;
    }
    for (std::int64_t e = lane; e < E; e += 32) y[n * E + e] = x[n * E + e] / total;
}
template <class T>
__global__ void normalize_rows_backward_kernel(std::int64_t N, std::int64_t E, const T* x, const T* y, const T* dy,
                                               T* dx) {
    const std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (n >= N) return;
    T total = 0, dot = 0;
    for (std::int64_t e = lane; e < E; e += 32) {
        total += x[n * E + e];
        dot += dy[n * E + e] * y[n * E + e];
    }
    total = warp_sum(total);
    dot = warp_sum(dot);
    for (std::int64_t e = lane; e < E; e += 32) dx[n * E + e] += (dy[n * E + e] - dot) / total;
}

// idx[n, j] for j < k: pass j takes the best column not taken by passes 0..j−1.
template <class T>
__global__ void topk_kernel(std::int64_t N, std::int64_t E, std::int64_t k, const T* x, std::int32_t* idx) {
    GRPO_GRID_STRIDE(n, N) {
        const T* row = x + n * E;
        std::int32_t* out = idx + n * k;
        for (std::int64_t j = 0; j < k; ++j) {
            std::int32_t best = -1;
            for (std::int32_t e = 0; e < E; ++e) {
                bool taken = false;
                for (std::int64_t i = 0; i < j; ++i) taken = taken || out[i] == e;
                if (taken) continue;
                if (best < 0 || row[e] > row[best]) best = e;  // strict: ties keep the lower column
            }
            out[j] = best;
        }
    }
}

template <class T>
__global__ void gather_last_kernel(std::int64_t N, std::int64_t E, std::int64_t k, const T* x, const std::int32_t* idx,
                                   T* out) {
    GRPO_GRID_STRIDE(i, N * k) out[i] = x[(i / k) * E + idx[i]];
}
template <class T>
__global__ void gather_last_backward_kernel(std::int64_t N, std::int64_t E, std::int64_t k, const std::int32_t* idx,
                                            const T* dout, T* dx) {
    GRPO_GRID_STRIDE(i, N * k) atomicAdd(dx + (i / k) * E + idx[i], dout[i]);  // an index may repeat in a row
}
template <class T>
__global__ void gather_rows_kernel(std::int64_t M, std::int64_t C, const T* x, const std::int32_t* idx, T* out) {
    GRPO_GRID_STRIDE(i, M * C) out[i] = x[static_cast<std::int64_t>(idx[i / C]) * C + i % C];
}
template <class T>
__global__ void scatter_add_rows_kernel(std::int64_t M, std::int64_t C, const T* y, const T* w, const std::int32_t* idx,
                                        T* out) {
    GRPO_GRID_STRIDE(i, M * C) {
        const std::int64_t m = i / C;
        atomicAdd(out + static_cast<std::int64_t>(idx[m]) * C + i % C, (w ? w[m] : T(1)) * y[i]);
    }
}
// dy[m, :] += w[m]·dout[idx[m], :] (elementwise); dw[m] += dout[idx[m], :]·y[m, :] (a warp per m).
template <class T>
__global__ void scatter_add_rows_dy_kernel(std::int64_t M, std::int64_t C, const T* w, const std::int32_t* idx,
                                           const T* dout, T* dy) {
    GRPO_GRID_STRIDE(i, M * C) {
        const std::int64_t m = i / C;
        dy[i] += (w ? w[m] : T(1)) * dout[static_cast<std::int64_t>(idx[m]) * C + i % C];
    }
}
template <class T>
__global__ void scatter_add_rows_dw_kernel(std::int64_t M, std::int64_t C, const T* y, const std::int32_t* idx,
                                           const T* dout, T* dw) {
    const std::int64_t m = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (m >= M) return;
    const T* g = dout + static_cast<std::int64_t>(idx[m]) * C;
    T dot = 0;
    for (std::int64_t c = lane; c < C; c += 32) dot += g[c] * y[m * C + c];
    dot = warp_sum(dot);
    if (lane == 0) dw[m] += dot;
}

inline unsigned warp_blocks(std::int64_t rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }

#define GRPO_LAUNCH_WARP_ROWS(kernel, rows, ...)                                                               \
    do {                                                                                                      \
        if ((rows) > 0) {                                                                                     \
            kernel<<<::grpo::cuda_detail::warp_blocks(rows), 32 * ::grpo::cuda_detail::kRowsPerBlock, 0,      \
                     ::grpo::cuda_stream()>>>(__VA_ARGS__);                                                   \
            GRPO_CUDA_CHECK_LAUNCH();                                                                         \
        }                                                                                                     \
    } while (0)

}  // namespace cuda_detail

struct CudaRouting {
    template <class T>
    static void softmax_forward(std::int64_t N, std::int64_t E, const T* z, T* y) {
        GRPO_LAUNCH_WARP_ROWS(cuda_detail::softmax_rows_kernel, N, N, E, z, y);
    }
    template <class T>
    static void softmax_backward(std::int64_t N, std::int64_t E, const T* y, const T* dy, T* dz) {
        GRPO_LAUNCH_WARP_ROWS(cuda_detail::softmax_rows_backward_kernel, N, N, E, y, dy, dz);
    }
    template <class T>
    static void normalize_rows_forward(std::int64_t N, std::int64_t E, const T* x, T* y) {
        const unsigned long long none = ~0ull;
        auto zero_row = CudaMemory::allocate<unsigned long long>(1);
        CudaMemory::copy_from_host(&none, zero_row.get(), 1);
        GRPO_LAUNCH_WARP_ROWS(cuda_detail::normalize_rows_kernel, N, N, E, x, y, zero_row.get());
        unsigned long long found = none;
        CudaMemory::copy_to_host(zero_row.get(), &found, 1);
        require(found == none, "normalize_rows: row ", found, " sums to zero");
    }
    template <class T>
    static void normalize_rows_backward(std::int64_t N, std::int64_t E, const T* x, const T* y, const T* dy, T* dx) {
        GRPO_LAUNCH_WARP_ROWS(cuda_detail::normalize_rows_backward_kernel, N, N, E, x, y, dy, dx);
    }
    template <class T>
    static void topk_indices(std::int64_t N, std::int64_t E, std::int64_t k, const T* x, std::int32_t* idx) {
        GRPO_LAUNCH(cuda_detail::topk_kernel, N, N, E, k, x, idx);
    }
    template <class T>
    static void gather_last_forward(std::int64_t N, std::int64_t E, std::int64_t k, const T* x, const std::int32_t* idx,
                                    T* out) {
        const std::int64_t bad = cuda_detail::first_out_of_range(N * k, idx, 0, E);
        require(bad < 0, "gather_last: index ", bad < 0 ? 0 : cuda_detail::id_at(idx, bad), " at (", bad / k, ", ",
                bad % k, ") is out of range for x of shape (", N, ", ", E, ")");
        GRPO_LAUNCH(cuda_detail::gather_last_kernel, N * k, N, E, k, x, idx, out);
    }
    template <class T>
    static void gather_last_backward(std::int64_t N, std::int64_t E, std::int64_t k, const std::int32_t* idx,
                                     const T* dout, T* dx) {
        GRPO_LAUNCH(cuda_detail::gather_last_backward_kernel, N * k, N, E, k, idx, dout, dx);
    }
    static void check_rows(std::int64_t M, std::int64_t N, const std::int32_t* idx, const char* op) {
        const std::int64_t bad = cuda_detail::first_out_of_range(M, idx, 0, N);
        require(bad < 0, op, ": row index ", bad < 0 ? 0 : cuda_detail::id_at(idx, bad), " at ", bad,
                " is out of range for ", N, " rows");
    }
    template <class T>
    static void gather_rows(std::int64_t M, std::int64_t N, std::int64_t C, const T* x, const std::int32_t* idx, T* out) {
        check_rows(M, N, idx, "gather_rows");
        GRPO_LAUNCH(cuda_detail::gather_rows_kernel, M * C, M, C, x, idx, out);
    }
    template <class T>
    static void scatter_add_rows(std::int64_t M, std::int64_t N, std::int64_t C, const T* y, const T* w,
                                 const std::int32_t* idx, T* out) {
        check_rows(M, N, idx, "scatter_add_rows");
        GRPO_LAUNCH(cuda_detail::scatter_add_rows_kernel, M * C, M, C, y, w, idx, out);
    }
    template <class T>
    static void scatter_add_rows_backward(std::int64_t M, std::int64_t C, const T* y, const T* w, const std::int32_t* idx,
                                          const T* dout, T* dy, T* dw) {
        if (dy) GRPO_LAUNCH(cuda_detail::scatter_add_rows_dy_kernel, M * C, M, C, w, idx, dout, dy);
        if (dw) GRPO_LAUNCH_WARP_ROWS(cuda_detail::scatter_add_rows_dw_kernel, M, M, C, y, idx, dout, dw);
    }
};

}  // namespace grpo

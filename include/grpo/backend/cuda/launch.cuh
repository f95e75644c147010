// What every kernel of the backend shares: the launch shape of a grid-stride loop, and warp and
// block reductions (sum and max) by shuffles, llm.c's warpReduceSum / blockReduce.
#pragma once

#include <algorithm>
#include <cstdint>

#include "grpo/backend/cuda/context.cuh"

namespace grpo {
namespace cuda_detail {

constexpr int kThreads = 256;   // threads per block of an elementwise kernel
constexpr int kMaxBlocks = 4096;  // a grid-stride loop covers the rest

// Blocks for a grid-stride loop over n items (at least 1, so an empty launch stays valid).
inline int blocks_for(std::int64_t n, int threads = kThreads) {
    const std::int64_t b = (n + threads - 1) / threads;
    return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(b, kMaxBlocks)));
}

// i = this thread's first index; step = the whole grid.
#define GRPO_GRID_STRIDE(i, n)                                                                  \
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
         i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

template <class T>
__device__ T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}
template <class T>
__device__ T warp_max(T v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        const T other = __shfl_xor_sync(0xffffffffu, v, offset);
        v = other > v ? other : v;
    }
    return v;
}

// The sum over the block of every thread's v, returned to every thread. blockDim.x must be a
// multiple of 32 and at most 1024. Uses 32 values of shared memory; safe to call repeatedly.
template <class T>
__device__ T block_sum(T v) {
    __shared__ T partial[32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_sum(v);
    __syncthreads();  // a previous call may still be reading partial
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : T(0);
    return warp_sum(v);
}
template <class T>
__device__ T block_max(T v) {
    __shared__ T partial[32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : partial[0];
    return warp_max(v);
}

// Threads for a kernel with one block per row of `cols` values: a multiple of 32, 32..1024.
inline int row_threads(std::int64_t cols) {
    std::int64_t t = 32;
    while (t < cols && t < 1024) t *= 2;
    return static_cast<int>(t);
}

}  // namespace cuda_detail
}  // namespace grpo

// The sampler's per-row pick on the GPU: the very function the CPU runs (sample_token,
// backend/sampling_formulas.hpp), one thread per row, on the same uniform draws (the host's
// Philox generators, one per completion), so for the same logits CPU and CUDA pick the same
// tokens. The rows are few (G completions of one prompt) and the vocabulary is small here, so a
// thread per row is enough; a large vocabulary would want a block per row and a radix select.
#pragma once

#include <cstdint>

#include "grpo/backend/cuda/launch.cuh"
#include "grpo/backend/sampling_formulas.hpp"

namespace grpo {
namespace cuda_detail {

template <class T>
__global__ void sample_rows_kernel(std::int64_t rows, std::int64_t V, std::int64_t row_stride, const T* logits,
                                   SamplingConfig config, const double* u, std::int32_t* scratch, SampledToken* out) {
    GRPO_GRID_STRIDE(r, rows) out[r] = sample_token(logits + r * row_stride, V, config, u[r], scratch ? scratch + r * V : nullptr);
}

}  // namespace cuda_detail

struct CudaSampling {
    template <class T>
    static void sample_rows(std::int64_t rows, std::int64_t V, std::int64_t row_stride, const T* logits,
                            const SamplingConfig& config, const double* u, std::int32_t* scratch, SampledToken* out) {
        if (rows == 0) return;
        cuda_detail::sample_rows_kernel<<<cuda_detail::blocks_for(rows, 32), 32, 0, cuda_stream()>>>(
            rows, V, row_stride, logits, config, u, scratch, out);
        GRPO_CUDA_CHECK_LAUNCH();
    }
};

}  // namespace grpo

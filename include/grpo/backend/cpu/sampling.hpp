// The sampler's per-row pick on the CPU: sample_token (backend/sampling_formulas.hpp) for each
// row, one after another. The CUDA backend runs the same function, one thread per row.
#pragma once

#include <cstdint>

#include "grpo/backend/sampling_formulas.hpp"

namespace grpo {

/// The CPU backend's sampler: sample_token for each row, serially.
struct CpuSampling {
    /// out[r] = sample_token(logits + r·row_stride, V, config, u[r]) for r < rows. scratch: rows·V
    /// ints when config.filters(), else may be null.
    template <class T>
    static void sample_rows(std::int64_t rows, std::int64_t V, std::int64_t row_stride, const T* logits,
                            const SamplingConfig& config, const double* u, std::int32_t* scratch,
                            SampledToken* out) {
        for (std::int64_t r = 0; r < rows; ++r)
            out[r] = sample_token(logits + r * row_stride, V, config, u[r], scratch ? scratch + r * V : nullptr);
    }
};

}  // namespace grpo

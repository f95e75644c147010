// Learning-rate schedule: linear warmup, then cosine decay to a floor (Loshchilov & Hutter,
// "SGDR", 2017, without restarts), following nanoGPT's get_lr:
//   step < warmup:          lr = max_lr · (step + 1) / (warmup + 1)
//   warmup <= step <= decay: lr = min_lr + ½ (max_lr − min_lr)(1 + cos(π · (step − warmup) / (decay − warmup)))
//   step > decay:           lr = min_lr
// Steps count from 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/core/error.hpp"

namespace grpo {

/// Linear warmup, then cosine decay from max_lr to min_lr, then min_lr.
struct CosineSchedule {
    double max_lr = 1e-3;  ///< the peak, at the end of warmup
    double min_lr = 1e-4;  ///< the floor after decay_steps
    std::int64_t warmup_steps = 0;  ///< steps of linear warmup
    std::int64_t decay_steps = 1000;  ///< the step where the cosine reaches min_lr

    /// The learning rate at `step` (from 0); throws on a negative step or bad settings.
    double operator()(std::int64_t step) const {
        require(step >= 0, "CosineSchedule: step ", step, " is negative");
        require(warmup_steps >= 0 && warmup_steps <= decay_steps, "CosineSchedule: warmup ",
                warmup_steps, " must be in 0..decay steps ", decay_steps);
        require(min_lr >= 0 && min_lr <= max_lr, "CosineSchedule: min_lr ", min_lr,
                " must be in 0..max_lr ", max_lr);
        if (step < warmup_steps) return max_lr * static_cast<double>(step + 1) / (warmup_steps + 1);
        if (step > decay_steps) return min_lr;
        if (decay_steps == warmup_steps) return max_lr;
        constexpr double kPi = 3.14159265358979323846;
        const double progress = static_cast<double>(step - warmup_steps) / (decay_steps - warmup_steps);
        return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + std::cos(kPi * progress));
    }
};

}  // namespace grpo

// The optimizer's per-element work on the CPU: one fused AdamW update, and the sum of squares
// that global-norm clipping needs. Fused so a step reads each parameter, gradient and moment
// once (the CUDA backend does the same in one kernel).
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

/// The CPU backend's fused AdamW update and sum of squares for clipping.
struct CpuOptim {
    /// AdamW (Loshchilov & Hutter 2019, Algorithm 2; moments as in Kingma & Ba 2015, Alg. 1):
    ///   p -= lr·wd·p                        decoupled weight decay, before the Adam step
    ///   m = β1·m + (1 − β1)·g,  v = β2·v + (1 − β2)·g²
    ///   p -= lr · (m / c1) / (sqrt(v / c2) + eps)     c1 = 1 − β1^t, c2 = 1 − β2^t
    /// (the order PyTorch's torch.optim.AdamW uses). param, grad, m, v: (n)
    template <class T>
    static void adamw_step(std::int64_t n, T* param, const T* grad, T* m, T* v, T lr, T beta1,
                           T beta2, T eps, T weight_decay, T c1, T c2) {
        GRPO_PARALLEL_FOR(n > kCpuParallelMin)
        for (std::int64_t i = 0; i < n; ++i) {
            param[i] -= lr * weight_decay * param[i];
            m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
            v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
            param[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
        }
    }

    /// Σ x², accumulated in double. x: (n)
    template <class T>
    static double sum_squares(std::int64_t n, const T* x) {
        double acc = 0.0;
        for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * x[i];
        return acc;
    }
};

}  // namespace grpo

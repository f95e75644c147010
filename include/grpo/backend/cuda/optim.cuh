// The optimizer's per-element work on the GPU: AdamW as one fused kernel (each parameter,
// gradient and moment read once and written once, the point of llm.c's adamw_kernel), and the
// sum of squares for global-norm clipping, in double (device_sum: every SM, fixed order).
// Formulas: backend/cpu/optim.hpp (Loshchilov & Hutter 2019, Algorithm 2; PyTorch's order).
#pragma once

#include <cstdint>

#include "grpo/backend/cuda/elementwise.cuh"

namespace grpo {
namespace cuda_detail {

template <class T>
__global__ void adamw_kernel(std::int64_t n, T* param, const T* grad, T* m, T* v, T lr, T beta1, T beta2, T eps,
                             T weight_decay, T c1, T c2) {
    GRPO_GRID_STRIDE(i, n) {
        T p = param[i];
        const T g = grad[i];
        p -= lr * weight_decay * p;
        const T mi = beta1 * m[i] + (1 - beta1) * g;
        const T vi = beta2 * v[i] + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - lr * (mi / c1) / (sqrt(vi / c2) + eps);
    }
}
template <class T>
struct SquareValue {  // x[i]², in double
    const T* x;
    __device__ double operator()(std::int64_t i) const { return static_cast<double>(x[i]) * static_cast<double>(x[i]); }
};

}  // namespace cuda_detail

struct CudaOptim {
    template <class T>
    static void adamw_step(std::int64_t n, T* param, const T* grad, T* m, T* v, T lr, T beta1, T beta2, T eps,
                           T weight_decay, T c1, T c2) {
        GRPO_LAUNCH(cuda_detail::adamw_kernel, n, n, param, grad, m, v, lr, beta1, beta2, eps, weight_decay, c1, c2);
    }
    template <class T>
    static double sum_squares(std::int64_t n, const T* x) {
        auto out = CudaMemory::allocate<double>(1);
        cuda_detail::device_sum(n, cuda_detail::SquareValue<T>{x}, out.get());
        double s = 0.0;
        CudaMemory::copy_to_host(out.get(), &s, 1);
        return s;
    }
};

}  // namespace grpo

// Kernel lab: one AdamW step over every parameter (Loshchilov & Hutter 2019, Algorithm 2;
// moments as in Kingma & Ba 2015, Alg. 1; PyTorch's torch.optim.AdamW order), the formulas of
// include/grpo/backend/cpu/optim.hpp:
//   p -= lr·wd·p                                   decoupled weight decay, before the Adam step
//   m = β1·m + (1 − β1)·g,  v = β2·v + (1 − β2)·g²
//   p -= lr·(m / c1) / (sqrt(v / c2) + eps)        c1 = 1 − β1^t, c2 = 1 − β2^t
// param, grad, m, v: (n)
// build: cmake --build build --target kernel_adamw    run: build/kernels/adamw [--check]
#include "common.cuh"

// ---------------------------------------------------------------------------------------------
// CPU reference: plain loops, as CpuOptim::adamw_step.

void adamw_step_cpu(std::int64_t n, float* param, const float* grad, float* m, float* v, float lr, float beta1,
                    float beta2, float eps, float weight_decay, float c1, float c2) {
    for (std::int64_t i = 0; i < n; ++i) {
        param[i] -= lr * weight_decay * param[i];
        m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
        v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
        param[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
}

// ---------------------------------------------------------------------------------------------
// Version 1: the three lines of the algorithm as three kernels, one thread per element each:
//   1. decay     reads p, writes p                    2 floats per element
//   2. moments   reads g, m, v, writes m, v           5
//   3. update    reads p, m, v, writes p              4
// 11 floats of DRAM traffic per parameter and 3 launches. The arithmetic is a handful of
// flops per element, so all three kernels are bound by memory bandwidth.

__global__ void adamw_decay_kernel1(std::int64_t n, float* param, float lr, float weight_decay) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) param[i] -= lr * weight_decay * param[i];
}

__global__ void adamw_moments_kernel1(std::int64_t n, const float* grad, float* m, float* v, float beta1, float beta2) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
    v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
}

__global__ void adamw_update_kernel1(std::int64_t n, float* param, const float* m, const float* v, float lr, float eps,
                                     float c1, float c2) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) param[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
}

void adamw_step1(std::int64_t n, float* param, const float* grad, float* m, float* v, float lr, float beta1,
                 float beta2, float eps, float weight_decay, float c1, float c2) {
    const int threads = 256;
    const auto blocks = static_cast<unsigned>((n + threads - 1) / threads);
    const cudaStream_t stream = grpo::cuda_stream();
    adamw_decay_kernel1<<<blocks, threads, 0, stream>>>(n, param, lr, weight_decay);
    GRPO_CUDA_CHECK_LAUNCH();
    adamw_moments_kernel1<<<blocks, threads, 0, stream>>>(n, grad, m, v, beta1, beta2);
    GRPO_CUDA_CHECK_LAUNCH();
    adamw_update_kernel1<<<blocks, threads, 0, stream>>>(n, param, m, v, lr, eps, c1, c2);
    GRPO_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------------------------------------
// Version 2: the library, grpo::Cuda::adamw_step (CudaOptim, include/grpo/backend/cuda/optim.cuh):
// the same arithmetic fused into one grid-stride kernel that keeps p, m and v in registers between
// the three lines. Each element reads p, g, m, v once and writes p, m, v once: 7 floats instead
// of 11, in one launch instead of three. Both are bound by DRAM bandwidth, so v2 should take
// about 7/11 of v1's time (a speedup near 1.6x). Not done (a next version): 128-bit (float4)
// loads, and bf16 moments (4 bytes less per parameter).

bool run(const lab::Args& args) {
    const std::int64_t n = args.check ? 1007 : 100000000;  // parameters; 1007 is not a multiple of a block
    const float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.1f;
    const int step = 10;  // the bias corrections of step t = 10
    const float c1 = 1.0f - std::pow(beta1, float(step)), c2 = 1.0f - std::pow(beta2, float(step));
    const std::size_t un = static_cast<std::size_t>(n);
    std::printf("adamw: n = %lld parameters (float), step %d\n", static_cast<long long>(n), step);

    const auto param = lab::random_floats(un, -1.0f, 1.0f, 1);  // (n)
    const auto grad = lab::random_floats(un, -0.1f, 0.1f, 2);   // (n)
    const auto m = lab::random_floats(un, -0.01f, 0.01f, 3);    // (n) first moment after some steps
    // (n) second moment, kept ≥ 1e-6 so that no update divides by a near-zero sqrt(v) (there a
    // step of ~lr·m/eps would magnify every rounding difference past the tolerance)
    const auto v = lab::random_floats(un, 1e-6f, 1e-4f, 4);
    auto param_ref = param, m_ref = m, v_ref = v;
    adamw_step_cpu(n, param_ref.data(), grad.data(), m_ref.data(), v_ref.data(), lr, beta1, beta2, eps, weight_decay,
                   c1, c2);

    auto param_d = lab::to_device(param), grad_d = lab::to_device(grad), m_d = lab::to_device(m), v_d = lab::to_device(v);
    const std::vector<lab::Version> versions = {
        {"v1 three kernels",
         [&] {
             adamw_step1(n, param_d.get(), grad_d.get(), m_d.get(), v_d.get(), lr, beta1, beta2, eps, weight_decay, c1, c2);
         }},
        {"v2 library (fused)",
         [&] {
             grpo::Cuda::adamw_step(n, param_d.get(), grad_d.get(), m_d.get(), v_d.get(), lr, beta1, beta2, eps,
                                    weight_decay, c1, c2);
         }},
    };

    // Tolerances: one step moves p by ≤ ~lr·(1 + wd); the GPU contracts a·b + c into fused
    // multiply-adds where the CPU rounds twice, so results differ by an ulp or so: p ≈ 1 has
    // ulps of 1e-7, m ≈ 1e-2 of 1e-9, v ≈ 1e-4 of 1e-11.
    bool ok = true;
    for (const auto& ver : versions) {
        lab::upload(param, param_d.get());
        lab::upload(m, m_d.get());
        lab::upload(v, v_d.get());
        ver.launch();
        ok &= lab::check((ver.name + ": param").c_str(), lab::to_host(param_d.get(), un), param_ref, 1e-6);
        ok &= lab::check((ver.name + ": m").c_str(), lab::to_host(m_d.get(), un), m_ref, 1e-8);
        ok &= lab::check((ver.name + ": v").c_str(), lab::to_host(v_d.get(), un), v_ref, 1e-10);
    }
    if (!ok || args.check) return ok;

    // Bytes: what one step must move, p, g, m, v read and p, m, v written (v1 moves 11n floats).
    // The timed runs keep stepping the same state; the values stay finite, which is all timing needs.
    const double bytes = 4.0 * 7.0 * double(n);
    lab::time_versions(grpo::str("adamw, n = ", n, " parameters"), versions, bytes, args.repeats);
    return ok;
}

int main(int argc, char** argv) { return lab::run_main(argc, argv, run); }

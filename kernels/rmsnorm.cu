// Kernel lab: RMSNorm, forward and the backward's dx (Zhang & Sennrich 2019, "Root Mean Square
// Layer Normalization"), the formulas of include/grpo/backend/cpu/norm_rope.hpp:
//   forward   rstd[r] = 1/sqrt(mean_c x[r,c]² + eps),  y[r,c] = x[r,c]·rstd[r]·w[c]
//   backward  x̂ = x·rstd, g = dy·w:  dx += rstd·(g − x̂·mean_c(g·x̂))
// build: cmake --build build --target kernel_rmsnorm    run: build/kernels/rmsnorm [--check]
#include "common.cuh"

// ---------------------------------------------------------------------------------------------
// CPU reference: plain loops, the same order of operations as CpuNormRope.

void rmsnorm_forward_cpu(std::int64_t rows, std::int64_t C, const float* x, const float* w, float eps, float* y,
                         float* rstd) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * C;
        float ss = 0;
        for (std::int64_t c = 0; c < C; ++c) ss += xr[c] * xr[c];
        const float s = 1.0f / std::sqrt(ss / float(C) + eps);
        rstd[r] = s;
        for (std::int64_t c = 0; c < C; ++c) y[r * C + c] = xr[c] * s * w[c];
    }
}

void rmsnorm_backward_dx_cpu(std::int64_t rows, std::int64_t C, const float* x, const float* w, const float* rstd,
                             const float* dy, float* dx) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * C;
        const float* dyr = dy + r * C;
        const float s = rstd[r];
        float dot = 0;  // Σ_c g·x̂
        for (std::int64_t c = 0; c < C; ++c) dot += dyr[c] * w[c] * xr[c] * s;
        const float mean_dot = dot / float(C);
        for (std::int64_t c = 0; c < C; ++c) dx[r * C + c] += s * (dyr[c] * w[c] - xr[c] * s * mean_dot);
    }
}

// ---------------------------------------------------------------------------------------------
// Version 1: one thread per row, the CPU loop moved onto the GPU as it is. Each thread walks its
// own row, so at every load the 32 threads of a warp touch 32 addresses C·4 bytes apart: 32
// separate memory transactions of which 4 bytes each are used (the rest of each sector is used
// only if it is still in L1 when the thread comes back for it). And 16384 rows are only 16384
// threads, a few warps per SM, too few to hide memory latency.

__global__ void rmsnorm_forward_kernel1(std::int64_t rows, std::int64_t C, const float* x, const float* w, float eps,
                                        float* y, float* rstd) {
    const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + r * C;  // (C)
    float ss = 0;
    for (std::int64_t c = 0; c < C; ++c) ss += xr[c] * xr[c];
    const float s = 1.0f / sqrtf(ss / float(C) + eps);
    rstd[r] = s;
    for (std::int64_t c = 0; c < C; ++c) y[r * C + c] = xr[c] * s * w[c];
}

__global__ void rmsnorm_backward_dx_kernel1(std::int64_t rows, std::int64_t C, const float* x, const float* w,
                                            const float* rstd, const float* dy, float* dx) {
    const std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + r * C;
    const float* dyr = dy + r * C;
    const float s = rstd[r];
    float dot = 0;
    for (std::int64_t c = 0; c < C; ++c) dot += dyr[c] * w[c] * xr[c] * s;
    const float mean_dot = dot / float(C);
    for (std::int64_t c = 0; c < C; ++c) dx[r * C + c] += s * (dyr[c] * w[c] - xr[c] * s * mean_dot);
}

void rmsnorm_forward1(std::int64_t rows, std::int64_t C, const float* x, const float* w, float eps, float* y,
                      float* rstd) {
    const int threads = 256;
    rmsnorm_forward_kernel1<<<static_cast<unsigned>((rows + threads - 1) / threads), threads, 0, grpo::cuda_stream()>>>(
        rows, C, x, w, eps, y, rstd);
    GRPO_CUDA_CHECK_LAUNCH();
}
void rmsnorm_backward_dx1(std::int64_t rows, std::int64_t C, const float* x, const float* w, const float* rstd,
                          const float* dy, float* dx) {
    const int threads = 256;
    rmsnorm_backward_dx_kernel1<<<static_cast<unsigned>((rows + threads - 1) / threads), threads, 0,
                                  grpo::cuda_stream()>>>(rows, C, x, w, rstd, dy, dx);
    GRPO_CUDA_CHECK_LAUNCH();
}

// ---------------------------------------------------------------------------------------------
// Version 2: the library, grpo::Cuda::rmsnorm_forward / rmsnorm_backward (CudaNormRope,
// include/grpo/backend/cuda/norm_rope.cuh). One warp per row, 8 rows per block: lane l reads
// columns l, l + 32, ..., so each load of the warp is 128 contiguous bytes (one coalesced
// transaction instead of 32), and the row's sum is a 5-step shuffle reduction. 16384 rows become
// 16384 warps, enough to keep every SM's memory pipeline full. What it should buy: the kernel
// becomes bound by DRAM bandwidth (x read, y written; the second pass over x mostly hits L1/L2).
// Not done (a next version): keeping the row in registers between the two passes, and 128-bit
// (float4) loads.

bool run(const lab::Args& args) {
    const std::int64_t rows = args.check ? 37 : 16384;  // (B·T) tokens
    const std::int64_t C = args.check ? 100 : 768;      // d_model; 100 is not a multiple of 32
    const float eps = 1e-5f;
    const std::size_t n = static_cast<std::size_t>(rows * C);
    std::printf("rmsnorm: rows = %lld, C = %lld (float)\n", static_cast<long long>(rows), static_cast<long long>(C));

    const auto x = lab::random_floats(n, -1.0f, 1.0f, 1);    // (rows, C)
    const auto w = lab::random_floats(C, 0.5f, 1.5f, 2);     // (C)
    const auto dy = lab::random_floats(n, -1.0f, 1.0f, 3);   // (rows, C)
    const auto dx0 = lab::random_floats(n, -1.0f, 1.0f, 4);  // (rows, C) dx before: backward adds to it
    std::vector<float> y_ref(n), rstd_ref(rows), dx_ref = dx0;
    rmsnorm_forward_cpu(rows, C, x.data(), w.data(), eps, y_ref.data(), rstd_ref.data());
    rmsnorm_backward_dx_cpu(rows, C, x.data(), w.data(), rstd_ref.data(), dy.data(), dx_ref.data());

    auto x_d = lab::to_device(x), w_d = lab::to_device(w), dy_d = lab::to_device(dy), dx_d = lab::to_device(dx0);
    auto y_d = lab::device_alloc<float>(n), rstd_d = lab::device_alloc<float>(rows);
    const std::vector<lab::Version> forward = {
        {"v1 forward, thread per row",
         [&] { rmsnorm_forward1(rows, C, x_d.get(), w_d.get(), eps, y_d.get(), rstd_d.get()); }},
        {"v2 forward, library (warp per row)",
         [&] { grpo::Cuda::rmsnorm_forward(rows, C, x_d.get(), w_d.get(), eps, y_d.get(), rstd_d.get()); }},
    };
    // The backward versions read rstd_d; the check below leaves the reference's rstd there.
    const std::vector<lab::Version> backward = {
        {"v1 backward dx, thread per row",
         [&] { rmsnorm_backward_dx1(rows, C, x_d.get(), w_d.get(), rstd_d.get(), dy_d.get(), dx_d.get()); }},
        {"v2 backward dx, library (warp per row)",
         [&] {
             grpo::Cuda::rmsnorm_backward(rows, C, x_d.get(), w_d.get(), rstd_d.get(), dy_d.get(), dx_d.get(),
                                          static_cast<float*>(nullptr));
         }},
    };

    // Tolerances: |y| ≤ ~3 and the two sides sum 768 squares in different orders, so float
    // rounding differs by ~1e-6 relative; 1e-4 absolute leaves room and still catches any bug.
    bool ok = true;
    for (const auto& v : forward) {
        lab::poison(y_d.get(), n);
        lab::poison(rstd_d.get(), rows);
        v.launch();
        ok &= lab::check((v.name + ": y").c_str(), lab::to_host(y_d.get(), n), y_ref, 1e-4);
        ok &= lab::check((v.name + ": rstd").c_str(), lab::to_host(rstd_d.get(), rows), rstd_ref, 1e-5);
    }
    lab::upload(rstd_ref, rstd_d.get());
    for (const auto& v : backward) {
        lab::upload(dx0, dx_d.get());
        v.launch();
        ok &= lab::check((v.name + ": dx").c_str(), lab::to_host(dx_d.get(), n), dx_ref, 1e-4);
    }
    if (!ok || args.check) return ok;

    // Bytes: forward reads x and w, writes y and rstd; backward reads x, dy, w, rstd and reads
    // and writes dx (it accumulates).
    const double fb = 4.0 * (2.0 * double(n) + double(C) + double(rows));
    const double bb = 4.0 * (4.0 * double(n) + double(C) + double(rows));
    lab::time_versions(grpo::str("rmsnorm forward, rows = ", rows, ", C = ", C), forward, fb, args.repeats);
    lab::time_versions(grpo::str("rmsnorm backward dx, rows = ", rows, ", C = ", C), backward, bb, args.repeats);
    return ok;
}

int main(int argc, char** argv) { return lab::run_main(argc, argv, run); }

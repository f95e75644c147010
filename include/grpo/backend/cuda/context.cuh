// The CUDA backend's per-process state, in one explicit object: the stream every kernel, copy
// and cuBLAS call of the backend runs on (so they run in order without a device-wide sync), the
// cuBLAS handle bound to it, and the matmul precision. Like the CPU backend's block cache it is
// process-wide and created on first use; nothing else in the backend holds state.
//
// Matmul precision (the meaning of torch.set_float32_matmul_precision): float tensors, and
//   fp32   products in full float (cuBLAS's default compute type)
//   tf32   tensor cores on inputs rounded to TF32 (10-bit mantissa), float accumulation
//   bf16   tensor cores on inputs rounded to bfloat16 (7-bit mantissa), float accumulation
//          (CUBLAS_COMPUTE_32F_FAST_16BF): the "bf16 matrix math" of scaled training
// Storage stays float in every mode; only the GEMM inputs are rounded inside cuBLAS. double
// GEMMs (gradient checks) are always full double.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "grpo/backend/cuda/check.cuh"

namespace grpo {

enum class MatmulPrecision { fp32, tf32, bf16 };

inline const char* matmul_precision_name(MatmulPrecision p) {
    switch (p) {
        case MatmulPrecision::fp32: return "fp32";
        case MatmulPrecision::tf32: return "tf32";
        case MatmulPrecision::bf16: return "bf16";
    }
    return "unknown";
}

class CudaContext {
public:
    static CudaContext& instance() {
        static CudaContext* context = new CudaContext;  // leaked on purpose: tensors freed at exit still find it
        return *context;
    }
    cudaStream_t stream() const { return stream_; }
    cublasHandle_t cublas() const { return cublas_; }
    MatmulPrecision matmul_precision() const { return precision_; }
    void set_matmul_precision(MatmulPrecision p) { precision_ = p; }

private:
    CudaContext() {
        GRPO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        GRPO_CUBLAS_CHECK(cublasCreate(&cublas_));
        GRPO_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    }
    cudaStream_t stream_ = nullptr;
    cublasHandle_t cublas_ = nullptr;
    MatmulPrecision precision_ = MatmulPrecision::fp32;
};

inline cudaStream_t cuda_stream() { return CudaContext::instance().stream(); }

// Sets how float GEMMs use the tensor cores (see the header); fp32 by default.
inline void cuda_set_matmul_precision(MatmulPrecision p) { CudaContext::instance().set_matmul_precision(p); }
inline MatmulPrecision cuda_matmul_precision() { return CudaContext::instance().matmul_precision(); }

// True when a CUDA device can be used. Without a driver cudaGetDeviceCount returns an error and
// leaves the count unset, so the return code is checked, not only the count.
inline bool cuda_device_available() {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky error so later calls do not report it
        return false;
    }
    return devices > 0;
}

}  // namespace grpo

// Every CUDA runtime and cuBLAS call of the backend goes through a check that throws grpo::Error
// naming the call, the file and line, and the error (llm.c's cudaCheck/cublasCheck, as
// exceptions). A kernel launch is checked with GRPO_CUDA_CHECK_LAUNCH() right after it
// (cudaGetLastError reports a bad launch configuration at once; a fault inside a kernel surfaces
// at the next synchronising call, which is checked too).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "grpo/core/error.hpp"

namespace grpo {

inline void cuda_check(cudaError_t status, const char* call, const char* file, int line) {
    if (status != cudaSuccess)
        throw Error(str(call, " failed at ", file, ":", line, ": ", cudaGetErrorName(status), " (",
                        cudaGetErrorString(status), ")"));
}

inline void cublas_check(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS)
        throw Error(str(call, " failed at ", file, ":", line, ": ", cublasGetStatusName(status), " (",
                        cublasGetStatusString(status), ")"));
}

}  // namespace grpo

#define GRPO_CUDA_CHECK(call) ::grpo::cuda_check((call), #call, __FILE__, __LINE__)
#define GRPO_CUBLAS_CHECK(call) ::grpo::cublas_check((call), #call, __FILE__, __LINE__)
#define GRPO_CUDA_CHECK_LAUNCH() ::grpo::cuda_check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

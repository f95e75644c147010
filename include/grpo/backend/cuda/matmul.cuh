// GEMM of the CUDA backend through cuBLAS: C = alpha·op(A)·op(B) + beta·C on row-major buffers,
// the same contract as backend/cpu/matmul.hpp. cuBLAS is column-major, and a row-major (M, N)
// matrix read column-major is its transpose, so the row-major product C = op(A)·op(B) is the
// column-major product Cᵀ = op(B)ᵀ·op(A)ᵀ: call cuBLAS with A and B swapped and M, N swapped
// (the usual trick, e.g. llm.c's matmul_forward). Float GEMMs use the context's precision
// (context.cuh): full fp32, TF32 or bf16 tensor cores, always with float accumulation.
#pragma once

#include <cublas_v2.h>

#include <cstdint>

#include "grpo/backend/cuda/context.cuh"

namespace grpo {
namespace cuda_detail {

inline cublasComputeType_t float_compute_type() {
    switch (cuda_matmul_precision()) {
        case MatmulPrecision::fp32: return CUBLAS_COMPUTE_32F;
        case MatmulPrecision::tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
        case MatmulPrecision::bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
    }
    return CUBLAS_COMPUTE_32F;
}
template <class T>
constexpr cudaDataType_t data_type();
template <>
constexpr cudaDataType_t data_type<float>() { return CUDA_R_32F; }
template <>
constexpr cudaDataType_t data_type<double>() { return CUDA_R_64F; }
template <class T>
cublasComputeType_t compute_type() { return sizeof(T) == sizeof(double) ? CUBLAS_COMPUTE_64F : float_compute_type(); }

// Row-major, with leading dimensions and batch strides: for i < batch,
//   C_i (M, N) = alpha·op(A_i)·op(B_i) + beta·C_i,  X_i = X + i·stride_x
// A_i is (M, K) with rows lda apart, or (K, M) when trans_a; likewise B_i; C_i rows ldc apart.
template <class T>
void gemm_strided(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
                  std::int64_t lda, std::int64_t stride_a, const T* B, std::int64_t ldb, std::int64_t stride_b,
                  T beta, T* C, std::int64_t ldc, std::int64_t stride_c, std::int64_t batch) {
    if (M == 0 || N == 0 || batch == 0) return;
    lda = lda < 1 ? 1 : lda;  // cuBLAS wants leading dimensions >= 1 even when K = 0
    ldb = ldb < 1 ? 1 : ldb;
    const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasHandle_t h = CudaContext::instance().cublas();
    // K = 0: cuBLAS scales C by beta and adds nothing, as the CPU backend does.
    if (batch == 1)
        GRPO_CUBLAS_CHECK(cublasGemmEx(h, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K),
                                       &alpha, B, data_type<T>(), static_cast<int>(ldb), A, data_type<T>(),
                                       static_cast<int>(lda), &beta, C, data_type<T>(), static_cast<int>(ldc),
                                       compute_type<T>(), CUBLAS_GEMM_DEFAULT));
    else
        GRPO_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
            h, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha, B, data_type<T>(),
            static_cast<int>(ldb), stride_b, A, data_type<T>(), static_cast<int>(lda), stride_a, &beta, C,
            data_type<T>(), static_cast<int>(ldc), stride_c, static_cast<int>(batch), compute_type<T>(),
            CUBLAS_GEMM_DEFAULT));
}

}  // namespace cuda_detail

struct CudaMatmul {
    // C (M, N) = alpha · op(A) · op(B) + beta · C (see backend/cpu/matmul.hpp for the layout).
    template <class T>
    static void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                     const T* A, const T* B, T beta, T* C) {
        cuda_detail::gemm_strided(trans_a, trans_b, M, N, K, alpha, A, trans_a ? M : K, 0, B, trans_b ? K : N, 0,
                                  beta, C, N, 0, 1);
    }
    // `batch` GEMMs, matrix i at A + i·stride_a (likewise B, C); a stride of 0 shares a matrix.
    // cuBLAS may run the batch's products at the same time, so a shared C (stride_c = 0, the
    // products summed into one matrix) runs as a loop of single GEMMs instead.
    template <class T>
    static void gemm_batched(bool trans_a, bool trans_b, std::int64_t batch, std::int64_t M, std::int64_t N,
                             std::int64_t K, T alpha, const T* A, std::int64_t stride_a, const T* B,
                             std::int64_t stride_b, T beta, T* C, std::int64_t stride_c) {
        if (stride_c == 0) {
            for (std::int64_t i = 0; i < batch; ++i)
                gemm(trans_a, trans_b, M, N, K, alpha, A + i * stride_a, B + i * stride_b, beta, C);
            return;
        }
        cuda_detail::gemm_strided(trans_a, trans_b, M, N, K, alpha, A, trans_a ? M : K, stride_a, B, trans_b ? K : N,
                                  stride_b, beta, C, N, stride_c, batch);
    }
};

}  // namespace grpo

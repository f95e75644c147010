// GEMM of the CPU backend: C = alpha·op(A)·op(B) + beta·C on row-major buffers, through Eigen
// Maps over the tensor storage (no copies). Eigen's GEMM is cache-blocked and threads with
// OpenMP by itself, so the library adds nothing around it but the Map.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

struct CpuMatmul {
    template <class T>
    using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    // C (M, N) = alpha · op(A) · op(B) + beta · C, where op(A) is (M, K): A is stored (M, K),
    // or (K, M) when trans_a; op(B) is (K, N): B is stored (K, N), or (N, K) when trans_b.
    template <class T>
    static void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                     T alpha, const T* A, const T* B, T beta, T* C) {
        using Mat = RowMajor<T>;
        Eigen::Map<const Mat> a(A, trans_a ? K : M, trans_a ? M : K);
        Eigen::Map<const Mat> b(B, trans_b ? N : K, trans_b ? K : N);
        Eigen::Map<Mat> c(C, M, N);
        if (M == 0 || N == 0) return;
        if (K == 0 || beta != T(0)) {  // C = beta·C, then accumulate
            if (beta == T(0)) c.setZero();
            else if (beta != T(1)) c *= beta;
            if (K == 0) return;
            if (!trans_a && !trans_b) c.noalias() += alpha * a * b;
            else if (trans_a && !trans_b) c.noalias() += alpha * a.transpose() * b;
            else if (!trans_a && trans_b) c.noalias() += alpha * a * b.transpose();
            else c.noalias() += alpha * a.transpose() * b.transpose();
            return;
        }
        if (!trans_a && !trans_b) c.noalias() = alpha * a * b;  // beta = 0: C is only written
        else if (trans_a && !trans_b) c.noalias() = alpha * a.transpose() * b;
        else if (!trans_a && trans_b) c.noalias() = alpha * a * b.transpose();
        else c.noalias() = alpha * a.transpose() * b.transpose();
    }

    // `batch` independent GEMMs; matrix i starts at A + i·stride_a (likewise B, C). A stride of
    // 0 shares one matrix across the batch (then C's stride must not be 0 unless beta = 1 and
    // the products are meant to add up, as when a weight gradient sums over a batch).
    template <class T>
    static void gemm_batched(bool trans_a, bool trans_b, std::int64_t batch, std::int64_t M,
                             std::int64_t N, std::int64_t K, T alpha, const T* A,
                             std::int64_t stride_a, const T* B, std::int64_t stride_b, T beta,
                             T* C, std::int64_t stride_c) {
        for (std::int64_t i = 0; i < batch; ++i)
            gemm(trans_a, trans_b, M, N, K, alpha, A + i * stride_a, B + i * stride_b, beta,
                 C + i * stride_c);
    }
};

}  // namespace grpo

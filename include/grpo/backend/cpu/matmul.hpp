// GEMM of the CPU backend: C = alpha·op(A)·op(B) + beta·C on row-major buffers, through Eigen
// Maps over the tensor storage (no copies). Eigen's GEMM is cache-blocked; the library splits
// a large product into one slab per OpenMP thread and runs Eigen on each (see gemm).
//
// The same bits on every CPU (docs/core.md, "The same bits on every machine"). Eigen cuts the
// sum over K into blocks whose depth it derives from the L1 size it reads from the CPU at run
// time (for float in the portable build: 680 with 32 KiB, 1016 with 48 KiB), and its own
// threaded GEMM picks other blocks again for each thread count. Blocks add up in another order,
// so the bits of C would depend on the machine. So the library cuts K itself, at a fixed depth
// that Eigen never cuts further, and never lets Eigen thread (the slabs below do that).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

#include "grpo/backend/cpu/parallel.hpp"

namespace grpo {

/// Products with fewer multiply-adds than this run on one thread; slabs are cut at multiples of
/// kCpuGemmSlabAlign rows or columns (whole register tiles of Eigen's kernel, so every row and
/// column of C goes through the same kernel path whatever the thread count).
constexpr double kCpuGemmParallelMin = 1 << 18;
constexpr std::int64_t kCpuGemmSlabAlign = 16;  ///< slabs are cut at multiples of this many rows or columns
/// The sum over K is cut into blocks of this depth, added in order. Eigen's own depth block is
/// ((L1 - 8·mr·nr·sizeof(T)) / ((mr + nr)·sizeof(T))) rounded down to a multiple of 8
/// (GeneralBlockPanelKernel.h, evaluateProductBlockingSizesHeuristic): for the smallest L1 of an
/// x86-64 CPU, 16 KiB (also Eigen's default when it cannot read the CPU), that is 336 for float
/// and 248 for double in the portable (SSE2) build, so a block of 240 is never cut again.
constexpr std::int64_t kCpuGemmDepthBlock = 240;

/// The CPU backend's GEMM, with the same bits on every CPU and thread count.
struct CpuMatmul {
    /// A row-major Eigen matrix of T.
    template <class T>
    using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    /// C (M, N) = alpha · op(A) · op(B) + beta · C, where op(A) is (M, K): A is stored (M, K),
    /// or (K, M) when trans_a; op(B) is (K, N): B is stored (K, N), or (N, K) when trans_b.
    /// Threads: the larger of C's two dimensions is cut into one contiguous slab per thread and
    /// each thread runs Eigen's single-threaded GEMM on its slab (Eigen stays serial inside a
    /// parallel region). One fork and one join per product: Eigen's own threaded GEMM instead
    /// synchronises its threads many times per product by spinning, which on a machine shared
    /// with other jobs loses a scheduler time slice whenever a peer thread is preempted
    /// (measured on the reference model's step under load: 13× slower on 2 threads than on 1).
    template <class T>
    static void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                     T alpha, const T* A, const T* B, T beta, T* C) {
        using Mat = RowMajor<T>;
        Eigen::Map<const Mat> a(A, trans_a ? K : M, trans_a ? M : K);
        Eigen::Map<const Mat> b(B, trans_b ? N : K, trans_b ? K : N);
        Eigen::Map<Mat> c(C, M, N);
        if (M == 0 || N == 0) return;
        const bool accumulate = K == 0 || beta != T(0);
        if (accumulate) {  // C = beta·C, then accumulate
            if (beta == T(0)) c.setZero();
            else if (beta != T(1)) c *= beta;
            if (K == 0) return;
        }
        cpu_keep_eigen_serial();
        int threads = 1;
#if defined(_OPENMP)
        if (!omp_in_parallel() && static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) >=
                                      kCpuGemmParallelMin)
            threads = omp_get_max_threads();
#endif
        const bool split_rows = M >= N;
        const std::int64_t extent = split_rows ? M : N;
        if (threads > 1 && extent >= 2 * kCpuGemmSlabAlign) {
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
            {
                const std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
                /// Slabs of a multiple of kCpuGemmSlabAlign rows or columns (the last takes the rest).
                std::int64_t per = (extent + nt - 1) / nt;
                per = (per + kCpuGemmSlabAlign - 1) / kCpuGemmSlabAlign * kCpuGemmSlabAlign;
                const std::int64_t begin = std::min(extent, t * per), end = std::min(extent, begin + per);
                if (end > begin) {
                    if (split_rows) block_product(trans_a, trans_b, a, b, c, begin, end - begin, 0, N, alpha, accumulate);
                    else block_product(trans_a, trans_b, a, b, c, 0, M, begin, end - begin, alpha, accumulate);
                }
            }
#endif
            return;
        }
        block_product(trans_a, trans_b, a, b, c, 0, M, 0, N, alpha, accumulate);
    }

    /// C[r0 : r0 + m, c0 : c0 + n] (=, or += when accumulate) alpha · op(A)[r0 : r0 + m, :] · op(B)[:, c0 : c0 + n]
    template <class T, class AMap, class BMap, class CMap>
    static void block_product(bool trans_a, bool trans_b, const AMap& a, const BMap& b, CMap& c, std::int64_t r0,
                              std::int64_t m, std::int64_t c0, std::int64_t n, T alpha, bool accumulate) {
        auto cb = c.block(r0, c0, m, n);
        if (!trans_a && !trans_b) product(cb, a.middleRows(r0, m), b.middleCols(c0, n), alpha, accumulate);
        else if (trans_a && !trans_b) product(cb, a.middleCols(r0, m).transpose(), b.middleCols(c0, n), alpha, accumulate);
        else if (!trans_a && trans_b) product(cb, a.middleRows(r0, m), b.middleRows(c0, n).transpose(), alpha, accumulate);
        else product(cb, a.middleCols(r0, m).transpose(), b.middleRows(c0, n).transpose(), alpha, accumulate);
    }

    /// dst (=, or += when accumulate) alpha · lhs · rhs for any Eigen matrices, maps or blocks, on one
    /// thread: the depth is summed one kCpuGemmDepthBlock after the other, so the bits do not depend on
    /// the CPU's cache sizes (see the top of this file). Attention's per-head products use it too.
    template <class Dst, class Lhs, class Rhs, class T>
    static void product(Dst&& dst, const Lhs& lhs, const Rhs& rhs, T alpha, bool accumulate) {
        const std::int64_t K = lhs.cols();
        if (K == 0) {
            if (!accumulate) dst.setZero();
            return;
        }
        for (std::int64_t k0 = 0; k0 < K; k0 += kCpuGemmDepthBlock) {
            const std::int64_t kb = std::min(kCpuGemmDepthBlock, K - k0);
            if (accumulate || k0 > 0) dst.noalias() += alpha * lhs.middleCols(k0, kb) * rhs.middleRows(k0, kb);
            else dst.noalias() = alpha * lhs.middleCols(k0, kb) * rhs.middleRows(k0, kb);
        }
    }

    /// `batch` independent GEMMs; matrix i starts at A + i·stride_a (likewise B, C). A stride of
    /// 0 shares one matrix across the batch (then C's stride must not be 0 unless beta = 1 and
    /// the products are meant to add up, as when a weight gradient sums over a batch).
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

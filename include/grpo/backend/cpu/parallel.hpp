// Threading of the CPU backend, in one place. Two things run in parallel, both on OpenMP:
//   - GEMM (matmul), cut by the library into one slab per thread, each slab a serial Eigen GEMM
//     (Eigen's own threading stays off: it would change the bits with the thread count);
//   - the library's own loops over independent rows (elementwise ops on large tensors, RMSNorm,
//     softmax rows, attention heads), each marked GRPO_PARALLEL_FOR(condition) so that small
//     tensors stay on one thread, where a thread team would cost more than it saves.
// The thread count is an explicit setting: cpu_set_num_threads(n) (or OMP_NUM_THREADS in the
// environment); by default OpenMP uses one thread per core. Without OpenMP everything runs on
// one thread and the results are the same. Never mix this with a threaded BLAS: Eigen is the
// GEMM here, and two thread pools on the same cores slow each other down.
#pragma once

#include <Eigen/Core>

#include "grpo/core/error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#define GRPO_PRAGMA(x) _Pragma(#x)
#define GRPO_PARALLEL_FOR(cond) GRPO_PRAGMA(omp parallel for schedule(static) if (cond))
#else
#define GRPO_PARALLEL_FOR(cond)
#endif

namespace grpo {

/// Elementwise loops shorter than this run on one thread.
constexpr long kCpuParallelMin = 1 << 15;

/// Eigen's threaded GEMM chooses its blocks from the thread count, so its results would depend
/// on it; the library threads GEMM itself (backend/cpu/matmul.hpp) and keeps Eigen at one thread.
/// Eigen's default is one thread per core, so every GEMM checks (a read, once set). Call it first
/// when your own threads run the library concurrently, as Eigen::initParallel asks.
inline void cpu_keep_eigen_serial() {
    if (Eigen::nbThreads() != 1) Eigen::setNbThreads(1);
}

/// Sets the number of threads of the library's loops and GEMM slabs.
inline void cpu_set_num_threads(int n) {
    require(n >= 1, "cpu_set_num_threads: ", n, " threads, expected >= 1");
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
    cpu_keep_eigen_serial();
}

/// The number of threads a parallel loop will use (1 without OpenMP).
inline int cpu_num_threads() {
#if defined(_OPENMP)
    return omp_get_max_threads();
#else
    return 1;
#endif
}

}  // namespace grpo

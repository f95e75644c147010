// The ops of Mixture-of-Experts routing on the CPU: the gate's row softmax and row
// normalisation, top-k, gather along the last axis, and the gather/scatter pair of token
// dispatch (with its sort of pairs by expert) and combine (DeepSeek-V3, arXiv 2412.19437,
// §2.1.2; inference/model.py Gate and MoE). Scatters accumulate serially, since two rows may
// land on the same destination.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "grpo/backend/cpu/parallel.hpp"
#include "grpo/core/error.hpp"

namespace grpo {

/// The CPU backend's MoE routing ops: softmax, top-k, gathers and scatters.
struct CpuRouting {
    /// y[n, :] = softmax(z[n, :]) = e^(z − max) / Σ e^(z − max)   z, y: (N, E)
    /// (the V2-style gate, DeepSeek-V2 arXiv 2405.04434 eq. 13)
    template <class T>
    static void softmax_forward(std::int64_t N, std::int64_t E, const T* z, T* y) {
        GRPO_PARALLEL_FOR(N * E > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            const T* zr = z + n * E;
            T* yr = y + n * E;
            const T m = *std::max_element(zr, zr + E);
            T total = 0;
            for (std::int64_t e = 0; e < E; ++e) total += (yr[e] = std::exp(zr[e] - m));
            for (std::int64_t e = 0; e < E; ++e) yr[e] /= total;
        }
    }
    /// dz += y ⊙ (dy − Σ_e dy·y)   y, dy, dz: (N, E)
    template <class T>
    static void softmax_backward(std::int64_t N, std::int64_t E, const T* y, const T* dy, T* dz) {
        GRPO_PARALLEL_FOR(N * E > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            const T* yr = y + n * E;
            const T* gr = dy + n * E;
            T dot = 0;
            for (std::int64_t e = 0; e < E; ++e) dot += gr[e] * yr[e];
            for (std::int64_t e = 0; e < E; ++e) dz[n * E + e] += yr[e] * (gr[e] - dot);
        }
    }
    /// y[n, :] = x[n, :] / Σ_e x[n, e]   x, y: (N, E)   (renormalising the chosen gate weights,
    /// DeepSeek-V3 eq. 13; the normalised affinity s' of the balance loss, eq. 19)
    template <class T>
    static void normalize_rows_forward(std::int64_t N, std::int64_t E, const T* x, T* y) {
        for (std::int64_t n = 0; n < N; ++n) {
            T total = 0;
            for (std::int64_t e = 0; e < E; ++e) total += x[n * E + e];
            require(total != T(0), "normalize_rows: row ", n, " sums to zero");
            for (std::int64_t e = 0; e < E; ++e) y[n * E + e] = x[n * E + e] / total;
        }
    }
    /// dx += (dy − Σ_e dy·y) / Σ_e x   x, y, dy, dx: (N, E)
    template <class T>
    static void normalize_rows_backward(std::int64_t N, std::int64_t E, const T* x, const T* y,
                                        const T* dy, T* dx) {
        GRPO_PARALLEL_FOR(N * E > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            T total = 0, dot = 0;
            for (std::int64_t e = 0; e < E; ++e) {
                total += x[n * E + e];
                dot += dy[n * E + e] * y[n * E + e];
            }
            for (std::int64_t e = 0; e < E; ++e) dx[n * E + e] += (dy[n * E + e] - dot) / total;
        }
    }

    /// idx[n, :] = the k columns of x[n, :] with the largest values, largest first; ties go to
    /// the lower column.   x: (N, E), idx: (N, k) int32
    template <class T>
    static void topk_indices(std::int64_t N, std::int64_t E, std::int64_t k, const T* x,
                             std::int32_t* idx) {
        GRPO_PARALLEL_FOR(N * E > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            std::vector<std::int32_t> order(static_cast<std::size_t>(E));
            std::iota(order.begin(), order.end(), 0);
            const T* row = x + n * E;
            std::partial_sort(order.begin(), order.begin() + k, order.end(),
                              [row](std::int32_t a, std::int32_t b) {
                                  return row[a] > row[b] || (row[a] == row[b] && a < b);
                              });
            for (std::int64_t j = 0; j < k; ++j) idx[n * k + j] = order[static_cast<std::size_t>(j)];
        }
    }

    /// out[n, j] = x[n, idx[n, j]]   x: (N, E), idx, out: (N, k)
    template <class T>
    static void gather_last_forward(std::int64_t N, std::int64_t E, std::int64_t k, const T* x,
                                    const std::int32_t* idx, T* out) {
        for (std::int64_t i = 0; i < N * k; ++i)
            require(idx[i] >= 0 && idx[i] < E, "gather_last: index ", idx[i], " at (", i / k, ", ",
                    i % k, ") is out of range for x of shape (", N, ", ", E, ")");
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t j = 0; j < k; ++j) out[n * k + j] = x[n * E + idx[n * k + j]];
    }
    /// dx[n, idx[n, j]] += dout[n, j]
    template <class T>
    static void gather_last_backward(std::int64_t N, std::int64_t E, std::int64_t k,
                                     const std::int32_t* idx, const T* dout, T* dx) {
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t j = 0; j < k; ++j) dx[n * E + idx[n * k + j]] += dout[n * k + j];
    }

    /// Throws, naming `op`, unless every idx[m] of the M is a row in [0, N).
    static void check_rows(std::int64_t M, std::int64_t N, const std::int32_t* idx, const char* op) {
        for (std::int64_t m = 0; m < M; ++m)
            require(idx[m] >= 0 && idx[m] < N, op, ": row index ", idx[m], " at ", m,
                    " is out of range for ", N, " rows");
    }
    /// Dispatch: out[m, :] = x[idx[m], :]   x: (N, C), idx: (M), out: (M, C)
    template <class T>
    static void gather_rows(std::int64_t M, std::int64_t N, std::int64_t C, const T* x,
                            const std::int32_t* idx, T* out) {
        check_rows(M, N, idx, "gather_rows");
        GRPO_PARALLEL_FOR(M * C > kCpuParallelMin)
        for (std::int64_t m = 0; m < M; ++m)
            for (std::int64_t c = 0; c < C; ++c) out[m * C + c] = x[idx[m] * C + c];
    }
    /// Combine: out[idx[m], :] += w[m]·y[m, :]   y: (M, C), w, idx: (M), out: (N, C); w may be
    /// null (weight 1). Also gather_rows' backward (with w null).
    template <class T>
    static void scatter_add_rows(std::int64_t M, std::int64_t N, std::int64_t C, const T* y,
                                 const T* w, const std::int32_t* idx, T* out) {
        check_rows(M, N, idx, "scatter_add_rows");
        for (std::int64_t m = 0; m < M; ++m) {
            const T wm = w ? w[m] : T(1);
            for (std::int64_t c = 0; c < C; ++c) out[idx[m] * C + c] += wm * y[m * C + c];
        }
    }
    /// Dispatch order: the P = N·k (token, slot) pairs sorted by their chosen expert, stably (a
    /// counting sort), so expert e owns sorted positions [start[e], start[e + 1]).
    ///   expert: (P)  ->  pair, token = pair / k: (P), start: (E + 1)
    static void sort_slots_by_expert(std::int64_t P, std::int64_t E, std::int64_t k, const std::int32_t* expert,
                                     std::int32_t* pair, std::int32_t* token, std::int64_t* start) {
        for (std::int64_t p = 0; p < P; ++p)
            require(expert[p] >= 0 && expert[p] < E, "sort_slots_by_expert: expert ", expert[p], " at pair ", p,
                    " is out of range for ", E, " experts");
        std::fill(start, start + E + 1, std::int64_t{0});
        for (std::int64_t p = 0; p < P; ++p) ++start[expert[p] + 1];
        for (std::int64_t e = 0; e < E; ++e) start[e + 1] += start[e];
        std::vector<std::int64_t> next(start, start + E);
        for (std::int64_t p = 0; p < P; ++p) {
            const std::int64_t at = next[static_cast<std::size_t>(expert[p])]++;
            pair[at] = static_cast<std::int32_t>(p);
            token[at] = static_cast<std::int32_t>(p / k);
        }
    }

    /// Backward of the combine: dy[m, :] += w[m]·dout[idx[m], :],  dw[m] += dout[idx[m], :]·y[m, :]
    template <class T>
    static void scatter_add_rows_backward(std::int64_t M, std::int64_t C, const T* y, const T* w,
                                          const std::int32_t* idx, const T* dout, T* dy, T* dw) {
        GRPO_PARALLEL_FOR(M * C > kCpuParallelMin)
        for (std::int64_t m = 0; m < M; ++m) {
            const T* g = dout + idx[m] * C;
            const T wm = w ? w[m] : T(1);
            if (dy)
                for (std::int64_t c = 0; c < C; ++c) dy[m * C + c] += wm * g[c];
            if (dw) {
                T dot = 0;
                for (std::int64_t c = 0; c < C; ++c) dot += g[c] * y[m * C + c];
                dw[m] += dot;
            }
        }
    }
};

}  // namespace grpo

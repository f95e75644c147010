// Ops at the vocabulary end of a language model, on the CPU: embedding lookup, log-softmax,
// the fused log-prob of a given token, and cross-entropy. The fused ops keep one logsumexp per
// row (N) and recompute softmax in backward, so the (N, V) log-softmax is never stored.
//   log p(y | x) = z_y − logsumexp(z)   (the per-token log-probs of DeepSeekMath eq. 3's ratio)
// Token ids are int32; an id outside [0, V) throws (for targets, −1 means "ignore this row").
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/backend/cpu/parallel.hpp"
#include "grpo/core/error.hpp"

namespace grpo {

/// The CPU backend's vocabulary-end ops: embedding, log-softmax, token log-probs, cross-entropy.
struct CpuVocab {
    /// out[n, :] = table[ids[n], :]   ids: (N) int32, table: (V, C), out: (N, C)
    template <class T>
    static void embedding_forward(std::int64_t N, std::int64_t V, std::int64_t C,
                                  const std::int32_t* ids, const T* table, T* out) {
        for (std::int64_t n = 0; n < N; ++n)
            require(ids[n] >= 0 && ids[n] < V, "embedding: token id ", ids[n], " at position ", n,
                    " is out of range for a table of shape (", V, ", ", C, ")");
        GRPO_PARALLEL_FOR(N * C > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t c = 0; c < C; ++c) out[n * C + c] = table[ids[n] * C + c];
    }
    /// dtable[ids[n], :] += dout[n, :]   (serial: two positions may hold the same id)
    template <class T>
    static void embedding_backward(std::int64_t N, std::int64_t C, const std::int32_t* ids,
                                   const T* dout, T* dtable) {
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t c = 0; c < C; ++c) dtable[ids[n] * C + c] += dout[n * C + c];
    }

    /// logsumexp of one row of V values, stable (max subtracted).
    template <class T>
    static T logsumexp(std::int64_t V, const T* z) {
        T m = -INFINITY;
        for (std::int64_t v = 0; v < V; ++v) m = z[v] > m ? z[v] : m;
        T s = 0;
        for (std::int64_t v = 0; v < V; ++v) s += std::exp(z[v] - m);
        return m + std::log(s);
    }

    /// y = z − logsumexp(z) per row   z, y: (N, V)
    template <class T>
    static void log_softmax_forward(std::int64_t N, std::int64_t V, const T* z, T* y) {
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            const T lse = logsumexp(V, z + n * V);
            for (std::int64_t v = 0; v < V; ++v) y[n * V + v] = z[n * V + v] - lse;
        }
    }
    /// dz += dy − softmax·Σ dy, softmax = exp(y)   y, dy, dz: (N, V)
    template <class T>
    static void log_softmax_backward(std::int64_t N, std::int64_t V, const T* y, const T* dy, T* dz) {
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            T s = 0;
            for (std::int64_t v = 0; v < V; ++v) s += dy[n * V + v];
            for (std::int64_t v = 0; v < V; ++v)
                dz[n * V + v] += dy[n * V + v] - std::exp(y[n * V + v]) * s;
        }
    }

    /// Throws, naming `op`, unless every target is in [0, V) (or −1 with `allow_ignore`).
    static void check_targets(std::int64_t N, std::int64_t V, const std::int32_t* targets,
                              bool allow_ignore, const char* op) {
        for (std::int64_t n = 0; n < N; ++n)
            require((targets[n] >= 0 && targets[n] < V) || (allow_ignore && targets[n] == -1), op,
                    ": target ", targets[n], " at row ", n, " is out of range for logits of shape (",
                    N, ", ", V, ")", allow_ignore ? " (-1 = ignore)" : "");
    }

    /// out[n] = z[n, y_n] − lse[n], lse kept for backward   z: (N, V), targets, out, lse: (N)
    template <class T>
    static void token_logprobs_forward(std::int64_t N, std::int64_t V, const T* z,
                                       const std::int32_t* targets, T* out, T* lse) {
        check_targets(N, V, targets, false, "token_logprobs");
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            lse[n] = logsumexp(V, z + n * V);
            out[n] = z[n * V + targets[n]] - lse[n];
        }
    }
    /// dz[n, v] += dout[n]·(1[v = y_n] − softmax(z_n)_v)
    template <class T>
    static void token_logprobs_backward(std::int64_t N, std::int64_t V, const T* z,
                                        const std::int32_t* targets, const T* lse, const T* dout,
                                        T* dz) {
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            for (std::int64_t v = 0; v < V; ++v)
                dz[n * V + v] -= dout[n] * std::exp(z[n * V + v] - lse[n]);
            dz[n * V + targets[n]] += dout[n];
        }
    }

    /// loss[0] = mean over rows with y_n ≥ 0 of (lse[n] − z[n, y_n]); returns that row count.
    template <class T>
    static std::int64_t cross_entropy_forward(std::int64_t N, std::int64_t V, const T* z,
                                              const std::int32_t* targets, T* lse, T* loss) {
        check_targets(N, V, targets, true, "cross_entropy");
        std::int64_t count = 0;
        for (std::int64_t n = 0; n < N; ++n) count += targets[n] >= 0;
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) lse[n] = logsumexp(V, z + n * V);
        double acc = 0;
        for (std::int64_t n = 0; n < N; ++n)
            if (targets[n] >= 0) acc += static_cast<double>(lse[n] - z[n * V + targets[n]]);
        loss[0] = count ? static_cast<T>(acc / static_cast<double>(count)) : T(0);
        return count;
    }
    /// dz[n, v] += dloss/count·(softmax(z_n)_v − 1[v = y_n]) for rows with y_n ≥ 0
    template <class T>
    static void cross_entropy_backward(std::int64_t N, std::int64_t V, const T* z,
                                       const std::int32_t* targets, const T* lse, const T* dloss,
                                       std::int64_t count, T* dz) {
        if (count == 0) return;
        const T g = dloss[0] / static_cast<T>(count);
        GRPO_PARALLEL_FOR(N * V > kCpuParallelMin)
        for (std::int64_t n = 0; n < N; ++n) {
            if (targets[n] < 0) continue;
            for (std::int64_t v = 0; v < V; ++v) dz[n * V + v] += g * std::exp(z[n * V + v] - lse[n]);
            dz[n * V + targets[n]] -= g;
        }
    }
};

}  // namespace grpo

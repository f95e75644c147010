// The GRPO loss on the GPU, fused like backend/cpu/grpo_loss.hpp (see there for the contract and
// the aggregation modes): one block per completion row evaluates every token's clipped
// surrogate, KL and entropy terms (the shared formulas of backend/grpo_formulas.hpp) and writes
// dloss/dlogp at once. Two small trips to the host keep it exact and deterministic:
//   1. a kernel counts each row's kept tokens; the host adds them in row order (the total is
//      DAPO's denominator),
//   2. the row kernel writes each row's partial sums (loss, KL, clip counts, ...) in double; the
//      host adds those in row order into the loss and the metrics.
// N is a batch of completions (hundreds), so both copies are a few kilobytes.
#pragma once

#include <cstdint>
#include <vector>

#include "grpo/backend/cuda/elementwise.cuh"
#include "grpo/backend/grpo_formulas.hpp"

namespace grpo {
namespace cuda_detail {

constexpr int kGrpoRowThreads = 256;
enum GrpoRowSum { kLoss, kKl, kEntropy, kClippedLow, kClippedHigh, kClippedDual, kRatio, kRowSums };

template <class T>
__global__ void grpo_row_tokens_kernel(std::int64_t L, const T* mask, const T* row_keep, double* row_tokens) {
    const std::int64_t i = blockIdx.x;
    double acc = 0.0;
    if (!(row_keep && row_keep[i] == T(0)))
        for (std::int64_t t = threadIdx.x; t < L; t += blockDim.x) acc += static_cast<double>(mask[i * L + t]);
    acc = block_sum(acc);
    if (threadIdx.x == 0) row_tokens[i] = acc;
}

template <class T>
__global__ void grpo_loss_row_kernel(std::int64_t N, std::int64_t L, GrpoTokenLossParams<T> p, double total_tokens,
                                     const double* row_tokens, const T* logp, const T* old_logp, const T* ref_logp,
                                     const T* adv, bool adv_per_token, const T* mask, const T* row_keep,
                                     const T* entropy, T* dlogp, T* dentropy, double* row_sums) {
    const std::int64_t i = blockIdx.x;
    const double tokens_i = row_tokens[i] > 1.0 ? row_tokens[i] : 1.0;
    double w = 0.0;  // the aggregation's row weight
    switch (p.aggregation) {
        case LossAggregation::grpo: w = 1.0 / (static_cast<double>(N) * tokens_i); break;
        case LossAggregation::dapo: w = 1.0 / (total_tokens > 1.0 ? total_tokens : 1.0); break;
        case LossAggregation::dr_grpo: w = 1.0 / (static_cast<double>(N) * static_cast<double>(p.max_completion_length)); break;
        case LossAggregation::seq_mean_token_sum: w = 1.0 / static_cast<double>(N); break;
    }
    const bool keep = !(row_keep && row_keep[i] == T(0));
    const bool sequence = p.level == ImportanceSamplingLevel::sequence;
    T seq_ratio = T(1);  // GSPO: exp(Σ_t m (logp − old_logp) / max(Σ_t m, 1))
    if (sequence && keep) {
        double log_s = 0.0;
        for (std::int64_t t = threadIdx.x; t < L; t += blockDim.x) {
            const std::int64_t k = i * L + t;
            if (mask[k] != T(0)) log_s += static_cast<double>(mask[k] * (logp[k] - old_logp[k]));
        }
        seq_ratio = static_cast<T>(exp(block_sum(log_s) / tokens_i));
    }
    double sums[kRowSums] = {0, 0, 0, 0, 0, 0, 0};
    double dseq = 0.0;
    for (std::int64_t t = threadIdx.x; t < L; t += blockDim.x) {
        const std::int64_t k = i * L + t;
        if (dlogp) dlogp[k] = T(0);
        if (dentropy) dentropy[k] = T(0);
        if (!keep || mask[k] == T(0)) continue;  // padding may hold anything, even inf
        const double m = static_cast<double>(mask[k]);
        const T a = adv_per_token ? adv[k] : adv[i];
        const T ratio = sequence ? seq_ratio : exp(logp[k] - old_logp[k]);
        const SurrogateToken<T> s = clipped_surrogate(ratio, a, p.eps_low, p.eps_high, p.dual_clip_c);
        double l = static_cast<double>(s.loss);
        T dl = sequence ? T(0) : s.dloss_dratio * ratio;  // token level: dρ/dlogp = ρ
        if (ref_logp) {
            const T kl = kl_token(p.kl, logp[k], ref_logp[k]);
            sums[kKl] += m * static_cast<double>(kl);
            l += static_cast<double>(p.beta * kl);
            dl += p.beta * kl_token_dlogp(p.kl, logp[k], ref_logp[k]);
        }
        if (entropy) {
            sums[kEntropy] += m * static_cast<double>(entropy[k]);
            l -= static_cast<double>(p.entropy_coef * entropy[k]);
            if (dentropy) dentropy[k] = static_cast<T>(-w * m * static_cast<double>(p.entropy_coef));
        }
        sums[kLoss] += w * m * l;
        if (dlogp) dlogp[k] = static_cast<T>(w * m * static_cast<double>(dl));
        if (sequence) dseq += w * m * static_cast<double>(s.dloss_dratio);
        sums[kClippedLow] += m * s.low;
        sums[kClippedHigh] += m * s.high;
        sums[kClippedDual] += m * s.dual;
        sums[kRatio] += m * static_cast<double>(ratio);
    }
    for (int j = 0; j < kRowSums; ++j) {
        const double total = block_sum(sums[j]);
        if (threadIdx.x == 0) row_sums[i * kRowSums + j] = total;
    }
    // ds_i/dlogp_{i,t} = s_i·m_{i,t} / max(Σ_t m, 1); each thread adds to the tokens it wrote above
    if (sequence && keep && dlogp) {
        const double g = block_sum(dseq) * static_cast<double>(seq_ratio) / tokens_i;
        for (std::int64_t t = threadIdx.x; t < L; t += blockDim.x)
            dlogp[i * L + t] += static_cast<T>(g * static_cast<double>(mask[i * L + t]));
    }
}

template <class T>
__global__ void kl_estimate_kernel(std::int64_t n, KlEstimator kind, const T* logp, const T* ref_logp, T* out) {
    GRPO_GRID_STRIDE(i, n) out[i] = kl_token(kind, logp[i], ref_logp[i]);
}
template <class T>
__global__ void exact_kl_kernel(std::int64_t V, const T* zp, const T* zq, T* out) {
    const std::int64_t n = blockIdx.x;
    const T* p = zp + n * V;
    const T* q = zq + n * V;
    const T lse_p = block_logsumexp(V, p), lse_q = block_logsumexp(V, q);
    double acc = 0.0;
    for (std::int64_t v = threadIdx.x; v < V; v += blockDim.x) {
        const double log_p = static_cast<double>(p[v] - lse_p), log_q = static_cast<double>(q[v] - lse_q);
        acc += exp(log_p) * (log_p - log_q);
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[n] = static_cast<T>(acc);
}

}  // namespace cuda_detail

struct CudaGrpoLoss {
    template <class T>
    static GrpoLossSums grpo_loss_forward(std::int64_t N, std::int64_t L, const GrpoTokenLossParams<T>& p, const T* logp,
                                          const T* old_logp, const T* ref_logp, const T* adv, bool adv_per_token,
                                          const T* mask, const T* row_keep, const T* entropy, T* loss, T* dlogp,
                                          T* dentropy) {
        using namespace cuda_detail;
        GrpoLossSums sums;
        const unsigned rows = static_cast<unsigned>(N);
        auto row_tokens = CudaMemory::allocate<double>(N);
        auto row_sums = CudaMemory::allocate<double>(N * kRowSums);
        std::vector<double> tokens(static_cast<std::size_t>(N)), partial(static_cast<std::size_t>(N * kRowSums));
        if (N > 0) {
            grpo_row_tokens_kernel<<<rows, kGrpoRowThreads, 0, cuda_stream()>>>(L, mask, row_keep, row_tokens.get());
            GRPO_CUDA_CHECK_LAUNCH();
            CudaMemory::copy_to_host(row_tokens.get(), tokens.data(), N);
        }
        for (double t : tokens) sums.tokens += t;
        if (N > 0) {
            grpo_loss_row_kernel<<<rows, kGrpoRowThreads, 0, cuda_stream()>>>(
                N, L, p, sums.tokens, row_tokens.get(), logp, old_logp, ref_logp, adv, adv_per_token, mask, row_keep,
                entropy, dlogp, dentropy, row_sums.get());
            GRPO_CUDA_CHECK_LAUNCH();
            CudaMemory::copy_to_host(row_sums.get(), partial.data(), N * kRowSums);
        }
        double total = 0.0;
        for (std::int64_t i = 0; i < N; ++i) {
            const double* s = partial.data() + i * kRowSums;
            total += s[kLoss];
            sums.kl += s[kKl];
            sums.entropy += s[kEntropy];
            sums.clipped_low += s[kClippedLow];
            sums.clipped_high += s[kClippedHigh];
            sums.clipped_dual += s[kClippedDual];
            sums.ratio += s[kRatio];
        }
        const T value = static_cast<T>(total);
        CudaMemory::copy_from_host(&value, loss, 1);
        return sums;
    }
    template <class T>
    static void kl_estimate_forward(std::int64_t n, KlEstimator kind, const T* logp, const T* ref_logp, T* out) {
        GRPO_LAUNCH(cuda_detail::kl_estimate_kernel, n, n, kind, logp, ref_logp, out);
    }
    template <class T>
    static void exact_kl_forward(std::int64_t N, std::int64_t V, const T* zp, const T* zq, T* out) {
        if (N == 0) return;
        cuda_detail::exact_kl_kernel<<<static_cast<unsigned>(N), cuda_detail::row_threads(V), 0, cuda_stream()>>>(V, zp, zq, out);
        GRPO_CUDA_CHECK_LAUNCH();
    }
};

}  // namespace grpo

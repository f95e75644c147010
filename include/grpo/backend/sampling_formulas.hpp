// Choosing one token from one row of logits: temperature, top-k, top-p (nucleus), then an
// inverse-CDF pick with one uniform draw. This is the per-row step of GRPO's group sampler
// (rl/sampler.hpp); it is a pure function of (logits, config, u), so a CUDA kernel can call the
// same code (GRPO_HOST_DEVICE, no allocation, no exceptions) and reproduce the CPU's choices.
//
// The distribution, for logits l_0..l_{V-1} and temperature T > 0:
//   z_i   = (l_i − max l) / T                          softmax(l / T), shifted for stability
//   order tokens by z descending, ties by lower id    (a strict total order)
//   top-k keeps the first k of that order             (k = 0: off)
//   top-p keeps the shortest prefix of what is left whose probability, renormalised over it,
//         reaches top_p (Holtzman et al. 2019; applied after top-k, as Hugging Face's
//         TopKLogitsWarper then TopPLogitsWarper and vLLM do); at least one token is kept
//   the kept set is renormalised; with target = u · (kept mass), the choice is the first kept
//         token, walking ids 0, 1, ..., V−1, whose running mass exceeds target (round-off
//         past the end falls back to the last kept id).
// Walking in id order (not probability order) means the kept set is all a kernel must agree
// on: a token is kept iff it is at or before a threshold token in the order above, however
// that threshold is found (here a heap, on the GPU perhaps a radix select).
// T = 0 is greedy: the argmax, lowest id on ties, with no draw used.
//
// Two log-probabilities come back for the chosen token c:
//   logprob           log softmax(l / T)_c: what GRPO's "old" log-probs are (TRL computes them
//                     from logits / temperature, without the top-k/top-p filter); at T = 0 it
//                     is log softmax(l)_c, the model's own log-probability
//   sampling_logprob  log of c's probability under the filtered, renormalised distribution
//                     that was actually sampled (0 at T = 0: a point mass)
// Both are computed in double whatever the logits' type.
//
// Top-k / top-p need the tokens in probability order, which for a large vocabulary does not
// fit a fixed-size local array, so the caller passes scratch space for V ints (the sampler owns
// one buffer and reuses it for every row). The selection is a binary heap over the ids built in
// the scratch in O(V), popped only as far as needed: O(V + K log V) for K kept tokens. Without
// top-k and top-p (or at T = 0) the scratch is not touched and may be null. This is the simple
// correct version, not a fast GPU one.
#pragma once

#include <cmath>
#include <cstdint>

#include "grpo/core/error.hpp"
#include "grpo/core/host_device.hpp"

namespace grpo {

/// The smallest temperature above 0 (greedy). Sampling and training divide the logits by T; at
/// T = 1e-300 a float logit of 1 becomes inf and softmax gives NaN, and 1/T itself overflows a
/// double below about 5.6e-309. Refused, never clamped; 1e-6 keeps logits / T finite for any
/// logit a model produces (|logit| up to 1e32 in float).
constexpr double kMinTemperature = 1e-6;

/// How completions are sampled: temperature, top-k/top-p filters, length, group size, seed.
struct SamplingConfig {
    double temperature = 1.0;  ///< 0 = greedy
    int top_k = 0;             ///< 0 = off
    double top_p = 1.0;        ///< 1 = off
    int max_new_tokens = 32;  ///< tokens sampled at most per completion
    int group_size = 8;        ///< G completions per prompt
    std::uint64_t seed = 0;  ///< completion j of prompt i draws from Rng(seed, i · G + j)
    /// The tokenizer's eos_id(): a row stops when it samples it. No default, since no id means
    /// "end" in every vocabulary: sample_groups refuses -1; a trainer sets it from its tokenizer.
    std::int32_t eos_id = -1;

    /// Throws naming the first offending field.
    void validate() const {
        require(std::isfinite(temperature) && (temperature == 0.0 || temperature >= kMinTemperature),
                "SamplingConfig: temperature = ", temperature, ", expected 0 (greedy) or a finite value >= ",
                kMinTemperature, " (kMinTemperature: below it logits / T overflow)");
        require(top_k >= 0, "SamplingConfig: top_k = ", top_k, ", expected >= 0 (0 = off)");
        require(top_p > 0.0 && top_p <= 1.0, "SamplingConfig: top_p = ", top_p, ", expected in (0, 1]");
        require(max_new_tokens >= 1, "SamplingConfig: max_new_tokens = ", max_new_tokens, ", expected >= 1");
        require(group_size >= 1, "SamplingConfig: group_size = ", group_size, ", expected >= 1");
    }

    /// Whether sample_token needs its scratch buffer.
    GRPO_HOST_DEVICE bool filters() const { return temperature > 0.0 && (top_k > 0 || top_p < 1.0); }
};

/// One sampled token with its log-probs.
struct SampledToken {
    std::int32_t token = 0;  ///< the token id
    double logprob = 0.0;           ///< log softmax(logits / T) at token (T = 0: log softmax(logits))
    double sampling_logprob = 0.0;  ///< under the filtered, renormalised distribution sampled
};

namespace sampling_detail {

/// a comes before b: larger logit, or equal logits and the lower id.
template <class T>
GRPO_HOST_DEVICE inline bool before(const T* logits, std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
}

/// Restores the heap below position i of heap[0, n) (the root is the first token in order).
template <class T>
GRPO_HOST_DEVICE inline void sift_down(const T* logits, std::int32_t* heap, std::int64_t n, std::int64_t i) {
    for (;;) {
        const std::int64_t left = 2 * i + 1, right = left + 1;
        std::int64_t best = i;
        if (left < n && before(logits, heap[left], heap[best])) best = left;
        if (right < n && before(logits, heap[right], heap[best])) best = right;
        if (best == i) return;
        const std::int32_t tmp = heap[i];
        heap[i] = heap[best];
        heap[best] = tmp;
        i = best;
    }
}

}  // namespace sampling_detail

/// One token from one row of V logits with the uniform draw u in [0, 1). scratch: V ints when
/// config.filters(), else unused (may be null). Logits must be finite.
template <class T>
GRPO_HOST_DEVICE SampledToken sample_token(const T* logits, std::int64_t V, const SamplingConfig& config, double u,
                                           std::int32_t* scratch) {
    using sampling_detail::before;
    SampledToken out;
    std::int32_t best = 0;
    for (std::int32_t i = 1; i < V; ++i)
        if (logits[i] > logits[best]) best = i;  // strict: the lowest id wins ties
    const double max_logit = static_cast<double>(logits[best]);
    const bool greedy = config.temperature == 0.0;
    const double inv_t = greedy ? 1.0 : 1.0 / config.temperature;
    double total = 0.0;  // Σ exp(z_i)
    for (std::int64_t i = 0; i < V; ++i) total += std::exp((static_cast<double>(logits[i]) - max_logit) * inv_t);
    const double log_total = std::log(total);
    const auto z = [&](std::int32_t i) { return (static_cast<double>(logits[i]) - max_logit) * inv_t; };

    if (greedy) {
        out.token = best;
        out.logprob = z(best) - log_total;
        out.sampling_logprob = 0.0;
        return out;
    }

    /// The kept set: every id that is not after `last` in the order (all ids when not filtering).
    std::int32_t last = -1;
    if (config.filters()) {
        /// Max-heap in scratch[0, n); popping moves the next token in order to scratch[n - 1].
        std::int64_t n = V;
        for (std::int32_t i = 0; i < V; ++i) scratch[i] = i;
        for (std::int64_t i = V / 2 - 1; i >= 0; --i) sampling_detail::sift_down(logits, scratch, n, i);
        const auto pop = [&]() {
            const std::int32_t top = scratch[0];
            scratch[0] = scratch[n - 1];
            scratch[n - 1] = top;
            --n;
            sampling_detail::sift_down(logits, scratch, n, 0);
            return top;
        };
        const std::int64_t k = config.top_k > 0 && config.top_k < V ? config.top_k : V;
        double mass = total;  // the mass top-p renormalises over
        if (k < V) {
            mass = 0.0;
            for (std::int64_t j = 0; j < k; ++j) mass += std::exp(z(pop()));
        }
        /// Popped tokens sit at scratch[V - 1], scratch[V - 2], ... in order.
        std::int64_t kept = k;
        if (config.top_p < 1.0) {
            const double target = config.top_p * mass;
            double running = 0.0;
            kept = 0;
            while (kept < k) {
                const std::int32_t id = kept < V - n ? scratch[V - 1 - kept] : pop();
                running += std::exp(z(id));
                ++kept;
                if (running >= target) break;
            }
        }
        if (kept < V) last = scratch[V - kept];  // the kept-th popped token
    }

    double kept_mass = 0.0;  // in id order, the order the pick walks
    for (std::int32_t i = 0; i < V; ++i)
        if (last < 0 || !before(logits, last, i)) kept_mass += std::exp(z(i));
    const double target = u * kept_mass;
    double running = 0.0;
    std::int32_t chosen = -1;
    for (std::int32_t i = 0; i < V; ++i) {
        if (last >= 0 && before(logits, last, i)) continue;
        running += std::exp(z(i));
        chosen = i;
        if (target < running) break;
    }
    out.token = chosen;
    out.logprob = z(chosen) - log_total;
    out.sampling_logprob = z(chosen) - std::log(kept_mass);
    return out;
}

}  // namespace grpo

// The policy's log-probabilities of sampled completions, π(o_t | q, o_<t) of DeepSeekMath eq. 3,
// computed by one training forward over prompt + completion rows.
//
// Packing: row n is prompt(n) followed by completion n, right-padded with kPaddingFill to the widest row;
// the forward sees W = max_n (P_n + len_n) − 1 positions (the last token predicts nothing). The
// log-prob of completion token t sits at position P_n − 1 + t of row n, so the packed batch keeps
// those positions as `columns` and gathers them into an (N, L) matrix, L = the longest
// completion. Padding comes after every real token, so causal attention never lets it change a
// real one; its columns are masked out.
//
// Temperature: the sampler drew from softmax(logits / T), so the ratio's log-probs must be taken
// from logits / T as well (TRL once divided only in the sampler, so every ratio was off when
// T != 1; verl and TRL now both divide in the loss forward).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/routing.hpp"
#include "grpo/autograd/vocab.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/rl/sampler.hpp"

namespace grpo {

/// Prompt + completion rows packed for one training forward, and where the completion tokens sit.
template <class B>
struct PolicyBatch {
    Ids<B> ids;        ///< (N, W): prompt + completion, without the last token, kPaddingFill after the end
    Ids<B> targets;    ///< (N, W): the next token at every position (kPaddingFill on padding)
    Ids<B> columns;    ///< (N · L): flat index n·W + P_n − 1 + t of completion token t (0 on padding)
    /// The sizes N (rows), W (positions) and L (the longest completion).
    ///@{
    std::int64_t rows = 0, width = 0, completion_width = 0;
    ///@}
};

/// prompt_of_row(n) = prompts[n / G]: the Completions are grouped by prompt, G rows each. The
/// widths are the rows' own maxima, or at least min_width / min_completion_width (a micro-batch
/// padded as the whole batch is, so that the same tokens go through the model).
template <class B>
PolicyBatch<B> pack_policy_batch(const std::vector<std::vector<std::int32_t>>& prompts, const Completions& c,
                                 std::int64_t min_width = 1, std::int64_t min_completion_width = 1) {
    const std::int64_t N = static_cast<std::int64_t>(c.tokens.size()), G = c.group_size;
    require(G >= 1 && N == static_cast<std::int64_t>(prompts.size()) * G, "pack_policy_batch: ", N,
            " completions for ", prompts.size(), " prompts with G = ", G, ", expected prompts x G");
    std::int64_t W = std::max<std::int64_t>(1, min_width), L = std::max<std::int64_t>(1, min_completion_width);
    for (std::int64_t n = 0; n < N; ++n) {
        const auto P = static_cast<std::int64_t>(prompts[n / G].size());
        const auto len = static_cast<std::int64_t>(c.tokens[n].size());
        require(P >= 1, "pack_policy_batch: prompt ", n / G, " is empty");
        W = std::max(W, P + len - 1);
        L = std::max(L, len);
    }
    std::vector<std::int32_t> ids(static_cast<std::size_t>(N * W), kPaddingFill);
    std::vector<std::int32_t> targets(ids.size(), kPaddingFill), columns(static_cast<std::size_t>(N * L), 0);
    for (std::int64_t n = 0; n < N; ++n) {
        std::vector<std::int32_t> row(prompts[n / G]);
        const auto P = static_cast<std::int64_t>(row.size());
        row.insert(row.end(), c.tokens[n].begin(), c.tokens[n].end());
        for (std::size_t j = 0; j + 1 < row.size(); ++j) {
            ids[n * W + j] = row[j];
            targets[n * W + j] = row[j + 1];
        }
        if (row.size() == 1) ids[n * W] = row[0];  // a one-token prompt with an empty completion
        for (std::size_t t = 0; t < c.tokens[n].size(); ++t)
            columns[n * L + t] = static_cast<std::int32_t>(n * W + P - 1 + static_cast<std::int64_t>(t));
    }
    return {Ids<B>::from({N, W}, ids), Ids<B>::from({N, W}, targets), Ids<B>::from({N * L}, columns), N, W, L};
}

/// (N, L) with 1 on completion tokens (EOS included), 0 on padding.
template <class T, class B>
Tensor<T, B> completion_mask(const Completions& c, std::int64_t L) {
    const auto N = static_cast<std::int64_t>(c.tokens.size());
    std::vector<T> mask(static_cast<std::size_t>(N * L), T(0));
    for (std::int64_t n = 0; n < N; ++n) {
        require(static_cast<std::int64_t>(c.tokens[n].size()) <= L, "completion_mask: completion ", n, " has ",
                c.tokens[n].size(), " tokens, more than L = ", L);
        for (std::size_t t = 0; t < c.tokens[n].size(); ++t) mask[n * L + t] = T(1);
    }
    return Tensor<T, B>::from({N, L}, mask);
}

/// What one forward over a PolicyBatch gives: the log-probs (on the tape) and, as a metric, the
/// per-token entropy H = −Σ_v p_v log p_v of the same tempered distribution (no gradient).
template <class T, class B>
struct PolicyLogprobs {
    Var<T, B> logp;         ///< (N, L), masked positions hold the log-prob of some real token
    Tensor<T, B> entropy;   ///< (N, L), filled only when asked for
};

namespace policy_detail {
/// Entropy of softmax(row) for each gathered position, in double on the host.
template <class T, class B>
Tensor<T, B> gathered_entropy(const Tensor<T, B>& logits, const PolicyBatch<B>& batch) {
    const std::int64_t V = logits.shape().dim[2];
    const std::vector<T> x = logits.to_host();
    const std::vector<std::int32_t> cols = batch.columns.to_host();
    std::vector<T> h(cols.size());
    for (std::size_t k = 0; k < cols.size(); ++k) {
        const T* row = x.data() + static_cast<std::int64_t>(cols[k]) * V;
        double max = row[0], z = 0.0, dot = 0.0;
        for (std::int64_t v = 1; v < V; ++v) max = std::max<double>(max, row[v]);
        for (std::int64_t v = 0; v < V; ++v) {
            const double e = std::exp(static_cast<double>(row[v]) - max);
            z += e;
            dot += e * (static_cast<double>(row[v]) - max);
        }
        h[k] = static_cast<T>(std::log(z) - dot / z);  // H = log Z − E[x − max]
    }
    return Tensor<T, B>::from({batch.rows, batch.completion_width}, h);
}
}  // namespace policy_detail

/// log π(o_t | q, o_<t) of every completion token from logits / temperature: (N, L) on the tape.
template <class T, class B>
PolicyLogprobs<T, B> policy_logprobs(Tape* tape, Transformer<T, B>& model, const PolicyBatch<B>& batch,
                                     double temperature = 1.0, bool with_entropy = false) {
    require(temperature >= kMinTemperature && std::isfinite(temperature), "policy_logprobs: temperature ", temperature,
            ", expected a finite value >= ", kMinTemperature,
            " (kMinTemperature; greedy sampling has no log-probs to train on, and below it logits / T overflow)");
    Var<T, B> logits = model.forward(tape, batch.ids);
    if (temperature != 1.0) logits = scale(tape, logits, static_cast<T>(1.0 / temperature));
    PolicyLogprobs<T, B> out;
    if (with_entropy) out.entropy = policy_detail::gathered_entropy(logits.value(), batch);
    const Var<T, B> all = token_logprobs(tape, logits, batch.targets);  // (N, W)
    const Var<T, B> flat = reshape(tape, all, {batch.rows * batch.width, 1});
    out.logp = reshape(tape, gather_rows(tape, flat, batch.columns), {batch.rows, batch.completion_width});
    return out;
}

}  // namespace grpo

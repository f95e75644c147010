// The group sampler of GRPO: for each prompt, G completions from the current policy (DeepSeekMath
// arXiv 2402.03300 §4.1, "for each question q, GRPO samples a group of outputs {o_1..o_G} from
// the old policy"), with the log-probabilities the loss needs as its old_logp.
//
// How it runs (inference only: no tape, KV caches):
//   for each prompt (length P) one batch of G rows, all the same prompt, so no padding inside
//   the prompt is ever needed: the prompt runs once as a (G, P) forward into fresh caches, then
//   every step feeds the (G, 1) tokens just chosen. A row that produced EOS (config.eos_id,
//   the tokenizer's) is finished: it is fed kPaddingFill from then on and its outputs are ignored (rows never see each
//   other, so this changes nothing for the others). Decoding stops when every row is finished
//   or after max_new_tokens.
// Randomness (a CUDA sampler must reproduce this exactly): completion j of prompt i uses the
//   generator Rng(config.seed, stream = i · G + j) and takes one uniform() (53-bit double) per
//   step, step 0 first, whether or not the step needs it (greedy rows draw too). So the tokens
//   of (i, j) do not depend on which other prompts or rows share the batch; a trainer changes
//   config.seed every step (e.g. seed = base + step) to get fresh samples.
// Lengths: P + max_new_tokens must fit the model's max_seq_len, so prompt + completion can go
//   through one training forward.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "grpo/autograd/vocab.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/rl/sampling.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// The id written after the end of a shorter row when rows are packed into one (N, L) batch.
/// Any id in the vocabulary would do: the masks are 0 there and, with causal attention, a later
/// position never changes an earlier one. 0 is in every vocabulary.
constexpr std::int32_t kPaddingFill = 0;

/// G sampled completions per prompt, with their log-probs and whether each was truncated.
struct Completions {
    /// N = prompts × G, grouped consecutively: rows [i·G, (i+1)·G) belong to prompt i.
    std::vector<std::vector<std::int32_t>> tokens;  ///< the completion ids, with the EOS if produced
    std::vector<std::vector<double>> logprobs;      ///< per token: log softmax(logits / T) at it
    std::vector<bool> truncated;                    ///< no EOS within max_new_tokens
    std::int64_t generated_tokens = 0;              ///< Σ completion lengths
    int group_size = 0;  ///< G
};

/// G completions per prompt; see the header comment for batching and randomness.
template <class T, class B>
Completions sample_groups(Transformer<T, B>& model, const std::vector<std::vector<std::int32_t>>& prompts,
                          const SamplingConfig& config) {
    config.validate();
    const TransformerConfig& mc = model.config();
    const std::int64_t V = mc.vocab_size, G = config.group_size;
    require(config.eos_id >= 0 && config.eos_id < V, "sample_groups: eos_id = ", config.eos_id,
            ", expected the tokenizer's eos_id() in the vocabulary [0, ", V, ")");
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const std::int64_t P = static_cast<std::int64_t>(prompts[i].size());
        require(P >= 1, "sample_groups: prompt ", i, " is empty");
        require(P + config.max_new_tokens <= mc.max_seq_len, "sample_groups: prompt ", i, " has ", P,
                " tokens; with max_new_tokens = ", config.max_new_tokens, " that is ", P + config.max_new_tokens,
                " positions, more than max_seq_len = ", mc.max_seq_len);
        for (std::int32_t id : prompts[i])
            require(id >= 0 && id < V, "sample_groups: prompt ", i, " has token id ", id,
                    ", outside the vocabulary [0, ", V, ")");
    }

    Completions out;
    out.group_size = config.group_size;
    const std::size_t N = prompts.size() * static_cast<std::size_t>(G);
    out.tokens.resize(N);
    out.logprobs.resize(N);
    out.truncated.assign(N, true);
    /// The per-row picks run where the logits are (B::sample_rows): only G uniforms go in and
    /// G picks come back each step, never the (G, V) logits.
    const auto uniforms = B::template allocate<double>(G);
    const auto picks = B::template allocate<SampledToken>(G);
    const auto scratch = B::template allocate<std::int32_t>(config.filters() ? G * V : 0);
    std::vector<double> u(static_cast<std::size_t>(G));
    std::vector<SampledToken> picked(static_cast<std::size_t>(G));

    for (std::size_t i = 0; i < prompts.size(); ++i) {
        const std::int64_t P = static_cast<std::int64_t>(prompts[i].size());
        std::vector<Rng> rngs;
        for (std::int64_t j = 0; j < G; ++j) rngs.emplace_back(config.seed, static_cast<std::uint64_t>(i) * G + j);
        std::vector<std::int32_t> batch_ids;
        for (std::int64_t j = 0; j < G; ++j) batch_ids.insert(batch_ids.end(), prompts[i].begin(), prompts[i].end());
        typename Transformer<T, B>::Caches caches;
        Tensor<T, B> logits = model.forward(nullptr, Ids<B>::from({G, P}, batch_ids), &caches).value();
        std::int64_t row_stride = P * V, row_offset = (P - 1) * V;  // the last position of each row
        std::vector<bool> done(G, false);
        for (int step = 0; step < config.max_new_tokens; ++step) {
            for (std::int64_t j = 0; j < G; ++j) u[static_cast<std::size_t>(j)] = rngs[j].uniform();
            B::copy_from_host(u.data(), uniforms.get(), G);
            B::sample_rows(G, V, row_stride, logits.data() + row_offset, config, uniforms.get(),
                           config.filters() ? scratch.get() : nullptr, picks.get());
            B::copy_to_host(picks.get(), picked.data(), G);
            std::vector<std::int32_t> next(G, kPaddingFill);
            bool any_active = false;
            for (std::int64_t j = 0; j < G; ++j) {
                if (done[j]) continue;  // a finished row drew its uniform above and ignores its pick
                const std::size_t n = i * G + j;
                const SampledToken& s = picked[static_cast<std::size_t>(j)];
                out.tokens[n].push_back(s.token);
                out.logprobs[n].push_back(s.logprob);
                ++out.generated_tokens;
                next[j] = s.token;
                if (s.token == config.eos_id) {
                    done[j] = true;
                    out.truncated[n] = false;
                } else {
                    any_active = true;
                }
            }
            if (!any_active || step + 1 == config.max_new_tokens) break;
            logits = model.forward(nullptr, Ids<B>::from({G, 1}, next), &caches).value();
            row_stride = V;
            row_offset = 0;
        }
    }
    return out;
}

/// `config` with the tokenizer's end id, for the callers that own a tokenizer (trainers, the
/// evaluator, rejection sampling): eos_id may be left -1 or name that same id; any other is an
/// error, not overridden.
inline SamplingConfig with_eos_of(const Tokenizer& tokenizer, SamplingConfig config, const char* who) {
    require(config.eos_id == -1 || config.eos_id == tokenizer.eos_id(), who, ": sampling eos_id = ", config.eos_id,
            ", but the tokenizer's eos_id() is ", tokenizer.eos_id(), " (leave it -1 to take the tokenizer's)");
    config.eos_id = tokenizer.eos_id();
    return config;
}

/// Completions packed for the loss: (N, L) with L the longest completion (at least 1).
template <class T, class B>
struct PackedCompletions {
    Ids<B> tokens;          ///< (N, L): completion ids, kPaddingFill after the end
    Tensor<T, B> mask;      ///< (N, L): 1 on completion tokens (the EOS included), 0 on padding
    Tensor<T, B> logprobs;  ///< (N, L): the sampler's log-probs (GRPO's old_logp), 0 on padding
};

/// The completions as (N, L) tokens, mask and log-probs for the loss.
template <class T, class B>
PackedCompletions<T, B> pack_completions(const Completions& c) {
    require(c.tokens.size() == c.logprobs.size(), "pack_completions: ", c.tokens.size(), " token rows but ",
            c.logprobs.size(), " log-prob rows");
    const std::int64_t N = static_cast<std::int64_t>(c.tokens.size());
    std::int64_t L = 1;
    for (std::int64_t n = 0; n < N; ++n) {
        require(c.tokens[n].size() == c.logprobs[n].size(), "pack_completions: row ", n, " has ",
                c.tokens[n].size(), " tokens but ", c.logprobs[n].size(), " log-probs");
        L = std::max<std::int64_t>(L, static_cast<std::int64_t>(c.tokens[n].size()));
    }
    std::vector<std::int32_t> ids(static_cast<std::size_t>(N * L), kPaddingFill);
    std::vector<T> mask(static_cast<std::size_t>(N * L), T(0)), logp(static_cast<std::size_t>(N * L), T(0));
    for (std::int64_t n = 0; n < N; ++n)
        for (std::size_t t = 0; t < c.tokens[n].size(); ++t) {
            ids[n * L + t] = c.tokens[n][t];
            mask[n * L + t] = T(1);
            logp[n * L + t] = static_cast<T>(c.logprobs[n][t]);
        }
    return {Ids<B>::from({N, L}, ids), Tensor<T, B>::from({N, L}, mask), Tensor<T, B>::from({N, L}, logp)};
}

}  // namespace grpo

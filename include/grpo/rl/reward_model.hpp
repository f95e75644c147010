// A learned reward model, the "Reward Model: trained with human ratings" of PPO-style RLHF
// (InstructGPT, arXiv 2203.02155 §3.5; TRL's RewardTrainer): a transformer trunk reads
// prompt + completion + <eos>, and a scalar head on the final hidden state of the last token
// gives the score r(x, y). It learns from preference pairs (a chosen completion y_w preferred
// over a rejected y_l) with the Bradley-Terry pairwise loss (Bradley & Terry 1952; InstructGPT
// eq. 1), over the N pairs of a batch:
//   loss = mean_i −log σ(r(x_i, y_w,i) − r(x_i, y_l,i) − m_i) + c · mean_i (r(x_i, y_w,i) + r(x_i, y_l,i))²
// m_i is an optional margin (Llama 2, arXiv 2307.09288 §3.2.2; TRL's "margin" column), c the
// centring coefficient that keeps scores near zero (Eisenstein et al. 2023, arXiv 2312.09244;
// TRL's center_rewards_coefficient, 0.01 where it is used, off by default).
// DeepSeek-R1 uses rule-based rewards for reasoning precisely because such a model can be
// hacked (arXiv 2501.12948 §2.2.2), and a reward model only where no rule exists (§2.3.4).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/routing.hpp"
#include "grpo/autograd/tape.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/nn/scalar_head.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/rl/rewards/reward_function.hpp"
#include "grpo/text/tokenizer.hpp"

namespace grpo {

/// Sequences to score, right-padded: ids (rows, width), and for each row the flat index
/// row · width + (its length − 1) of its last token, where the score is read.
template <class B>
struct ScoredBatch {
    Ids<B> ids;   ///< (rows, width), pad_id after each row's end
    Ids<B> last;  ///< (rows): row · width + last position
    std::int64_t rows = 0;  ///< sequences
    std::int64_t width = 0;  ///< the longest sequence's length
};

/// Packs each (prompt, completion) as encode(prompt) + encode(completion) + `<eos>`: the text a
/// reward model scores, the prompt exactly as the sampler sees it. Throws when a sequence is
/// longer than `max_len` positions.
template <class B>
ScoredBatch<B> pack_scored_batch(const Tokenizer& tok, const std::vector<std::pair<std::string, std::string>>& texts,
                                 std::int64_t max_len) {
    require(!texts.empty(), "pack_scored_batch: no sequences");
    std::vector<std::vector<TokenId>> rows;
    std::size_t width = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        std::vector<TokenId> row = tok.encode(texts[i].first);
        const std::vector<TokenId> completion = tok.encode(texts[i].second);
        row.insert(row.end(), completion.begin(), completion.end());
        row.push_back(tok.eos_id());
        require(static_cast<std::int64_t>(row.size()) <= max_len, "pack_scored_batch: sequence ", i, " has ",
                row.size(), " tokens, more than max_len = ", max_len);
        width = std::max(width, row.size());
        rows.push_back(std::move(row));
    }
    const auto R = static_cast<std::int64_t>(rows.size()), W = static_cast<std::int64_t>(width);
    std::vector<TokenId> ids(rows.size() * width, tok.pad_id()), last(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::copy(rows[r].begin(), rows[r].end(), ids.begin() + static_cast<std::ptrdiff_t>(r * width));
        last[r] = static_cast<TokenId>(static_cast<std::int64_t>(r) * W + static_cast<std::int64_t>(rows[r].size()) - 1);
    }
    return {Ids<B>::from({R, W}, ids), Ids<B>::from({R}, last), R, W};
}

/// The reward model: a Transformer trunk and a scalar head (nn/scalar_head.hpp) on the last
/// token's final hidden state, r = h_last · w + b, the head named `score` as in TRL's
/// sequence-classification model.
template <class T, class B>
class RewardModel : public ScalarHeadModel<T, B> {
public:
    /// A reward model of that config (tied_head forced), trunk and head fresh from `rng`.
    RewardModel(const TransformerConfig& config, Rng& rng) : ScalarHeadModel<T, B>(config, rng, "score") {}
    /// Initialised from a language model, as InstructGPT starts its reward model from the SFT
    /// model: the trunk's weights and balancing biases are copied from `base` (its LM head, if
    /// untied, is left out); the head is fresh from `rng`.
    RewardModel(const Transformer<T, B>& base, Rng& rng) : RewardModel(base.config(), rng) {
        const NamedState<T, B> from = checkpoint_detail::model_state(base);
        std::map<std::string, Tensor<T, B>> by_name(from.begin(), from.end());
        for (const auto& [name, tensor] : checkpoint_detail::model_state(this->trunk_)) {
            const auto source = by_name.find(name);
            require(source != by_name.end(), "RewardModel: the base has no tensor '", name, "'");
            B::copy(source->second.data(), tensor.data(), tensor.numel());
        }
    }

    /// r(x, y) of every row of `batch`: (rows).
    Var<T, B> scores(Tape* tape, const ScoredBatch<B>& batch) {
        const std::int64_t N = batch.rows, W = batch.width, C = this->config().d_model;
        require(batch.ids.shape() == Shape{N, W}, "RewardModel::scores: ids have shape ", batch.ids.shape(),
                ", expected (rows, width) = (", N, ", ", W, ")");
        require(batch.last.shape() == Shape{N}, "RewardModel::scores: last has shape ", batch.last.shape(),
                ", expected (rows) = (", N, ")");
        const Var<T, B> h = this->trunk_.hidden(tape, batch.ids);                              // (N, W, C)
        const Var<T, B> last = gather_rows(tape, reshape(tape, h, {N * W, C}), batch.last);  // (N, C)
        return reshape(tape, this->head(tape, last), {N});
    }

    /// Every tensor a checkpoint holds: the trunk's (parameters, balancing biases), then the head.
    NamedState<T, B> state() const {
        NamedState<T, B> out = checkpoint_detail::model_state(this->trunk_);
        out.push_back({"score.weight", this->head_weight().value()});
        out.push_back({"score.bias", this->head_bias().value()});
        return out;
    }
};

/// Writes a reward model (trunk, head, config and `metadata`) to `path` as safetensors, atomically.
template <class T, class B>
void save_reward_model(const RewardModel<T, B>& model, const std::string& path,
                       std::map<std::string, std::string> metadata = {}) {
    metadata["grpo.model"] = "reward_model";
    checkpoint_detail::save_state(model.state(), model.config(), path, std::move(metadata));
}

/// Loads `path` into `model` with the checks of load_checkpoint (config, names, shapes, dtypes,
/// finite values; a policy's file lacks score.weight and is refused); a file that fails a check
/// changes nothing. Returns the file's metadata.
template <class T, class B>
std::map<std::string, std::string> load_reward_model(RewardModel<T, B>& model, const std::string& path,
                                                     CheckpointLoadOptions options = {}) {
    const NamedState<T, B> state = model.state();
    const CheckedCheckpoint<T> checked =
        checkpoint_detail::read_checked_state(state, model.config(), path, options, "load_reward_model");
    checkpoint_detail::apply_state(state, checked, "load_reward_model");
    return checked.metadata;
}

/// The pairwise loss (differentiable) and what TRL's RewardTrainer logs beside it.
template <class T, class B>
struct PairwiseLossOutput {
    Var<T, B> loss;             ///< ()
    double accuracy = 0;        ///< share of pairs with r_chosen > r_rejected
    double chosen_mean = 0;     ///< mean r_chosen
    double rejected_mean = 0;   ///< mean r_rejected
};

/// −log σ(d) = softplus(−d), without overflow for large |d|.
inline double neg_log_sigmoid(double d) { return std::max(-d, 0.0) + std::log1p(std::exp(-std::abs(d))); }

/// The Bradley-Terry loss above, a fused op: the forward writes the loss and its gradient with
/// respect to each score, the backward scales them by the upstream gradient. chosen, rejected:
/// (N) scores of the pairs' two completions; margins: N values, or empty for none; c >= 0.
///   d/dr_w = (−σ(−d) + 2c (r_w + r_l)) / N,   d/dr_l = (σ(−d) + 2c (r_w + r_l)) / N,   d = r_w − r_l − m
template <class T, class B>
PairwiseLossOutput<T, B> bradley_terry_loss(Tape* tape, const Var<T, B>& chosen, const Var<T, B>& rejected,
                                            const std::vector<double>& margins, double center_coefficient) {
    const Shape& s = chosen.shape();
    require(s.rank == 1 && s.dim[0] >= 1, "bradley_terry_loss: chosen has shape ", s, ", expected (N) with N >= 1");
    require_shape(rejected.value(), s, "bradley_terry_loss", "rejected");
    const auto N = static_cast<std::size_t>(s.dim[0]);
    require(margins.empty() || margins.size() == N, "bradley_terry_loss: ", margins.size(), " margins for ", N,
            " pairs, expected ", N, " or none");
    require(center_coefficient >= 0.0 && std::isfinite(center_coefficient),
            "bradley_terry_loss: center_coefficient = ", center_coefficient, ", expected a finite value >= 0");
    const std::vector<T> rw = chosen.value().to_host(), rl = rejected.value().to_host();
    std::vector<T> dw(N), dl(N);
    PairwiseLossOutput<T, B> out;
    double total = 0.0;
    const double inv_n = 1.0 / static_cast<double>(N);
    for (std::size_t i = 0; i < N; ++i) {
        const double w = static_cast<double>(rw[i]), l = static_cast<double>(rl[i]);
        const double d = w - l - (margins.empty() ? 0.0 : margins[i]);
        const double sig_neg = 1.0 / (1.0 + std::exp(d));  // σ(−d)
        total += neg_log_sigmoid(d) + center_coefficient * (w + l) * (w + l);
        dw[i] = static_cast<T>((-sig_neg + 2.0 * center_coefficient * (w + l)) * inv_n);
        dl[i] = static_cast<T>((sig_neg + 2.0 * center_coefficient * (w + l)) * inv_n);
        out.accuracy += (w > l ? 1.0 : 0.0) * inv_n;
        out.chosen_mean += w * inv_n;
        out.rejected_mean += l * inv_n;
    }
    out.loss = Var<T, B>(Tensor<T, B>::from(Shape{}, {static_cast<T>(total * inv_n)}), recording(tape, chosen, rejected));
    if (!out.loss.requires_grad()) return out;
    const Tensor<T, B> dw_t = Tensor<T, B>::from(s, dw), dl_t = Tensor<T, B>::from(s, dl);
    tape->record([chosen, rejected, dw_t, dl_t, loss = out.loss] {
        if (!loss.has_grad()) return;
        if (chosen.requires_grad()) B::broadcast_acc(dw_t.numel(), loss.grad_data(), T(1), dw_t.data(), chosen.grad_data());
        if (rejected.requires_grad())
            B::broadcast_acc(dl_t.numel(), loss.grad_data(), T(1), dl_t.data(), rejected.grad_data());
    });
    return out;
}

/// How an ensemble of reward models turns its scores into one (Coste et al. 2023, arXiv
/// 2310.02743: the mean, or the worst case, which resists over-optimisation better).
enum class EnsembleCombine { mean, min };

/// A reward function (rl/rewards/reward_function.hpp) that scores each completion with frozen
/// reward models, r(prompt, completion), combined across the ensemble. The models are held by
/// pointer and must outlive the function; a sequence longer than `max_len` throws (a setting
/// to fix, not a completion to score low).
template <class T, class B>
RewardFunction reward_model_reward(std::string name, double weight, std::vector<RewardModel<T, B>*> models,
                                   const Tokenizer& tok, std::int64_t max_len,
                                   EnsembleCombine combine = EnsembleCombine::mean) {
    require(!models.empty(), "reward_model_reward: no reward models");
    for (const RewardModel<T, B>* m : models) require(m != nullptr, "reward_model_reward: a null reward model");
    return {std::move(name), weight, [models, tok, max_len, combine](const RewardInput& in) -> RewardScore {
                const ScoredBatch<B> batch =
                    pack_scored_batch<B>(tok, {{std::string(in.prompt), std::string(in.completion)}}, max_len);
                double combined = combine == EnsembleCombine::min ? INFINITY : 0.0;
                for (RewardModel<T, B>* m : models) {
                    const double r = static_cast<double>(m->scores(nullptr, batch).value().item());
                    combined = combine == EnsembleCombine::min ? std::min(combined, r)
                                                               : combined + r / static_cast<double>(models.size());
                }
                return combined;
            }};
}

}  // namespace grpo

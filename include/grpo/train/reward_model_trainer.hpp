// Training a reward model on preference pairs, as TRL's RewardTrainer does (InstructGPT, arXiv
// 2203.02155 §3.5): each step scores the chosen and the rejected completion of a batch of pairs
// and takes one AdamW step on the Bradley-Terry loss (rl/reward_model.hpp), with global-norm
// clipping. Batches visit every pair once per epoch, in a seeded order (train/epoch_order.hpp).
// The figure that matters is the pairwise accuracy on held-out pairs: the share the model
// orders as the rater did.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/core/error.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/rl/reward_model.hpp"
#include "grpo/tasks/preference.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/epoch_order.hpp"

namespace grpo {

/// The reward-model trainer's settings.
struct RewardModelTrainerConfig {
    int batch = 16;  ///< pairs per step
    AdamWConfig optimizer{1e-3, 0.9, 0.95, 1e-8, 0.0};  ///< as the SFT trainer's (a tiny model learns at 1e-3)
    double max_grad_norm = 1.0;  ///< global-norm clipping threshold (> 0)
    double center_coefficient = 0.0;  ///< c of the centring term (TRL center_rewards_coefficient; off by default)
    bool use_margins = false;  ///< subtract each pair's margin inside the sigmoid (TRL: when the data has one)
    std::int64_t max_len = 128;  ///< the most tokens a scored sequence may take; longer ones throw
    std::uint64_t seed = 0;  ///< epoch e's order is drawn from Rng(seed, e)

    /// Throws naming the first bad field.
    void validate() const {
        require(batch >= 1, "RewardModelTrainerConfig: batch = ", batch, ", expected >= 1");
        require(max_grad_norm > 0, "RewardModelTrainerConfig: max_grad_norm = ", max_grad_norm, ", expected > 0");
        require(center_coefficient >= 0, "RewardModelTrainerConfig: center_coefficient = ", center_coefficient,
                ", expected >= 0");
        require(max_len >= 2, "RewardModelTrainerConfig: max_len = ", max_len, ", expected >= 2");
        grpo::validate(optimizer);
    }
};

/// What one step, or an evaluation over pairs, reports.
struct RewardModelMetrics {
    std::int64_t step = 0;     ///< 1-based, after the update (0 for an evaluation)
    double loss = 0.0;         ///< the pairwise loss, before the update
    double accuracy = 0.0;     ///< share of pairs ordered as the rater did (r_chosen > r_rejected)
    double chosen_mean = 0.0;  ///< mean score of the chosen completions
    double rejected_mean = 0.0;  ///< mean score of the rejected ones
    double grad_norm = 0.0;    ///< before clipping (0 for an evaluation)
};

/// Scores of a pair batch's chosen and rejected completions.
template <class T, class B>
struct PairScores {
    /// (pairs) each.
    ///@{
    Var<T, B> chosen, rejected;
    ///@}
};

/// Scores both completions of every pair with `model` (two forwards).
template <class T, class B>
PairScores<T, B> score_pairs(Tape* tape, RewardModel<T, B>& model, const Tokenizer& tok,
                             const std::vector<PreferencePair>& pairs, std::int64_t max_len) {
    std::vector<std::pair<std::string, std::string>> chosen, rejected;
    for (const PreferencePair& p : pairs) {
        chosen.push_back({p.prompt, p.chosen});
        rejected.push_back({p.prompt, p.rejected});
    }
    return {model.scores(tape, pack_scored_batch<B>(tok, chosen, max_len)),
            model.scores(tape, pack_scored_batch<B>(tok, rejected, max_len))};
}

/// The margins of `pairs` when `use` is set, else none.
inline std::vector<double> pair_margins(const std::vector<PreferencePair>& pairs, bool use) {
    std::vector<double> out;
    if (use)
        for (const PreferencePair& p : pairs) out.push_back(p.margin);
    return out;
}

/// Trains a RewardModel on preference pairs.
template <class T, class B>
class RewardModelTrainer {
public:
    /// Trains `model` in place on `pairs`; throws on no pairs or a bad config.
    RewardModelTrainer(RewardModel<T, B>& model, const Tokenizer& tok, std::vector<PreferencePair> pairs,
                       RewardModelTrainerConfig config)
        : model_(model), tok_(tok), pairs_(std::move(pairs)), config_(config),
          optimizer_(model.params(), config.optimizer), order_(pairs_.size(), config.seed) {
        require(!pairs_.empty(), "RewardModelTrainer: no preference pairs");
        config_.validate();
    }

    /// One AdamW step on the next config.batch pairs of the epoch order.
    RewardModelMetrics step() {
        std::vector<PreferencePair> batch;
        while (static_cast<int>(batch.size()) < config_.batch) batch.push_back(pairs_[order_.next()]);
        Tape tape;
        const PairScores<T, B> s = score_pairs(&tape, model_, tok_, batch, config_.max_len);
        const PairwiseLossOutput<T, B> out = bradley_terry_loss(&tape, s.chosen, s.rejected,
                                                                pair_margins(batch, config_.use_margins),
                                                                config_.center_coefficient);
        optimizer_.zero_grad();
        tape.backward(out.loss);
        RewardModelMetrics m = metrics_of(out);
        m.grad_norm = clip_grad_norm(model_.params(), config_.max_grad_norm);
        optimizer_.step();
        model_.trunk().update_balance_biases();  // a MoE trunk keeps balancing its experts
        m.step = ++step_;
        return m;
    }

    /// Loss and pairwise accuracy over `pairs`, without a tape, in batches of config.batch
    /// (each batch weighted by its pairs).
    RewardModelMetrics evaluate(const std::vector<PreferencePair>& pairs) {
        require(!pairs.empty(), "RewardModelTrainer::evaluate: no pairs");
        RewardModelMetrics total;
        const std::size_t step = static_cast<std::size_t>(config_.batch);
        for (std::size_t begin = 0; begin < pairs.size(); begin += step) {
            const std::vector<PreferencePair> part(pairs.begin() + static_cast<std::ptrdiff_t>(begin),
                                                   pairs.begin() + static_cast<std::ptrdiff_t>(std::min(pairs.size(), begin + step)));
            const PairScores<T, B> s = score_pairs<T, B>(nullptr, model_, tok_, part, config_.max_len);
            const RewardModelMetrics m = metrics_of(bradley_terry_loss<T, B>(
                nullptr, s.chosen, s.rejected, pair_margins(part, config_.use_margins), config_.center_coefficient));
            const double w = static_cast<double>(part.size()) / static_cast<double>(pairs.size());
            total.loss += w * m.loss;
            total.accuracy += w * m.accuracy;
            total.chosen_mean += w * m.chosen_mean;
            total.rejected_mean += w * m.rejected_mean;
        }
        return total;
    }

    std::int64_t steps_done() const { return step_; }  ///< updates taken

private:
    static RewardModelMetrics metrics_of(const PairwiseLossOutput<T, B>& out) {
        RewardModelMetrics m;
        m.loss = static_cast<double>(out.loss.value().item());
        m.accuracy = out.accuracy;
        m.chosen_mean = out.chosen_mean;
        m.rejected_mean = out.rejected_mean;
        return m;
    }

    RewardModel<T, B>& model_;
    Tokenizer tok_;  ///< a copy: a temporary tokenizer cannot dangle
    std::vector<PreferencePair> pairs_;
    RewardModelTrainerConfig config_;
    AdamW<T, B> optimizer_;
    EpochOrder order_;
    std::int64_t step_ = 0;
};

}  // namespace grpo

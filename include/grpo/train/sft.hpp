// Supervised fine-tuning (SFT) on (prompt, completion) pairs: the cold start and the
// rejection-sampling SFT of DeepSeek-R1 (arXiv 2501.12948 §2.3.1, §2.3.3), and distillation into
// a smaller student (§2.4), are all this loop over different data.
//   row      encode(prompt) + encode(completion) + <eos>, the prompt exactly as the sampler sees it
//   loss     mean next-token cross-entropy over the completion and its <eos> only: the prompt's
//            positions and the padding get target −1 (as TRL's SFTTrainer with completion-only
//            loss; an empty prompt trains on the whole text, plain pretraining data)
//   batches  each epoch visits every example once, in an order drawn from Rng(seed, epoch), so a
//            run is a function of its seed and step count
//   update   AdamW (β 0.9, 0.95, no weight decay, as the pretraining of example 06), global-norm
//            clipping at 1, cosine schedule with warmup
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/autograd/vocab.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/optim/schedule.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/train/epoch_order.hpp"

namespace grpo {

/// One SFT pair: the prompt as the sampler sees it, and the completion to learn.
struct SftExample {
    std::string prompt;      ///< "" for plain text: every token is then a target
    std::string completion;  ///< what the model learns to write after the prompt
};

/// A padded batch: ids (rows, width) and targets (rows, width), target −1 where no loss is taken.
template <class B>
struct SftBatch {
    /// The token ids and the next-token targets, (rows, width) each.
    ///@{
    Ids<B> ids, targets;
    ///@}
    std::int64_t loss_tokens = 0;  ///< targets that are not −1
    std::int64_t positions = 0;    ///< positions that are not padding (the compute a forward costs)
};

/// Packs `examples` into one batch whose width is the longest row (each row is one token shorter
/// than its prompt + completion + `<eos>`). Throws when a row needs more than `max_len` positions.
template <class B>
SftBatch<B> pack_sft_batch(const Tokenizer& tok, const std::vector<SftExample>& examples, int max_len) {
    require(!examples.empty(), "pack_sft_batch: no examples");
    std::vector<std::vector<TokenId>> rows;
    std::vector<std::size_t> prompt_lengths;
    std::size_t width = 0;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        std::vector<TokenId> row = tok.encode(examples[i].prompt);
        prompt_lengths.push_back(row.size());
        const std::vector<TokenId> completion = tok.encode(examples[i].completion);
        row.insert(row.end(), completion.begin(), completion.end());
        row.push_back(tok.eos_id());
        require(row.size() >= 2, "pack_sft_batch: example ", i, " is empty");
        require(static_cast<std::int64_t>(row.size()) - 1 <= max_len, "pack_sft_batch: example ", i, " needs ",
                row.size() - 1, " positions, more than max_len = ", max_len);
        width = std::max(width, row.size() - 1);
        rows.push_back(std::move(row));
    }
    std::vector<TokenId> ids(rows.size() * width, tok.pad_id()), targets(rows.size() * width, -1);
    std::int64_t loss_tokens = 0, positions = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        positions += static_cast<std::int64_t>(rows[r].size()) - 1;
        for (std::size_t t = 0; t + 1 < rows[r].size(); ++t) {
            ids[r * width + t] = rows[r][t];
            // position t predicts token t + 1; only tokens after the prompt are targets
            if (t + 1 >= prompt_lengths[r]) {
                targets[r * width + t] = rows[r][t + 1];
                ++loss_tokens;
            }
        }
    }
    const auto R = static_cast<std::int64_t>(rows.size()), W = static_cast<std::int64_t>(width);
    return {Ids<B>::from({R, W}, ids), Ids<B>::from({R, W}, targets), loss_tokens, positions};
}

/// SFT's settings: batch, schedule, optimizer, clipping, row length, seed.
struct SftConfig {
    int batch = 16;  ///< examples per step
    CosineSchedule schedule{1e-3, 1e-4, 10, 500};  ///< max lr, min lr, warmup, decay steps
    AdamWConfig optimizer{1e-3, 0.9, 0.95, 1e-8, 0.0};  ///< its lr is replaced by the schedule's
    double max_grad_norm = 1.0;  ///< global-norm clipping threshold (> 0)
    int max_len = 128;  ///< the most positions a row may take; longer rows throw
    std::uint64_t seed = 0;  ///< epoch e's order is drawn from Rng(seed, e)
};

/// What one SFT step reports.
struct SftStepMetrics {
    std::int64_t step = 0;         ///< 1-based, after the update
    double loss = 0.0;             ///< mean over the batch's loss tokens, before the update
    double lr = 0.0;  ///< the step's learning rate (from the schedule)
    double grad_norm = 0.0;        ///< before clipping
    std::int64_t loss_tokens = 0;  ///< the batch's loss tokens
    std::int64_t positions = 0;    ///< non-padding positions of the batch
};

/// Supervised fine-tuning on (prompt, completion) pairs: cold start, rejection-sampled SFT, distillation.
template <class T, class B>
class SftTrainer {
public:
    /// Trains `model` in place on `data`; throws on no data, batch < 1 or max_grad_norm <= 0.
    SftTrainer(Transformer<T, B>& model, const Tokenizer& tok, std::vector<SftExample> data, SftConfig config)
        : model_(model), tok_(tok), data_(std::move(data)), config_(config),
          optimizer_(model.params(), config.optimizer), order_(data_.size(), config.seed) {
        require(!data_.empty(), "SftTrainer: no examples");
        require(config_.batch >= 1, "SftTrainer: batch = ", config_.batch, ", expected >= 1");
        require(config_.max_grad_norm > 0, "SftTrainer: max_grad_norm = ", config_.max_grad_norm, ", expected > 0");
    }

    /// One update on the next config.batch examples of the epoch order.
    SftStepMetrics step() {
        const SftBatch<B> batch = pack_sft_batch<B>(tok_, next_examples(), config_.max_len);
        Tape tape;
        const Var<T, B> loss = model_.loss(&tape, batch.ids, batch.targets);
        optimizer_.zero_grad();
        tape.backward(loss);
        SftStepMetrics m;
        m.grad_norm = clip_grad_norm(model_.params(), config_.max_grad_norm);
        m.lr = config_.schedule(step_);
        optimizer_.step(m.lr);
        model_.update_balance_biases();  // a MoE model keeps balancing its experts (a no-op when dense)
        m.step = ++step_;
        m.loss = static_cast<double>(loss.value().item());
        m.loss_tokens = batch.loss_tokens;
        m.positions = batch.positions;
        return m;
    }

    /// The mean loss per loss token over `examples`, without a tape (batches of config.batch).
    double mean_loss(const std::vector<SftExample>& examples) {
        double total = 0.0;
        std::int64_t tokens = 0;
        for (std::size_t begin = 0; begin < examples.size(); begin += static_cast<std::size_t>(config_.batch)) {
            const std::size_t end = std::min(examples.size(), begin + static_cast<std::size_t>(config_.batch));
            const std::vector<SftExample> part(examples.begin() + static_cast<std::ptrdiff_t>(begin),
                                               examples.begin() + static_cast<std::ptrdiff_t>(end));
            const SftBatch<B> batch = pack_sft_batch<B>(tok_, part, config_.max_len);
            const Var<T, B> loss = model_.loss(nullptr, batch.ids, batch.targets);
            total += static_cast<double>(loss.value().item()) * static_cast<double>(batch.loss_tokens);
            tokens += batch.loss_tokens;
        }
        return tokens > 0 ? total / static_cast<double>(tokens) : 0.0;
    }

    std::int64_t steps_done() const { return step_; }  ///< updates taken

private:
    /// The next config.batch examples of the epoch order.
    std::vector<SftExample> next_examples() {
        std::vector<SftExample> out;
        while (static_cast<int>(out.size()) < config_.batch) out.push_back(data_[order_.next()]);
        return out;
    }

    Transformer<T, B>& model_;
    Tokenizer tok_;  ///< a copy: a temporary tokenizer cannot dangle
    std::vector<SftExample> data_;
    SftConfig config_;
    AdamW<T, B> optimizer_;
    EpochOrder order_;
    std::int64_t step_ = 0;
};

}  // namespace grpo

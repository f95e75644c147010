// Pretraining a base model: next-token prediction on random windows of a token stream
// (train/token_stream.hpp), AdamW with a cosine schedule, the MoE balancing biases updated after
// every step (DeepSeek-V3 §2.1.2). The base of the R1-Zero demo is made by this loop (example 06
// and its pretrain_probe.cpp); what a caller logs, it does in `on_step`.
#pragma once

#include <cstdint>
#include <functional>

#include "grpo/autograd/tape.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/transformer.hpp"
#include "grpo/optim/adamw.hpp"
#include "grpo/optim/schedule.hpp"
#include "grpo/train/token_stream.hpp"

namespace grpo {

/// Pretraining's settings: steps, batch shape, schedule, optimizer, seed.
struct PretrainConfig {
    int steps = 1000;  ///< optimizer steps
    int batch = 16;  ///< windows per step
    int seq = 96;    ///< positions per window
    CosineSchedule schedule{3e-3, 3e-4, 100, 1000};  ///< gives each step's lr
    AdamWConfig optimizer{3e-3, 0.9, 0.95, 1e-8, 0.0};  ///< GPT-3's betas; its lr is the schedule's
    std::uint64_t seed = 0;  ///< of the window draws: Rng(seed)
};

/// What one pretraining step reports to its callback.
struct PretrainStep {
    int step = 0;       ///< 1-based, after the update
    double loss = 0.0;  ///< the batch's mean loss, before the update
    double lr = 0.0;  ///< the step's learning rate
};

/// Pretrains `model` in place on random windows of `stream`; `on_step` sees every step.
template <class T, class B>
void pretrain(Transformer<T, B>& model, const TokenStream& stream, const PretrainConfig& config,
              const std::function<void(const PretrainStep&)>& on_step = {}) {
    require(config.steps >= 0, "PretrainConfig: steps = ", config.steps, ", expected >= 0");
    AdamW<T, B> optimizer(model.params(), config.optimizer);
    Rng batch_rng(config.seed);
    for (int step = 0; step < config.steps; ++step) {
        const auto [ids, targets] = stream.sample_batch<B>(batch_rng, config.batch, config.seq);
        Tape tape;
        const Var<T, B> loss = model.loss(&tape, ids, targets);
        optimizer.zero_grad();
        tape.backward(loss);
        const double lr = config.schedule(step);
        optimizer.step(lr);
        model.update_balance_biases();
        if (on_step) on_step({step + 1, static_cast<double>(loss.value().item()), lr});
    }
}

}  // namespace grpo

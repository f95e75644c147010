// A Transformer trunk with a scalar head: the shape of PPO's value model (rl/ppo.hpp, Critic)
// and of a learned reward model (rl/reward_model.hpp, RewardModel), TRL's sequence-classification
// model with one label. On the trunk's final normalised hidden states h (C):
//   s = h · w + b,   w: (C, 1), b: (1)
// The trunk is built with tied_head: a (C, V) LM head would never get a gradient here. The head
// starts as N(0, 1/√(C + 1)), bias 0, the scalar head of lm-human-preference-details (Huang et
// al.'s reproduction of OpenAI's lm-human-preferences).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/tape.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/config.hpp"
#include "grpo/nn/transformer.hpp"

namespace grpo {

/// A trunk and a scalar head; its derived classes say where the head reads (Critic::values at
/// every completion token, RewardModel::scores at the last token).
template <class T, class B>
class ScalarHeadModel {
public:
    /// A model of that config (tied_head forced), trunk and head fresh from `rng`; the head's
    /// parameters are named `<head_name>.weight` and `<head_name>.bias`.
    ScalarHeadModel(const TransformerConfig& config, Rng& rng, std::string head_name)
        : trunk_(trunk_config(config), rng), head_name_(std::move(head_name)) {
        const std::int64_t C = config.d_model;
        head_weight_ = Var<T, B>::param(Tensor<T, B>::randn({C, 1}, rng, 1.0 / std::sqrt(static_cast<double>(C) + 1.0)));
        head_bias_ = Var<T, B>::param(Tensor<T, B>::zeros({1}));
    }

    /// The trunk's parameters (Transformer's names), then the head's weight and bias.
    std::vector<std::pair<std::string, Var<T, B>>> named_params() const {
        std::vector<std::pair<std::string, Var<T, B>>> out = trunk_.named_params();
        out.push_back({head_name_ + ".weight", head_weight_});
        out.push_back({head_name_ + ".bias", head_bias_});
        return out;
    }

    /// Every parameter, in named_params() order: the trunk's, then the head's.
    std::vector<Var<T, B>> params() const {
        std::vector<Var<T, B>> out = trunk_.params();
        out.push_back(head_weight_);
        out.push_back(head_bias_);
        return out;
    }

    /// The number of weights in all parameters.
    std::int64_t parameter_count() const {
        return trunk_.parameter_count() + head_weight_.numel() + head_bias_.numel();
    }

    /// The trunk, e.g. for its MoE balance loss and update_balance_biases().
    Transformer<T, B>& trunk() { return trunk_; }
    const Transformer<T, B>& trunk() const { return trunk_; }  ///< the trunk
    const TransformerConfig& config() const { return trunk_.config(); }  ///< the trunk's config (tied_head = true)

protected:
    /// s = states · w + b: (M, C) hidden states to (M, 1) scalars.
    Var<T, B> head(Tape* tape, const Var<T, B>& states) const {
        return add(tape, matmul(tape, states, head_weight_), head_bias_);
    }

    /// The head's weight (C, 1) and bias (1), for a derived class's checkpoint state.
    ///@{
    const Var<T, B>& head_weight() const { return head_weight_; }
    const Var<T, B>& head_bias() const { return head_bias_; }
    ///@}

    Transformer<T, B> trunk_;  ///< the trunk, tied_head

private:
    static TransformerConfig trunk_config(TransformerConfig config) {
        config.tied_head = true;
        return config;
    }

    std::string head_name_;
    Var<T, B> head_weight_;  ///< (C, 1)
    Var<T, B> head_bias_;    ///< (1)
};

}  // namespace grpo

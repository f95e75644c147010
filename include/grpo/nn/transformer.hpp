// Transformer: the DeepSeek-V3-style decoder the examples train (arXiv 2412.19437 §2.1; the
// structure of inference/model.py's Transformer and Block, at toy size, with standard multi-head
// attention instead of MLA):
//   x = embed(ids)                                       ids: (B, T) -> (B, T, C)
//   for each block:  x = x + attn(rmsnorm(x))            pre-norm residual blocks
//                    x = x + ffn(rmsnorm(x))             ffn: dense SwiGLU in the first
//                                                        n_dense_layers blocks, MoE after
//   logits = rmsnorm(x) · head                           -> (B, T, V)
// With KV caches (one per block, inference only) the model decodes incrementally and gives the
// same logits as a full forward over the whole sequence.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/norm_rope.hpp"
#include "grpo/autograd/reduce.hpp"
#include "grpo/autograd/vocab.hpp"
#include "grpo/nn/attention.hpp"
#include "grpo/nn/config.hpp"
#include "grpo/nn/feed_forward.hpp"
#include "grpo/nn/moe.hpp"

namespace grpo {

/// One pre-norm transformer block: attention, then a dense or MoE FFN, each with its RMSNorm.
template <class T, class B>
struct Block {
    /// (C) RMSNorm weights
    ///@{
    Var<T, B> attn_norm, ffn_norm;
    ///@}
    CausalSelfAttention<T, B> attn;  ///< the attention layer
    std::optional<FeedForward<T, B>> dense;  ///< exactly one of dense, moe
    std::optional<MoE<T, B>> moe;  ///< the MoE FFN (blocks after the dense ones)
};

/// The DeepSeek-V3-style decoder: embedding, blocks, final RMSNorm and head.
template <class T, class B>
class Transformer {
public:
    using Caches = std::vector<KVCache<T, B>>;  ///< one per block

    /// A copy would share the weights (a Var is a handle), so there is none: clone_model
    /// (nn/checkpoint.hpp) makes an independent model; moves hand the weights over.
    Transformer(const Transformer&) = delete;
    Transformer& operator=(const Transformer&) = delete;
    Transformer(Transformer&&) = default;  ///< moves the weights over
    Transformer& operator=(Transformer&&) = default;  ///< moves the weights over

    /// A model of `config` with fresh weights drawn from `rng`.
    Transformer(const TransformerConfig& config, Rng& rng) : cfg_(config) {
        cfg_.validate();
        const std::int64_t C = cfg_.d_model;
        embed_ = Var<T, B>::param(Tensor<T, B>::randn({cfg_.vocab_size, C}, rng, cfg_.init_std));
        for (int i = 0; i < cfg_.n_layers; ++i) {
            Block<T, B> block{Var<T, B>::param(Tensor<T, B>::ones({C})),
                              Var<T, B>::param(Tensor<T, B>::ones({C})),
                              CausalSelfAttention<T, B>(cfg_.d_model, cfg_.n_heads, cfg_.head_dim,
                                                        cfg_.rope_theta, rng, cfg_.init_std),
                              std::nullopt, std::nullopt};
            if (i < cfg_.n_dense_layers) block.dense.emplace(cfg_.d_model, cfg_.dense_hidden, rng, cfg_.init_std);
            else block.moe.emplace(moe_config(), rng);
            blocks_.push_back(std::move(block));
        }
        final_norm_ = Var<T, B>::param(Tensor<T, B>::ones({C}));
        if (!cfg_.tied_head) head_ = Var<T, B>::param(Tensor<T, B>::randn({C, cfg_.vocab_size}, rng, cfg_.init_std));
    }

    /// ids: (B, T) -> logits (B, T, V). With caches (no tape) the ids continue the cached tokens.
    Var<T, B> forward(Tape* tape, const Ids<B>& ids, Caches* caches = nullptr) {
        const Var<T, B> out = hidden(tape, ids, caches);
        return cfg_.tied_head ? matmul(tape, out, embed_, false, true) : matmul(tape, out, head_);
    }

    /// ids: (B, T) -> the final normalised hidden states (B, T, C), before the head: what a value
    /// head reads (PPO's critic) besides the logits.
    Var<T, B> hidden(Tape* tape, const Ids<B>& ids, Caches* caches = nullptr) {
        require(ids.rank() == 2, "Transformer::forward: ids have shape ", ids.shape(), ", expected (B, T)");
        const std::int64_t batch = ids.shape().dim[0], steps = ids.shape().dim[1];
        if (caches && caches->empty()) caches->resize(blocks_.size());
        require(!caches || caches->size() == blocks_.size(), "Transformer::forward: ", caches ? caches->size() : 0,
                " caches for ", blocks_.size(), " blocks");
        const std::int64_t start = caches ? (*caches)[0].length() : 0;
        require(start + steps <= cfg_.max_seq_len, "Transformer::forward: positions up to ", start + steps,
                " exceed max_seq_len = ", cfg_.max_seq_len);
        const T eps = static_cast<T>(cfg_.norm_eps);
        Var<T, B> x = embedding(tape, ids, embed_);  // (B, T, C)
        for (std::size_t i = 0; i < blocks_.size(); ++i) {
            Block<T, B>& block = blocks_[i];
            x = add(tape, x, block.attn.forward(tape, rmsnorm(tape, x, block.attn_norm, eps),
                                                caches ? &(*caches)[i] : nullptr));
            const Var<T, B> h = reshape(tape, rmsnorm(tape, x, block.ffn_norm, eps), {batch * steps, cfg_.d_model});
            const Var<T, B> f = block.dense ? block.dense->forward(tape, h) : block.moe->forward(tape, h);
            x = add(tape, x, reshape(tape, f, {batch, steps, cfg_.d_model}));
        }
        return rmsnorm(tape, x, final_norm_, eps);
    }

    /// Mean next-token cross-entropy; a target of −1 is ignored (padding, prompt tokens).
    Var<T, B> loss(Tape* tape, const Ids<B>& ids, const Ids<B>& targets) {
        return cross_entropy(tape, forward(tape, ids), targets);
    }

    /// Σ over MoE blocks of their sequence-wise balance loss for the last forward (0 if α = 0).
    Var<T, B> balance_loss(Tape* tape) const {
        Var<T, B> total(Tensor<T, B>::zeros(Shape{}));
        for (const Block<T, B>& block : blocks_)
            if (block.moe) total = add(tape, total, block.moe->balance_loss(tape));
        return total;
    }

    /// Aux-loss-free balancing after an optimizer step: every MoE block nudges its bias.
    void update_balance_biases() {
        for (Block<T, B>& block : blocks_)
            if (block.moe) block.moe->update_balance_bias();
    }

    /// The same from loads counted over several forwards: one per MoE block, as expert_load().
    void update_balance_biases(const std::vector<std::vector<std::int64_t>>& loads) {
        std::size_t i = 0;
        for (Block<T, B>& block : blocks_) {
            if (!block.moe) continue;
            require(i < loads.size(), "Transformer::update_balance_biases: ", loads.size(),
                    " loads, expected one per MoE block");
            block.moe->update_balance_bias(loads[i++]);
        }
        require(i == loads.size(), "Transformer::update_balance_biases: ", loads.size(), " loads for ", i, " MoE blocks");
    }

    /// Per MoE block, the tokens each routed expert received in the last forward.
    std::vector<std::vector<std::int64_t>> expert_load() const {
        std::vector<std::vector<std::int64_t>> loads;
        for (const Block<T, B>& block : blocks_)
            if (block.moe) loads.push_back(block.moe->expert_load());
        return loads;
    }

    /// Every trainable tensor with a stable name (the checkpoint keys), in a fixed order.
    std::vector<std::pair<std::string, Var<T, B>>> named_params() const {
        std::vector<std::pair<std::string, Var<T, B>>> out = {{"embed.weight", embed_}};
        for (std::size_t i = 0; i < blocks_.size(); ++i) {
            const Block<T, B>& block = blocks_[i];
            const std::string prefix = "layers." + std::to_string(i) + ".";
            out.push_back({prefix + "attn_norm.weight", block.attn_norm});
            for (auto& p : block.attn.named_params(prefix + "attn.")) out.push_back(p);
            out.push_back({prefix + "ffn_norm.weight", block.ffn_norm});
            const auto ffn = block.dense ? block.dense->named_params(prefix + "ffn.")
                                         : block.moe->named_params(prefix + "ffn.");
            for (auto& p : ffn) out.push_back(p);
        }
        out.push_back({"norm.weight", final_norm_});
        if (!cfg_.tied_head) out.push_back({"head.weight", head_});
        return out;
    }

    /// Every parameter, in named_params() order.
    std::vector<Var<T, B>> params() const {
        std::vector<Var<T, B>> out;
        for (auto& named : named_params()) out.push_back(named.second);
        return out;
    }

    /// The number of weights in all parameters.
    std::int64_t parameter_count() const {
        std::int64_t n = 0;
        for (auto& named : named_params()) n += named.second.numel();
        return n;
    }

    const TransformerConfig& config() const { return cfg_; }  ///< the model's config
    std::vector<Block<T, B>>& blocks() { return blocks_; }  ///< the blocks, writable
    const std::vector<Block<T, B>>& blocks() const { return blocks_; }  ///< the blocks

private:
    MoEConfig moe_config() const {
        MoEConfig m;
        m.d_model = cfg_.d_model;
        m.n_routed_experts = cfg_.n_routed_experts;
        m.n_shared_experts = cfg_.n_shared_experts;
        m.experts_per_token = cfg_.experts_per_token;
        m.expert_hidden = cfg_.expert_hidden;
        m.route_scale = cfg_.route_scale;
        m.n_groups = cfg_.n_groups;
        m.topk_groups = cfg_.topk_groups;
        m.balance_loss_alpha = cfg_.balance_loss_alpha;
        m.bias_update_speed = cfg_.bias_update_speed;
        m.init_std = cfg_.init_std;
        return m;
    }

    TransformerConfig cfg_;
    Var<T, B> embed_;  ///< (V, C)
    std::vector<Block<T, B>> blocks_;
    Var<T, B> final_norm_;  ///< (C)
    Var<T, B> head_;        ///< (C, V); undefined when tied to embed_
};

}  // namespace grpo

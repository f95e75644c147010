// TransformerConfig: every size of the DeepSeek-V3-style model in one struct, like nanoGPT's
// GPTConfig and DeepSeek-V3's ModelArgs (inference/model.py), whose names it keeps where they
// exist (n_dense_layers, n_routed_experts, n_shared_experts, route_scale, n_groups). The
// defaults are the library's reference config: V 64, d 128, 4 layers (1 dense), 4 heads,
// 8 routed experts top-2 + 1 shared, expert hidden 128, dense hidden 256, context 64.
#pragma once

#include "grpo/core/error.hpp"

namespace grpo {

/// Every size of the DeepSeek-V3-style model; the defaults are the library's reference config.
struct TransformerConfig {
    int vocab_size = 64;  ///< V: tokens in the vocabulary
    int d_model = 128;  ///< d: width of the residual stream
    int n_layers = 4;  ///< transformer blocks
    int n_heads = 4;  ///< attention heads
    int head_dim = 32;  ///< size of each head
    int n_dense_layers = 1;      ///< the first blocks use a dense FFN (DeepSeek-V3: 3 of 61)
    int dense_hidden = 256;      ///< hidden size of the dense FFN
    int n_routed_experts = 8;  ///< routed experts per MoE block
    int n_shared_experts = 1;  ///< shared experts per MoE block, seen by every token
    int experts_per_token = 2;   ///< top-k (DeepSeek-V3's n_activated_experts)
    int expert_hidden = 128;     ///< hidden size of each expert (DeepSeek-V3's moe_inter_dim)
    double route_scale = 1.0;  ///< factor on the routed experts' gate weights (DeepSeek-V3's route_scale)
    /// group-limited routing; 1, 1 = off
    ///@{
    int n_groups = 1, topk_groups = 1;
    ///@}
    double balance_loss_alpha = 0.0;    ///< sequence-wise balance loss weight (V3: 0.0001)
    double bias_update_speed = 0.001;   ///< γ of the aux-loss-free bias update (V3 §2.1.2)
    int max_seq_len = 64;  ///< the longest sequence (context) the model takes
    double rope_theta = 10000.0;  ///< RoPE's base θ
    double norm_eps = 1e-6;  ///< RMSNorm's ε
    bool tied_head = false;      ///< the LM head reuses the embedding matrix
    double init_std = 0.02;      ///< N(0, 0.02) for every weight matrix, as GPT-2 and nanoGPT

    /// Throws naming the first offending field.
    void validate() const {
        const auto positive = [](int value, const char* field) {
            require(value > 0, "TransformerConfig: ", field, " = ", value, ", expected > 0");
        };
        positive(vocab_size, "vocab_size");
        positive(d_model, "d_model");
        positive(n_layers, "n_layers");
        positive(n_heads, "n_heads");
        positive(head_dim, "head_dim");
        positive(max_seq_len, "max_seq_len");
        require(head_dim % 2 == 0, "TransformerConfig: head_dim = ", head_dim,
                ", expected an even number (RoPE rotates pairs)");
        require(n_dense_layers >= 0 && n_dense_layers <= n_layers, "TransformerConfig: n_dense_layers = ",
                n_dense_layers, ", expected 0..n_layers (", n_layers, ")");
        if (n_dense_layers > 0) positive(dense_hidden, "dense_hidden");
        if (n_dense_layers < n_layers) {  // there are MoE blocks
            positive(n_routed_experts, "n_routed_experts");
            positive(expert_hidden, "expert_hidden");
            require(experts_per_token >= 1 && experts_per_token <= n_routed_experts,
                    "TransformerConfig: experts_per_token = ", experts_per_token, ", expected 1..n_routed_experts (",
                    n_routed_experts, ")");
            require(n_shared_experts >= 0, "TransformerConfig: n_shared_experts = ", n_shared_experts,
                    ", expected >= 0");
            require(n_groups >= 1 && n_routed_experts % n_groups == 0, "TransformerConfig: n_groups = ",
                    n_groups, " does not divide n_routed_experts = ", n_routed_experts);
            require(topk_groups >= 1 && topk_groups <= n_groups, "TransformerConfig: topk_groups = ",
                    topk_groups, ", expected 1..n_groups (", n_groups, ")");
            require(route_scale > 0, "TransformerConfig: route_scale = ", route_scale, ", expected > 0");
        }
        require(rope_theta > 0, "TransformerConfig: rope_theta = ", rope_theta, ", expected > 0");
        require(norm_eps > 0, "TransformerConfig: norm_eps = ", norm_eps, ", expected > 0");
        require(init_std > 0, "TransformerConfig: init_std = ", init_std, ", expected > 0");
    }
};

}  // namespace grpo

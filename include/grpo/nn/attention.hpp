// CausalSelfAttention: multi-head self-attention with rotary positions and an optional KV
// cache (Vaswani et al. 2017 §3.2.2; RoPE, Su et al. 2021; the layout of nanoGPT's
// CausalSelfAttention and DeepSeek-V3's MHA without its low-rank (MLA) compression, which a
// model this small does not need).
//   q, k, v = x·Wq, x·Wk, x·Wv        x: (B, T, C) -> (B, T, H, D) each
//   q, k    = rope(q, k) at positions p0..p0+T−1 (p0 = tokens already in the cache)
//   y       = attention(q, [cache k; k], [cache v; v]) · Wo      -> (B, T, C)
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/attention.hpp"
#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/norm_rope.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/kv_cache.hpp"

namespace grpo {

/// Multi-head causal self-attention with RoPE and an optional KV cache.
template <class T, class B>
class CausalSelfAttention {
public:
    /// Weights drawn from N(0, init_std²) from `rng`; head_dim must be even (RoPE rotates pairs).
    CausalSelfAttention(int d_model, int n_heads, int head_dim, double rope_theta, Rng& rng,
                        double init_std = 0.02)
        : heads_(n_heads), head_dim_(head_dim), rope_theta_(rope_theta) {
        require(d_model > 0 && n_heads > 0 && head_dim > 0 && head_dim % 2 == 0,
                "CausalSelfAttention: d_model ", d_model, ", heads ", n_heads, ", head_dim ",
                head_dim, ": expected positive sizes and an even head_dim (RoPE rotates pairs)");
        const std::int64_t inner = static_cast<std::int64_t>(n_heads) * head_dim;
        wq_ = Var<T, B>::param(Tensor<T, B>::randn({d_model, inner}, rng, init_std));
        wk_ = Var<T, B>::param(Tensor<T, B>::randn({d_model, inner}, rng, init_std));
        wv_ = Var<T, B>::param(Tensor<T, B>::randn({d_model, inner}, rng, init_std));
        wo_ = Var<T, B>::param(Tensor<T, B>::randn({inner, d_model}, rng, init_std));
    }

    /// x: (B, T, C) -> (B, T, C). With a cache (inference only, no tape), the new keys and
    /// values are appended to it and the queries see everything cached before them.
    Var<T, B> forward(Tape* tape, const Var<T, B>& x, KVCache<T, B>* cache = nullptr) const {
        require(!(tape && cache), "CausalSelfAttention: a KV cache is for inference; pass no tape");
        require(x.shape().rank == 3, "CausalSelfAttention: x has shape ", x.shape(), ", expected (B, T, C)");
        const std::int64_t batch = x.shape().dim[0], steps = x.shape().dim[1];
        const Shape heads{batch, steps, heads_, head_dim_};
        const std::int64_t start = cache ? cache->length() : 0;
        const Var<T, B> q = rope(tape, reshape(tape, matmul(tape, x, wq_), heads), start, rope_theta_);
        Var<T, B> k = rope(tape, reshape(tape, matmul(tape, x, wk_), heads), start, rope_theta_);
        Var<T, B> v = reshape(tape, matmul(tape, x, wv_), heads);
        if (cache) {
            cache->append(k.value(), v.value());
            k = Var<T, B>(cache->k);
            v = Var<T, B>(cache->v);
        }
        const Var<T, B> y = attention(tape, q, k, v);  // (B, T, H, D)
        return matmul(tape, reshape(tape, y, {batch, steps, heads_ * head_dim_}), wo_);
    }

    /// The weights under their checkpoint names, each prefixed by `prefix`.
    std::vector<std::pair<std::string, Var<T, B>>> named_params(const std::string& prefix) const {
        return {{prefix + "wq", wq_}, {prefix + "wk", wk_}, {prefix + "wv", wv_}, {prefix + "wo", wo_}};
    }

private:
    std::int64_t heads_, head_dim_;
    double rope_theta_;
    Var<T, B> wq_, wk_, wv_, wo_;  ///< (C, H·D) ×3, (H·D, C)
};

}  // namespace grpo

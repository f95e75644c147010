// FeedForward: the SwiGLU feed-forward network (Shazeer 2020, "GLU Variants Improve
// Transformer"), DeepSeek-V3's MLP and Expert (arXiv 2412.19437 §2.1.2; inference/model.py MLP,
// Expert): out = w2(silu(w1(x)) * w3(x)). Used for the dense blocks, for each routed expert and
// for each shared expert of the MoE layer (nn/moe.hpp).
//   w1 (d, h)  the gate projection     w3 (d, h)  the up projection     w2 (h, d)  the down projection
// Weights are stored (in, out), so a row of x multiplies them directly: x·w1 (no transpose).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/activation.hpp"
#include "grpo/autograd/linear.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"

namespace grpo {

/// The SwiGLU feed-forward network: out = w2(silu(w1(x)) * w3(x)).
template <class T, class B>
class FeedForward {
public:
    FeedForward() = default;
    /// Every weight drawn from N(0, std²) with std = 0.02 by default (GPT-2's initialisation, as
    /// nanoGPT's _init_weights), in the order w1, w3, w2 from the caller's rng.
    FeedForward(std::int64_t d_model, std::int64_t hidden, Rng& rng, double std = 0.02) {
        require(d_model > 0 && hidden > 0, "FeedForward: d_model = ", d_model, " and hidden = ", hidden,
                " must both be > 0");
        w1_ = Var<T, B>::param(Tensor<T, B>::randn({d_model, hidden}, rng, std));
        w3_ = Var<T, B>::param(Tensor<T, B>::randn({d_model, hidden}, rng, std));
        w2_ = Var<T, B>::param(Tensor<T, B>::randn({hidden, d_model}, rng, std));
    }

    std::int64_t d_model() const { return w1_.shape().dim[0]; }  ///< input and output width
    std::int64_t hidden() const { return w1_.shape().dim[1]; }  ///< hidden width

    /// x (..., d) -> (..., d):  (silu(x·w1) ⊙ (x·w3))·w2   (Shazeer 2020 eq. 6, FFN_SwiGLU)
    Var<T, B> forward(Tape* tape, const Var<T, B>& x) const {
        require(w1_.numel() > 0, "FeedForward::forward: the layer was default-constructed (no weights)");
        require(x.shape().rank >= 2 && x.shape().last() == d_model(), "FeedForward::forward: x ", x.shape(),
                " must be (N, ", d_model(), ")");
        const Var<T, B> gate = matmul(tape, x, w1_);  // (..., h)
        const Var<T, B> up = matmul(tape, x, w3_);    // (..., h)
        return matmul(tape, swiglu(tape, gate, up), w2_);
    }

    /// (prefix + "w1", w1), (prefix + "w2", w2), (prefix + "w3", w3)
    std::vector<std::pair<std::string, Var<T, B>>> named_params(const std::string& prefix = "") const {
        return {{prefix + "w1", w1_}, {prefix + "w2", w2_}, {prefix + "w3", w3_}};
    }

    const Var<T, B>& w1() const { return w1_; }  ///< the gate projection (d, h)
    const Var<T, B>& w2() const { return w2_; }  ///< the down projection (h, d)
    const Var<T, B>& w3() const { return w3_; }  ///< the up projection (d, h)

private:
    Var<T, B> w1_, w3_, w2_;
};

}  // namespace grpo

// KVCache: the keys and values of the tokens a layer has already seen, so that decoding one new
// token costs one token's projections instead of re-running the whole prefix (the trick every
// LLM sampler uses; it is exact because causal attention never lets old tokens see new ones).
// Here the cache of a layer is simply the keys and values so far, (B, S, H, D), grown by
// appending each step's (B, T, H, D) along the sequence axis. Appending copies the S old rows,
// the same order of work as the attention over them that follows; a preallocated ring buffer
// would save the copy at the price of a strided attention kernel. Caches are for inference
// only: no tape ever sees them.
#pragma once

#include <cstdint>

#include "grpo/core/error.hpp"
#include "grpo/core/tensor.hpp"

namespace grpo {

/// One layer's keys and values so far, grown along the sequence axis while decoding.
template <class T, class B>
struct KVCache {
    /// (B, S, H, D) each; undefined until the first append
    ///@{
    Tensor<T, B> k, v;
    ///@}

    std::int64_t length() const { return k.defined() ? k.shape().dim[1] : 0; }  ///< S: the tokens cached

    /// Appends new keys and values (B, T, H, D) after the cached ones.
    void append(const Tensor<T, B>& new_k, const Tensor<T, B>& new_v) {
        k = concat_sequence(k, new_k);
        v = concat_sequence(v, new_v);
    }

    void clear() { k = {}, v = {}; }  ///< drops every cached token

private:
    /// [old; new] along axis 1 of (B, S, H, D) tensors: per batch row, S·H·D old values then
    /// T·H·D new ones.
    static Tensor<T, B> concat_sequence(const Tensor<T, B>& old, const Tensor<T, B>& add) {
        const Shape& sa = add.shape();
        require(sa.rank == 4, "KVCache: appended keys have shape ", sa, ", expected (B, T, H, D)");
        if (!old.defined()) return add.clone();
        const Shape& so = old.shape();
        require(so.dim[0] == sa.dim[0] && so.dim[2] == sa.dim[2] && so.dim[3] == sa.dim[3],
                "KVCache: appended keys ", sa, " do not fit the cache ", so);
        const std::int64_t batch = so.dim[0], old_row = so.numel() / batch, add_row = sa.numel() / batch;
        Tensor<T, B> out = Tensor<T, B>::empty({batch, so.dim[1] + sa.dim[1], so.dim[2], so.dim[3]});
        for (std::int64_t b = 0; b < batch; ++b) {
            B::copy(old.data() + b * old_row, out.data() + b * (old_row + add_row), old_row);
            B::copy(add.data() + b * add_row, out.data() + b * (old_row + add_row) + old_row, add_row);
        }
        return out;
    }
};

}  // namespace grpo

// End-to-end gradient checks of composed networks: every parameter's tape gradient against
// central finite differences of the whole net, in double.
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

#include "op_gradchecks.hpp"

using gradchecks::param;
using gradchecks::V;
using grpo::Cpu;
using grpo::Tape;

// y = W2·silu(W1·x + b1) + b2, loss = cross-entropy against fixed classes.
TEST_CASE("gradcheck a 2-layer MLP end to end") {
    grpo::Rng rng(21);
    const auto classes = grpo::Ids<Cpu>::from({4}, {0, 2, 1, 2});
    auto net = [classes](Tape* t, std::vector<V<Cpu>>& p) {
        auto h = grpo::silu(t, grpo::add(t, grpo::matmul(t, p[0], p[1]), p[2]));  // (4, 5)
        auto y = grpo::add(t, grpo::matmul(t, h, p[3]), p[4]);                    // (4, 3)
        return grpo::cross_entropy(t, y, classes);
    };
    gradchecks::check<Cpu>("mlp", net,
                           {param<Cpu>({4, 6}, rng), param<Cpu>({6, 5}, rng, 0.5), param<Cpu>({5}, rng),
                            param<Cpu>({5, 3}, rng, 0.5), param<Cpu>({3}, rng)},
                           rng);
}

// A pre-norm transformer block on embedded tokens, with a tied output head:
//   x = embed(ids);  n1 = rmsnorm(x, g1)
//   h = x + attn(rope(n1·Wq), rope(n1·Wk), n1·Wv)·Wo
//   y = h + swiglu(n2·W1, n2·W3)·W2,  n2 = rmsnorm(h, g2)
//   loss = −mean of the log-probs of the next tokens under y·Eᵀ
TEST_CASE("gradcheck a 1-block attention net end to end") {
    grpo::Rng rng(22);
    constexpr std::int64_t Bn = 2, T = 3, H = 2, D = 2, C = H * D, F = 6, Vocab = 5;
    const auto ids = grpo::Ids<Cpu>::from({Bn, T}, {1, 4, 2, 0, 3, 3});
    const auto next = grpo::Ids<Cpu>::from({Bn, T}, {4, 2, 0, 3, 3, 1});
    auto net = [ids, next](Tape* t, std::vector<V<Cpu>>& p) {
        const V<Cpu>&emb = p[0], &g1 = p[1], &wq = p[2], &wk = p[3], &wv = p[4], &wo = p[5], &g2 = p[6],
              &w1 = p[7], &w3 = p[8], &w2 = p[9];
        auto heads = [t](const V<Cpu>& y) { return grpo::reshape(t, y, {Bn, T, H, D}); };
        auto x = grpo::embedding(t, ids, emb);                                   // (B, T, C)
        auto n1 = grpo::rmsnorm(t, x, g1);                                       // (B, T, C)
        auto q = grpo::rope(t, heads(grpo::matmul(t, n1, wq)));                  // (B, T, H, D)
        auto k = grpo::rope(t, heads(grpo::matmul(t, n1, wk)));                  // (B, T, H, D)
        auto v = heads(grpo::matmul(t, n1, wv));                                 // (B, T, H, D)
        auto a = grpo::reshape(t, grpo::attention(t, q, k, v), {Bn, T, C});      // (B, T, C)
        auto h = grpo::add(t, x, grpo::matmul(t, a, wo));                        // (B, T, C)
        auto n2 = grpo::rmsnorm(t, h, g2);                                       // (B, T, C)
        auto f = grpo::swiglu(t, grpo::matmul(t, n2, w1), grpo::matmul(t, n2, w3));  // (B, T, F)
        auto y = grpo::add(t, h, grpo::matmul(t, f, w2));                        // (B, T, C)
        auto logits = grpo::matmul(t, y, emb, false, true);                      // (B, T, V)
        return grpo::scale(t, grpo::mean(t, grpo::token_logprobs(t, logits, next)), -1.0);
    };
    gradchecks::check<Cpu>("attention block", net,
                           {param<Cpu>({Vocab, C}, rng), param<Cpu>({C}, rng), param<Cpu>({C, C}, rng, 0.5),
                            param<Cpu>({C, C}, rng, 0.5), param<Cpu>({C, C}, rng, 0.5), param<Cpu>({C, C}, rng, 0.5),
                            param<Cpu>({C}, rng), param<Cpu>({C, F}, rng, 0.5), param<Cpu>({C, F}, rng, 0.5),
                            param<Cpu>({F, C}, rng, 0.5)},
                           rng);
}

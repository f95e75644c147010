// Finite-difference checks of every differentiable op, written once as templates on the
// backend B: test_autograd_ops.cpp instantiates them for Cpu, and a CUDA test can instantiate
// the same functions for Cuda. All checks run in double: relative error ≤ 1e-6.
#pragma once

#include <doctest/doctest.h>

#include <grpo/autograd/attention.hpp>
#include <grpo/autograd/gradcheck.hpp>
#include <grpo/autograd/norm_rope.hpp>
#include <grpo/autograd/routing.hpp>
#include <grpo/autograd/vocab.hpp>
#include <grpo/autograd/activation.hpp>
#include <grpo/autograd/linear.hpp>
#include <grpo/autograd/reduce.hpp>
#include <grpo/autograd/tape.hpp>
#include <vector>

namespace gradchecks {

template <class B>
using V = grpo::Var<double, B>;
using grpo::Shape;
using grpo::Tape;

constexpr double kTol = 1e-6;

template <class B>
V<B> param(Shape s, grpo::Rng& rng, double std = 1.0) {
    return V<B>::param(grpo::Tensor<double, B>::randn(s, rng, std));
}

// Checks f's gradient with respect to every input against finite differences.
template <class B, class F>
void check(const char* what, F f, std::vector<V<B>> inputs, grpo::Rng& rng) {
    const std::vector<double> errors = grpo::gradient_errors<double, B>(f, inputs, rng);
    for (std::size_t i = 0; i < errors.size(); ++i) {
        INFO(what, ": input ", i, " of shape ", inputs[i].shape(), ", relative error ", errors[i]);
        CHECK(errors[i] <= kTol);
    }
}

template <class B>
void check_matmul() {
    grpo::Rng rng(1);
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            auto f = [ta, tb](Tape* t, std::vector<V<B>>& in) { return grpo::matmul(t, in[0], in[1], ta, tb); };
            // 2-D, non-square; size-1 dims; rank 3 and 4 with a shared weight; batched b.
            check<B>("matmul 2d", f, {param<B>(ta ? Shape{4, 3} : Shape{3, 4}, rng), param<B>(tb ? Shape{5, 4} : Shape{4, 5}, rng)}, rng);
            check<B>("matmul size-1", f, {param<B>(Shape{1, 1}, rng), param<B>(tb ? Shape{3, 1} : Shape{1, 3}, rng)}, rng);
            check<B>("matmul shared b", f, {param<B>(ta ? Shape{2, 1, 4, 3} : Shape{2, 1, 3, 4}, rng), param<B>(tb ? Shape{2, 4} : Shape{4, 2}, rng)}, rng);
            check<B>("matmul batched", f, {param<B>(ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, rng), param<B>(tb ? Shape{2, 5, 4} : Shape{2, 4, 5}, rng)}, rng);
        }
}

template <class B>
void check_add() {
    grpo::Rng rng(2);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::add(t, in[0], in[1]); };
    check<B>("add same shape", f, {param<B>({3, 4}, rng), param<B>({3, 4}, rng)}, rng);
    check<B>("add bias", f, {param<B>({2, 3, 4}, rng), param<B>({4}, rng)}, rng);
    check<B>("add trailing 2-d", f, {param<B>({2, 3, 1}, rng), param<B>({3, 1}, rng)}, rng);
    // The same input twice: both gradients accumulate into one slot.
    auto twice = [](Tape* t, std::vector<V<B>>& in) { return grpo::add(t, in[0], in[0]); };
    check<B>("add x + x", twice, {param<B>({2, 5}, rng)}, rng);
}

template <class B>
void check_mul_scale() {
    grpo::Rng rng(3);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::mul(t, in[0], in[1]); };
    check<B>("mul", f, {param<B>({3, 4}, rng), param<B>({3, 4}, rng)}, rng);
    check<B>("mul size-1", f, {param<B>({1}, rng), param<B>({1}, rng)}, rng);
    auto square = [](Tape* t, std::vector<V<B>>& in) { return grpo::mul(t, in[0], in[0]); };
    check<B>("mul x * x", square, {param<B>({2, 1, 3}, rng)}, rng);
    auto g = [](Tape* t, std::vector<V<B>>& in) { return grpo::scale(t, in[0], -2.5); };
    check<B>("scale", g, {param<B>({2, 3}, rng)}, rng);
    auto r = [](Tape* t, std::vector<V<B>>& in) { return grpo::mul(t, grpo::reshape(t, in[0], {3, 2}), in[1]); };
    check<B>("reshape", r, {param<B>({2, 3}, rng), param<B>({3, 2}, rng)}, rng);
}

template <class B>
void check_silu_swiglu() {
    grpo::Rng rng(4);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::silu(t, in[0]); };
    check<B>("silu", f, {param<B>({3, 5}, rng, 2.0)}, rng);
    check<B>("silu size-1", f, {param<B>({1, 1}, rng, 2.0)}, rng);
    auto g = [](Tape* t, std::vector<V<B>>& in) { return grpo::swiglu(t, in[0], in[1]); };
    check<B>("swiglu", g, {param<B>({2, 3, 4}, rng, 2.0), param<B>({2, 3, 4}, rng)}, rng);
    check<B>("swiglu size-1", g, {param<B>({1, 7}, rng, 2.0), param<B>({1, 7}, rng)}, rng);
}

template <class B>
void check_sum_mean() {
    grpo::Rng rng(5);
    auto s = [](Tape* t, std::vector<V<B>>& in) { return grpo::sum(t, in[0]); };
    auto m = [](Tape* t, std::vector<V<B>>& in) { return grpo::mean(t, in[0]); };
    check<B>("sum", s, {param<B>({3, 4}, rng)}, rng);
    check<B>("mean", m, {param<B>({2, 1, 3}, rng)}, rng);
    const auto mask = grpo::Tensor<double, B>::from({2, 3}, {1, 1, 0, 1, 0, 0});
    auto ms = [mask](Tape* t, std::vector<V<B>>& in) { return grpo::masked_sum(t, in[0], mask); };
    auto mm = [mask](Tape* t, std::vector<V<B>>& in) { return grpo::masked_mean(t, in[0], mask); };
    check<B>("masked_sum", ms, {param<B>({2, 3}, rng)}, rng);
    check<B>("masked_mean", mm, {param<B>({2, 3}, rng)}, rng);
}

template <class B>
grpo::Ids<B> ids(Shape s, const std::vector<std::int32_t>& v) {
    return grpo::Ids<B>::from(s, v);
}

template <class B>
void check_rmsnorm() {
    grpo::Rng rng(6);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::rmsnorm(t, in[0], in[1], 1e-5); };
    check<B>("rmsnorm", f, {param<B>({2, 3, 5}, rng), param<B>({5}, rng)}, rng);
    check<B>("rmsnorm one row", f, {param<B>({1, 4}, rng), param<B>({4}, rng)}, rng);
    check<B>("rmsnorm C = 1", f, {param<B>({3, 1}, rng), param<B>({1}, rng)}, rng);
}

template <class B>
void check_rope() {
    grpo::Rng rng(7);
    for (auto style : {grpo::RopeStyle::interleaved, grpo::RopeStyle::half}) {
        auto f = [style](Tape* t, std::vector<V<B>>& in) { return grpo::rope(t, in[0], 0, 10000.0, style); };
        auto g = [style](Tape* t, std::vector<V<B>>& in) { return grpo::rope(t, in[0], 5, 100.0, style); };
        check<B>("rope", f, {param<B>({2, 3, 2, 4}, rng)}, rng);
        check<B>("rope offset, size-1", g, {param<B>({1, 1, 1, 2}, rng)}, rng);
        check<B>("rope offset", g, {param<B>({1, 4, 3, 6}, rng)}, rng);
    }
}

template <class B>
void check_attention() {
    grpo::Rng rng(8);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::attention(t, in[0], in[1], in[2]); };
    check<B>("attention", f, {param<B>({2, 3, 2, 4}, rng), param<B>({2, 3, 2, 4}, rng), param<B>({2, 3, 2, 4}, rng)}, rng);
    check<B>("attention one token", f, {param<B>({1, 1, 1, 3}, rng), param<B>({1, 1, 1, 3}, rng), param<B>({1, 1, 1, 3}, rng)}, rng);
    // KV prefix: 2 queries after 3 cached positions.
    check<B>("attention with KV prefix", f, {param<B>({1, 2, 3, 2}, rng), param<B>({1, 5, 3, 2}, rng), param<B>({1, 5, 3, 2}, rng)}, rng);
}

template <class B>
void check_embedding() {
    grpo::Rng rng(9);
    const auto tokens = ids<B>({2, 3}, {4, 0, 4, 1, 4, 2});  // id 4 three times: accumulates
    auto f = [tokens](Tape* t, std::vector<V<B>>& in) { return grpo::embedding(t, tokens, in[0]); };
    check<B>("embedding", f, {param<B>({5, 3}, rng)}, rng);
    const auto one = ids<B>({1}, {0});
    auto g = [one](Tape* t, std::vector<V<B>>& in) { return grpo::embedding(t, one, in[0]); };
    check<B>("embedding one token", g, {param<B>({1, 1}, rng)}, rng);
}

template <class B>
void check_log_softmax() {
    grpo::Rng rng(10);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::log_softmax(t, in[0]); };
    check<B>("log_softmax", f, {param<B>({2, 3, 5}, rng, 2.0)}, rng);
    check<B>("log_softmax V = 1", f, {param<B>({3, 1}, rng)}, rng);
}

template <class B>
void check_token_logprobs() {
    grpo::Rng rng(11);
    const auto targets = ids<B>({2, 3}, {0, 6, 2, 2, 5, 1});
    auto f = [targets](Tape* t, std::vector<V<B>>& in) { return grpo::token_logprobs(t, in[0], targets); };
    check<B>("token_logprobs", f, {param<B>({2, 3, 7}, rng, 2.0)}, rng);
    const auto one = ids<B>({1}, {1});
    auto g = [one](Tape* t, std::vector<V<B>>& in) { return grpo::token_logprobs(t, in[0], one); };
    check<B>("token_logprobs one row", g, {param<B>({1, 2}, rng)}, rng);
}

template <class B>
void check_cross_entropy() {
    grpo::Rng rng(12);
    const auto targets = ids<B>({4}, {3, -1, 0, 3});  // -1: ignored row
    auto f = [targets](Tape* t, std::vector<V<B>>& in) { return grpo::cross_entropy(t, in[0], targets); };
    check<B>("cross_entropy", f, {param<B>({4, 5}, rng, 2.0)}, rng);
    const auto one = ids<B>({1, 1}, {0});
    auto g = [one](Tape* t, std::vector<V<B>>& in) { return grpo::cross_entropy(t, in[0], one); };
    check<B>("cross_entropy one row", g, {param<B>({1, 1, 3}, rng)}, rng);
}

template <class B>
void check_topk_gather() {
    grpo::Rng rng(13);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::topk(t, in[0], 2).values; };
    check<B>("topk", f, {param<B>({3, 5}, rng)}, rng);
    auto g = [](Tape* t, std::vector<V<B>>& in) { return grpo::topk(t, in[0], 1).values; };
    check<B>("topk k = 1", g, {param<B>({2, 1, 4}, rng)}, rng);
    const auto idx = ids<B>({2, 3}, {1, 1, 0, 2, 0, 2});  // repeated index: accumulates
    auto h = [idx](Tape* t, std::vector<V<B>>& in) { return grpo::gather_last(t, in[0], idx); };
    check<B>("gather_last", h, {param<B>({2, 3}, rng)}, rng);
}

template <class B>
void check_dispatch_combine() {
    grpo::Rng rng(14);
    const auto idx = ids<B>({5}, {2, 0, 2, 3, 0});  // token rows sent to 5 expert slots
    auto f = [idx](Tape* t, std::vector<V<B>>& in) { return grpo::gather_rows(t, in[0], idx); };
    check<B>("gather_rows", f, {param<B>({4, 3}, rng)}, rng);
    auto g = [idx](Tape* t, std::vector<V<B>>& in) { return grpo::scatter_add_rows(t, in[0], in[1], idx, 4); };
    check<B>("scatter_add_rows", g, {param<B>({5, 3}, rng), param<B>({5}, rng)}, rng);
    const auto one = ids<B>({1}, {0});
    auto h = [one](Tape* t, std::vector<V<B>>& in) { return grpo::scatter_add_rows(t, in[0], in[1], one, 2); };
    check<B>("scatter_add_rows one row", h, {param<B>({1, 1}, rng), param<B>({1}, rng)}, rng);
}

template <class B>
void check_sigmoid() {
    grpo::Rng rng(15);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::sigmoid(t, in[0]); };
    check<B>("sigmoid", f, {param<B>({3, 5}, rng, 2.0)}, rng);
    check<B>("sigmoid size-1", f, {param<B>({1}, rng, 2.0)}, rng);
}

template <class B>
void check_softmax_normalize_rows() {
    grpo::Rng rng(16);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::softmax(t, in[0]); };
    check<B>("softmax", f, {param<B>({2, 3, 5}, rng, 2.0)}, rng);
    check<B>("softmax E = 1", f, {param<B>({3, 1}, rng)}, rng);
    // Positive rows (as the chosen sigmoid scores are), away from a zero sum.
    auto positive = [](grpo::Rng& r, Shape s) {
        return V<B>::param(grpo::Tensor<double, B>::uniform(s, r, 0.1, 1.0));
    };
    auto g = [](Tape* t, std::vector<V<B>>& in) { return grpo::normalize_rows(t, in[0]); };
    check<B>("normalize_rows", g, {positive(rng, {4, 3})}, rng);
    check<B>("normalize_rows one column", g, {positive(rng, {2, 1})}, rng);
    // Used inside a chain: sigmoid, then renormalise (the V3 gate weights).
    auto h = [](Tape* t, std::vector<V<B>>& in) { return grpo::normalize_rows(t, grpo::sigmoid(t, in[0])); };
    check<B>("normalize_rows of sigmoid", h, {param<B>({3, 2}, rng)}, rng);
}

template <class B>
void check_concat_rows() {
    grpo::Rng rng(17);
    auto f = [](Tape* t, std::vector<V<B>>& in) { return grpo::concat_rows<double, B>(t, {in[0], in[1], in[0]}); };
    check<B>("concat_rows, a part twice", f, {param<B>({2, 3}, rng), param<B>({1, 3}, rng)}, rng);
    auto g = [](Tape* t, std::vector<V<B>>& in) { return grpo::concat_rows<double, B>(t, {in[0]}); };
    check<B>("concat_rows one part", g, {param<B>({1, 1}, rng)}, rng);
}

}  // namespace gradchecks

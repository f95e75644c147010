// Finite-difference checks of every differentiable op, written once as templates on the
// backend B: test_autograd_ops.cpp instantiates them for Cpu, and a CUDA test can instantiate
// the same functions for Cuda. All checks run in double: relative error ≤ 1e-6.
#pragma once

#include <doctest/doctest.h>

#include <grpo/autograd/gradcheck.hpp>
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

}  // namespace gradchecks

// Checking hand-written gradients against central finite differences:
//   ∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h,   error O(h²)
// (the "gradient check" of every autograd course; cs231n notes, "Gradient checks"). A function
// f(tape, inputs) -> output is reduced to the scalar L = Σ output ⊙ seed with a random seed, so
// every output element's gradient path is exercised, not only their sum. Use double: in float
// the difference quotient loses most of its digits.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "grpo/autograd/tape.hpp"

namespace grpo {

/// L = Σ output ⊙ seed for f run without a tape.
template <class T, class B, class F>
double seeded_loss(F& f, std::vector<Var<T, B>>& inputs, const std::vector<T>& seed) {
    const std::vector<T> out = f(static_cast<Tape*>(nullptr), inputs).value().to_host();
    double L = 0;
    for (std::size_t i = 0; i < out.size(); ++i) L += static_cast<double>(out[i]) * static_cast<double>(seed[i]);
    return L;
}

/// The central-difference gradient of L with respect to inputs[which], element by element.
template <class T, class B, class F>
std::vector<double> numerical_gradient(F f, std::vector<Var<T, B>>& inputs, std::size_t which,
                                       const std::vector<T>& seed, double h = 1e-5) {
    Tensor<T, B>& x = inputs[which].value();
    std::vector<T> values = x.to_host();
    std::vector<double> grad(values.size());
    for (std::size_t j = 0; j < values.size(); ++j) {
        const T saved = values[j];
        values[j] = static_cast<T>(saved + h);
        x.copy_from_host(values);
        const double plus = seeded_loss(f, inputs, seed);
        values[j] = static_cast<T>(saved - h);
        x.copy_from_host(values);
        const double minus = seeded_loss(f, inputs, seed);
        values[j] = saved;
        x.copy_from_host(values);
        grad[j] = (plus - minus) / (2 * h);
    }
    return grad;
}

/// ‖a − n‖ / max(‖a‖, ‖n‖): the relative error of a whole gradient (0 when both are 0).
inline double relative_error(const std::vector<double>& a, const std::vector<double>& n) {
    double diff = 0, na = 0, nn = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff += (a[i] - n[i]) * (a[i] - n[i]);
        na += a[i] * a[i];
        nn += n[i] * n[i];
    }
    const double scale = std::sqrt(std::max(na, nn));
    return scale == 0 ? 0.0 : std::sqrt(diff) / scale;
}

/// Runs f on a tape, backpropagates a random seed, and returns for each input the relative
/// error between its tape gradient and its finite-difference gradient. Every input must be a
/// Var::param; their gradients are zeroed first.
template <class T, class B, class F>
std::vector<double> gradient_errors(F f, std::vector<Var<T, B>> inputs, Rng& rng, double h = 1e-5) {
    for (auto& x : inputs) {
        require(x.requires_grad(), "gradient_errors: input of shape ", x.shape(), " is not a param");
        x.zero_grad();
    }
    Tape tape;
    const Var<T, B> out = f(&tape, inputs);
    const Tensor<T, B> seed = Tensor<T, B>::randn(out.shape(), rng);
    tape.backward(out, seed);
    const std::vector<T> seed_host = seed.to_host();
    std::vector<double> errors;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::vector<double> analytic(static_cast<std::size_t>(inputs[i].numel()), 0.0);
        if (inputs[i].has_grad()) {
            const std::vector<T> g = inputs[i].grad().to_host();
            std::copy(g.begin(), g.end(), analytic.begin());
        }
        errors.push_back(relative_error(analytic, numerical_gradient(f, inputs, i, seed_host, h)));
    }
    return errors;
}

}  // namespace grpo

// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
// Regularization", ICLR 2019), over a list of parameters (Var::param leaves). Defaults are
// PyTorch's torch.optim.AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
// The moments live beside each parameter on its backend; step() is one fused backend call per
// parameter. Parameters that got no gradient this step are skipped, as PyTorch skips a None grad.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/autograd/tape.hpp"
#include "grpo/core/error.hpp"

namespace grpo {

/// AdamW's hyperparameters; the defaults are PyTorch's.
struct AdamWConfig {
    double lr = 1e-3;  ///< learning rate when step() is given none
    /// The decay rates of the first and second moments.
    ///@{
    double beta1 = 0.9, beta2 = 0.999;
    ///@}
    double eps = 1e-8;  ///< added to sqrt(v) in the denominator
    double weight_decay = 0.01;  ///< decoupled decay: each step multiplies the weights by 1 − lr · weight_decay
};

/// Throws naming the first out-of-range hyperparameter.
inline void validate(const AdamWConfig& c) {
    require(c.lr >= 0 && std::isfinite(c.lr), "AdamWConfig: lr ", c.lr, ", expected a finite value >= 0");
    require(c.beta1 >= 0 && c.beta1 < 1, "AdamWConfig: beta1 ", c.beta1, ", expected 0 <= beta1 < 1");
    require(c.beta2 >= 0 && c.beta2 < 1, "AdamWConfig: beta2 ", c.beta2, ", expected 0 <= beta2 < 1");
    require(c.eps > 0, "AdamWConfig: eps ", c.eps, ", expected > 0");
    require(c.weight_decay >= 0, "AdamWConfig: weight_decay ", c.weight_decay, ", expected >= 0");
}

/// AdamW over a list of parameters, with its moments beside each on its backend.
template <class T, class B>
class AdamW {
public:
    /// Zero moments for every parameter; throws on a bad config or a parameter without a gradient.
    AdamW(std::vector<Var<T, B>> params, AdamWConfig config = {})
        : params_(std::move(params)), config_(config) {
        validate(config_);
        for (const Var<T, B>& p : params_) {
            require(p.requires_grad(), "AdamW: a parameter of shape ", p.shape(),
                    " does not require a gradient (make it with Var::param)");
            m_.push_back(Tensor<T, B>::zeros(p.shape()));
            v_.push_back(Tensor<T, B>::zeros(p.shape()));
        }
    }

    /// One update with the current gradients, at learning rate `lr` (from a schedule) or the
    /// configured one.
    void step(double lr) {
        require(lr >= 0 && std::isfinite(lr), "AdamW::step: lr ", lr, ", expected a finite value >= 0");
        ++steps_;
        const double c1 = 1 - std::pow(config_.beta1, static_cast<double>(steps_));
        const double c2 = 1 - std::pow(config_.beta2, static_cast<double>(steps_));
        for (std::size_t i = 0; i < params_.size(); ++i) {
            Var<T, B>& p = params_[i];
            if (!p.has_grad()) continue;
            B::adamw_step(p.numel(), p.data(), p.grad().data(), m_[i].data(), v_[i].data(), T(lr),
                          T(config_.beta1), T(config_.beta2), T(config_.eps),
                          T(config_.weight_decay), T(c1), T(c2));
        }
    }
    void step() { step(config_.lr); }  ///< one update at the configured lr

    /// Zeroes every parameter's gradient (Var::zero_grad).
    void zero_grad() {
        for (Var<T, B>& p : params_) p.zero_grad();
    }

    /// Resuming: the step count (bias correction) and both moments, e.g. from a checkpoint.
    /// Everything is checked before anything is copied: sizes, finite moments, v >= 0 (a
    /// negative second moment makes the next step's sqrt(v) NaN).
    void restore(std::int64_t steps, const std::vector<std::vector<T>>& m, const std::vector<std::vector<T>>& v) {
        check_restore(steps, m, v);
        for (std::size_t i = 0; i < params_.size(); ++i) {
            m_[i].copy_from_host(m[i]);
            v_[i].copy_from_host(v[i]);
        }
        steps_ = steps;
    }
    /// The checks of restore(), without the copy; throws on the first failure.
    void check_restore(std::int64_t steps, const std::vector<std::vector<T>>& m,
                       const std::vector<std::vector<T>>& v) const {
        require(steps >= 0, "AdamW::restore: steps ", steps, ", expected >= 0");
        require(m.size() == params_.size() && v.size() == params_.size(), "AdamW::restore: ", m.size(),
                " first and ", v.size(), " second moments for ", params_.size(), " parameters");
        for (std::size_t i = 0; i < params_.size(); ++i) {
            const auto n = static_cast<std::size_t>(params_[i].numel());
            require(m[i].size() == n && v[i].size() == n, "AdamW::restore: parameter ", i, " of shape ",
                    params_[i].shape(), " has moments of ", m[i].size(), " and ", v[i].size(), " values, expected ", n);
            for (std::size_t k = 0; k < n; ++k)
                require(std::isfinite(m[i][k]) && std::isfinite(v[i][k]) && v[i][k] >= 0, "AdamW::restore: parameter ",
                        i, " has m = ", m[i][k], ", v = ", v[i][k], " at index ", k, ", expected finite m and v >= 0");
        }
    }

    std::int64_t steps() const { return steps_; }  ///< updates taken (for bias correction)
    const AdamWConfig& config() const { return config_; }  ///< the hyperparameters
    const std::vector<Var<T, B>>& params() const { return params_; }  ///< the parameters updated
    const Tensor<T, B>& first_moment(std::size_t i) const { return m_.at(i); }  ///< m of parameter i
    const Tensor<T, B>& second_moment(std::size_t i) const { return v_.at(i); }  ///< v of parameter i

private:
    std::vector<Var<T, B>> params_;  ///< copies share the parameters' values and gradient slots
    AdamWConfig config_;
    std::vector<Tensor<T, B>> m_, v_;
    std::int64_t steps_ = 0;
};

}  // namespace grpo

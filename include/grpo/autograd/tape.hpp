// Reverse-mode automatic differentiation with an explicit tape, the idea of micrograd's
// engine.py at the granularity of llm.c: every coarse op (matmul, rmsnorm, attention, ...) that
// runs with a Tape records one closure that knows its own hand-written backward; backward(loss)
// runs the closures in reverse order (Griewank & Walther, "Evaluating Derivatives", ch. 3).
//   Var<T, B>  a tensor value plus, when it needs a gradient, a shared gradient slot. Copies of
//              a Var share the slot, so a parameter used twice collects both gradients.
//   Tape       the recorded backward closures of one forward pass. No global state: an op given
//              no tape (nullptr), or only inputs that need no gradient, records nothing, so
//              inference and sampling pay nothing for autograd.
// This header knows no concrete backend: B is a template parameter (Cpu, later Cuda).
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/tensor.hpp"

namespace grpo {

/// A tensor value plus, when it needs a gradient, a gradient slot shared by its copies.
template <class T, class B>
class Var {
public:
    Var() = default;
    /// Wraps `value`; with `requires_grad` it gets a gradient slot.
    explicit Var(Tensor<T, B> value, bool requires_grad = false) : value_(std::move(value)) {
        if (requires_grad) slot_ = std::make_shared<Tensor<T, B>>();
    }
    /// A trainable leaf: its gradient survives the tape and accumulates until zero_grad().
    static Var param(Tensor<T, B> value) { return Var(std::move(value), true); }

    /// The value.
    const Tensor<T, B>& value() const { return value_; }
    /// The value, writable (in-place updates such as the optimizer's).
    Tensor<T, B>& value() { return value_; }
    const Shape& shape() const { return value_.shape(); }  ///< the value's shape
    std::int64_t numel() const { return value_.numel(); }  ///< the value's element count
    T* data() const { return value_.data(); }  ///< the value's buffer

    /// True when gradients flow into this value (it has a slot).
    bool requires_grad() const { return slot_ != nullptr; }
    /// True once a backward has written a gradient here.
    bool has_grad() const { return slot_ && slot_->defined(); }
    /// The gradient; throws unless requires_grad() and has_grad().
    const Tensor<T, B>& grad() const {
        require(requires_grad(), "Var::grad: this value of shape ", shape(),
                " does not require a gradient (make it with Var::param)");
        require(has_grad(), "Var::grad: no gradient yet for the value of shape ", shape(),
                " (run backward on a loss that depends on it)");
        return *slot_;
    }
    /// The gradient buffer, allocated as zeros on first use; null when no gradient is needed.
    /// Backward closures accumulate into it.
    T* grad_data() const {
        if (!slot_) return nullptr;
        if (!slot_->defined()) *slot_ = Tensor<T, B>::zeros(value_.shape());
        return slot_->data();
    }
    /// Zeroes the gradient but keeps its buffer (PyTorch's zero_grad(set_to_none=False)): a
    /// parameter that had a gradient once stays has_grad(), so AdamW keeps moving it by its
    /// momentum in steps that give it none (an idle expert). Checkpoints record which have one.
    void zero_grad() {
        if (has_grad()) B::fill(slot_->data(), slot_->numel(), T(0));
    }
    /// Frees the gradient buffer: has_grad() is false until a backward writes one again.
    void drop_grad() {
        if (slot_) *slot_ = Tensor<T, B>();
    }
    /// The same value, cut from the graph (no gradient flows through it).
    Var detach() const { return Var(value_); }

private:
    Tensor<T, B> value_;
    std::shared_ptr<Tensor<T, B>> slot_;  ///< null: no gradient needed
};

/// The recorded backward closures of one forward pass, run in reverse by backward(loss).
class Tape {
public:
    Tape() = default;
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    /// Appends an op's backward closure; throws once the tape was consumed by backward.
    void record(std::function<void()> backward_fn) {
        require(!consumed_, "Tape::record: this tape was consumed by backward; record on a fresh tape");
        ops_.push_back(std::move(backward_fn));
    }
    std::size_t size() const { return ops_.size(); }  ///< closures recorded
    bool consumed() const { return consumed_; }  ///< true once backward has run this tape

    /// Backpropagates from a one-element loss (seed gradient 1).
    template <class T, class B>
    void backward(const Var<T, B>& loss) {
        require(loss.numel() == 1, "Tape::backward: the loss has shape ", loss.shape(),
                ", not one element; pass a seed gradient of that shape: backward(loss, seed)");
        backward(loss, Tensor<T, B>::ones(loss.shape()));
    }
    /// Backpropagates from any output with dL/d(output) = seed (same shape).
    template <class T, class B>
    void backward(const Var<T, B>& output, const Tensor<T, B>& seed) {
        require(!consumed_, "Tape::backward called twice: the tape was consumed by the first call "
                            "(its buffers are freed); run the forward again on a fresh tape");
        require(output.requires_grad(), "Tape::backward: the output of shape ", output.shape(),
                " was not recorded on a tape (no input needs a gradient, or no tape was given)");
        require_shape(seed, output.shape(), "Tape::backward", "the seed gradient");
        consumed_ = true;
        B::axpy(seed.numel(), T(1), seed.data(), output.grad_data());
        for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) (*it)();
        ops_.clear();  // frees the saved activations
    }

private:
    std::vector<std::function<void()>> ops_;
    bool consumed_ = false;
};

/// True when an op on these inputs must record its backward.
template <class... Vars>
bool recording(const Tape* tape, const Vars&... inputs) {
    return tape != nullptr && (inputs.requires_grad() || ...);
}

}  // namespace grpo

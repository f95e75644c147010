// The order a trainer visits its examples in: every example once per epoch, epoch e shuffled by
// Fisher-Yates under Rng(seed, e), so a run is a function of its seed and step count (the SFT
// and reward-model trainers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"

namespace grpo {

/// Indices 0 .. size − 1, each once per epoch, in a seeded order per epoch.
class EpochOrder {
public:
    /// An order over `size` examples keyed by `seed` (the trainers refuse an empty data set
    /// with their own message; next() refuses to draw from one).
    EpochOrder(std::size_t size, std::uint64_t seed) : size_(size), seed_(seed) {}

    /// The next index; a new epoch's order is drawn when the last one is used up.
    std::size_t next() {
        require(size_ >= 1, "EpochOrder::next: no examples to order");
        if (cursor_ == order_.size()) {
            order_.resize(size_);
            for (std::size_t i = 0; i < size_; ++i) order_[i] = i;
            Rng rng(seed_, epoch_++);
            for (std::size_t i = size_ - 1; i > 0; --i) {
                const auto j = rng.uniform_int(0, static_cast<std::int64_t>(i));
                std::swap(order_[i], order_[static_cast<std::size_t>(j)]);
            }
            cursor_ = 0;
        }
        return order_[cursor_++];
    }

    std::uint64_t epochs_started() const { return epoch_; }  ///< epochs whose order was drawn

private:
    std::size_t size_;
    std::uint64_t seed_;
    std::uint64_t epoch_ = 0;
    std::vector<std::size_t> order_;
    std::size_t cursor_ = 0;
};

}  // namespace grpo

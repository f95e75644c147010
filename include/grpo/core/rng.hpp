// Rng: an explicit random number generator object built on Philox-4x32-10 (core/philox.hpp).
// There is no global generator: whoever needs randomness is handed an Rng. A generator is a
// (seed, stream) key and a 64-bit block counter, so `Rng(seed, stream)` for different streams
// gives independent sequences and a run is reproduced exactly from its seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"

namespace grpo {

/// An explicit Philox-4x32-10 generator: a (seed, stream) key and a block counter.
class Rng {
public:
    /// The generator of `stream` under `seed`; different streams give independent sequences.
    explicit Rng(std::uint64_t seed, std::uint64_t stream = 0)
        : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
          stream_(stream) {}

    /// The next 32 random bits. Each Philox block yields four words; the counter is
    /// (block lo, block hi, stream lo, stream hi).
    std::uint32_t next_u32() {
        if (lane_ == 4) {
            block_words_ = philox4x32_10(
                {static_cast<std::uint32_t>(block_), static_cast<std::uint32_t>(block_ >> 32),
                 static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
                key_);
            ++block_;
            lane_ = 0;
        }
        return block_words_[lane_++];
    }

    /// Uniform in [0, 1) with 24 random bits: every value is an exact float.
    float uniform_float() { return static_cast<float>(next_u32() >> 8) * 0x1.0p-24f; }

    /// Uniform in [0, 1) with 53 random bits: every value is an exact double.
    double uniform() {
        const std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;  // 27 + 26 bits
        return static_cast<double>((hi << 26) | lo) * 0x1.0p-53;
    }

    /// Uniform integer in [lo, hi], both included, without modulo bias: draws that fall in the
    /// incomplete last copy of the range are rejected and drawn again.
    std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
        require(lo <= hi, "Rng::uniform_int: empty range [", lo, ", ", hi, "]");
        const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
        require(span != 0 && span <= (std::uint64_t{1} << 32), "Rng::uniform_int: range [", lo,
                ", ", hi, "] is wider than 2^32");
        const std::uint64_t limit = (std::uint64_t{1} << 32) - ((std::uint64_t{1} << 32) % span);
        std::uint64_t draw = next_u32();
        while (draw >= limit) draw = next_u32();
        return lo + static_cast<std::int64_t>(draw % span);
    }

    /// Standard normal by Box-Muller; each draw uses two uniforms (no cached spare, so a
    /// generator's state is just its counter).
    double normal() {
        constexpr double kTwoPi = 6.283185307179586476925286766559;
        const double u1 = 1.0 - uniform();  // in (0, 1], so the log is finite
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
    }

    /// An index drawn with probability proportional to weights[i] (not necessarily normalised).
    std::size_t categorical(const std::vector<double>& weights) {
        double total = 0.0;
        for (double w : weights) {
            require(w >= 0.0 && std::isfinite(w), "Rng::categorical: weight ", w,
                    " is not a finite non-negative number");
            total += w;
        }
        require(total > 0.0, "Rng::categorical: weights sum to ", total, ", expected > 0");
        const double target = uniform() * total;
        double running = 0.0;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            running += weights[i];
            if (target < running) return i;
        }
        /// Round-off can leave target just above the last partial sum: take the last nonzero.
        std::size_t last = weights.size() - 1;
        while (weights[last] == 0.0) --last;
        return last;
    }

    std::uint64_t seed() const { return key_[0] | (std::uint64_t{key_[1]} << 32); }  ///< the seed it was made with
    std::uint64_t stream() const { return stream_; }  ///< the stream it was made with

private:
    PhiloxKey key_;
    std::uint64_t stream_;
    std::uint64_t block_ = 0;
    PhiloxCounter block_words_{};
    int lane_ = 4;  ///< 4 = the buffered block is used up
};

}  // namespace grpo

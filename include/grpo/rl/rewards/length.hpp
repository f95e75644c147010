// Length rewards, on a completion's length in tokens.
//   soft overlong punishment (DAPO, arXiv 2503.14476, §3.4 "Overlong Reward Shaping"): no penalty up to L_max - L_cache,
//     then a linear ramp down to -1 at L_max, and -1 beyond (a truncated answer);
//   cosine-scaled length reward (Yeo et al., "Demystifying Long Chain-of-Thought Reasoning",
//     arXiv 2502.03373; open-r1's `get_cosine_scaled_reward` defaults):
//     R = lo + ½ (hi − lo)(1 + cos(π · len / L)), correct (lo, hi) = (0.5, 1.0): shorter is
//     better; wrong (lo, hi) = (−0.5, −1.0): a long wrong attempt is punished less than a
//     short one (it at least tried). At len ≥ L this returns the curve's end value lo; open-r1
//     lets the cosine swing back up past L, which rewards rambling.
#pragma once

#include <cmath>

#include "grpo/core/error.hpp"

namespace grpo {

/// DAPO's soft overlong punishment: no penalty up to L_max − L_cache, then a ramp to −1.
struct OverlongConfig {
    int max_length = 20;    ///< L_max; DAPO uses 20480 tokens with a 4096 cache
    int cache_length = 4;   ///< L_cache: the width of the ramp
};

/// DAPO's soft overlong penalty of a completion of `length` tokens: 0, then a ramp to −1, then −1.
inline double overlong_penalty(int length, const OverlongConfig& config) {
    require(config.cache_length > 0 && config.cache_length <= config.max_length,
            "overlong_penalty: cache length ", config.cache_length, " must be in 1..max length ",
            config.max_length);
    require(length >= 0, "overlong_penalty: length ", length, " is negative");
    const int free_length = config.max_length - config.cache_length;
    if (length <= free_length) return 0.0;
    if (length <= config.max_length) return static_cast<double>(free_length - length) / config.cache_length;
    return -1.0;
}

/// The cosine-scaled length reward: reward by correctness, interpolated over length 0..L.
struct CosineLengthConfig {
    int max_length = 1000;  ///< L (open-r1's cosine_max_len)
    /// correct: reward at len 0 and at len L
    ///@{
    double correct_short = 1.0, correct_long = 0.5;
    ///@}
    /// wrong: reward at len 0 and at len L
    ///@{
    double wrong_short = -1.0, wrong_long = -0.5;
    ///@}
};

/// The cosine-scaled length reward of a completion of `length` tokens, correct or not.
inline double cosine_length_reward(int length, bool correct, const CosineLengthConfig& config) {
    require(config.max_length > 0, "cosine_length_reward: max length ", config.max_length,
            ", expected > 0");
    require(length >= 0, "cosine_length_reward: length ", length, " is negative");
    constexpr double kPi = 3.14159265358979323846;
    const double progress = length >= config.max_length ? 1.0 : static_cast<double>(length) / config.max_length;
    const double at_zero = correct ? config.correct_short : config.wrong_short;
    const double at_end = correct ? config.correct_long : config.wrong_long;
    return at_end + 0.5 * (at_zero - at_end) * (1.0 + std::cos(kPi * progress));
}

}  // namespace grpo

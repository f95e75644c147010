// Group-relative advantages: the step that lets GRPO drop PPO's critic.
// Outcome supervision, DeepSeekMath (arXiv 2402.03300) §4.1.2: for a group of G completions of
// one prompt with rewards r_1..r_G, every token of completion i gets
//     A_i = (r_i - mean(r)) / std(r)
// Public implementations disagree on the details, so each is a named choice here:
//   std      population (the seed's worked table: 0.47), sample / Bessel N-1 (TRL, verl: 0.577),
//            none (Dr. GRPO, arXiv 2503.20783: A = r - mean)
//   scope    group (DeepSeekMath, TRL scale_rewards="group"), batch (TRL scale_rewards="batch":
//            group mean, std of the whole batch)
//   eps      added to the std: TRL 1e-4, verl 1e-6, the seed's table 0
// For G = 2 and rewards {0, 1}: sample+1e-4 -> ±0.70701, population+1e-4 -> ±0.9998, none -> ±0.5.
// Statistics are taken in double. A group whose rewards are all equal gets zero advantages
// (tested exactly, not by a tolerance, so round-off can never divide a 1e-17 by a tiny std) and
// is counted in frac_reward_zero_std. A missing reward (NaN) is left out of its group's
// statistics, as TRL's nan-aware reductions do, and gets advantage 0: it teaches nothing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "grpo/core/error.hpp"

namespace grpo {

/// Which std divides: population, sample (Bessel, N − 1; TRL and verl), or none (Dr. GRPO: A = r − mean).
enum class StdKind { population, sample, none };
/// Whose std divides: the group's, or the whole batch's (TRL scale_rewards="batch").
enum class StdScope { group, batch };

/// How group-relative advantages are normalised: which std, over what scope, plus what eps.
struct AdvantageConfig {
    StdKind std = StdKind::sample;  ///< TRL and verl
    double eps = 1e-4;              ///< TRL's default, added to the std
    StdScope scope = StdScope::group;  ///< group: the group's std; batch: the whole batch's (TRL scale_rewards)

    /// Named presets, one per source, so a reader can see which number comes from where.
    static AdvantageConfig seed_table() { return {StdKind::population, 0.0, StdScope::group}; }
    static AdvantageConfig trl() { return {StdKind::sample, 1e-4, StdScope::group}; }  ///< TRL: sample std + 1e-4, per group
    static AdvantageConfig trl_batch() { return {StdKind::sample, 1e-4, StdScope::batch}; }  ///< TRL scale_rewards="batch": group mean, sample std of the batch + 1e-4
    static AdvantageConfig verl() { return {StdKind::sample, 1e-6, StdScope::group}; }  ///< verl: sample std + 1e-6, per group
    static AdvantageConfig dr_grpo() { return {StdKind::none, 0.0, StdScope::group}; }  ///< Dr. GRPO: no std, A = r − mean
};

/// The advantages of a batch of groups, with the groups' statistics.
struct Advantages {
    std::vector<double> advantages;  ///< (N): one per completion, shared by all its tokens
    std::vector<double> group_mean;  ///< (N / G)
    std::vector<double> group_std;   ///< (N / G): the std that divided (before eps); 0 for `none`
    int zero_std_groups = 0;         ///< groups whose valid rewards are all equal (or < 2 valid)
    double frac_reward_zero_std = 0.0;  ///< zero_std_groups / groups (TRL's metric)
};

namespace advantages_detail {

struct Moments {
    double mean = 0.0, m2 = 0.0;  ///< m2 = sum of squared deviations
    int count = 0;
    bool all_equal = true;
};

/// Mean and squared deviations of the finite values in [begin, end), in two passes.
inline Moments moments(const double* begin, const double* end) {
    Moments m;
    double first = NAN;
    for (const double* r = begin; r != end; ++r) {
        if (std::isnan(*r)) continue;
        if (m.count == 0) first = *r;
        m.all_equal = m.all_equal && *r == first;
        m.mean += *r;
        ++m.count;
    }
    if (m.count == 0) return m;
    m.mean /= m.count;
    for (const double* r = begin; r != end; ++r)
        if (!std::isnan(*r)) m.m2 += (*r - m.mean) * (*r - m.mean);
    return m;
}

inline double std_of(const Moments& m, StdKind kind) {
    switch (kind) {
        case StdKind::population: return m.count > 0 ? std::sqrt(m.m2 / m.count) : 0.0;
        case StdKind::sample: return m.count > 1 ? std::sqrt(m.m2 / (m.count - 1)) : 0.0;
        case StdKind::none: return 0.0;
    }
    return 0.0;
}

}  // namespace advantages_detail

/// rewards: (N) = (number of prompts × G), grouped consecutively: completions [g·G, (g+1)·G)
/// belong to prompt g.
inline Advantages group_advantages(const std::vector<double>& rewards, int group_size,
                                   const AdvantageConfig& config = {}) {
    using namespace advantages_detail;
    require(group_size >= 1, "group_advantages: group size G = ", group_size, ", expected >= 1");
    require(config.std == StdKind::none || group_size >= 2, "group_advantages: G = ", group_size,
            " cannot have a std; use G >= 2 or StdKind::none (TRL refuses G < 2 as well)");
    require(rewards.size() % group_size == 0, "group_advantages: ", rewards.size(),
            " rewards do not split into groups of G = ", group_size);
    require(config.eps >= 0.0, "group_advantages: eps = ", config.eps, ", expected >= 0");
    for (double r : rewards)
        require(!std::isinf(r), "group_advantages: reward ", r, " is infinite");

    const std::size_t n_groups = rewards.size() / group_size;
    Advantages out;
    out.advantages.assign(rewards.size(), 0.0);
    out.group_mean.resize(n_groups);
    out.group_std.resize(n_groups);
    const double batch_std = std_of(moments(rewards.data(), rewards.data() + rewards.size()), config.std);

    for (std::size_t g = 0; g < n_groups; ++g) {
        const double* begin = rewards.data() + g * group_size;
        const Moments m = moments(begin, begin + group_size);
        const double std = config.scope == StdScope::batch ? batch_std : std_of(m, config.std);
        out.group_mean[g] = m.mean;
        out.group_std[g] = std;
        const bool degenerate = m.all_equal || (config.std == StdKind::sample && m.count < 2);
        if (degenerate) {
            ++out.zero_std_groups;
            continue;  // advantages stay 0: the group says nothing about which answer is better
        }
        const double scale = config.std == StdKind::none ? 1.0 : 1.0 / (std + config.eps);
        for (int i = 0; i < group_size; ++i)
            if (!std::isnan(begin[i])) out.advantages[g * group_size + i] = (begin[i] - m.mean) * scale;
    }
    out.frac_reward_zero_std = n_groups ? static_cast<double>(out.zero_std_groups) / n_groups : 0.0;
    return out;
}

/// Several reward components (K × N, one row per rule) with weights (K), in either order:
///   sum_then_normalize: A = normalise(Σ_k w_k r_k)   (DeepSeekMath, TRL: one scalar reward)
///   normalize_then_sum: A = Σ_k w_k normalise(r_k)   (each rule scaled by its own spread, so a
///                        rule that rarely varies is not drowned by one that often does)
enum class RewardAggregation { sum_then_normalize, normalize_then_sum };

inline Advantages multi_reward_advantages(const std::vector<std::vector<double>>& components,
                                          const std::vector<double>& weights, int group_size,
                                          RewardAggregation aggregation,
                                          const AdvantageConfig& config = {}) {
    require(!components.empty(), "multi_reward_advantages: no reward components");
    require(components.size() == weights.size(), "multi_reward_advantages: ", components.size(),
            " components but ", weights.size(), " weights");
    const std::size_t n = components[0].size();
    for (std::size_t k = 0; k < components.size(); ++k)
        require(components[k].size() == n, "multi_reward_advantages: component ", k, " has ",
                components[k].size(), " rewards, component 0 has ", n);

    /// The weighted total's group statistics are reported either way (they are what a log shows).
    std::vector<double> total(n, 0.0);
    for (std::size_t k = 0; k < components.size(); ++k)
        for (std::size_t i = 0; i < n; ++i) total[i] += weights[k] * components[k][i];
    Advantages out = group_advantages(total, group_size, config);
    if (aggregation == RewardAggregation::sum_then_normalize) return out;

    std::fill(out.advantages.begin(), out.advantages.end(), 0.0);
    for (std::size_t k = 0; k < components.size(); ++k) {
        const Advantages part = group_advantages(components[k], group_size, config);
        for (std::size_t i = 0; i < n; ++i) out.advantages[i] += weights[k] * part.advantages[i];
    }
    /// Here a group carries no signal when every component was constant in it.
    const std::size_t n_groups = n / group_size;
    out.zero_std_groups = 0;
    for (std::size_t g = 0; g < n_groups; ++g) {
        bool all_zero = true;
        for (int i = 0; i < group_size; ++i) all_zero = all_zero && out.advantages[g * group_size + i] == 0.0;
        out.zero_std_groups += all_zero;
    }
    out.frac_reward_zero_std = n_groups ? static_cast<double>(out.zero_std_groups) / n_groups : 0.0;
    return out;
}

}  // namespace grpo

#include <doctest/doctest.h>

#include <cmath>
#include <grpo/rl/advantages.hpp>
#include <vector>

using grpo::AdvantageConfig;
using grpo::group_advantages;

// The worked example (docs/references.md, 'The founding notes'): rewards 2, 1, 2 -> mean 5/3; population std
// sqrt(((1/3)^2 + (2/3)^2 + (1/3)^2) / 3) = sqrt(2)/3 = 0.4714; advantages (1/3)/0.4714 =
// 1/sqrt(2) = +0.7071 and (-2/3)/0.4714 = -sqrt(2) = -1.4142.
TEST_CASE("advantages: the seed's table uses the population std") {
    const auto a = group_advantages({2, 1, 2}, 3, AdvantageConfig::seed_table());
    CHECK(a.group_mean[0] == doctest::Approx(5.0 / 3.0).epsilon(1e-15));
    CHECK(a.group_std[0] == doctest::Approx(std::sqrt(2.0) / 3.0).epsilon(1e-15));
    CHECK(a.advantages[0] == doctest::Approx(1.0 / std::sqrt(2.0)).epsilon(1e-14));
    CHECK(a.advantages[1] == doctest::Approx(-std::sqrt(2.0)).epsilon(1e-14));
    CHECK(a.advantages[2] == doctest::Approx(1.0 / std::sqrt(2.0)).epsilon(1e-14));
}

// Sample std of 2, 1, 2: sqrt((2/9 + 4/9... ) = sqrt((1/9 + 4/9 + 1/9) / 2) = sqrt(1/3) = 0.57735.
TEST_CASE("advantages: TRL and verl use the sample std, with different eps") {
    const double s = std::sqrt(1.0 / 3.0);
    const auto trl = group_advantages({2, 1, 2}, 3, AdvantageConfig::trl());
    CHECK(trl.group_std[0] == doctest::Approx(s).epsilon(1e-15));
    CHECK(trl.advantages[0] == doctest::Approx((1.0 / 3.0) / (s + 1e-4)).epsilon(1e-14));
    CHECK(trl.advantages[1] == doctest::Approx((-2.0 / 3.0) / (s + 1e-4)).epsilon(1e-14));
    const auto verl = group_advantages({2, 1, 2}, 3, AdvantageConfig::verl());
    CHECK(verl.advantages[1] == doctest::Approx((-2.0 / 3.0) / (s + 1e-6)).epsilon(1e-14));
}

// docs/references.md, 'Group-relative advantages': G = 2, rewards {0, 1}.
TEST_CASE("advantages: G = 2, rewards {0, 1} under each named choice") {
    const std::vector<double> r = {0, 1};
    // sample std = sqrt(0.5) = 0.70711; 0.5 / (0.70711 + 1e-4) = 0.70701
    CHECK(group_advantages(r, 2, AdvantageConfig::trl()).advantages[1] ==
          doctest::Approx(0.5 / (std::sqrt(0.5) + 1e-4)).epsilon(1e-14));
    CHECK(group_advantages(r, 2, AdvantageConfig::trl()).advantages[1] ==
          doctest::Approx(0.70701).epsilon(1e-5));
    CHECK(group_advantages(r, 2, AdvantageConfig::verl()).advantages[1] ==
          doctest::Approx(0.70711).epsilon(1e-5));
    // population std = 0.5; 0.5 / 0.5001 = 0.9998 (nano-aha-moment, GRPO-Zero, minimind)
    CHECK(group_advantages(r, 2, {grpo::StdKind::population, 1e-4}).advantages[1] ==
          doctest::Approx(0.5 / 0.5001).epsilon(1e-14));
    // Dr. GRPO: no std at all
    const auto dr = group_advantages(r, 2, AdvantageConfig::dr_grpo());
    CHECK(dr.advantages[0] == -0.5);
    CHECK(dr.advantages[1] == 0.5);
}

TEST_CASE("advantages: TRL's batch scope uses the group mean and the batch std") {
    // Groups {0, 1} and {0, 3}; batch sample std of {0, 1, 0, 3} = sqrt(6 / 3) = sqrt(2).
    const auto a = group_advantages({0, 1, 0, 3}, 2, AdvantageConfig::trl_batch());
    const double scale = 1.0 / (std::sqrt(2.0) + 1e-4);
    CHECK(a.advantages[0] == doctest::Approx(-0.5 * scale).epsilon(1e-14));
    CHECK(a.advantages[3] == doctest::Approx(1.5 * scale).epsilon(1e-14));
    CHECK(a.group_std[0] == doctest::Approx(std::sqrt(2.0)).epsilon(1e-15));
}

TEST_CASE("advantages: a zero-variance group gives zeros, never NaN, and is counted") {
    // 0.1 three times: the double mean is 0.1 + 1 ulp, so r - mean is -1.4e-17, not 0.
    // Divided by a round-off std with eps = 0 that would be ±1; the exact check prevents it.
    const auto a = group_advantages({0.1, 0.1, 0.1, 1, 0, 1}, 3, AdvantageConfig::seed_table());
    CHECK(a.advantages[0] == 0.0);
    CHECK(a.advantages[1] == 0.0);
    CHECK(a.advantages[2] == 0.0);
    CHECK(a.advantages[4] == doctest::Approx(-std::sqrt(2.0)).epsilon(1e-14));
    CHECK(a.zero_std_groups == 1);
    CHECK(a.frac_reward_zero_std == 0.5);
}

TEST_CASE("advantages: a missing (NaN) reward is left out of its group's statistics") {
    const auto a = group_advantages({1, NAN, 0, 1}, 4, AdvantageConfig::seed_table());
    // Valid rewards 1, 0, 1: mean 2/3, population std sqrt(2)/3.
    CHECK(a.group_mean[0] == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
    CHECK(a.advantages[1] == 0.0);
    CHECK(a.advantages[2] == doctest::Approx(-std::sqrt(2.0)).epsilon(1e-14));
    // One valid reward cannot have a sample std: the group is degenerate, not NaN.
    const auto lone = group_advantages({NAN, 3, NAN}, 3, AdvantageConfig::trl());
    CHECK(lone.advantages == std::vector<double>{0, 0, 0});
    CHECK(lone.zero_std_groups == 1);
}

TEST_CASE("advantages: bad input names the values") {
    CHECK_THROWS_WITH_AS(group_advantages({1, 2, 3}, 2),
                         "group_advantages: 3 rewards do not split into groups of G = 2", grpo::Error);
    CHECK_THROWS_WITH_AS(group_advantages({1}, 1),
                         "group_advantages: G = 1 cannot have a std; use G >= 2 or StdKind::none "
                         "(TRL refuses G < 2 as well)",
                         grpo::Error);
    CHECK(group_advantages({5}, 1, AdvantageConfig::dr_grpo()).advantages[0] == 0.0);
    CHECK_THROWS_AS(group_advantages({1, INFINITY}, 2), grpo::Error);
    CHECK_THROWS_AS(group_advantages({1, 2}, 0), grpo::Error);
}

TEST_CASE("multi-reward advantages: sum then normalise vs normalise then sum") {
    // Accuracy {1, 0, 1, 0} and format {1, 1, 1, 0}, weights 1 and 1, one group of 4.
    const std::vector<std::vector<double>> parts = {{1, 0, 1, 0}, {1, 1, 1, 0}};
    const auto cfg = AdvantageConfig::seed_table();
    const auto summed = grpo::multi_reward_advantages(
        parts, {1, 1}, 4, grpo::RewardAggregation::sum_then_normalize, cfg);
    // Totals {2, 1, 2, 0}: mean 5/4, population std sqrt(11)/4.
    CHECK(summed.advantages[0] == doctest::Approx(0.75 / (std::sqrt(11.0) / 4)).epsilon(1e-14));
    CHECK(summed.advantages[3] == doctest::Approx(-1.25 / (std::sqrt(11.0) / 4)).epsilon(1e-14));

    const auto separate = grpo::multi_reward_advantages(
        parts, {1, 1}, 4, grpo::RewardAggregation::normalize_then_sum, cfg);
    // Accuracy normalises to {+1, -1, +1, -1}; format (mean 3/4, std sqrt(3)/4) to
    // {1/sqrt(3), 1/sqrt(3), 1/sqrt(3), -sqrt(3)}.
    CHECK(separate.advantages[0] == doctest::Approx(1 + 1 / std::sqrt(3.0)).epsilon(1e-14));
    CHECK(separate.advantages[1] == doctest::Approx(-1 + 1 / std::sqrt(3.0)).epsilon(1e-14));
    CHECK(separate.advantages[3] == doctest::Approx(-1 - std::sqrt(3.0)).epsilon(1e-14));
    CHECK(separate.group_mean[0] == doctest::Approx(1.25));

    CHECK_THROWS_AS(grpo::multi_reward_advantages(parts, {1}, 4,
                                                  grpo::RewardAggregation::sum_then_normalize),
                    grpo::Error);
}

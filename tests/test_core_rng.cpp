#include <doctest/doctest.h>

#include <cmath>
#include <grpo/core/philox.hpp>
#include <grpo/core/rng.hpp>
#include <vector>

using grpo::PhiloxCounter;

// Random123's published known-answer vectors (kat_vectors, philox4x32 with 10 rounds).
TEST_CASE("philox4x32_10 reproduces Random123's known answers") {
    CHECK(grpo::philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
          PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
    CHECK(grpo::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                              {0xffffffff, 0xffffffff}) ==
          PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
    CHECK(grpo::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                              {0xa4093822, 0x299f31d0}) ==
          PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("Rng streams words block by block from the Philox counter") {
    grpo::Rng rng(0x299f31d0a4093822ull, 0);
    // Block 0 of stream 0 is philox(counter {0,0,0,0}, key {lo, hi} of the seed).
    const PhiloxCounter block0 = grpo::philox4x32_10({0, 0, 0, 0}, {0xa4093822, 0x299f31d0});
    const PhiloxCounter block1 = grpo::philox4x32_10({1, 0, 0, 0}, {0xa4093822, 0x299f31d0});
    for (int i = 0; i < 4; ++i) CHECK(rng.next_u32() == block0[i]);
    for (int i = 0; i < 4; ++i) CHECK(rng.next_u32() == block1[i]);

    grpo::Rng other_stream(0x299f31d0a4093822ull, 7);
    CHECK(other_stream.next_u32() ==
          grpo::philox4x32_10({0, 0, 7, 0}, {0xa4093822, 0x299f31d0})[0]);
}

TEST_CASE("Rng: same seed gives the same draws, another seed others") {
    grpo::Rng a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i) {
        const double x = a.uniform();
        CHECK(x == b.uniform());
        CHECK(x != c.uniform());
    }
}

TEST_CASE("Rng::uniform and uniform_float stay below 1 with mean 1/2") {
    grpo::Rng rng(1);
    double sum = 0.0, sum_f = 0.0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        const float f = rng.uniform_float();
        REQUIRE(u >= 0.0);
        REQUIRE(u < 1.0);
        REQUIRE(f >= 0.0f);
        REQUIRE(f < 1.0f);
        sum += u;
        sum_f += f;
    }
    // The mean of n uniforms has std 1/sqrt(12 n) = 6.5e-4; allow 5 sigma.
    CHECK(std::abs(sum / n - 0.5) < 3.3e-3);
    CHECK(std::abs(sum_f / n - 0.5) < 3.3e-3);
}

TEST_CASE("Rng::uniform_int covers its range evenly and checks it") {
    grpo::Rng rng(5);
    std::vector<int> counts(7, 0);
    const int n = 70000;
    for (int i = 0; i < n; ++i) {
        const auto v = rng.uniform_int(-3, 3);
        REQUIRE(v >= -3);
        REQUIRE(v <= 3);
        ++counts[v + 3];
    }
    // Chi-squared with 6 degrees of freedom; the 0.999 quantile is 22.46.
    double chi2 = 0.0;
    for (int c : counts) chi2 += (c - n / 7.0) * (c - n / 7.0) / (n / 7.0);
    CHECK(chi2 < 22.46);
    CHECK(rng.uniform_int(4, 4) == 4);
    CHECK_THROWS_WITH_AS(rng.uniform_int(3, 2), "Rng::uniform_int: empty range [3, 2]", grpo::Error);
}

TEST_CASE("Rng::normal has mean 0 and variance 1") {
    grpo::Rng rng(9);
    const int n = 200000;
    double sum = 0.0, sum_sq = 0.0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        sum += z;
        sum_sq += z * z;
    }
    CHECK(std::abs(sum / n) < 0.012);          // 5 sigma of the mean: 5 / sqrt(n)
    CHECK(std::abs(sum_sq / n - 1.0) < 0.016);  // 5 sigma of the variance: 5 sqrt(2 / n)
}

TEST_CASE("Rng::categorical follows its weights and rejects bad ones") {
    grpo::Rng rng(11);
    const std::vector<double> weights = {1.0, 0.0, 3.0};
    std::vector<int> counts(3, 0);
    const int n = 40000;
    for (int i = 0; i < n; ++i) ++counts[rng.categorical(weights)];
    CHECK(counts[1] == 0);
    CHECK(std::abs(counts[0] / double(n) - 0.25) < 0.011);  // 5 sigma: 5 sqrt(p(1-p)/n)
    CHECK_THROWS_AS(rng.categorical({0.0, 0.0}), grpo::Error);
    CHECK_THROWS_AS(rng.categorical({1.0, -1.0}), grpo::Error);
    CHECK_THROWS_AS(rng.categorical({1.0, NAN}), grpo::Error);
}

// Forward values of the ops against hand-computed answers, and their index and shape errors.
#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <string>
#include <vector>

using Td = grpo::Tensor<double, grpo::Cpu>;
using Vd = grpo::Var<double, grpo::Cpu>;
using Ids = grpo::Ids<grpo::Cpu>;

template <class F>
std::string op_error(F fn) {
    try {
        fn();
    } catch (const grpo::Error& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("matmul values: transposes and a batch") {
    const Vd a(Td::from({2, 3}, {1, 2, 3, 4, 5, 6}));
    const Vd b(Td::from({3, 2}, {1, 0, 0, 1, 1, 1}));
    CHECK(grpo::matmul(nullptr, a, b).value().to_host() == std::vector<double>{4, 5, 10, 11});
    CHECK(grpo::matmul(nullptr, a, a, false, true).value().to_host() == std::vector<double>{14, 32, 32, 77});
    CHECK(grpo::matmul(nullptr, a, a, true, false).value().shape() == grpo::Shape{3, 3});
    CHECK(op_error([&] { (void)grpo::matmul(nullptr, a, a); }).find("inner dimensions differ: a (2, 3) and b (2, 3)") != std::string::npos);
}

TEST_CASE("rmsnorm, swiglu and rope values") {
    const Vd x(Td::from({1, 2}, {3, 4}));
    const Vd w(Td::from({2}, {1, 2}));
    const auto y = grpo::rmsnorm(nullptr, x, w, 0.0).value().to_host();  // rms = sqrt(12.5)
    CHECK(y[0] == doctest::Approx(3 / std::sqrt(12.5)));
    CHECK(y[1] == doctest::Approx(8 / std::sqrt(12.5)));
    const auto s = grpo::swiglu(nullptr, Vd(Td::from({1}, {1})), Vd(Td::from({1}, {2}))).value().item();
    CHECK(s == doctest::Approx(2 / (1 + std::exp(-1.0))));
    // One head of size 4 at position 1, theta 100: pair 0 turns by 1 rad, pair 1 by 0.1 rad.
    const Vd q(Td::from({1, 2, 1, 4}, {0, 0, 0, 0, 1, 0, 1, 0}));
    const auto inter = grpo::rope(nullptr, q, 0, 100.0, grpo::RopeStyle::interleaved).value().to_host();
    CHECK(inter[4] == doctest::Approx(std::cos(1.0)));
    CHECK(inter[5] == doctest::Approx(std::sin(1.0)));
    CHECK(inter[6] == doctest::Approx(std::cos(0.1)));
    CHECK(inter[7] == doctest::Approx(std::sin(0.1)));
    const Vd q1(Td::from({1, 2, 1, 4}, {0, 0, 0, 0, 1, 0, 0, 0}));
    const auto half = grpo::rope(nullptr, q1, 0, 100.0, grpo::RopeStyle::half).value().to_host();
    CHECK(half[4] == doctest::Approx(std::cos(1.0)));   // pair (0, 2) turns by 1 rad
    CHECK(half[6] == doctest::Approx(std::sin(1.0)));
    CHECK(half[5] == doctest::Approx(0.0));             // pair (1, 3) is zero
    CHECK(op_error([&] { (void)grpo::rope(nullptr, Vd(Td::zeros({1, 2, 3}))); }).find("(1, 2, 3)") != std::string::npos);
}

TEST_CASE("attention values: causal mask and KV prefix") {
    // B = 1, H = 1, D = 1. With q = 0 every visible key gets the same weight: the output is the
    // mean of the visible values.
    const Vd q(Td::zeros({1, 3, 1, 1}));
    const Vd v(Td::from({1, 3, 1, 1}, {3, 6, 9}));
    CHECK(grpo::attention(nullptr, q, v, v).value().to_host() == std::vector<double>{3, 4.5, 6});
    // Two queries after a prefix of two: they see 3 and 4 keys.
    const Vd q2(Td::zeros({1, 2, 1, 1}));
    const Vd v4(Td::from({1, 4, 1, 1}, {1, 2, 3, 6}));
    CHECK(grpo::attention(nullptr, q2, v4, v4).value().to_host() == std::vector<double>{2, 3});
    CHECK(op_error([&] { (void)grpo::attention(nullptr, v4, q2, q2); }).find("S >= T") != std::string::npos);
}

TEST_CASE("token_logprobs, log_softmax and cross_entropy values") {
    const Vd z(Td::from({2, 3}, {0, 0, 0, 1, 2, 3}));
    const Ids t = Ids::from({2}, {1, 2});
    const auto lp = grpo::token_logprobs(nullptr, z, t).value().to_host();
    CHECK(lp[0] == doctest::Approx(-std::log(3.0)));
    const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    CHECK(lp[1] == doctest::Approx(3 - lse));
    const auto ls = grpo::log_softmax(nullptr, z).value().to_host();
    CHECK(ls[5] == doctest::Approx(lp[1]));
    const Ids ignore = Ids::from({2}, {-1, 2});
    CHECK(grpo::cross_entropy(nullptr, z, ignore).value().item() == doctest::Approx(lse - 3));
    CHECK(op_error([&] { (void)grpo::token_logprobs(nullptr, z, Ids::from({2}, {1, 3})); })
              .find("target 3 at row 1 is out of range for logits of shape (2, 3)") != std::string::npos);
}

TEST_CASE("embedding, topk, gather and scatter values and index errors") {
    const Vd table(Td::from({3, 2}, {0, 1, 10, 11, 20, 21}));
    CHECK(grpo::embedding(nullptr, Ids::from({2}, {2, 0}), table).value().to_host() == std::vector<double>{20, 21, 0, 1});
    CHECK(op_error([&] { (void)grpo::embedding(nullptr, Ids::from({2}, {2, 3}), table); })
              .find("token id 3 at position 1 is out of range for a table of shape (3, 2)") != std::string::npos);
    const Vd scores(Td::from({2, 4}, {0.1, 0.7, 0.7, 0.2, 5, 4, 3, 2}));
    const auto top = grpo::topk(nullptr, scores, 2);
    CHECK(top.indices.to_host() == std::vector<std::int32_t>{1, 2, 0, 1});  // tie -> lower index
    CHECK(top.values.value().to_host() == std::vector<double>{0.7, 0.7, 5, 4});
    const Ids idx = Ids::from({3}, {1, 0, 1});
    const Vd rows = grpo::gather_rows(nullptr, table, idx);
    CHECK(rows.value().to_host() == std::vector<double>{10, 11, 0, 1, 10, 11});
    const Vd w(Td::from({3}, {0.5, 1, 2}));
    CHECK(grpo::scatter_add_rows(nullptr, rows, w, idx, 2).value().to_host() == std::vector<double>{0, 1, 25, 27.5});
    CHECK(op_error([&] { (void)grpo::gather_rows(nullptr, table, Ids::from({1}, {-1})); })
              .find("row index -1 at 0 is out of range for 3 rows") != std::string::npos);
    CHECK(op_error([&] { (void)grpo::topk(nullptr, scores, 5); }).find("k = 5 for x of shape (2, 4)") != std::string::npos);
}

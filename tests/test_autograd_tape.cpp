#include <doctest/doctest.h>

#include <grpo/grpo.hpp>
#include <string>
#include <vector>

using Td = grpo::Tensor<double, grpo::Cpu>;
using Vd = grpo::Var<double, grpo::Cpu>;

template <class F>
std::string tape_error(F fn) {
    try {
        fn();
    } catch (const grpo::Error& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("Tape: a forward without a tape records nothing and needs no gradient") {
    const Vd w = Vd::param(Td::from({2, 2}, {1, 2, 3, 4}));
    const Vd x(Td::from({1, 2}, {1, 1}));
    const Vd y = grpo::matmul(nullptr, x, w);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.value().to_host() == std::vector<double>{4, 6});
    grpo::Tape tape;
    const Vd z = grpo::matmul(&tape, x, x, false, true);  // no input needs a gradient
    CHECK(tape.size() == 0);
    CHECK_FALSE(z.requires_grad());
}

TEST_CASE("Tape: gradients of a shared input accumulate, and across tapes until zero_grad") {
    Vd w = Vd::param(Td::from({3}, {1, -2, 3}));
    for (int round = 1; round <= 2; ++round) {
        grpo::Tape tape;
        // L = Σ (w·w + 2w) -> dL/dw = 2w + 2
        const Vd loss = grpo::sum(&tape, grpo::add(&tape, grpo::mul(&tape, w, w), grpo::scale(&tape, w, 2.0)));
        CHECK(tape.size() == 4);
        tape.backward(loss);
        CHECK(w.grad().to_host() == std::vector<double>{4.0 * round, -2.0 * round, 8.0 * round});
    }
    w.zero_grad();
    CHECK(w.grad().to_host() == std::vector<double>{0, 0, 0});
}

TEST_CASE("Tape: clear errors for a consumed tape and a non-scalar loss") {
    const Vd w = Vd::param(Td::from({2}, {1, 2}));
    grpo::Tape tape;
    const Vd y = grpo::scale(&tape, w, 3.0);
    CHECK(tape_error([&] { tape.backward(y); }).find("shape (2), not one element") != std::string::npos);
    tape.backward(y, Td::ones({2}));
    CHECK(w.grad().to_host() == std::vector<double>{3, 3});
    CHECK(tape_error([&] { tape.backward(y, Td::ones({2})); }).find("called twice") != std::string::npos);
    CHECK(tape_error([&] { (void)grpo::scale(&tape, w, 1.0); }).find("consumed") != std::string::npos);
    const Vd plain(Td::ones({1}));
    grpo::Tape other;
    CHECK(tape_error([&] { other.backward(plain); }).find("not recorded") != std::string::npos);
    CHECK(tape_error([&] { (void)grpo::matmul(nullptr, w, w); }).find("(2)") != std::string::npos);
}

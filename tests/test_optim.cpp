#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <grpo/optim/adamw.hpp>
#include <grpo/optim/clip.hpp>
#include <grpo/optim/schedule.hpp>
#include <vector>

using namespace grpo;
using VarD = Var<double, Cpu>;
using TensorD = Tensor<double, Cpu>;
using AdamWD = AdamW<double, Cpu>;

namespace {
void set_grad(VarD& p, const std::vector<double>& g) {
    p.zero_grad();
    double* d = p.grad_data();
    for (std::size_t i = 0; i < g.size(); ++i) d[i] = g[i];
}
}  // namespace

// Step 1 by hand, p = 1, g = 0.5: decay 1 − 0.1·0.01·1 = 0.999; m̂ = 0.5, v̂ = 0.25, so the
// Adam step is 0.1 · 0.5 / (0.5 + 1e-8) = 0.099999998: p = 0.899000002.
// All steps: torch.optim.AdamW (tests/data/make_optim_reference.py, torch 1.13, double).
TEST_CASE("AdamW matches hand-computed and PyTorch steps") {
    VarD p = VarD::param(TensorD::from({2}, {1.0, -2.0}));
    AdamWD opt({p}, {0.1, 0.9, 0.999, 1e-8, 0.01});
    const std::vector<std::vector<double>> grads = {{0.5, 0.25}, {0.5, -1.0}, {-0.1, 0.0}};
    const std::vector<std::vector<double>> want = {{0.899000002, -2.097999996},
                                                   {0.7981010039980005, -2.039951647367676},
                                                   {0.7297171014549596, -1.994661914196387}};
    for (std::size_t s = 0; s < grads.size(); ++s) {
        set_grad(p, grads[s]);
        opt.step();
        const auto got = p.value().to_host();
        CHECK(got[0] == doctest::Approx(want[s][0]).epsilon(1e-14));
        CHECK(got[1] == doctest::Approx(want[s][1]).epsilon(1e-14));
    }
    CHECK(opt.steps() == 3);
    CHECK(opt.first_moment(0).to_host()[0] == doctest::Approx(0.9 * (0.9 * 0.05 + 0.05) - 0.01));
}

TEST_CASE("AdamW skips parameters without a gradient and checks its config") {
    VarD used = VarD::param(TensorD::from({1}, {1.0}));
    VarD unused = VarD::param(TensorD::from({1}, {5.0}));
    AdamWD opt({used, unused}, {0.1, 0.9, 0.999, 1e-8, 0.5});
    set_grad(used, {1.0});
    opt.step();
    CHECK(unused.value().to_host()[0] == 5.0);  // no grad: no decay either, as in PyTorch
    CHECK(used.value().to_host()[0] == doctest::Approx(1.0 - 0.05 - 0.1 / (1 + 1e-8)));
    const std::vector<VarD> constant = {VarD(TensorD::zeros({2}))};
    CHECK_THROWS_WITH_AS(AdamWD{constant},
                         "AdamW: a parameter of shape (2) does not require a gradient (make it "
                         "with Var::param)",
                         Error);
    const AdamWConfig bad_beta{0.1, 1.0};
    const std::vector<VarD> one = {used};
    CHECK_THROWS_WITH_AS((AdamWD{one, bad_beta}),
                         "AdamWConfig: beta1 1, expected 0 <= beta1 < 1", Error);
    CHECK_THROWS_AS(opt.step(-1.0), Error);
}

TEST_CASE("AdamW lowers a quadratic loss through the tape") {
    // L = Σ (w − 3)²: w should move toward 3.
    VarD w = VarD::param(TensorD::from({3}, {0.0, 1.0, 5.0}));
    const VarD target(TensorD::full({3}, -3.0));
    AdamWD opt({w}, {0.1, 0.9, 0.999, 1e-8, 0.0});
    double first = 0, last = 0;
    for (int step = 0; step < 200; ++step) {
        Tape tape;
        const VarD d = add(&tape, w, target);
        const VarD loss = sum(&tape, mul(&tape, d, d));
        if (step == 0) first = loss.value().item();
        last = loss.value().item();
        opt.zero_grad();
        tape.backward(loss);
        opt.step();
    }
    CHECK(first == doctest::Approx(9 + 4 + 4));
    CHECK(last < 1e-3);
}

TEST_CASE("clip_grad_norm scales all gradients together, as PyTorch does") {
    VarD a = VarD::param(TensorD::zeros({1}));
    VarD b = VarD::param(TensorD::zeros({1}));
    set_grad(a, {3.0});
    set_grad(b, {4.0});
    const std::vector<VarD> both = {a, b};
    CHECK(clip_grad_norm(both, 10.0) == doctest::Approx(5.0));
    CHECK(a.grad().to_host()[0] == 3.0);  // under the limit: untouched
    CHECK(clip_grad_norm(both, 1.0) == doctest::Approx(5.0));
    CHECK(a.grad().to_host()[0] == doctest::Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-14));
    CHECK(b.grad().to_host()[0] == doctest::Approx(4.0 / (5.0 + 1e-6)).epsilon(1e-14));
    CHECK_THROWS_AS(clip_grad_norm(both, 0.0), Error);
}

TEST_CASE("cosine schedule with warmup, nanoGPT's shape") {
    const CosineSchedule s{1.0, 0.1, 4, 14};
    CHECK(s(0) == doctest::Approx(0.2));  // (0 + 1) / (4 + 1)
    CHECK(s(3) == doctest::Approx(0.8));
    CHECK(s(4) == doctest::Approx(1.0));
    CHECK(s(9) == doctest::Approx(0.55));  // halfway: cos(π/2) = 0
    CHECK(s(14) == doctest::Approx(0.1));
    CHECK(s(20) == 0.1);
    CHECK_THROWS_AS(s(-1), Error);
    CHECK_THROWS_AS((CosineSchedule{1.0, 2.0, 0, 10})(0), Error);
}

// An independent reference: tests/data/make_block_fixture.py runs one tiny pre-norm block
// (RMSNorm, interleaved RoPE, causal attention, SwiGLU) in PyTorch float32 and writes its
// output and the gradients of loss = Σ y ⊙ r. The same block here, in float, must match every
// number to 1e-5 (relative to max(1, |reference|)) — llm.c's test_gpt2 habit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <grpo/grpo.hpp>

#include "test_support.hpp"
#include <map>
#include <string>
#include <vector>

using Tf = grpo::Tensor<float, grpo::Cpu>;
using Vf = grpo::Var<float, grpo::Cpu>;

namespace {

// The fixture's tensors as float tensors.
std::map<std::string, Tf> read_fixture(const std::string& path) {
    std::map<std::string, Tf> tensors;
    for (const auto& [name, t] : grpo_test::read_text_fixture(path, "tests/data/make_block_fixture.py"))
        tensors[name] = Tf::from(grpo::Shape::of(t.shape), std::vector<float>(t.values.begin(), t.values.end()));
    return tensors;
}

// max over elements of |a − b| / max(1, |b|)
double max_error(const Tf& a, const Tf& b) {
    REQUIRE(a.shape() == b.shape());
    const auto x = a.to_host(), y = b.to_host();
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        worst = std::max(worst, std::abs(double(x[i]) - double(y[i])) / std::max(1.0, std::abs(double(y[i]))));
    return worst;
}

}  // namespace

TEST_CASE("a tiny attention + RMSNorm + SwiGLU block matches PyTorch in float") {
    auto ref = read_fixture(std::string(GRPO_TEST_DATA_DIR) + "/block_fixture.txt");
    const std::vector<std::string> names = {"x", "g1", "wq", "wk", "wv", "wo", "g2", "w1", "w3", "w2"};
    std::map<std::string, Vf> p;
    for (const auto& n : names) p[n] = Vf::param(ref.at(n).clone());
    const grpo::Shape xs = ref.at("x").shape();
    const std::int64_t Bn = xs[0], T = xs[1], C = xs[2], H = 2, D = C / H;
    grpo::Tape tape;
    grpo::Tape* t = &tape;
    auto heads = [&](const Vf& y) { return grpo::reshape(t, y, {Bn, T, H, D}); };
    auto n1 = grpo::rmsnorm(t, p["x"], p["g1"], 1e-6f);                          // (B, T, C)
    auto q = grpo::rope(t, heads(grpo::matmul(t, n1, p["wq"])));                 // (B, T, H, D)
    auto k = grpo::rope(t, heads(grpo::matmul(t, n1, p["wk"])));                 // (B, T, H, D)
    auto v = heads(grpo::matmul(t, n1, p["wv"]));                                // (B, T, H, D)
    auto a = grpo::reshape(t, grpo::attention(t, q, k, v), {Bn, T, C});          // (B, T, C)
    auto h = grpo::add(t, p["x"], grpo::matmul(t, a, p["wo"]));                  // (B, T, C)
    auto n2 = grpo::rmsnorm(t, h, p["g2"], 1e-6f);                               // (B, T, C)
    auto f = grpo::swiglu(t, grpo::matmul(t, n2, p["w1"]), grpo::matmul(t, n2, p["w3"]));  // (B, T, F)
    auto y = grpo::add(t, h, grpo::matmul(t, f, p["w2"]));                       // (B, T, C)
    tape.backward(y, ref.at("r"));

    const double err_y = max_error(y.value(), ref.at("y"));
    INFO("output error ", err_y);
    CHECK(err_y <= 1e-5);
    for (const auto& n : names) {
        const double err = max_error(p[n].grad(), ref.at("grad_" + n));
        INFO("gradient of ", n, ": error ", err);
        CHECK(err <= 1e-5);
    }
}

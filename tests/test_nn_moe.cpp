// The DeepSeek-V3 MoE layer (include/grpo/nn/moe.hpp), in double: routing by hand, group-limited
// routing, the output against a plain per-token loop, finite-difference gradients with the
// selection held fixed, the balance loss, the bias update and the config checks.
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

using V = grpo::Var<double, grpo::Cpu>;
using Tn = grpo::Tensor<double, grpo::Cpu>;
using MoeD = grpo::MoE<double, grpo::Cpu>;
using Cfg = grpo::MoEConfig;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

V input(grpo::Shape s, const std::vector<double>& v) { return V::param(Tn::from(s, v)); }

// Overwrites a weight in place: a copy of a Var shares its storage with the MoE's.
void set(V w, const std::vector<double>& v) { w.value().copy_from_host(v); }

// Redraws every weight: the gate from N(0, gate_std²), the experts from N(0, 0.5²), so that the
// scores are well apart and the outputs are not tiny.
void redraw(const MoeD& moe, grpo::Rng& rng, double gate_std) {
    for (const auto& [name, w] : moe.named_params()) {
        const double std = name == "gate.weight" ? gate_std : 0.5;
        set(w, Tn::randn(w.shape(), rng, std).to_host());
    }
}

// The smallest gap, over tokens, between the k-th and (k+1)-th biased score (no group limit).
double selection_margin(const MoeD& moe, const V& x) {
    const auto r = moe.route(nullptr, x);
    const auto& c = moe.config();
    const std::int64_t E = c.n_routed_experts, k = c.experts_per_token, N = x.shape().dim[0];
    std::vector<double> s = r.scores.value().to_host(), b = moe.bias().to_host();
    double margin = 1e9;
    for (std::int64_t n = 0; n < N; ++n) {
        std::vector<double> row(static_cast<std::size_t>(E));
        for (std::int64_t e = 0; e < E; ++e) row[static_cast<std::size_t>(e)] = s[static_cast<std::size_t>(n * E + e)] + b[static_cast<std::size_t>(e)];
        std::sort(row.begin(), row.end(), std::greater<double>());
        if (k < E) margin = std::min(margin, row[static_cast<std::size_t>(k - 1)] - row[static_cast<std::size_t>(k)]);
    }
    return margin;
}

std::string error_of(const Cfg& c) {
    try {
        c.validate();
    } catch (const grpo::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("moe routing by hand: top-2 by sigmoid, weights sum to route_scale, the bias only chooses") {
    Cfg c;
    c.d_model = 2, c.n_routed_experts = 4, c.experts_per_token = 2, c.expert_hidden = 3, c.n_shared_experts = 0;
    c.route_scale = 2.5;
    grpo::Rng rng(1);
    MoeD moe(c, rng);
    set(moe.gate_weight(), {2, 0, 1, 0, -1, 0, 0.5, 0});  // logits of x = (1, 0): (2, 1, -1, 0.5)
    const V x = input({1, 2}, {1, 0});
    const double s0 = sigmoid(2), s1 = sigmoid(1), s3 = sigmoid(0.5);

    auto r = moe.route(nullptr, x);
    CHECK(r.experts == std::vector<std::int32_t>{0, 1});
    auto g = r.weights.value().to_host();
    CHECK(g[0] == doctest::Approx(2.5 * s0 / (s0 + s1)).epsilon(1e-14));
    CHECK(g[1] == doctest::Approx(2.5 * s1 / (s0 + s1)).epsilon(1e-14));
    CHECK(g[0] + g[1] == doctest::Approx(2.5).epsilon(1e-14));

    // b_3 = 0.2 lifts expert 3 (0.6225 + 0.2) past expert 1 (0.7311); its weight is still s_3.
    moe.bias().copy_from_host({0, 0, 0, 0.2});
    r = moe.route(nullptr, x);
    CHECK(r.experts == std::vector<std::int32_t>{0, 3});
    g = r.weights.value().to_host();
    CHECK(g[0] == doctest::Approx(2.5 * s0 / (s0 + s3)).epsilon(1e-14));
    CHECK(g[1] == doctest::Approx(2.5 * s3 / (s0 + s3)).epsilon(1e-14));

    // Softmax scoring (the V2 option): the weights are the softmax probabilities, not renormalised.
    c.scoring = Cfg::Scoring::softmax;
    grpo::Rng rng2(1);
    MoeD soft(c, rng2);
    set(soft.gate_weight(), {2, 0, 1, 0, -1, 0, 0.5, 0});
    r = soft.route(nullptr, x);
    const double z = std::exp(2) + std::exp(1) + std::exp(-1) + std::exp(0.5);
    CHECK(r.experts == std::vector<std::int32_t>{0, 1});
    g = r.weights.value().to_host();
    CHECK(g[0] == doctest::Approx(2.5 * std::exp(2) / z).epsilon(1e-14));
    CHECK(g[1] == doctest::Approx(2.5 * std::exp(1) / z).epsilon(1e-14));
}

TEST_CASE("moe group-limited routing chooses only within the kept groups") {
    Cfg c;
    c.d_model = 1, c.n_routed_experts = 8, c.experts_per_token = 2, c.expert_hidden = 2;
    c.n_groups = 4, c.topk_groups = 2;
    grpo::Rng rng(2);
    MoeD moe(c, rng);
    // Groups of 2. Group scores (sum of the top 2 sigmoids): g0 = σ(3) + σ(-3) = 1.0,
    // g1 = 2σ(1) = 1.46, g2 = σ(2) + σ(-1) = 1.15, g3 = 2σ(-2) = 0.24. Kept: g1 and g2. Expert 0
    // has the best score of all (σ(3) = 0.95) but its group is dropped.
    const std::vector<double> w{3, -3, 1, 1, 2, -1, -2, -2};
    set(moe.gate_weight(), w);
    const V x = input({1, 1}, {1});
    CHECK(moe.route(nullptr, x).experts == std::vector<std::int32_t>{4, 2});
    c.n_groups = 1, c.topk_groups = 1;  // without the group limit expert 0 is chosen
    grpo::Rng rng2(2);
    MoeD flat(c, rng2);
    set(flat.gate_weight(), w);
    CHECK(flat.route(nullptr, x).experts == std::vector<std::int32_t>{0, 4});
    // With topk_groups = 1 only group 1 is kept.
    c.n_groups = 4, c.topk_groups = 1;
    grpo::Rng rng3(2);
    MoeD one(c, rng3);
    set(one.gate_weight(), w);
    CHECK(one.route(nullptr, x).experts == std::vector<std::int32_t>{2, 3});
}

namespace {
// out = (silu(x·w1) ⊙ (x·w3))·w2 for one row x (d), written plainly.
std::vector<double> plain_ffn(const grpo::FeedForward<double, grpo::Cpu>& f, const std::vector<double>& x) {
    const auto w1 = f.w1().value().to_host(), w2 = f.w2().value().to_host(), w3 = f.w3().value().to_host();
    const std::size_t d = x.size(), h = static_cast<std::size_t>(f.hidden());
    std::vector<double> out(d, 0.0);
    for (std::size_t j = 0; j < h; ++j) {
        double a = 0, b = 0;
        for (std::size_t i = 0; i < d; ++i) a += x[i] * w1[i * h + j], b += x[i] * w3[i * h + j];
        const double act = a * sigmoid(a) * b;
        for (std::size_t i = 0; i < d; ++i) out[i] += act * w2[j * d + i];
    }
    return out;
}
}  // namespace

TEST_CASE("moe output equals a plain loop over every token and its chosen experts") {
    Cfg c;
    c.d_model = 4, c.n_routed_experts = 6, c.experts_per_token = 2, c.expert_hidden = 3, c.n_shared_experts = 2;
    c.route_scale = 1.5;
    grpo::Rng rng(3);
    MoeD moe(c, rng);
    redraw(moe, rng, 1.0);
    moe.bias().copy_from_host({0.1, -0.2, 0.0, 0.3, -0.1, 0.05});
    const std::int64_t N = 7, d = 4, E = 6, k = 2;
    const V x = V::param(Tn::randn({N, d}, rng));
    const auto out = moe.forward(nullptr, x).value().to_host();
    const auto xs = x.value().to_host(), W = moe.gate_weight().value().to_host(), b = moe.bias().to_host();
    for (std::int64_t n = 0; n < N; ++n) {
        const std::vector<double> row(xs.begin() + n * d, xs.begin() + (n + 1) * d);
        std::vector<double> s(E), biased(E), expect(static_cast<std::size_t>(d), 0.0);
        std::vector<int> order(E);
        for (std::int64_t e = 0; e < E; ++e) {
            double z = 0;
            for (std::int64_t i = 0; i < d; ++i) z += row[static_cast<std::size_t>(i)] * W[static_cast<std::size_t>(e * d + i)];
            s[static_cast<std::size_t>(e)] = sigmoid(z);
            biased[static_cast<std::size_t>(e)] = s[static_cast<std::size_t>(e)] + b[static_cast<std::size_t>(e)];
            order[static_cast<std::size_t>(e)] = static_cast<int>(e);
        }
        std::sort(order.begin(), order.end(), [&](int a, int bb) { return biased[static_cast<std::size_t>(a)] > biased[static_cast<std::size_t>(bb)]; });
        const double total = s[static_cast<std::size_t>(order[0])] + s[static_cast<std::size_t>(order[1])];
        for (std::int64_t j = 0; j < k; ++j) {
            const int e = order[static_cast<std::size_t>(j)];
            const auto y = plain_ffn(moe.experts()[static_cast<std::size_t>(e)], row);
            for (std::int64_t i = 0; i < d; ++i) expect[static_cast<std::size_t>(i)] += 1.5 * s[static_cast<std::size_t>(e)] / total * y[static_cast<std::size_t>(i)];
        }
        for (const auto& sh : moe.shared_experts()) {
            const auto y = plain_ffn(sh, row);
            for (std::int64_t i = 0; i < d; ++i) expect[static_cast<std::size_t>(i)] += y[static_cast<std::size_t>(i)];
        }
        for (std::int64_t i = 0; i < d; ++i) {
            INFO("token ", n, ", column ", i);
            CHECK(out[static_cast<std::size_t>(n * d + i)] == doctest::Approx(expect[static_cast<std::size_t>(i)]).epsilon(1e-12));
        }
    }
    std::int64_t routed = 0;
    for (auto l : moe.expert_load()) routed += l;
    CHECK(routed == N * k);
}

TEST_CASE("moe finite-difference gradient of the whole layer with the selection held fixed") {
    for (auto scoring : {Cfg::Scoring::sigmoid, Cfg::Scoring::softmax}) {
        Cfg c;
        c.d_model = 3, c.n_routed_experts = 5, c.experts_per_token = 2, c.expert_hidden = 2, c.n_shared_experts = 1;
        c.route_scale = 1.7, c.scoring = scoring;
        grpo::Rng rng(4);
        MoeD moe(c, rng);
        redraw(moe, rng, 1.5);
        moe.bias().copy_from_host({0.05, -0.05, 0.0, 0.1, -0.1});
        std::vector<V> inputs{V::param(Tn::randn({4, 3}, rng))};
        // No top-k choice within 1e-3 of a tie, so the FD steps (1e-5) cannot flip one.
        REQUIRE(selection_margin(moe, inputs[0]) > 1e-3);
        for (const auto& p : moe.named_params()) inputs.push_back(p.second);
        auto f = [&moe](grpo::Tape* t, std::vector<V>& in) { return moe.forward(t, in[0]); };
        const auto errors = grpo::gradient_errors<double, grpo::Cpu>(f, inputs, rng);
        const auto names = moe.named_params();
        for (std::size_t i = 0; i < errors.size(); ++i) {
            const std::string what = (scoring == Cfg::Scoring::sigmoid ? "sigmoid: " : "softmax: ") + (i == 0 ? std::string("x") : names[i - 1].first);
            INFO(what,
                 ", relative error ", errors[i]);
            CHECK(errors[i] <= 1e-6);
        }
    }
}

TEST_CASE("moe balance loss by hand and its finite-difference gradient") {
    Cfg c;
    c.d_model = 3, c.n_routed_experts = 4, c.experts_per_token = 2, c.expert_hidden = 2;
    c.balance_loss_alpha = 0.3;
    grpo::Rng rng(5);
    MoeD moe(c, rng);
    redraw(moe, rng, 1.5);
    const std::int64_t N = 5, E = 4, k = 2;
    const V x = V::param(Tn::randn({N, 3}, rng));
    REQUIRE(selection_margin(moe, x) > 1e-3);
    moe.forward(nullptr, x);
    const double loss = moe.balance_loss(nullptr).value().item();
    // α Σ_i f_i P_i, f_i = E/(k·T)·count_i, P_i = mean_t s_{i,t} / Σ_j s_{j,t}
    const auto r = moe.route(nullptr, x);
    const auto s = r.scores.value().to_host();
    std::vector<double> count(E, 0.0), P(E, 0.0);
    for (auto e : r.experts) count[static_cast<std::size_t>(e)] += 1;
    for (std::int64_t t = 0; t < N; ++t) {
        double total = 0;
        for (std::int64_t e = 0; e < E; ++e) total += s[static_cast<std::size_t>(t * E + e)];
        for (std::int64_t e = 0; e < E; ++e) P[static_cast<std::size_t>(e)] += s[static_cast<std::size_t>(t * E + e)] / total / N;
    }
    double expect = 0;
    for (std::int64_t e = 0; e < E; ++e) expect += 0.3 * (double(E) / (k * N) * count[static_cast<std::size_t>(e)]) * P[static_cast<std::size_t>(e)];
    CHECK(loss == doctest::Approx(expect).epsilon(1e-14));
    CHECK(moe.expert_load() == std::vector<std::int64_t>{std::int64_t(count[0]), std::int64_t(count[1]), std::int64_t(count[2]), std::int64_t(count[3])});

    std::vector<V> inputs{x, moe.gate_weight()};
    auto f = [&moe](grpo::Tape* t, std::vector<V>& in) {
        moe.forward(t, in[0]);
        return moe.balance_loss(t);
    };
    const auto errors = grpo::gradient_errors<double, grpo::Cpu>(f, inputs, rng);
    for (std::size_t i = 0; i < errors.size(); ++i) {
        const std::string what = i == 0 ? "x" : "gate.weight";
        INFO(what, ", relative error ", errors[i]);
        CHECK(errors[i] <= 1e-6);
    }
}

TEST_CASE("moe update_balance_bias moves b toward under-loaded experts by exactly gamma") {
    Cfg c;
    c.d_model = 4, c.n_routed_experts = 4, c.experts_per_token = 1, c.expert_hidden = 2;
    c.bias_update_speed = 0.01;
    grpo::Rng rng(6);
    MoeD moe(c, rng);
    set(moe.gate_weight(), {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});  // identity: token e_i picks i
    const V x = input({4, 4}, {1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
    moe.forward(nullptr, x);
    CHECK(moe.expert_load() == std::vector<std::int64_t>{2, 1, 1, 0});  // mean load 1
    moe.update_balance_bias();
    CHECK(moe.bias().to_host() == std::vector<double>{-0.01, 0.0, 0.0, 0.01});
    moe.update_balance_bias();  // the same load again: another step of γ
    CHECK(moe.bias().to_host() == std::vector<double>{-0.02, 0.0, 0.0, 0.02});
}

TEST_CASE("moe named_params, bias state and skipped experts") {
    Cfg c;
    c.d_model = 4, c.n_routed_experts = 4, c.experts_per_token = 1, c.expert_hidden = 2;
    grpo::Rng rng(7);
    MoeD moe(c, rng);
    const auto params = moe.named_params("layers.0.ffn.");
    REQUIRE(params.size() == 1 + 3 * 4 + 3 * 1);
    CHECK(params[0].first == "layers.0.ffn.gate.weight");
    CHECK(params[0].second.shape() == grpo::Shape{4, 4});
    CHECK(params[1].first == "layers.0.ffn.experts.0.w1");
    CHECK(params[1].second.shape() == grpo::Shape{4, 2});
    CHECK(params[12].first == "layers.0.ffn.experts.3.w3");
    CHECK(params[13].first == "layers.0.ffn.shared_experts.0.w1");
    CHECK(params[14].second.shape() == grpo::Shape{2, 4});  // w2
    CHECK(moe.bias().shape() == grpo::Shape{4});
    // Expert 3 gets no token: it does not run, and its weights get no gradient.
    set(moe.gate_weight(), {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    const V x = input({3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
    grpo::Tape tape;
    const V out = moe.forward(&tape, x);
    tape.backward(grpo::sum(&tape, out));
    CHECK(moe.expert_load() == std::vector<std::int64_t>{1, 1, 1, 0});
    CHECK(moe.experts()[0].w1().has_grad());
    CHECK_FALSE(moe.experts()[3].w1().has_grad());
    CHECK(moe.gate_weight().has_grad());
}

TEST_CASE("moe config validation names the offending field") {
    Cfg ok;
    ok.d_model = 8, ok.n_routed_experts = 8, ok.expert_hidden = 4;
    CHECK(error_of(ok).empty());
    auto with = [&ok](auto change) {
        Cfg c = ok;
        change(c);
        return error_of(c);
    };
    CHECK(error_of(Cfg{}) == "MoEConfig.d_model = 0 must be > 0");
    CHECK(with([](Cfg& c) { c.n_routed_experts = -1; }) == "MoEConfig.n_routed_experts = -1 must be > 0");
    CHECK(with([](Cfg& c) { c.n_shared_experts = -1; }) == "MoEConfig.n_shared_experts = -1 must be >= 0");
    CHECK(with([](Cfg& c) { c.expert_hidden = 0; }) == "MoEConfig.expert_hidden = 0 must be > 0");
    CHECK(with([](Cfg& c) { c.route_scale = 0; }) == "MoEConfig.route_scale = 0 must be > 0");
    CHECK(with([](Cfg& c) { c.n_groups = 3; }) == "MoEConfig.n_groups = 3 must be >= 1 and divide n_routed_experts = 8");
    CHECK(with([](Cfg& c) { c.n_groups = 4, c.topk_groups = 5; }) == "MoEConfig.topk_groups = 5 must be in [1, n_groups = 4]");
    CHECK(with([](Cfg& c) { c.n_groups = 4, c.experts_per_token = 3; }) ==
          "MoEConfig.experts_per_token = 3 must be in [1, 2] (the experts in topk_groups = 1 groups of 2)");
    CHECK(with([](Cfg& c) { c.experts_per_token = 0; }) ==
          "MoEConfig.experts_per_token = 0 must be in [1, 8] (the experts in topk_groups = 1 groups of 8)");
    CHECK(with([](Cfg& c) { c.balance_loss_alpha = -1; }) == "MoEConfig.balance_loss_alpha = -1 must be >= 0");
    CHECK(with([](Cfg& c) { c.bias_update_speed = -0.5; }) == "MoEConfig.bias_update_speed = -0.5 must be >= 0");
    CHECK(with([](Cfg& c) { c.init_std = 0; }) == "MoEConfig.init_std = 0 must be > 0");
    grpo::Rng rng(8);
    CHECK_THROWS_AS(MoeD(Cfg{}, rng), grpo::Error);
    // A wrong input shape names both shapes.
    MoeD moe(ok, rng);
    try {
        moe.forward(nullptr, input({2, 3}, {1, 2, 3, 4, 5, 6}));
        FAIL("no error");
    } catch (const grpo::Error& e) {
        CHECK(std::string(e.what()) == "MoE: x (2, 3) must be (N, 8) with N > 0");
    }
}

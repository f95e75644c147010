#include <doctest/doctest.h>

#include <cmath>
#include <grpo/autograd/gradcheck.hpp>
#include <grpo/backend/cpu/cpu.hpp>
#include <grpo/rl/ppo.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace grpo;
using TensorD = Tensor<double, Cpu>;
using VarD = Var<double, Cpu>;

namespace {

void check_values(const TensorD& t, const std::vector<double>& want, double eps = 1e-14) {
    const auto got = t.to_host();
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
        INFO("index ", k);
        CHECK(got[k] == doctest::Approx(want[k]).epsilon(eps));
    }
}

}  // namespace

TEST_CASE("ppo config: TRL PPOConfig defaults and the policy loss it maps to") {
    const PpoConfig c;
    CHECK(c.gamma == 1.0);
    CHECK(c.lam == 0.95);
    CHECK(c.cliprange == 0.2);
    CHECK(c.cliprange_value == 0.2);
    CHECK(c.vf_coef == 0.1);
    CHECK(c.kl_coef == 0.05);
    CHECK(c.kl == KlEstimator::k1);
    CHECK(c.whiten_advantages);
    const GrpoLossConfig p = c.policy_loss();
    CHECK(p.eps_low == 0.2);
    CHECK(p.eps_high == 0.2);
    CHECK(p.beta == 0.0);
    CHECK(p.aggregation == LossAggregation::dapo);
}

// Per-token advantages through grpo_loss, token mean over 4 tokens (row 1 is padded at t = 2):
//   (0,0) ρ = 1.5, A = 0.5: −min(0.75, 1.2·0.5) = −0.6     (0,1) ρ = 1, A = −1: 1
//   (0,2) ρ = 1, A = 2: −2                                 (1,0) ρ = 1, A = 1.5: −1.5
//   loss = (−0.6 + 1 − 2 − 1.5) / 4 = −0.775
TEST_CASE("ppo policy loss: grpo_loss with per-token advantages, by hand") {
    const TensorD old_logp = TensorD::from({2, 3}, {-1.0, -2.0, -0.5, -0.3, -0.2, -0.1});
    const TensorD logp = TensorD::from({2, 3}, {-1.0 + std::log(1.5), -2.0, -0.5, -0.3, NAN, NAN});
    const TensorD adv = TensorD::from({2, 3}, {0.5, -1.0, 2.0, 1.5, NAN, NAN});
    const TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 0, 0});
    const auto out = grpo_loss<double, Cpu>(nullptr, VarD(logp), old_logp, TensorD(), adv, mask,
                                            PpoConfig{}.policy_loss());
    CHECK(out.loss.value().item() == doctest::Approx(-0.775).epsilon(1e-14));
    CHECK(out.clip_frac_high == doctest::Approx(0.25));
}

// kl_coef 0.1, k1 = logp − ref_logp:
//   row 0 (3 tokens, score 1):   k1 = 0.5, −1, 0.2  -> r = −0.05, 0.1, −0.02 + 1 = 0.98
//   row 1 (2 tokens, score −0.5): k1 = 0.3, 0       -> r = −0.03, 0 − 0.5 = −0.5, pad 0
// k3 = e^{log r} − log r − 1 with log r = ref − logp = −0.5, 1, −0.2 on row 0:
//   e^{−0.5} − 0.5, e − 2, e^{−0.2} − 0.8
TEST_CASE("per_token_rewards: KL penalty on every token, score at the last, by hand") {
    const TensorD logp = TensorD::from({2, 3}, {-1.0, -2.0, -0.3, -0.7, -0.1, NAN});
    const TensorD ref = TensorD::from({2, 3}, {-1.5, -1.0, -0.5, -1.0, -0.1, NAN});
    const TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 1, 0});
    const std::vector<double> scores = {1.0, -0.5};
    check_values(per_token_rewards(scores, logp, ref, mask, 0.1), {-0.05, 0.1, 0.98, -0.03, -0.5, 0.0});
    const auto k3 = per_token_rewards(scores, logp, ref, mask, 0.1, KlEstimator::k3).to_host();
    CHECK(k3[0] == doctest::Approx(-0.1 * (std::exp(-0.5) - 0.5)).epsilon(1e-14));
    CHECK(k3[1] == doctest::Approx(-0.1 * (std::exp(1.0) - 2.0)).epsilon(1e-14));
    CHECK(k3[2] == doctest::Approx(1.0 - 0.1 * (std::exp(-0.2) - 0.8)).epsilon(1e-14));
    // kl_coef 0: only the score, at the last token.
    check_values(per_token_rewards(scores, logp, ref, mask, 0.0), {0, 0, 1.0, 0, -0.5, 0});
}

// γ = 0.9, λ = 0.8 (γλ = 0.72); r = 0.1, −0.2, 1.0; V = 0.5, 0.4, 0.6; V after the end = 0:
//   t = 2: δ = 1.0 + 0.9·0 − 0.6 = 0.4                A = 0.4                       R = 1.0
//   t = 1: δ = −0.2 + 0.9·0.6 − 0.4 = −0.06           A = −0.06 + 0.72·0.4 = 0.228   R = 0.628
//   t = 0: δ = 0.1 + 0.9·0.4 − 0.5 = −0.04            A = −0.04 + 0.72·0.228 = 0.12416
//                                                                                   R = 0.62416
TEST_CASE("gae: one row by hand, gamma and lambda below 1") {
    const TensorD r = TensorD::from({1, 3}, {0.1, -0.2, 1.0});
    const TensorD v = TensorD::from({1, 3}, {0.5, 0.4, 0.6});
    const TensorD mask = TensorD::ones({1, 3});
    const auto out = gae(r, v, mask, 0.9, 0.8);
    check_values(out.advantages, {0.12416, 0.228, 0.4});
    check_values(out.returns, {0.62416, 0.628, 1.0});
    // λ = 1: R_t is the discounted return Σ γ^k r_{t+k}: 0.1 − 0.18 + 0.81, −0.2 + 0.9, 1.
    check_values(gae(r, v, mask, 0.9, 1.0).returns, {0.73, 0.7, 1.0});
    // λ = 0: A_t = δ_t (one-step TD error).
    check_values(gae(r, v, mask, 0.9, 0.0).advantages, {-0.04, -0.06, 0.4});
}

// Row 0 as above. Row 1 has 2 tokens; its padding holds NaN, which must never be read:
//   t = 1: δ = 2.0 + 0.9·0 − 0.5 = 1.5       A = 1.5                        R = 2.0
//   t = 0: δ = 0.0 + 0.9·0.5 − 1.0 = −0.55   A = −0.55 + 0.72·1.5 = 0.53    R = 1.53
TEST_CASE("gae: two rows of different lengths, the value after the last token is 0") {
    const TensorD r = TensorD::from({2, 3}, {0.1, -0.2, 1.0, 0.0, 2.0, NAN});
    const TensorD v = TensorD::from({2, 3}, {0.5, 0.4, 0.6, 1.0, 0.5, NAN});
    const TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 1, 0});
    const auto out = gae(r, v, mask, 0.9, 0.8);
    check_values(out.advantages, {0.12416, 0.228, 0.4, 0.53, 1.5, 0.0});
    check_values(out.returns, {0.62416, 0.628, 1.0, 1.53, 2.0, 0.0});
}

// A masked token inside a row is skipped (verl): r = 1, ·, 2; V = 0.5, ·, 1.0:
//   t = 2: δ = 2 − 1 = 1, A = 1, R = 2;   t = 0: δ = 1 + 0.9·1.0 − 0.5 = 1.4, A = 1.4 + 0.72 = 2.12
TEST_CASE("gae: a masked token inside a row is skipped") {
    const TensorD r = TensorD::from({1, 3}, {1.0, NAN, 2.0});
    const TensorD v = TensorD::from({1, 3}, {0.5, NAN, 1.0});
    const auto out = gae(r, v, TensorD::from({1, 3}, {1, 0, 1}), 0.9, 0.8);
    check_values(out.advantages, {2.12, 0.0, 1.0});
    check_values(out.returns, {2.62, 0.0, 2.0});
}

// x = 1, 2, 3 | 4, pad, pad: mean 2.5, Σ (x − mean)² = 5, unbiased var = 5/3.
TEST_CASE("masked_whiten: TRL's unbiased masked statistics, with and without the mean") {
    const TensorD x = TensorD::from({2, 3}, {1, 2, 3, 4, NAN, NAN});
    const TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 0, 0});
    const double s = std::sqrt(5.0 / 3.0 + 1e-8);
    check_values(masked_whiten(x, mask), {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0});
    check_values(masked_whiten(x, mask, false), {2.5 - 1.5 / s, 2.5 - 0.5 / s, 2.5 + 0.5 / s, 2.5 + 1.5 / s, 0, 0});
}

TEST_CASE("ppo_advantages: GAE, then whitening, returns stay on the raw scale") {
    const TensorD r = TensorD::from({2, 3}, {0.1, -0.2, 1.0, 0.0, 2.0, NAN});
    const TensorD v = TensorD::from({2, 3}, {0.5, 0.4, 0.6, 1.0, 0.5, NAN});
    const TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 1, 0});
    PpoConfig c;
    c.gamma = 0.9;
    c.lam = 0.8;
    const auto out = ppo_advantages(r, v, mask, c);
    check_values(out.returns, {0.62416, 0.628, 1.0, 1.53, 2.0, 0.0});
    // The raw advantages 0.12416, 0.228, 0.4, 0.53, 1.5: mean 0.556432.
    const std::vector<double> raw = {0.12416, 0.228, 0.4, 0.53, 1.5};
    double squares = 0;
    for (double a : raw) squares += (a - 0.556432) * (a - 0.556432);
    const double s = std::sqrt(squares / 4 + 1e-8);
    check_values(out.advantages, {(raw[0] - 0.556432) / s, (raw[1] - 0.556432) / s, (raw[2] - 0.556432) / s,
                                  (raw[3] - 0.556432) / s, (raw[4] - 0.556432) / s, 0.0},
                 1e-12);
    c.whiten_advantages = false;
    check_values(ppo_advantages(r, v, mask, c).advantages, {0.12416, 0.228, 0.4, 0.53, 1.5, 0.0});
}

TEST_CASE("ppo rewards, gae and whitening name a bad shape or value") {
    const TensorD a = TensorD::zeros({2, 3});
    CHECK_THROWS_WITH_AS(gae(a, TensorD::zeros({2, 2}), a, 0.9, 0.8), "gae: values has shape (2, 2), expected (2, 3)",
                         Error);
    CHECK_THROWS_WITH_AS(gae(TensorD::zeros({6}), a, a, 0.9, 0.8), "gae: rewards has shape (6), expected (N, L)",
                         Error);
    CHECK_THROWS_WITH_AS(gae(a, a, a, 1.5, 0.8), "gae: gamma = 1.5, expected 0 <= gamma <= 1", Error);
    CHECK_THROWS_WITH_AS(per_token_rewards({1.0, 2.0, 3.0}, a, a, a, 0.1),
                         "per_token_rewards: 3 scores for logp of shape (2, 3), expected 2", Error);
    CHECK_THROWS_WITH_AS(per_token_rewards({1.0, 2.0}, a, a, TensorD::zeros({3, 2}), 0.1),
                         "per_token_rewards: mask has shape (3, 2), expected (2, 3)", Error);
    CHECK_THROWS_WITH_AS(per_token_rewards({1.0, NAN}, a, a, a, 0.1),
                         "per_token_rewards: score 1 is nan, expected a finite number (a missing reward cannot be "
                         "spread over tokens)",
                         Error);
    CHECK_THROWS_WITH_AS(masked_whiten(a, TensorD::from({2, 3}, {0, 0, 1, 0, 0, 0})),
                         "masked_whiten: the mask of shape (2, 3) holds 1 tokens, expected more than 1 (the unbiased "
                         "variance divides by count - 1)",
                         Error);
}

namespace {

// The value-loss batch, c = 0.2; V_c = clip(V, V_old ± 0.2), l1 = (V − R)², l2 = (V_c − R)²:
//   (0,0) V 1.0, V_old 0.9, R 0.5: inside, V_c = V, l1 = l2 = 0.25         l 0.25  dl/dV 2·0.5 = 1
//   (0,1) V 1.5, V_old 1.0, R 2.0: V_c 1.2, l1 0.25 < l2 0.64: clipped     l 0.64  dl/dV 0
//   (0,2) V 1.5, V_old 1.0, R 1.0: V_c 1.2, l1 0.25 > l2 0.04              l 0.25  dl/dV 2·0.5 = 1
//   (1,0) V 0.0, V_old 0.5, R 1.0: V_c 0.3, l1 1.0 > l2 0.49               l 1.0   dl/dV 2·(−1) = −2
//   (1,1) V 0.0, V_old 0.5, R −1.0: V_c 0.3, l1 1.0 < l2 1.69: clipped     l 1.69  dl/dV 0
//   (1,2) padding (NaN)
// loss = ½ · (0.25 + 0.64 + 0.25 + 1.0 + 1.69) / 5 = 0.383; dloss/dV = ½ · dl/dV / 5.
struct ValueBatch {
    TensorD values = TensorD::from({2, 3}, {1.0, 1.5, 1.5, 0.0, 0.0, NAN});
    TensorD old_values = TensorD::from({2, 3}, {0.9, 1.0, 1.0, 0.5, 0.5, NAN});
    TensorD returns = TensorD::from({2, 3}, {0.5, 2.0, 1.0, 1.0, -1.0, NAN});
    TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 1, 0});
};

}  // namespace

TEST_CASE("value_loss: hand-computed value, clip fraction and gradient, both branches") {
    ValueBatch b;
    VarD v = VarD::param(b.values);
    Tape tape;
    const auto out = value_loss(&tape, v, b.old_values, b.returns, b.mask, 0.2);
    CHECK(out.loss.value().item() == doctest::Approx(0.383).epsilon(1e-14));
    CHECK(out.clip_frac == doctest::Approx(0.4).epsilon(1e-14));  // (0,1) and (1,1)
    CHECK(out.tokens == 5);
    tape.backward(out.loss);
    check_values(v.grad(), {0.1, 0.0, 0.1, -0.2, 0.0, 0.0});
    // No clipping (c = ∞): ½ · (0.25 + 0.25 + 0.25 + 1 + 1) / 5 = 0.275.
    const auto plain = value_loss<double, Cpu>(nullptr, VarD(b.values), b.old_values, b.returns, b.mask, INFINITY);
    CHECK(plain.loss.value().item() == doctest::Approx(0.275).epsilon(1e-14));
    CHECK(plain.clip_frac == 0.0);
}

TEST_CASE("value_loss: gradient against central finite differences, clipped and unclipped tokens") {
    ValueBatch b;
    b.values = TensorD::from({2, 3}, {1.0, 1.5, 1.5, 0.0, 0.0, 0.7});  // finite padding: FD perturbs it too
    Rng rng(11);
    auto f = [&](Tape* tape, std::vector<VarD>& in) {
        return value_loss(tape, in[0], b.old_values, b.returns, b.mask, 0.2).loss;
    };
    const auto errors = gradient_errors<double, Cpu>(f, {VarD::param(b.values)}, rng, 1e-6);
    CHECK(errors[0] < 1e-9);
    // A random batch with V_old within and beyond c of V: both branches again, no kinks nearby.
    const TensorD v = TensorD::randn({3, 4}, rng);
    std::vector<double> old = v.to_host(), ret = TensorD::randn({3, 4}, rng).to_host();
    for (std::size_t k = 0; k < old.size(); ++k) old[k] += (k % 3 == 0 ? 0.05 : (k % 3 == 1 ? 0.6 : -0.6));
    b.old_values = TensorD::from({3, 4}, old);
    b.returns = TensorD::from({3, 4}, ret);
    b.mask = TensorD::from({3, 4}, {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0});
    const double clip_frac = value_loss<double, Cpu>(nullptr, VarD(v), b.old_values, b.returns, b.mask, 0.2).clip_frac;
    CHECK(clip_frac > 0.0);  // both branches are exercised
    CHECK(clip_frac < 1.0);
    CHECK(gradient_errors<double, Cpu>(f, {VarD::param(v)}, rng, 1e-6)[0] < 1e-8);
}

TEST_CASE("value_loss names a bad shape or cliprange") {
    ValueBatch b;
    CHECK_THROWS_WITH_AS(value_loss(nullptr, VarD(b.values), b.old_values, TensorD::zeros({2, 2}), b.mask, 0.2),
                         "value_loss: returns has shape (2, 2), expected (2, 3)", Error);
    CHECK_THROWS_WITH_AS(value_loss(nullptr, VarD(TensorD::zeros({6})), b.old_values, b.returns, b.mask, 0.2),
                         "value_loss: values has shape (6), expected (N, L)", Error);
    CHECK_THROWS_WITH_AS(value_loss(nullptr, VarD(b.values), b.old_values, b.returns, b.mask, -0.1),
                         "value_loss: cliprange_value = -0.1, expected >= 0 (infinity: no clipping)", Error);
}

namespace {

using Critic2 = Critic<double, Cpu>;

// Two prompts (3 and 1 tokens), G = 2, completions of lengths 2, 4, 1, 3 (as in the
// policy_logprobs tests): L = 4, W = 6.
const std::vector<std::vector<std::int32_t>> kPpoPrompts = {{1, 3, 5}, {1}};

Completions ppo_two_groups() {
    Completions c;
    c.group_size = 2;
    c.tokens = {{4, 5}, {6, 7, 8, 2}, {2}, {9, 3, 10}};
    c.logprobs = {{0, 0}, {0, 0, 0, 0}, {0}, {0, 0, 0}};
    c.truncated = {true, false, false, true};
    return c;
}

// A copy of the parameter: it shares the value and the gradient slot.
VarD param_named(const Critic2& critic, const std::string& name) {
    for (auto& p : critic.named_params())
        if (p.first == name) return p.second;
    FAIL("no parameter named ", name);
    return VarD();
}

}  // namespace

// The reference: each row alone, unpadded, through the trunk; V = h[P − 1 + t] · w + b by hand.
TEST_CASE("Critic::values equals each row computed alone, at the policy's log-prob positions") {
    Rng rng(21);
    Critic2 critic(grpo_test::tiny_moe_config(16), rng);
    const Completions c = ppo_two_groups();
    const auto batch = pack_policy_batch<Cpu>(kPpoPrompts, c);
    const VarD values = critic.values(nullptr, batch);
    CHECK(values.shape() == Shape{4, 4});
    const auto got = values.value().to_host();
    const auto w = param_named(critic, "value_head.weight").value().to_host();
    const double b = param_named(critic, "value_head.bias").value().item();
    const std::int64_t C = critic.config().d_model;
    for (std::size_t n = 0; n < 4; ++n) {
        std::vector<std::int32_t> row(kPpoPrompts[n / 2]);
        row.insert(row.end(), c.tokens[n].begin(), c.tokens[n].end());
        const auto W = static_cast<std::int64_t>(row.size());
        const auto h = critic.trunk().hidden(nullptr, Ids<Cpu>::from({1, W}, row)).value().to_host();
        const auto P = static_cast<std::int64_t>(kPpoPrompts[n / 2].size());
        for (std::size_t t = 0; t < c.tokens[n].size(); ++t) {
            double v = b;
            for (std::int64_t k = 0; k < C; ++k) v += h[(P - 1 + static_cast<std::int64_t>(t)) * C + k] * w[k];
            CHECK(got[n * 4 + t] == doctest::Approx(v).epsilon(1e-12));
        }
    }
}

TEST_CASE("Critic: as large as the policy, without an LM head, plus the value head") {
    Rng rng(22);
    const auto cfg = grpo_test::tiny_moe_config(16);
    Transformer<double, Cpu> policy(cfg, rng);
    Critic2 critic(policy, rng);
    // The policy's untied head (C, V) is gone; the value head adds C + 1.
    CHECK(critic.parameter_count() == policy.parameter_count() - cfg.d_model * cfg.vocab_size + cfg.d_model + 1);
    const auto named = critic.named_params();
    CHECK(named[named.size() - 2].first == "value_head.weight");
    CHECK(named.back().first == "value_head.bias");
    CHECK(named[named.size() - 2].second.shape() == Shape{cfg.d_model, 1});
    CHECK(critic.params().size() == named.size());
    for (auto& p : named) CHECK(p.first != "head.weight");
}

// d(value loss)/dθ by central differences in double, for the whole value head and entries of
// one trunk matrix. V_old = V + 0, +0.5, −0.5 (c = 0.2) and R = V + 1 put tokens inside the clip
// range, outside and unclipped (l1 1 > l2 0.49) and outside and clipped (l2 1.69 > l1 1).
TEST_CASE("Critic: value-loss gradient on the value head and a trunk weight against finite differences") {
    Rng rng(23);
    Critic2 critic(grpo_test::tiny_moe_config(16), rng);
    const Completions c = ppo_two_groups();
    const auto batch = pack_policy_batch<Cpu>(kPpoPrompts, c);
    const auto mask = completion_mask<double, Cpu>(c, batch.completion_width);
    std::vector<double> old = critic.values(nullptr, batch).value().to_host(), ret = old;
    for (std::size_t k = 0; k < old.size(); ++k) {
        ret[k] += 1.0;
        old[k] += k % 3 == 0 ? 0.0 : (k % 3 == 1 ? 0.5 : -0.5);
    }
    const TensorD old_values = TensorD::from({4, 4}, old), returns = TensorD::from({4, 4}, ret);
    auto objective = [&](Tape* tape) {
        return value_loss(tape, critic.values(tape, batch), old_values, returns, mask, 0.2);
    };
    const auto first = objective(nullptr);
    CHECK(first.clip_frac > 0.0);
    CHECK(first.clip_frac < 1.0);
    for (auto& p : critic.params()) p.zero_grad();
    Tape tape;
    tape.backward(objective(&tape).loss);

    const double h = 1e-6;
    auto check_param = [&](VarD p, const std::vector<std::size_t>& entries) {
        const auto grad = p.grad().to_host();
        auto w = p.value().to_host();
        for (std::size_t k : entries) {
            const double saved = w[k];
            w[k] = saved + h;
            p.value().copy_from_host(w);
            const double up = objective(nullptr).loss.value().item();
            w[k] = saved - h;
            p.value().copy_from_host(w);
            const double down = objective(nullptr).loss.value().item();
            w[k] = saved;
            p.value().copy_from_host(w);
            INFO("entry ", k);
            CHECK(grad[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
        }
    };
    const VarD head = param_named(critic, "value_head.weight");
    std::vector<std::size_t> all(static_cast<std::size_t>(head.numel()));
    for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
    check_param(head, all);
    check_param(param_named(critic, "value_head.bias"), {0});
    const VarD wq = param_named(critic, "layers.0.attn.wq");
    check_param(wq, {0, 17, static_cast<std::size_t>(wq.numel() - 1)});
}

TEST_CASE("Critic::values names a batch of the wrong shape") {
    Rng rng(24);
    Critic2 critic(grpo_test::tiny_moe_config(16), rng);
    auto batch = pack_policy_batch<Cpu>(kPpoPrompts, ppo_two_groups());
    batch.columns = Ids<Cpu>::from({3}, {0, 1, 2});
    CHECK_THROWS_WITH_AS(critic.values(nullptr, batch),
                         "Critic::values: columns have shape (3), expected (rows x completion_width) = (16)", Error);
    batch.rows = 2;
    CHECK_THROWS_WITH_AS(critic.values(nullptr, batch),
                         "Critic::values: ids have shape (4, 6), expected (rows, width) = (2, 6)", Error);
}

#include <doctest/doctest.h>

#include <cmath>
#include <grpo/autograd/gradcheck.hpp>
#include <grpo/backend/cpu/cpu.hpp>
#include <grpo/rl/grpo_loss.hpp>
#include <grpo/rl/kl.hpp>
#include <string>
#include <vector>

using namespace grpo;
using VarD = Var<double, Cpu>;
using TensorD = Tensor<double, Cpu>;
using Agg = LossAggregation;
using Level = ImportanceSamplingLevel;

namespace {

const double l2 = std::log(2.0);

// The hand batch: 2 completions x 3 positions, completion 1 padded at t = 2.
//   completion 0, A = +1: ρ = 1, 1.5 (above 1 + 0.2: high clip), 0.5 (A > 0: unclipped)
//   completion 1, A = −1: ρ = 0.5 (below 1 − 0.2: low clip), 4 (A < 0: unclipped; above c = 3)
//   log r = ref − logp: 0, ln 2, −ln 2 | 0, ln 2 | pad
// Padding holds NaN and inf: a masked token must never be read into the loss.
struct HandBatch {
    TensorD logp = TensorD::from({2, 3}, {-1.0, -2.0, -0.5, -1.5, -0.25, INFINITY});
    TensorD old_logp = TensorD::from({2, 3}, {-1.0, -2.0 - std::log(1.5), -0.5 + l2, -1.5 + l2,
                                              -0.25 - std::log(4.0), NAN});
    TensorD ref_logp = TensorD::from({2, 3}, {-1.0, -2.0 + l2, -0.5 - l2, -1.5, -0.25 + l2, NAN});
    TensorD adv = TensorD::from({2}, {1.0, -1.0});
    TensorD mask = TensorD::from({2, 3}, {1, 1, 1, 1, 1, 0});
};

GrpoLossConfig config_of(Agg agg, double beta = 0.0, KlEstimator kl = KlEstimator::k3) {
    GrpoLossConfig c;
    c.aggregation = agg;
    c.beta = beta;
    c.kl = kl;
    c.max_completion_length = 4;
    return c;
}

double loss_of(const HandBatch& b, const GrpoLossConfig& c) {
    return grpo_loss<double, Cpu>(nullptr, VarD(b.logp), b.old_logp, b.ref_logp, b.adv, b.mask, c).loss.value().item();
}

}  // namespace

// Surrogate loss terms pg = max(−ρA, −clip(ρ)A) of the hand batch (eps 0.2 / 0.2):
//   (0,0) max(−1, −1) = −1      (0,1) max(−1.5, −1.2) = −1.2     (0,2) max(−0.5, −0.8) = −0.5
//   (1,0) max(0.5, 0.8) = 0.8   (1,1) max(4, 1.2) = 4, dual clip 3: min(4, 3) = 3
// Row sums: −2.7 over 3 tokens; 4.8 (3.8 with dual clip) over 2 tokens. 5 tokens in all.
TEST_CASE("grpo loss: hand-computed values for every aggregation, beta 0") {
    HandBatch b;
    CHECK(loss_of(b, config_of(Agg::grpo)) == doctest::Approx((-0.9 + 2.4) / 2).epsilon(1e-14));  // 0.75
    CHECK(loss_of(b, config_of(Agg::dapo)) == doctest::Approx(2.1 / 5).epsilon(1e-14));           // 0.42
    CHECK(loss_of(b, config_of(Agg::dr_grpo)) == doctest::Approx(2.1 / (2 * 4)).epsilon(1e-14));  // 0.2625
    CHECK(loss_of(b, config_of(Agg::seq_mean_token_sum)) == doctest::Approx(2.1 / 2).epsilon(1e-14));
    GrpoLossConfig dual = config_of(Agg::grpo);
    dual.dual_clip_c = 3.0;
    CHECK(loss_of(b, dual) == doctest::Approx((-0.9 + 1.9) / 2).epsilon(1e-14));  // 0.5
    dual.aggregation = Agg::dapo;
    CHECK(loss_of(b, dual) == doctest::Approx(1.1 / 5).epsilon(1e-14));  // 0.22
}

// Token mean (w = 1/5), dpg/dlogp = −A·ρ where unclipped, 0 where clipped:
//   (0,0) −1·1/5 = −0.2   (0,1) high clip: 0   (0,2) −0.5/5 = −0.1   (1,0) low clip: 0
//   (1,1) +4/5 = 0.8, or 0 under the dual clip; the pad 0.
TEST_CASE("grpo loss: hand-computed gradient and clip metrics") {
    HandBatch b;
    for (double c : {0.0, 3.0}) {
        GrpoLossConfig cfg = config_of(Agg::dapo);
        cfg.dual_clip_c = c;
        VarD logp = VarD::param(b.logp);
        Tape tape;
        const auto out = grpo_loss(&tape, logp, b.old_logp, b.ref_logp, b.adv, b.mask, cfg);
        tape.backward(out.loss);
        const std::vector<double> want = {-0.2, 0.0, -0.1, 0.0, c > 0 ? 0.0 : 0.8, 0.0};
        const auto g = logp.grad().to_host();
        for (std::size_t k = 0; k < want.size(); ++k) CHECK(g[k] == doctest::Approx(want[k]).epsilon(1e-14));
        CHECK(out.clip_frac_low == doctest::Approx(0.2));   // (1,0)
        CHECK(out.clip_frac_high == doctest::Approx(0.2));  // (0,1)
        CHECK(out.clip_frac_dual == doctest::Approx(c > 0 ? 0.2 : 0.0));  // (1,1)
        CHECK(out.mean_ratio == doctest::Approx((1 + 1.5 + 0.5 + 0.5 + 4) / 5).epsilon(1e-14));  // 1.5
        CHECK(out.tokens == 5);
    }
}

// KL per token with log r = 0, ln 2, −ln 2 | 0, ln 2 (r = 1, 2, 1/2 | 1, 2):
//   k1 = −log r:          0, −l2, l2 | 0, −l2          Σ = −l2
//   k2 = ½ (log r)²:      0, ½l2², ½l2² | 0, ½l2²      Σ = 1.5 l2²
//   k3 = r − log r − 1:   0, 1 − l2, l2 − ½ | 0, 1 − l2   Σ = 1.5 − l2 (low_var_kl: the same)
// dapo, beta 0.1: loss = 0.42 + 0.1 Σ KL / 5.
TEST_CASE("grpo loss: hand-computed KL estimators in the loss") {
    HandBatch b;
    const double sums[] = {-l2, 1.5 * l2 * l2, 1.5 - l2, 1.5 - l2};
    const KlEstimator kinds[] = {KlEstimator::k1, KlEstimator::k2, KlEstimator::k3, KlEstimator::low_var_kl};
    for (int k = 0; k < 4; ++k) {
        INFO(kl_estimator_name(kinds[k]));
        const auto cfg = config_of(Agg::dapo, 0.1, kinds[k]);
        CHECK(loss_of(b, cfg) == doctest::Approx(0.42 + 0.1 * sums[k] / 5).epsilon(1e-14));
        const auto out = grpo_loss<double, Cpu>(nullptr, VarD(b.logp), b.old_logp, b.ref_logp, b.adv, b.mask, cfg);
        CHECK(out.mean_kl == doctest::Approx(sums[k] / 5).epsilon(1e-14));
    }
    // grpo, k3: rows (0 + 1 − l2 + l2 − ½)/3 = 1/6 and (1 − l2)/2, averaged.
    CHECK(loss_of(b, config_of(Agg::grpo, 0.1)) ==
          doctest::Approx(0.75 + 0.1 * (1.0 / 6 + (1 - l2) / 2) / 2).epsilon(1e-14));
}

// The cap and clamp of verl's low_var_kl, and the plain estimators, at single tokens.
TEST_CASE("grpo loss: kl_estimate per token, low_var_kl clamps") {
    // log r = 1, 3, 25, −25 (logp = 0)
    const TensorD logp = TensorD::zeros({4});
    const TensorD ref = TensorD::from({4}, {1.0, 3.0, 25.0, -25.0});
    const auto k3 = kl_estimate(KlEstimator::k3, logp, ref).to_host();
    CHECK(k3[0] == doctest::Approx(std::exp(1.0) - 2).epsilon(1e-15));   // 0.71828
    CHECK(k3[1] == doctest::Approx(std::exp(3.0) - 4).epsilon(1e-15));   // 16.09
    CHECK(k3[3] == doctest::Approx(24.0 + std::exp(-25.0)).epsilon(1e-15));
    const auto lv = kl_estimate(KlEstimator::low_var_kl, logp, ref).to_host();
    CHECK(lv[0] == doctest::Approx(std::exp(1.0) - 2).epsilon(1e-15));
    CHECK(lv[1] == 10.0);  // capped
    CHECK(lv[2] == 10.0);  // log r clamped to 20: e^20 − 21, capped
    CHECK(lv[3] == 10.0);  // log r clamped to −20: 19 + e^−20, capped
    const auto k1 = kl_estimate(KlEstimator::k1, logp, ref).to_host();
    const auto k2 = kl_estimate(KlEstimator::k2, logp, ref).to_host();
    CHECK(k1[1] == -3.0);
    CHECK(k2[1] == 4.5);
    CHECK_THROWS_WITH_AS(kl_estimate(KlEstimator::k1, logp, TensorD::zeros({3})),
                         "kl_estimate: ref_logp has shape (3), expected (4)", Error);
}

// p = softmax(0, 0) = (½, ½), q = softmax(0, ln 3) = (¼, ¾):
// KL = ½ ln(½/¼) + ½ ln(½/¾) = ½ ln(4/3). k1 and k3 are unbiased: Σ_v p(v) k(v) is exactly the KL.
TEST_CASE("grpo loss: exact_kl over the vocabulary, and the unbiased estimators' expectation") {
    const TensorD zp = TensorD::from({2, 2}, {0.0, 0.0, 0.3, -1.2});
    const TensorD zq = TensorD::from({2, 2}, {0.0, std::log(3.0), 1.0, 0.5});
    const auto kl = exact_kl(zp, zq).to_host();
    CHECK(kl[0] == doctest::Approx(0.5 * std::log(4.0 / 3.0)).epsilon(1e-14));
    // Row 1 by expectation: every token of the vocabulary as the "sample", weighted by p.
    const double lp0 = 0.3 - std::log(std::exp(0.3) + std::exp(-1.2)), lp1 = -1.2 - std::log(std::exp(0.3) + std::exp(-1.2));
    const double lq0 = 1.0 - std::log(std::exp(1.0) + std::exp(0.5)), lq1 = 0.5 - std::log(std::exp(1.0) + std::exp(0.5));
    const TensorD logp = TensorD::from({2}, {lp0, lp1}), ref = TensorD::from({2}, {lq0, lq1});
    for (KlEstimator k : {KlEstimator::k1, KlEstimator::k3}) {
        const auto e = kl_estimate(k, logp, ref).to_host();
        CHECK(std::exp(lp0) * e[0] + std::exp(lp1) * e[1] == doctest::Approx(kl[1]).epsilon(1e-13));
    }
    CHECK(kl[1] > 0);
    CHECK_THROWS_WITH_AS(exact_kl(zp, TensorD::zeros({2, 3})), "exact_kl: logits_ref has shape (2, 3), expected (2, 2)", Error);
}

// GSPO: s_0 = exp((0 + ln 1.5 + ln 0.5)/3) = 0.75^(1/3) = 0.90856 (inside [0.8, 1.2]: −s_0 on
// each token); s_1 = exp((ln 0.5 + ln 4)/2) = √2 (A < 0: unclipped, 1.41421 on each token).
// grpo: (−s_0 + √2)/2 = 0.25283. dapo: (−3 s_0 + 2√2)/5. Gradient, grpo: every token of row 0
// gets −(1/2)·s_0/3 (A = 1, ds/dlogp = s/3, w = 1/(2·3) summed over 3 tokens).
TEST_CASE("grpo loss: GSPO sequence ratio, hand-computed") {
    HandBatch b;
    const double s0 = std::cbrt(0.75), s1 = std::sqrt(2.0);
    GrpoLossConfig cfg = config_of(Agg::grpo);
    cfg.importance_sampling_level = Level::sequence;
    CHECK(loss_of(b, cfg) == doctest::Approx((-s0 + s1) / 2).epsilon(1e-14));
    VarD logp = VarD::param(b.logp);
    Tape tape;
    const auto out = grpo_loss(&tape, logp, b.old_logp, b.ref_logp, b.adv, b.mask, cfg);
    tape.backward(out.loss);
    const auto g = logp.grad().to_host();
    for (int t = 0; t < 3; ++t) CHECK(g[t] == doctest::Approx(-0.5 * s0 / 3).epsilon(1e-14));
    for (int t = 3; t < 5; ++t) CHECK(g[t] == doctest::Approx(0.5 * s1 / 2).epsilon(1e-14));
    CHECK(g[5] == 0.0);
    CHECK(out.mean_ratio == doctest::Approx((3 * s0 + 2 * s1) / 5).epsilon(1e-14));
    cfg.aggregation = Agg::dapo;
    CHECK(loss_of(b, cfg) == doctest::Approx((-3 * s0 + 2 * s1) / 5).epsilon(1e-14));
}

// μ = 1: old_logp = logp, so every ρ = 1 and no clip is active. With β = 0 the per-token loss
// is −A, so the value is −Σ w·A (0 here: group-centred A, every completion of a group the same
// length) while dloss/dlogp = −A·w per token (w = the aggregation's weight): not zero at all.
TEST_CASE("grpo loss: mu = 1, beta = 0: the value is about 0, the gradient is -A x weight") {
    // 2 groups of G = 2; lengths 3, 3 | 2, 2 (L = 3); A = ±0.7, ±1.3.
    const TensorD logp0 = TensorD::from({4, 3}, {-1.0, -0.3, -2.2, -0.8, -1.7, -0.2, -0.9, -1.1, -4.0, -0.6, -0.4, -3.0});
    const TensorD mask = TensorD::from({4, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0});
    const std::vector<double> A = {0.7, -0.7, 1.3, -1.3};
    const std::vector<int> len = {3, 3, 2, 2};
    const TensorD adv = TensorD::from({4}, A);
    for (Agg agg : {Agg::grpo, Agg::dapo, Agg::dr_grpo, Agg::seq_mean_token_sum}) {
        INFO(loss_aggregation_name(agg));
        const GrpoLossConfig cfg = config_of(agg);
        VarD logp = VarD::param(logp0);
        Tape tape;
        const auto out = grpo_loss(&tape, logp, logp0, TensorD(), adv, mask, cfg);
        CHECK(std::abs(out.loss.value().item()) < 1e-15);
        CHECK(out.mean_ratio == 1.0);
        tape.backward(out.loss);
        const auto g = logp.grad().to_host();
        for (int i = 0; i < 4; ++i) {
            const double w = agg == Agg::grpo ? 1.0 / (4 * len[i])
                           : agg == Agg::dapo ? 1.0 / 10
                           : agg == Agg::dr_grpo ? 1.0 / (4 * 4)
                                                 : 1.0 / 4;
            for (int t = 0; t < 3; ++t)
                CHECK(g[i * 3 + t] == doctest::Approx(t < len[i] ? -A[i] * w : 0.0).epsilon(1e-15));
        }
    }
}

namespace {
// tests/data/make_grpo_loss_reference.py's batch (N = 4, L = 4).
struct RefBatch {
    std::vector<double> logp = {-1.20, -0.70, -2.10, -0.30, -0.90, -1.60, -0.40, -2.50,
                                -0.55, -1.35, -0.80, -1.10, -2.00, -0.65, -1.25, -0.45};
    std::vector<double> delta = {0.10, 0.35, -0.30, 0.70, -0.40, 1.30, 0.05, 0.15,
                                 0.02, -0.05, 0.90, -0.60, 0.25, -0.10, -0.50, 0.40};
    std::vector<double> log_r = {0.30, -0.20, 3.00, 0.10, -0.50, 0.40, 0.15, -0.25,
                                 0.05, -0.60, 0.20, 0.30, 1.10, -0.35, 0.45, 0.60};
    TensorD old_logp, ref_logp;
    TensorD mask = TensorD::from({4, 4}, {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0});
    TensorD adv = TensorD::from({4}, {0.8, -0.8, 1.1, -1.1});
    TensorD adv_token = TensorD::from({4, 4}, {0.8, 0.5, 0.3, 0.0, -0.8, -0.6, -0.4, -0.2,
                                               1.1, 0.9, 0.0, 0.0, -1.1, -0.7, -0.3, 0.0});
    TensorD entropy = TensorD::from({4, 4}, {1.5, 0.9, 2.2, 0.1, 0.4, 1.8, 1.1, 0.7,
                                             2.5, 0.3, 1.0, 1.0, 0.6, 1.2, 0.8, 0.5});
    std::vector<bool> truncated = {false, true, false, false};
    RefBatch() {
        std::vector<double> old(16), ref(16);
        for (int k = 0; k < 16; ++k) {
            old[k] = logp[k] - delta[k];
            ref[k] = logp[k] + log_r[k];
        }
        old_logp = TensorD::from({4, 4}, old);
        ref_logp = TensorD::from({4, 4}, ref);
    }
    TensorD logp_tensor() const { return TensorD::from({4, 4}, logp); }
};

GrpoLossConfig ref_config(Agg agg, KlEstimator kl = KlEstimator::k3) {
    GrpoLossConfig c = config_of(agg, 0.04, kl);
    c.max_completion_length = 6;
    return c;
}
}  // namespace

// Numbers printed by tests/data/make_grpo_loss_reference.py (torch 1.13, float64).
TEST_CASE("grpo loss: matches the PyTorch reference for every aggregation and KL estimator") {
    RefBatch r;
    const Agg aggs[] = {Agg::grpo, Agg::dapo, Agg::dr_grpo, Agg::seq_mean_token_sum};
    const KlEstimator kls[] = {KlEstimator::k1, KlEstimator::k2, KlEstimator::k3, KlEstimator::low_var_kl};
    const double want[4][4] = {
        {0.122878187479, 0.153261520813, 0.192747053043, 0.172461929966},
        {0.323858797632, 0.354896297632, 0.394426683961, 0.374141560884},
        {0.161929398816, 0.177448148816, 0.197213341981, 0.187070780442},
        {0.971576392897, 1.064688892897, 1.183280051883, 1.122424682652}};
    for (int a = 0; a < 4; ++a)
        for (int k = 0; k < 4; ++k) {
            INFO(loss_aggregation_name(aggs[a]), " ", kl_estimator_name(kls[k]));
            const auto out = grpo_loss<double, Cpu>(nullptr, VarD(r.logp_tensor()), r.old_logp, r.ref_logp, r.adv,
                                                    r.mask, ref_config(aggs[a], kls[k]));
            CHECK(std::abs(out.loss.value().item() - want[a][k]) < 1e-9);
        }
}

TEST_CASE("grpo loss: matches the PyTorch reference for GSPO, dual clip, clip-higher, process advantages, entropy, truncation") {
    RefBatch r;
    auto run = [&](const GrpoLossConfig& c, const TensorD& adv, const VarD& entropy = {}) {
        return grpo_loss<double, Cpu>(nullptr, VarD(r.logp_tensor()), r.old_logp, r.ref_logp, adv, r.mask, c,
                                      r.truncated, entropy)
            .loss.value().item();
    };
    GrpoLossConfig c = ref_config(Agg::grpo);
    c.importance_sampling_level = Level::sequence;
    CHECK(std::abs(run(c, r.adv) - 0.085649151559) < 1e-9);
    c.aggregation = Agg::dapo;
    CHECK(std::abs(run(c, r.adv) - 0.263668811779) < 1e-9);
    c = ref_config(Agg::dapo);
    c.dual_clip_c = 3.0;
    CHECK(std::abs(run(c, r.adv) - 0.349806906120) < 1e-9);
    c = GrpoLossConfig::dapo();  // 0.2 / 0.28, token mean, beta 0
    CHECK(std::abs(run(c, r.adv) - 0.330358797632) < 1e-9);
    c = ref_config(Agg::grpo);
    CHECK(std::abs(run(c, r.adv_token) - 0.078183864059) < 1e-9);
    c.entropy_coef = 0.01;
    CHECK(std::abs(run(c, r.adv, VarD(r.entropy)) - 0.180747053043) < 1e-9);
    c = ref_config(Agg::grpo);
    c.mask_truncated = true;
    CHECK(std::abs(run(c, r.adv) - (-0.141970523251)) < 1e-9);
    c.aggregation = Agg::dapo;
    CHECK(std::abs(run(c, r.adv) - (-0.077795126646)) < 1e-9);
}

TEST_CASE("grpo loss: gradient matches the PyTorch reference") {
    RefBatch r;
    GrpoLossConfig a = ref_config(Agg::grpo);
    GrpoLossConfig b = ref_config(Agg::dapo, KlEstimator::low_var_kl);
    b.dual_clip_c = 3.0;
    GrpoLossConfig c = ref_config(Agg::dr_grpo, KlEstimator::k2);
    c.importance_sampling_level = Level::sequence;
    const GrpoLossConfig cfgs[] = {a, b, c};
    const std::vector<std::vector<double>> want = {
        {-0.074844257230, 0.000604230823, -0.113006337789, 0.0, 0.000983673351, 0.182235271637, 0.052158969212,
         0.058644710179, -0.140534039736, -0.128538104049, 0.0, 0.0, 0.111021776450, 0.083927803021,
         -0.001894373952, 0.0},
        {-0.074844257230, 0.000604230823, -0.049387881379, 0.0, 0.001311564468, -0.001639415659, 0.069545292283,
         0.078192946905, -0.093689359824, -0.085692069366, 0.0, 0.0, 0.111021776450, 0.083927803021,
         -0.001894373952, 0.0},
        {-0.035542369879, -0.034709036546, -0.040042369879, 0.0, 0.044717689162, 0.043217689162, 0.043634355829,
         0.044301022496, -0.045234297232, -0.044150963898, 0.0, 0.0, 0.038952914504, 0.041369581170,
         0.040036247837, 0.0}};
    for (int k = 0; k < 3; ++k) {
        VarD logp = VarD::param(r.logp_tensor());
        Tape tape;
        tape.backward(grpo_loss(&tape, logp, r.old_logp, r.ref_logp, r.adv, r.mask, cfgs[k]).loss);
        const auto g = logp.grad().to_host();
        for (int j = 0; j < 16; ++j) {
            INFO("config ", k, " token ", j);
            CHECK(std::abs(g[j] - want[k][j]) < 1e-9);
        }
    }
}

// Finite differences on the reference batch: every log ratio is at least 0.03 from a clip kink
// (ln 1.2 = 0.18, ln 0.8 = −0.22, ln 3 = 1.10), and so are the GSPO row means.
TEST_CASE("grpo loss: finite-difference gradient for each aggregation x level, beta > 0") {
    RefBatch r;
    Rng rng(7);
    for (Agg agg : {Agg::grpo, Agg::dapo, Agg::dr_grpo, Agg::seq_mean_token_sum})
        for (Level level : {Level::token, Level::sequence})
            for (KlEstimator kl : {KlEstimator::k1, KlEstimator::k2, KlEstimator::k3, KlEstimator::low_var_kl}) {
                GrpoLossConfig c = ref_config(agg, kl);
                c.beta = 0.3;
                c.importance_sampling_level = level;
                c.dual_clip_c = 3.0;
                c.entropy_coef = 0.05;
                auto f = [&](Tape* t, std::vector<VarD>& in) {
                    return grpo_loss(t, in[0], r.old_logp, r.ref_logp, r.adv_token, r.mask, c, r.truncated, in[1]).loss;
                };
                const auto errors = gradient_errors<double, Cpu>(
                    f, {VarD::param(r.logp_tensor()), VarD::param(r.entropy)}, rng);
                INFO(loss_aggregation_name(agg), level == Level::token ? " token " : " sequence ",
                     kl_estimator_name(kl), ": errors ", errors[0], ", ", errors[1]);
                CHECK(errors[0] <= 1e-6);
                CHECK(errors[1] <= 1e-6);
            }
}

TEST_CASE("grpo loss: groups_with_signal keeps groups whose rewards differ") {
    CHECK(groups_with_signal({1, 1, 0, 1, 0, 0, 0.5, 0.25}, 2) == std::vector<std::int64_t>{1, 3});
    CHECK(groups_with_signal({1, 1, 1}, 3).empty());
    CHECK(groups_with_signal({0, 0, 1}, 3) == std::vector<std::int64_t>{0});
    CHECK_THROWS_WITH_AS(groups_with_signal({1, 0, 1}, 2), "groups_with_signal: 3 rewards do not split into groups of G = 2", Error);
}

TEST_CASE("grpo loss: errors name the shapes and the missing setting") {
    HandBatch b;
    const VarD logp(b.logp);
    auto call = [&](const TensorD& old, const TensorD& ref, const TensorD& adv, const TensorD& mask,
                    const GrpoLossConfig& c, const std::vector<bool>& trunc = {}) {
        return grpo_loss<double, Cpu>(nullptr, logp, old, ref, adv, mask, c, trunc);
    };
    const GrpoLossConfig c = config_of(Agg::grpo, 0.04);
    CHECK_THROWS_WITH_AS(call(TensorD::zeros({2, 4}), b.ref_logp, b.adv, b.mask, c),
                         "grpo_loss: old_logp has shape (2, 4), expected (2, 3)", Error);
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, TensorD::zeros({3, 3}), c),
                         "grpo_loss: mask has shape (3, 3), expected (2, 3)", Error);
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, TensorD::zeros({3}), b.mask, c),
                         "grpo_loss: advantages has shape (3), expected (2) or (2, 3)", Error);
    CHECK_THROWS_WITH_AS(call(b.old_logp, TensorD(), b.adv, b.mask, c),
                         "grpo_loss: beta = 0.04 needs ref_logp (N, L); pass it or set beta = 0", Error);
    auto flat = [&] { return grpo_loss(nullptr, VarD(TensorD::zeros({6})), b.old_logp, b.ref_logp, b.adv, b.mask, c); };
    CHECK_THROWS_WITH_AS(flat(), "grpo_loss: logp has shape (6), expected (N, L)", Error);
    GrpoLossConfig d = config_of(Agg::dr_grpo);
    d.max_completion_length = 0;
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, d),
                         "grpo_loss: aggregation dr_grpo needs max_completion_length > 0 (its divisor is N x max_completion_length)",
                         Error);
    d.max_completion_length = 2;
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, d),
                         "grpo_loss: dr_grpo's max_completion_length = 2 is shorter than the completions' width L = 3", Error);
    GrpoLossConfig t = c;
    t.mask_truncated = true;
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, t),
                         "grpo_loss: mask_truncated is set but no truncated flags were given", Error);
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, t, {true}),
                         "grpo_loss: 1 truncated flags for 2 completions", Error);
    GrpoLossConfig e = c;
    e.entropy_coef = 0.01;
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, e),
                         "grpo_loss: entropy_coef = 0.01 needs the per-token entropy (N, L)", Error);
    GrpoLossConfig dc = c;
    dc.dual_clip_c = 0.5;
    CHECK_THROWS_WITH_AS(call(b.old_logp, b.ref_logp, b.adv, b.mask, dc),
                         "grpo_loss: dual_clip_c = 0.5, expected 0 (off) or > 1 (verl asserts clip_ratio_c > 1)", Error);
}

// The same op in float (what training runs in) agrees with double on the reference batch.
TEST_CASE("grpo loss: float agrees with double") {
    RefBatch r;
    using VarF = Var<float, Cpu>;
    using TensorF = Tensor<float, Cpu>;
    auto to_float = [](const TensorD& t) {
        const auto v = t.to_host();
        return TensorF::from(t.shape(), std::vector<float>(v.begin(), v.end()));
    };
    GrpoLossConfig c = ref_config(Agg::dapo, KlEstimator::low_var_kl);
    c.dual_clip_c = 3.0;
    c.entropy_coef = 0.01;
    VarD logp_d = VarD::param(r.logp_tensor());
    VarF logp_f = VarF::param(to_float(r.logp_tensor()));
    Tape td, tf;
    const auto d = grpo_loss(&td, logp_d, r.old_logp, r.ref_logp, r.adv, r.mask, c, {}, VarD(r.entropy));
    const auto f = grpo_loss(&tf, logp_f, to_float(r.old_logp), to_float(r.ref_logp), to_float(r.adv),
                             to_float(r.mask), c, {}, VarF(to_float(r.entropy)));
    CHECK(f.loss.value().item() == doctest::Approx(d.loss.value().item()).epsilon(1e-5));
    CHECK(f.clip_frac_dual == d.clip_frac_dual);
    td.backward(d.loss);
    tf.backward(f.loss);
    const auto gd = logp_d.grad().to_host();
    const auto gf = logp_f.grad().to_host();
    for (std::size_t k = 0; k < gd.size(); ++k) CHECK(std::abs(gf[k] - gd[k]) < 1e-6);
}

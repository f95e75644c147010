#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <grpo/backend/cpu/cpu.hpp>
#include <grpo/rl/reward_model.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace grpo;
using TensorD = Tensor<double, Cpu>;
using VarD = Var<double, Cpu>;
using RewardModelD = RewardModel<double, Cpu>;

namespace {

VarD leaf(const std::vector<double>& values) {
    return VarD::param(TensorD::from({static_cast<std::int64_t>(values.size())}, values));
}

// Three rows of lengths 4, 2 and 5 (width 5), right-padded with id 0.
ScoredBatch<Cpu> three_rows() {
    ScoredBatch<Cpu> b;
    b.rows = 3;
    b.width = 5;
    b.ids = Ids<Cpu>::from({3, 5}, {1, 4, 2, 7, 0, 3, 9, 0, 0, 0, 5, 6, 1, 8, 10});
    b.last = Ids<Cpu>::from({3}, {3, 5 + 1, 10 + 4});
    return b;
}

VarD param_named(const RewardModelD& model, const std::string& name) {
    for (auto& p : model.named_params())
        if (p.first == name) return p.second;
    FAIL("no parameter named ", name);
    return VarD();
}

std::string scratch(const char* name) {
    const auto path = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove(path);
    return path.string();
}

}  // namespace

// d = r_w − r_l − m = (2 − 0 − 1, 0.5 − 0.25 + 0.5) = (1, 0.75); −log σ(d) = log(1 + e^−d):
// 0.31326168751822286 and 0.38687100611489994 (Python's math.log1p(math.exp(-d))); centring
// adds c · mean((r_w + r_l)²) = 0.1 · (4 + 0.5625) / 2.
TEST_CASE("Bradley-Terry loss: by hand, with margins and centring") {
    const VarD chosen = leaf({2.0, 0.5}), rejected = leaf({0.0, 0.25});
    const auto plain = bradley_terry_loss<double, Cpu>(nullptr, chosen, rejected, {1.0, -0.5}, 0.0);
    CHECK(plain.loss.value().item() == doctest::Approx(0.3500663468165614).epsilon(1e-15));
    CHECK(plain.accuracy == 1.0);
    CHECK(plain.chosen_mean == 1.25);
    CHECK(plain.rejected_mean == 0.125);
    const auto centred = bradley_terry_loss<double, Cpu>(nullptr, chosen, rejected, {1.0, -0.5}, 0.1);
    CHECK(centred.loss.value().item() == doctest::Approx(0.5781913468165614).epsilon(1e-15));
    // Without margins, equal scores cost log 2 and count as a wrong order.
    const auto tie = bradley_terry_loss<double, Cpu>(nullptr, leaf({0.5}), leaf({0.5}), {}, 0.0);
    CHECK(tie.loss.value().item() == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(tie.accuracy == 0.0);
}

TEST_CASE("Bradley-Terry loss: no overflow at large score differences") {
    CHECK(neg_log_sigmoid(1000.0) == 0.0);
    CHECK(neg_log_sigmoid(-1000.0) == 1000.0);
    const auto far = bradley_terry_loss<double, Cpu>(nullptr, leaf({-800.0}), leaf({800.0}), {}, 0.0);
    CHECK(far.loss.value().item() == 1600.0);
}

TEST_CASE("Bradley-Terry loss: gradient against central differences in double") {
    const VarD chosen = leaf({0.3, -1.2, 2.0}), rejected = leaf({0.1, 0.4, -0.5});
    const std::vector<double> margins = {0.2, 0.0, 1.5};
    Tape tape;
    tape.backward(bradley_terry_loss(&tape, chosen, rejected, margins, 0.05).loss);
    for (VarD v : {chosen, rejected}) {
        const auto grad = v.grad().to_host();
        auto x = v.value().to_host();
        for (std::size_t k = 0; k < x.size(); ++k) {
            const double saved = x[k], h = 1e-6;
            x[k] = saved + h;
            v.value().copy_from_host(x);
            const double up = bradley_terry_loss<double, Cpu>(nullptr, chosen, rejected, margins, 0.05).loss.value().item();
            x[k] = saved - h;
            v.value().copy_from_host(x);
            const double down = bradley_terry_loss<double, Cpu>(nullptr, chosen, rejected, margins, 0.05).loss.value().item();
            x[k] = saved;
            v.value().copy_from_host(x);
            INFO("index ", k);
            CHECK(grad[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-8));
        }
    }
}

TEST_CASE("Bradley-Terry loss names a bad input") {
    const VarD two = leaf({1.0, 2.0});
    CHECK_THROWS_WITH_AS((bradley_terry_loss<double, Cpu>(nullptr, two, leaf({1.0}), {}, 0.0)),
                         "bradley_terry_loss: rejected has shape (1), expected (2)", Error);
    CHECK_THROWS_WITH_AS((bradley_terry_loss<double, Cpu>(nullptr, two, two, {1.0}, 0.0)),
                         "bradley_terry_loss: 1 margins for 2 pairs, expected 2 or none", Error);
    CHECK_THROWS_WITH_AS((bradley_terry_loss<double, Cpu>(nullptr, two, two, {}, -0.1)),
                         "bradley_terry_loss: center_coefficient = -0.1, expected a finite value >= 0", Error);
}

// The reference: each row alone, unpadded, through the trunk; r = h[last] · w + b by hand.
TEST_CASE("RewardModel::scores: each row's last token through the scalar head, padding ignored") {
    Rng rng(31);
    RewardModelD model(grpo_test::tiny_moe_config(8), rng);
    const ScoredBatch<Cpu> batch = three_rows();
    const auto got = model.scores(nullptr, batch).value().to_host();
    REQUIRE(got.size() == 3);
    const auto w = param_named(model, "score.weight").value().to_host();
    const double b = param_named(model, "score.bias").value().item();
    const std::vector<std::vector<std::int32_t>> rows = {{1, 4, 2, 7}, {3, 9}, {5, 6, 1, 8, 10}};
    const std::int64_t C = model.config().d_model;
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto T = static_cast<std::int64_t>(rows[n].size());
        const auto h = model.trunk().hidden(nullptr, Ids<Cpu>::from({1, T}, rows[n])).value().to_host();
        double r = b;
        for (std::int64_t k = 0; k < C; ++k) r += h[(T - 1) * C + k] * w[k];
        CHECK(got[n] == doctest::Approx(r).epsilon(1e-12));
    }
}

TEST_CASE("RewardModel: pairwise loss gradient on the head and a trunk weight against finite differences") {
    Rng rng(32);
    RewardModelD model(grpo_test::tiny_moe_config(8), rng);
    ScoredBatch<Cpu> chosen = three_rows(), rejected = three_rows();
    rejected.ids = Ids<Cpu>::from({3, 5}, {2, 4, 2, 7, 0, 3, 3, 0, 0, 0, 5, 6, 1, 8, 9});
    auto objective = [&](Tape* tape) {
        return bradley_terry_loss(tape, model.scores(tape, chosen), model.scores(tape, rejected), {0.5, 0.0, -0.5},
                                  0.01)
            .loss;
    };
    for (auto& p : model.params()) p.zero_grad();
    Tape tape;
    tape.backward(objective(&tape));
    auto check_param = [&](VarD p, const std::vector<std::size_t>& entries) {
        const auto grad = p.grad().to_host();
        auto w = p.value().to_host();
        for (std::size_t k : entries) {
            const double saved = w[k], h = 1e-6;
            w[k] = saved + h;
            p.value().copy_from_host(w);
            const double up = objective(nullptr).value().item();
            w[k] = saved - h;
            p.value().copy_from_host(w);
            const double down = objective(nullptr).value().item();
            w[k] = saved;
            p.value().copy_from_host(w);
            INFO("entry ", k);
            CHECK(grad[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
        }
    };
    const VarD head = param_named(model, "score.weight");
    std::vector<std::size_t> all(static_cast<std::size_t>(head.numel()));
    for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
    check_param(head, all);
    check_param(param_named(model, "score.bias"), {0});
    const VarD wq = param_named(model, "layers.0.attn.wq");
    check_param(wq, {0, 17, static_cast<std::size_t>(wq.numel() - 1)});
    const VarD embed = param_named(model, "embed.weight");
    check_param(embed, {8 * 7 + 3});  // a row of a token that is in both batches
}

TEST_CASE("RewardModel from a language model: its trunk copied, its LM head left out") {
    Rng rng(33), head_rng(34);
    const TransformerConfig cfg = grpo_test::tiny_moe_config(8);  // untied: the policy has a (C, V) head
    Transformer<double, Cpu> base(cfg, rng);
    base.blocks()[1].moe->bias().copy_from_host({0.5, -0.25, 0.0, 1.0});
    const RewardModelD model(base, head_rng);
    CHECK(model.config().tied_head);
    const auto ids = Ids<Cpu>::from({1, 4}, {1, 2, 3, 4});
    const auto h_base = base.hidden(nullptr, ids).value().to_host();
    const auto h_model = const_cast<RewardModelD&>(model).trunk().hidden(nullptr, ids).value().to_host();
    REQUIRE(h_base.size() == h_model.size());
    for (std::size_t k = 0; k < h_base.size(); ++k) CHECK(h_model[k] == h_base[k]);
    std::int64_t n = 0;
    for (auto& p : model.params()) n += p.numel();
    CHECK(n == base.parameter_count() - cfg.d_model * cfg.vocab_size + cfg.d_model + 1);
    const auto named = model.named_params();
    CHECK(named[named.size() - 2].first == "score.weight");
    CHECK(named.back().first == "score.bias");
}

TEST_CASE("RewardModel checkpoint: saved and loaded, the same scores, and a policy file refused") {
    Rng rng(35), other(36);
    RewardModelD model(grpo_test::tiny_moe_config(8), rng);
    model.trunk().blocks()[1].moe->bias().copy_from_host({0.5, -0.25, 0.0, 1.0});
    const std::string path = scratch("grpo_reward_model.safetensors");
    save_reward_model(model, path, {{"step", "7"}});
    RewardModelD fresh(grpo_test::tiny_moe_config(8), other);
    const auto metadata = load_reward_model(fresh, path);
    CHECK(metadata.at("step") == "7");
    CHECK(metadata.at("grpo.model") == "reward_model");
    const auto want = model.scores(nullptr, three_rows()).value().to_host();
    const auto got = fresh.scores(nullptr, three_rows()).value().to_host();
    for (std::size_t k = 0; k < want.size(); ++k) CHECK(got[k] == want[k]);

    TransformerConfig tied = grpo_test::tiny_moe_config(8);
    tied.tied_head = true;
    Transformer<double, Cpu> policy(tied, other);
    const std::string policy_path = scratch("grpo_reward_model_policy.safetensors");
    save_checkpoint(policy, policy_path);
    CHECK_THROWS_WITH_AS(load_reward_model(fresh, policy_path),
                         ("load_reward_model: '" + policy_path + "' has no tensor 'score.weight'").c_str(), Error);
    const auto after = fresh.scores(nullptr, three_rows()).value().to_host();  // nothing was copied
    for (std::size_t k = 0; k < want.size(); ++k) CHECK(after[k] == want[k]);
}

TEST_CASE("RewardModel::scores and pack_scored_batch name a bad batch") {
    Rng rng(37);
    RewardModelD model(grpo_test::tiny_moe_config(8), rng);
    ScoredBatch<Cpu> batch = three_rows();
    batch.last = Ids<Cpu>::from({2}, {3, 6});
    CHECK_THROWS_WITH_AS(model.scores(nullptr, batch), "RewardModel::scores: last has shape (2), expected (rows) = (3)",
                         Error);
    const Tokenizer tok = Tokenizer::ascii();
    CHECK_THROWS_WITH_AS(pack_scored_batch<Cpu>(tok, {{"ab", "cd"}}, 4),
                         "pack_scored_batch: sequence 0 has 5 tokens, more than max_len = 4", Error);
    const ScoredBatch<Cpu> packed = pack_scored_batch<Cpu>(tok, {{"ab", "c"}, {"", "xyz"}}, 8);
    CHECK(packed.width == 4);
    CHECK(packed.last.to_host() == std::vector<std::int32_t>{3, 4 + 3});
    const auto ids = packed.ids.to_host();
    CHECK(ids[3] == tok.eos_id());
    CHECK(ids[7] == tok.eos_id());
}

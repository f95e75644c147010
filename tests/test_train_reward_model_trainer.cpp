#include <doctest/doctest.h>

#include <grpo/backend/cpu/cpu.hpp>
#include <grpo/train/reward_model_trainer.hpp>
#include <set>
#include <vector>

using namespace grpo;
using FloatRewardModelTrainer = RewardModelTrainer<float, Cpu>;

namespace {

// A 2-block MoE trunk, d_model 16, for the ASCII tokenizer; 160 positions hold the longest
// prompt + completion of tasks/preference.hpp (157 characters and <eos>).
TransformerConfig tiny_reward_config(std::int32_t vocab_size) {
    TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = 16;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 8;
    c.n_dense_layers = 1;
    c.dense_hidden = 32;
    c.n_routed_experts = 4;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = 16;
    c.max_seq_len = 160;
    c.init_std = 0.02;
    return c;
}

std::vector<PreferencePair> pairs(std::uint64_t seed, int n) {
    Rng rng(seed);
    std::vector<PreferencePair> out;
    for (int i = 0; i < n; ++i) out.push_back(sample_preference_pair(rng, PromptTemplate::compact()));
    return out;
}

}  // namespace

TEST_CASE("EpochOrder: every index once per epoch, a new seeded order each epoch") {
    EpochOrder order(5, 3), again(5, 3), other(5, 4);
    std::vector<std::size_t> first, second, seq_other;
    for (int i = 0; i < 5; ++i) first.push_back(order.next());
    for (int i = 0; i < 5; ++i) second.push_back(order.next());
    for (int i = 0; i < 5; ++i) seq_other.push_back(other.next());
    CHECK(std::set<std::size_t>(first.begin(), first.end()).size() == 5);
    CHECK(std::set<std::size_t>(second.begin(), second.end()).size() == 5);
    CHECK(first != second);  // epoch 1 is shuffled anew (Rng(3, 1))
    CHECK(first != seq_other);
    for (std::size_t k : first) CHECK(again.next() == k);
    CHECK(order.epochs_started() == 2);
    EpochOrder empty(0, 1);
    CHECK_THROWS_WITH_AS(empty.next(), "EpochOrder::next: no examples to order", Error);
}

// A filler sentence costs 0.2, so a shorter completion is often the better one; yet a wrong sum
// is as long as the right one and a refusal shorter than a password, and "prefer the shorter"
// orders only half the held-out pairs right (0.5). The model must beat it clearly.
TEST_CASE("RewardModelTrainer: held-out pairwise accuracy rises past the length heuristic") {
    cpu_set_num_threads(1);
    const Tokenizer tok = Tokenizer::ascii();
    Rng init(1);
    RewardModel<float, Cpu> model(tiny_reward_config(tok.vocab_size()), init);
    const std::vector<PreferencePair> held_out = pairs(3, 200);
    double shorter_wins = 0;
    for (const PreferencePair& p : held_out) shorter_wins += p.chosen.size() < p.rejected.size() ? 1.0 / 200 : 0.0;
    RewardModelTrainerConfig config;
    config.max_len = 160;
    RewardModelTrainer<float, Cpu> trainer(model, tok, pairs(2, 1000), config);
    const RewardModelMetrics before = trainer.evaluate(held_out);
    for (int s = 0; s < 150; ++s) trainer.step();
    const RewardModelMetrics after = trainer.evaluate(held_out);
    INFO("length heuristic ", shorter_wins, ", before ", before.accuracy, " (loss ", before.loss, "), after ",
         after.accuracy, " (loss ", after.loss, ")");
    CHECK(trainer.steps_done() == 150);
    CHECK(after.loss < before.loss - 0.2);
    CHECK(after.accuracy >= 0.8);
    CHECK(after.accuracy >= shorter_wins + 0.1);
    CHECK(after.chosen_mean > after.rejected_mean);
}

TEST_CASE("RewardModelTrainer: a run is a function of its seed") {
    const Tokenizer tok = Tokenizer::ascii();
    auto run = [&](std::uint64_t seed) {
        Rng init(5);
        RewardModel<float, Cpu> model(tiny_reward_config(tok.vocab_size()), init);
        RewardModelTrainerConfig config;
        config.max_len = 160;
        config.batch = 4;
        config.seed = seed;
        config.center_coefficient = 0.01;
        config.use_margins = true;
        RewardModelTrainer<float, Cpu> trainer(model, tok, pairs(2, 40), config);
        std::vector<double> losses;
        for (int s = 0; s < 3; ++s) losses.push_back(trainer.step().loss);
        return losses;
    };
    CHECK(run(9) == run(9));
    CHECK(run(9) != run(10));
}

TEST_CASE("RewardModelTrainer names a bad config") {
    const Tokenizer tok = Tokenizer::ascii();
    Rng init(6);
    RewardModel<float, Cpu> model(tiny_reward_config(tok.vocab_size()), init);
    RewardModelTrainerConfig config;
    CHECK_THROWS_WITH_AS(FloatRewardModelTrainer(model, tok, {}, config),
                         "RewardModelTrainer: no preference pairs", Error);
    config.batch = 0;
    CHECK_THROWS_WITH_AS(FloatRewardModelTrainer(model, tok, pairs(2, 4), config),
                         "RewardModelTrainerConfig: batch = 0, expected >= 1", Error);
    config.batch = 2;
    config.center_coefficient = -1;
    CHECK_THROWS_WITH_AS(FloatRewardModelTrainer(model, tok, pairs(2, 4), config),
                         "RewardModelTrainerConfig: center_coefficient = -1, expected >= 0", Error);
}

#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <grpo/train/ppo_trainer.hpp>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace grpo;
using grpo_test::any_number_is_right;
using grpo_test::linear;
using grpo_test::trainer_model_config;

namespace {

using Model = Transformer<float, Cpu>;
using PpoTrainerF = PpoTrainer<float, Cpu>;

PpoTrainerConfig small_ppo_config() {
    PpoTrainerConfig c;
    c.prompts_per_step = 4;
    c.sampling.max_new_tokens = 8;
    c.policy_optimizer.lr = 1e-2;  // large, so that every step visibly changes the weights
    c.critic_optimizer.lr = 1e-2;
    c.ppo_epochs = 2;
    c.seed = 11;
    return c;
}

std::vector<std::vector<float>> weights(const std::vector<Var<float, Cpu>>& params) {
    std::vector<std::vector<float>> out;
    for (const auto& p : params) out.push_back(p.value().to_host());
    return out;
}


}  // namespace

TEST_CASE("a PpoTrainer step moves policy and critic and its metrics agree with the completions") {
    const Tokenizer tok = Tokenizer::ascii();
    const PpoTrainerConfig config = small_ppo_config();
    REQUIRE(config.sampling.group_size == 1);  // PPO's default: one completion per prompt
    REQUIRE(config.ppo.kl_coef > 0);           // so there is a reference model

    Rng init(4);
    Model model(trainer_model_config(), init);
    Rng init_copy(4);
    Model sampler_copy(trainer_model_config(), init_copy);  // the policy before the step
    PpoTrainerF trainer(model, tok, any_number_is_right, config);

    // The critic is the policy's trunk (no LM head, V x C) plus a (C, 1) head and a bias.
    const TransformerConfig& mc = model.config();
    CHECK(trainer.critic().parameter_count() ==
          model.parameter_count() - std::int64_t{mc.vocab_size} * mc.d_model + mc.d_model + 1);

    const auto policy_before = weights(model.params());
    const auto critic_before = weights(trainer.critic().params());
    const PpoStepMetrics m = trainer.step();
    CHECK(m.step == 1);
    CHECK(trainer.steps() == 1);
    CHECK(trainer.policy_optimizer().steps() == 2);  // one per epoch
    CHECK(trainer.critic_optimizer().steps() == 2);
    CHECK(weights(model.params()) != policy_before);
    CHECK(weights(trainer.critic().params()) != critic_before);
    REQUIRE(trainer.reference() != nullptr);
    CHECK(weights(trainer.reference()->params()) == policy_before);  // frozen

    // The same completions, sampled again from a copy of the policy before the step.
    const auto prompts = encode_prompts(trainer.problems_for_step(0), config.prompt_template, tok);
    SamplingConfig sampling = config.sampling;
    sampling.seed = sampler_seed(config.seed, 0);
    sampling.eos_id = tok.eos_id();
    const Completions c = sample_groups(sampler_copy, prompts, sampling);
    REQUIRE(c.tokens.size() == 4);
    std::int64_t total = 0, longest = 0, truncated = 0;
    for (std::size_t n = 0; n < c.tokens.size(); ++n) {
        total += static_cast<std::int64_t>(c.tokens[n].size());
        longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(c.tokens[n].size()));
        truncated += c.truncated[n];
    }
    CHECK(m.generated_tokens == total);
    CHECK(m.length_mean == doctest::Approx(total / 4.0));
    CHECK(m.length_max == longest);
    CHECK(m.truncated_frac == doctest::Approx(truncated / 4.0));
    CHECK(m.length_max <= 8);

    // Step 1 samples from the policy the reference was copied from: π_old = π_ref, KL 0.
    CHECK(m.kl == 0.0);
    CHECK(m.entropy > 0.0);
    CHECK(m.entropy < std::log(static_cast<double>(tok.vocab_size())) + 1e-6);
    CHECK(m.value_loss > 0.0);
    CHECK(m.sampling_seconds + m.scoring_seconds + m.update_seconds <= m.step_seconds);

    // The policy has moved away from the reference, so the next step measures a KL (k1 is
    // log π_old − log π_ref per token, of either sign on a small batch: only ≠ 0 is certain).
    const PpoStepMetrics m2 = trainer.step();
    CHECK(m2.step == 2);
    CHECK(m2.kl != 0.0);

    const nlohmann::json line = to_json(m);
    for (const char* key : {"reward_mean", "accuracy", "completion_length_mean", "kl", "policy_loss",
                            "clip_frac_low", "clip_frac_high", "value_loss", "value_clip_frac",
                            "explained_variance", "sampling_seconds", "scoring_seconds", "update_seconds",
                            "step_seconds"})
        CHECK_MESSAGE(line.contains(key), key);
    CHECK(progress_line(m, 10).rfind("step    1/10  reward ", 0) == 0);
}

TEST_CASE("with one PPO epoch the ratio is exactly 1 and nothing is clipped") {
    const Tokenizer tok = Tokenizer::ascii();
    PpoTrainerConfig config = small_ppo_config();
    config.ppo_epochs = 1;
    Rng init(5);
    Model model(trainer_model_config(), init);
    PpoTrainerF trainer(model, tok, any_number_is_right, config);
    const PpoStepMetrics m = trainer.step();
    // π_old came from a forward of its own without a tape; the first epoch's forward with a
    // tape computes the same numbers, so every ratio is exp(0) = 1.
    CHECK(m.ratio_mean == 1.0);
    CHECK(m.clip_frac_low == 0.0);
    CHECK(m.clip_frac_high == 0.0);
    CHECK(m.value_clip_frac == 0.0);  // V = V_old in the first epoch
    // Ratio 1 and whitened advantages (mean 0 over the tokens): the token-mean surrogate −mean A
    // is 0 up to float rounding.
    CHECK(std::abs(m.policy_loss) < 1e-5);
    CHECK(m.policy_grad_norm > 0.0);
    CHECK(m.value_grad_norm > 0.0);
}

TEST_CASE("the same seed twice gives a PpoTrainer the same metrics and weights") {
    const Tokenizer tok = Tokenizer::ascii();
    const PpoTrainerConfig config = small_ppo_config();
    Rng init_a(6), init_b(6);
    Model a(trainer_model_config(), init_a), b(trainer_model_config(), init_b);
    PpoTrainerF ta(a, tok, any_number_is_right, config), tb(b, tok, any_number_is_right, config);
    using grpo_test::metrics_without_timings;
    for (int s = 0; s < 2; ++s) CHECK(metrics_without_timings(ta.step()).dump() == metrics_without_timings(tb.step()).dump());
    CHECK(weights(a.params()) == weights(b.params()));
    CHECK(weights(ta.critic().params()) == weights(tb.critic().params()));

    // Another seed draws other problems and another critic.
    PpoTrainerConfig other = config;
    other.seed = 12;
    Rng init_c(6);
    Model c(trainer_model_config(), init_c);
    PpoTrainerF tc(c, tok, any_number_is_right, other), td(c, tok, any_number_is_right, config);
    CHECK(tc.problems_for_step(0)[0].question != td.problems_for_step(0)[0].question);
    CHECK(weights(tc.critic().params()) != weights(td.critic().params()));
}

TEST_CASE("PpoTrainer without a KL coefficient keeps no reference model") {
    const Tokenizer tok = Tokenizer::ascii();
    PpoTrainerConfig config = small_ppo_config();
    config.ppo.kl_coef = 0.0;
    Rng init(7);
    Model model(trainer_model_config(), init);
    PpoTrainerF trainer(model, tok, any_number_is_right, config);
    CHECK(trainer.reference() == nullptr);
    trainer.step();
    CHECK(trainer.step().kl == 0.0);  // the policy moved, but nothing measures it
}

TEST_CASE("explained_variance by hand") {
    using Tf = Tensor<float, Cpu>;
    const Tf mask = Tf::from({1, 4}, {1, 1, 1, 0});
    // y = 1, 3, 5: mean 3, Var 8/3; y − ŷ = 0, 1, 2: mean 1, Var 2/3; 1 − (2/3)/(8/3) = 0.75.
    // The padded column holds garbage that must not count.
    CHECK(explained_variance(Tf::from({1, 4}, {1, 2, 3, 100}), Tf::from({1, 4}, {1, 3, 5, -7}), mask) ==
          doctest::Approx(0.75).epsilon(1e-12));
    CHECK(explained_variance(Tf::from({1, 4}, {1, 3, 5, 0}), Tf::from({1, 4}, {1, 3, 5, 0}), mask) == 1.0);
    CHECK(std::isnan(explained_variance(Tf::from({1, 4}, {0, 1, 2, 0}), Tf::from({1, 4}, {2, 2, 2, 0}), mask)));
}

TEST_CASE("PpoTrainer names a bad config value") {
    const Tokenizer tok = Tokenizer::ascii();
    Rng init(8);
    Model model(trainer_model_config(), init);
    PpoTrainerConfig config = small_ppo_config();
    config.ppo_epochs = 0;
    CHECK_THROWS_WITH_AS(PpoTrainerF(model, tok, linear, config), "PpoTrainerConfig: ppo_epochs = 0, expected >= 1", Error);
    config = small_ppo_config();
    config.ppo.lam = 1.5;
    CHECK_THROWS_WITH_AS(PpoTrainerF(model, tok, linear, config), "PpoConfig: lam = 1.5, expected 0 <= lam <= 1", Error);
    config = small_ppo_config();
    config.prompts_per_step = 1;
    CHECK_THROWS_WITH_AS(PpoTrainerF(model, tok, linear, config),
                         "PpoTrainerConfig: prompts_per_step x group_size = 1, expected >= 2 when whitening "
                         "advantages (the unbiased variance needs two tokens)",
                         Error);
    config = small_ppo_config();
    config.critic_optimizer.lr = -1.0;
    CHECK_THROWS_WITH_AS(PpoTrainerF(model, tok, linear, config), "AdamWConfig: lr -1, expected a finite value >= 0",
                         Error);
    config = small_ppo_config();
    config.sampling.temperature = 0.0;
    CHECK_THROWS_WITH_AS(PpoTrainerF(model, tok, linear, config),
                         "PpoTrainerConfig: sampling temperature = 0, expected > 0 (the policy gradient needs sampled "
                         "completions)",
                         Error);
}

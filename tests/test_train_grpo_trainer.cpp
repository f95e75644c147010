#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <grpo/grpo.hpp>
#include <grpo/train/grpo_trainer.hpp>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace grpo;
using grpo_test::any_number_is_right;
using grpo_test::linear;
using grpo_test::trainer_model_config;

namespace {

using Model = Transformer<float, Cpu>;
using Trainer = GrpoTrainer<float, Cpu>;

GrpoTrainerConfig small_trainer_config() {
    GrpoTrainerConfig c;
    c.prompts_per_step = 2;
    c.sampling.group_size = 4;
    c.sampling.max_new_tokens = 8;
    c.optimizer.lr = 1e-2;  // large, so that every step visibly changes the weights
    c.mu = 2;
    c.seed = 11;
    return c;
}

std::vector<std::vector<float>> weights(const Model& model) {
    std::vector<std::vector<float>> out;
    for (const auto& p : model.params()) out.push_back(p.value().to_host());
    return out;
}

std::string scratch_dir(const char* name) {
    return (std::filesystem::temp_directory_path() / ("grpo_trainer_test_" + std::to_string(::getpid()) + name)).string();
}

}  // namespace

TEST_CASE("a resumed GrpoTrainer continues bit for bit like one that never stopped") {
    const Tokenizer tok = Tokenizer::ascii();
    const GrpoTrainerConfig config = small_trainer_config();
    REQUIRE(config.loss.beta > 0);  // the reference model is saved and restored too

    Rng init(3);
    Model straight(trainer_model_config(), init);
    Rng init2(3);
    Model first_half(trainer_model_config(), init2);
    Rng other(99);  // a different start: everything must come from the checkpoint
    Model resumed(trainer_model_config(), other);

    GrpoTrainer<float, Cpu> a(straight, tok, any_number_is_right, config);
    GrpoStepMetrics last_a;
    double grad_norm = 0;
    for (int s = 0; s < 3; ++s) {
        last_a = a.step();
        grad_norm += last_a.grad_norm;
    }
    REQUIRE(grad_norm > 0);  // the steps had something to learn

    const std::string dir = scratch_dir("resume");
    {
        GrpoTrainer<float, Cpu> b(first_half, tok, any_number_is_right, config);
        b.step();
        b.save(dir);
    }
    GrpoTrainer<float, Cpu> c(resumed, tok, any_number_is_right, config);
    c.load(dir);
    CHECK(c.steps() == 1);
    CHECK(c.optimizer().steps() == 2);  // μ = 2 optimizer steps per GRPO step
    GrpoStepMetrics last_c;
    for (int s = 0; s < 2; ++s) last_c = c.step();

    CHECK(last_c.step == 3);
    CHECK(last_c.reward_mean == last_a.reward_mean);
    CHECK(last_c.loss == last_a.loss);
    CHECK(last_c.kl == last_a.kl);
    CHECK(last_c.generated_tokens == last_a.generated_tokens);
    CHECK(weights(resumed) == weights(straight));
    CHECK(weights(straight) != weights(first_half));  // and the steps did change the weights
    std::filesystem::remove_all(dir);
}

TEST_CASE("GrpoTrainer step metrics agree with the completions they describe") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = small_trainer_config();
    config.mu = 1;
    config.loss.beta = 0.0;
    Rng init(4);
    Model model(trainer_model_config(), init);
    GrpoTrainer<float, Cpu> trainer(model, tok, any_number_is_right, config);

    // The problems of a step depend only on (seed, step).
    const auto p0 = trainer.problems_for_step(0), p0_again = trainer.problems_for_step(0);
    const auto p1 = trainer.problems_for_step(1);
    CHECK(p0[0].question == p0_again[0].question);
    CHECK(p0[1].question == p0_again[1].question);
    CHECK(p0[0].question != p1[0].question);

    const GrpoStepMetrics m = trainer.step();
    CHECK(m.step == 1);
    CHECK(m.groups_trained == 2);
    CHECK(m.length_mean * 8 == doctest::Approx(static_cast<double>(m.generated_tokens)));
    CHECK(m.length_max <= 8);
    CHECK(m.kl == 0.0);  // β = 0: no reference model
    // μ = 1: the ratio is 1, nothing is clipped, and with group-centred advantages and the
    // per-sequence mean the loss is −mean_i A_i = 0 up to float rounding.
    CHECK(m.clip_frac_low == 0.0);
    CHECK(m.clip_frac_high == 0.0);
    CHECK(std::abs(m.loss) < 1e-5);
    CHECK(m.entropy > 0.0);
    CHECK(m.entropy < std::log(static_cast<double>(tok.vocab_size())) + 1e-6);
    REQUIRE(m.expert_load.size() == 1);  // one MoE block
    std::int64_t routed = 0;
    for (auto n : m.expert_load[0]) routed += n;
    CHECK(routed % 2 == 0);  // top-2: every token goes to two experts

    const nlohmann::json line = to_json(m);
    for (const char* key : {"reward_mean", "reward_component_mean", "accuracy", "completion_length_mean",
                            "completion_length_max", "kl", "clip_frac_low", "clip_frac_high", "entropy",
                            "expert_load", "tokens_per_second", "step_seconds", "sampling_seconds",
                            "scoring_seconds", "update_seconds"})
        CHECK_MESSAGE(line.contains(key), key);
    const std::string progress = progress_line(m, 10);
    CHECK(progress.rfind("step    1/10  reward ", 0) == 0);
}

TEST_CASE("GrpoTrainer with dynamic sampling skips a batch in which no group has signal") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = small_trainer_config();
    config.dynamic_sampling = true;
    config.rewards.format_weight = 0.0;  // only accuracy counts, and nothing is ever right
    Rng init(5);
    Model model(trainer_model_config(), init);
    const auto never_right = [](Rng& rng) {
        Problem p = generate_linear_equation(rng);
        p.check = [](std::string_view) { return false; };
        return p;
    };
    GrpoTrainer<float, Cpu> trainer(model, tok, never_right, config);
    const auto before = weights(model);
    const GrpoStepMetrics m = trainer.step();
    CHECK(m.groups_trained == 0);
    CHECK(m.frac_reward_zero_std == 1.0);
    CHECK(m.reward_mean == 0.0);
    CHECK(trainer.optimizer().steps() == 0);
    CHECK(weights(model) == before);
    CHECK(trainer.steps() == 1);
}

TEST_CASE("GrpoTrainer names a bad config and a checkpoint from another step") {
    const Tokenizer tok = Tokenizer::ascii();
    Rng init(6);
    Model model(trainer_model_config(), init);
    GrpoTrainerConfig config = small_trainer_config();
    config.mu = 0;
    CHECK_THROWS_WITH_AS(Trainer(model, tok, linear, config),
                         "GrpoTrainerConfig: mu = 0, expected >= 1", Error);
    config = small_trainer_config();
    config.sampling.temperature = 0.0;
    CHECK_THROWS_WITH_AS(Trainer(model, tok, linear, config),
                         "GrpoTrainerConfig: sampling temperature = 0, expected > 0 (GRPO needs sampled groups)",
                         Error);

    const std::string dir = scratch_dir("mismatch");
    GrpoTrainer<float, Cpu> trainer(model, tok, linear, small_trainer_config());
    trainer.save(dir);
    trainer.step();
    save_checkpoint(model, dir + "/step-00000000/policy.safetensors", {{"grpo.trainer.step", "1"}});
    CHECK_THROWS_WITH_AS(trainer.load(dir),
                         ("GrpoTrainer::load: '" + dir +
                          "/step-00000000/policy.safetensors' is stamped step '1', trainer.json says step 0")
                             .c_str(),
                         Error);
    std::filesystem::remove_all(dir);
}

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
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

TEST_CASE("GrpoTrainer: with mu = 2 the clip acts in the second update, and the metrics say so") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = small_trainer_config();  // μ = 2, lr 1e-2: the first update moves the ratios
    REQUIRE(config.mu == 2);
    Rng init(4);
    Model model(trainer_model_config(), init);
    Trainer trainer(model, tok, any_number_is_right, config);
    const GrpoStepMetrics m = trainer.step();
    CHECK(m.clip_frac_low + m.clip_frac_high == 0.0);  // the first update's ratios are all 1
    CHECK(m.last_update_clip_frac > 0.0);
    CHECK(m.last_update_clip_frac <= 1.0);
    CHECK(to_json(m).at("last_update_clip_frac").get<double>() == m.last_update_clip_frac);
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
    CHECK(m.last_update_clip_frac == 0.0);  // μ = 1: the last update is the first
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

TEST_CASE("the built-in rules as a reward list train exactly as RewardConfig does") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig by_config = small_trainer_config();
    by_config.rewards = RewardConfig::seed_003();  // three non-zero weights
    GrpoTrainerConfig by_list = by_config;
    by_list.reward_functions = builtin_reward_functions(by_config.rewards);
    by_list.rewards = RewardConfig{};  // unused once a list is given
    by_list.rewards.accuracy_weight = 7.0;

    Rng init(3), init2(3);
    Model a_model(trainer_model_config(), init), b_model(trainer_model_config(), init2);
    Trainer a(a_model, tok, any_number_is_right, by_config), b(b_model, tok, any_number_is_right, by_list);
    for (int s = 0; s < 2; ++s) {
        const GrpoStepMetrics ma = a.step(), mb = b.step();
        CHECK(grpo_test::metrics_without_timings(ma) == grpo_test::metrics_without_timings(mb));
    }
    CHECK(weights(a_model) == weights(b_model));
    // The saved config names what scored: the list's names and weights.
    const nlohmann::json j = to_json(by_config);
    REQUIRE(j.at("reward_functions").size() == 4);
    CHECK(j.at("reward_functions")[1].at("name") == "format");
    CHECK(j.at("reward_functions")[1].at("weight") == 0.3);
    CHECK(to_json(by_list).at("reward_functions") == j.at("reward_functions"));
}

TEST_CASE("a user's reward functions: weighted sum, prompt and completion seen, logged by name") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = small_trainer_config();
    std::vector<std::string> prompts_seen;
    std::vector<std::string> completions_seen;
    // has_digit: 1 when the completion holds a digit. short: 1 when it has at most 4 tokens.
    const auto has_digit = [&](const RewardInput& in) -> RewardScore {
        prompts_seen.emplace_back(in.prompt);
        completions_seen.emplace_back(in.completion);
        return in.completion.find_first_of("0123456789") != std::string_view::npos ? 1.0 : 0.0;
    };
    std::vector<int> lengths_seen;
    const auto is_short = [&](const RewardInput& in) -> RewardScore {
        lengths_seen.push_back(in.completion_tokens);
        return in.completion_tokens <= 4 ? 1.0 : 0.0;
    };
    config.reward_functions = {{"has_digit", 1.0, has_digit}, {"short", 0.5, is_short}};

    Rng init(3);
    Model model(trainer_model_config(), init);
    Trainer trainer(model, tok, any_number_is_right, config);
    const std::vector<Problem> problems = trainer.problems_for_step(0);
    const GrpoStepMetrics m = trainer.step();

    const int G = config.sampling.group_size;
    REQUIRE(prompts_seen.size() == problems.size() * G);
    for (std::size_t n = 0; n < prompts_seen.size(); ++n)
        CHECK(prompts_seen[n] == config.prompt_template.render(problems[n / G].question));
    // The mean total is the weighted sum of the means (every completion scored).
    double digits = 0, shorts = 0;
    for (const std::string& c : completions_seen) digits += c.find_first_of("0123456789") != std::string::npos;
    for (int length : lengths_seen) shorts += length <= 4;
    const double n = static_cast<double>(completions_seen.size());
    CHECK(m.length_mean * n == doctest::Approx(std::accumulate(lengths_seen.begin(), lengths_seen.end(), 0.0)));
    REQUIRE(m.reward_components.size() == 2);
    CHECK(m.reward_components[0].name == "has_digit");
    CHECK(m.component_mean("has_digit") == doctest::Approx(digits / n));
    CHECK(m.component_mean("short") == doctest::Approx(shorts / n));
    CHECK(m.reward_mean == doctest::Approx(m.component_mean("has_digit") + 0.5 * m.component_mean("short")));
    CHECK_THROWS_WITH_AS(m.component_mean("accuracy"),
                         "RolloutMetrics: no reward function named 'accuracy' in this step's metrics", Error);
    const nlohmann::json line = to_json(m);
    CHECK(line.at("reward_component_mean").at("has_digit") == m.component_mean("has_digit"));
    CHECK(line.at("reward_component_mean").at("short") == m.component_mean("short"));
    CHECK(line.at("reward_component_mean").count("accuracy") == 0);
    // The progress line names both; `accuracy` is still the verifier's (every answer is right
    // here, but a completion needs a readable answer: a number).
    const std::string progress = progress_line(m, 10);
    CHECK(progress.find("(has_digit ") != std::string::npos);
    CHECK(progress.find(" short ") != std::string::npos);
}

TEST_CASE("reward functions: no score leaves a completion out, and a throw, a NaN or a bad list is an error") {
    const Tokenizer tok = Tokenizer::ascii();
    const auto one = [](const RewardInput&) -> RewardScore { return 1.0; };
    const auto none = [](const RewardInput&) -> RewardScore { return std::nullopt; };
    Rng rng(5);
    const std::vector<Problem> problems = {generate_linear_equation(rng)};
    Completions c;
    c.group_size = 2;
    c.tokens = {tok.encode("<answer>3</answer>"), tok.encode("x")};
    c.logprobs = {std::vector<double>(c.tokens[0].size()), std::vector<double>(1)};
    c.truncated = {false, true};
    const std::vector<std::string> prompts = {"Q: " + problems[0].question};

    // The second function scores only the first completion: the second's total is missing,
    // and its component is left out of that function's statistics, not counted as 0.
    int calls = 0;
    const auto first_only = [&](const RewardInput&) -> RewardScore {
        return calls++ == 0 ? RewardScore(2.0) : std::nullopt;
    };
    const std::vector<RewardFunction> list = {{"one", 1.0, one}, {"judge", 0.25, first_only}, {"idle", 0.0, none}};
    const BatchScores scores = score_completions(c, problems, prompts, tok, list);
    REQUIRE(scores.scores.size() == 2);
    CHECK(scores.scores[0].total == 1.5);  // 1 + 0.25·2; a weight of 0 scores nothing
    CHECK(std::isnan(scores.scores[1].total));
    CHECK(std::isnan(scores.scores[0].components[2]));
    RolloutMetrics m;
    log_rewards(c, scores, list, &m);
    CHECK(m.rewards_missing == 1);
    CHECK(m.reward_mean == 1.5);  // over the scored completions
    CHECK(m.reward_components[1].mean == 2.0);
    CHECK(m.reward_components[1].missing == 1);
    CHECK(m.reward_components[2].missing == 2);
    CHECK(m.truncated_frac == 0.5);
    CHECK(reward_components_text(m) == " (one 1.00 judge 2.00)");

    const auto throws = [](const RewardInput&) -> RewardScore { throw std::runtime_error("judge offline"); };
    CHECK_THROWS_WITH_AS(score_completions(c, problems, prompts, tok, {{"remote", 1.0, throws}}),
                         ("reward function 'remote' threw on a completion of problem '" + problems[0].question +
                          "': judge offline")
                             .c_str(),
                         Error);
    const auto nan = [](const RewardInput&) -> RewardScore { return std::nan(""); };
    CHECK_THROWS_WITH_AS(score_completions(c, problems, prompts, tok, {{"nan", 1.0, nan}}),
                         doctest::Contains("reward function 'nan' returned NaN"), Error);

    GrpoTrainerConfig config = small_trainer_config();
    config.reward_functions = {{"one", 1.0, one}, {"one", 2.0, one}};
    CHECK_THROWS_WITH_AS(config.validate(),
                         "GrpoTrainerConfig: two reward functions are named 'one', expected unique names (they are "
                         "the log's keys)",
                         Error);
    config.reward_functions = {{"one", 1.0, nullptr}};
    CHECK_THROWS_WITH_AS(config.validate(), "GrpoTrainerConfig: reward function 'one' has no callable (score is empty)",
                         Error);
    config.reward_functions = {{"", 1.0, one}};
    CHECK_THROWS_WITH_AS(config.validate(), "GrpoTrainerConfig: reward function 0 has an empty name", Error);
    config.reward_functions = {{"one", std::numeric_limits<double>::infinity(), one}};
    CHECK_THROWS_WITH_AS(config.validate(), "GrpoTrainerConfig: reward function 'one' has weight inf, expected a finite number",
                         Error);
}

TEST_CASE("normalize_then_sum: each reward function normalised in its group, then weighted") {
    // Two functions on a group of 4: a = (1, 0, 0, 0), b = (0, 0, 1, 1), weights 1 and 1.
    // Summed first, the totals (1, 0, 1, 1) have one advantage pattern; normalised first, a's
    // rare success weighs as much as b's common one (rl/advantages.hpp).
    const Tokenizer tok = Tokenizer::ascii();
    Rng rng(5);
    const std::vector<Problem> problems = {generate_linear_equation(rng)};
    Completions c;
    c.group_size = 4;
    for (const char* text : {"a", "b", "c", "d"}) {
        c.tokens.push_back(tok.encode(text));
        c.logprobs.emplace_back(1);
        c.truncated.push_back(false);
    }
    const auto first = [](const RewardInput& in) -> RewardScore { return in.completion == "a" ? 1.0 : 0.0; };
    const auto last_two = [](const RewardInput& in) -> RewardScore {
        return in.completion == "c" || in.completion == "d" ? 1.0 : 0.0;
    };
    const std::vector<RewardFunction> list = {{"a", 1.0, first}, {"b", 1.0, last_two}};
    const BatchScores scores = score_completions(c, problems, {"p"}, tok, list);
    const AdvantageConfig cfg = AdvantageConfig::seed_table();
    const Advantages separate = multi_reward_advantages(reward_components(scores, 2), {1, 1}, 4,
                                                        RewardAggregation::normalize_then_sum, cfg);
    // a: mean 1/4, population std √3/4: (3/√3, −1/√3, −1/√3, −1/√3); b: (−1, −1, 1, 1).
    const double r3 = std::sqrt(3.0);
    CHECK(separate.advantages[0] == doctest::Approx(3 / r3 - 1));
    CHECK(separate.advantages[1] == doctest::Approx(-1 / r3 - 1));
    CHECK(separate.advantages[2] == doctest::Approx(-1 / r3 + 1));
    CHECK(reward_totals(scores) == std::vector<double>{1, 0, 1, 1});
}

// GrpoTrainer's saved state (issue: nothing lost): exact resume with idle experts at another
// thread count, a kill at any point of a save, loads that check everything first, and a stop on
// non-finite numbers.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <grpo/grpo.hpp>
#include <grpo/train/grpo_trainer.hpp>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "trainer_support.hpp"

using namespace grpo;

namespace {

using StateModel = Transformer<float, Cpu>;
using StateTrainer = GrpoTrainer<float, Cpu>;

// 16 experts, top-1, one prompt of G = 2 a step: about 70 tokens a forward, so some experts get
// no token in some steps, after having had some before (the case that broke resume).
TransformerConfig idle_expert_config() {
    TransformerConfig c = grpo_test::trainer_model_config();
    c.n_routed_experts = 16;
    c.experts_per_token = 1;
    return c;
}

GrpoTrainerConfig state_trainer_config() {
    GrpoTrainerConfig c;
    c.prompts_per_step = 1;
    c.sampling.group_size = 2;
    c.sampling.max_new_tokens = 8;
    c.optimizer.lr = 1e-2;
    c.mu = 2;
    c.seed = 5;
    return c;
}

std::vector<std::vector<float>> state_weights(const StateModel& model) {
    std::vector<std::vector<float>> out;
    for (const auto& p : model.params()) out.push_back(p.value().to_host());
    for (const auto& block : model.blocks())
        if (block.moe) out.push_back(block.moe->bias().to_host());
    return out;
}

std::string state_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("grpo_state_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    return dir.string();
}

struct ThreadCount {  // sets the CPU backend's threads for one scope
    int saved = cpu_num_threads();
    explicit ThreadCount(int n) { cpu_set_num_threads(n); }
    ~ThreadCount() { cpu_set_num_threads(saved); }
};

}  // namespace

TEST_CASE("GrpoTrainer: 3 steps, save, load, 3 steps equal 6 straight steps bit for bit, idle experts included") {
    const Tokenizer tok = Tokenizer::ascii();
    const GrpoTrainerConfig config = state_trainer_config();
    const int total = 6, first = 3;

    Rng init_a(8);
    StateModel straight(idle_expert_config(), init_a);
    std::vector<nlohmann::json> straight_metrics;
    std::vector<std::vector<std::int64_t>> loads;
    {
        const ThreadCount one(1);
        StateTrainer a(straight, tok, grpo_test::any_number_is_right, config);
        for (int s = 0; s < total; ++s) {
            const GrpoStepMetrics m = a.step();
            straight_metrics.push_back(grpo_test::metrics_without_timings(m));
            loads.push_back(m.expert_load.at(0));
        }
    }
    // The case under test happens: an expert used in an earlier step gets no token in a later one.
    bool idle_after_use = false;
    for (std::size_t s = 1; s < loads.size(); ++s)
        for (std::size_t e = 0; e < loads[s].size(); ++e)
            if (loads[s][e] == 0 && loads[s - 1][e] > 0) idle_after_use = true;
    REQUIRE(idle_after_use);

    const std::string dir = state_dir("resume");
    Rng init_b(8), other(77);
    StateModel first_half(idle_expert_config(), init_b), resumed(idle_expert_config(), other);
    std::vector<nlohmann::json> resumed_metrics;
    {
        const ThreadCount two(2);  // another thread count than the straight run
        StateTrainer b(first_half, tok, grpo_test::any_number_is_right, config);
        for (int s = 0; s < first; ++s) resumed_metrics.push_back(grpo_test::metrics_without_timings(b.step()));
        b.save(dir);
        StateTrainer c(resumed, tok, grpo_test::any_number_is_right, config);
        c.load(dir);
        CHECK(c.steps() == first);
        CHECK(c.optimizer().steps() == first * config.mu);
        for (int s = first; s < total; ++s) resumed_metrics.push_back(grpo_test::metrics_without_timings(c.step()));
    }
    for (int s = 0; s < total; ++s) {
        CAPTURE(s);
        CHECK(resumed_metrics[s] == straight_metrics[s]);
    }
    CHECK(state_weights(resumed) == state_weights(straight));
    std::filesystem::remove_all(dir);
}

TEST_CASE("GrpoTrainer::load names the config fields that differ and checks everything before it copies") {
    const Tokenizer tok = Tokenizer::ascii();
    Rng init(9);
    StateModel model(idle_expert_config(), init);
    StateTrainer trainer(model, tok, grpo_test::any_number_is_right, state_trainer_config());
    trainer.step();
    const std::string dir = state_dir("checks");
    trainer.save(dir);
    const std::string folder = dir + "/step-00000001";
    CHECK(read_file(dir + "/LATEST") == "step-00000001\n");

    GrpoTrainerConfig changed = state_trainer_config();
    changed.mu = 1;
    changed.loss.beta = 0.0;
    Rng init2(10);
    StateModel other(idle_expert_config(), init2);
    StateTrainer different(other, tok, grpo_test::any_number_is_right, changed);
    CHECK_THROWS_WITH_AS(different.load(dir),
                         ("GrpoTrainer::load: '" + folder +
                          "' was saved by a trainer with another config: loss.beta 0.04 saved, 0.0 here; mu 2 saved, 1 here")
                             .c_str(),
                         Error);

    // A second moment of -1 (sqrt(v) would be NaN at the next step) is refused, and nothing is copied.
    Safetensors opt = load_safetensors(folder + "/optimizer.safetensors");
    std::vector<float> v = opt.tensors[1].values<float>();
    v[0] = -1.0f;
    opt.tensors[1] = NamedTensor::from_values<float>(opt.tensors[1].name, opt.tensors[1].shape, v);
    save_safetensors(folder + "/optimizer.safetensors", opt.tensors, opt.metadata);
    StateTrainer same(other, tok, grpo_test::any_number_is_right, state_trainer_config());
    const auto before = state_weights(other);
    CHECK_THROWS_WITH_AS(same.load(dir), doctest::Contains("has m = "), Error);
    CHECK_THROWS_WITH_AS(same.load(dir), doctest::Contains(", v = -1 at index 0, expected finite m and v >= 0"), Error);
    CHECK(state_weights(other) == before);
    CHECK(same.steps() == 0);

    // A bad step stamp, a trainer.json that is not JSON, a LATEST that names nothing.
    trainer.save(dir);
    const std::string folder2 = dir + "/step-00000001.1";  // the same step again: a new folder
    CHECK(read_file(dir + "/LATEST") == "step-00000001.1\n");
    save_checkpoint(model, folder2 + "/policy.safetensors", {{"grpo.trainer.step", "x"}});
    CHECK_THROWS_WITH_AS(same.load(dir),
                         ("GrpoTrainer::load: '" + folder2 + "/policy.safetensors' is stamped step 'x', trainer.json says step 1").c_str(),
                         Error);
    write_file_atomically(folder2 + "/trainer.json", "{\"step\": ");
    CHECK_THROWS_WITH_AS(same.load(dir), doctest::Contains("trainer.json' is not JSON"), Error);
    write_file_atomically(dir + "/LATEST", "../elsewhere\n");
    CHECK_THROWS_WITH_AS(same.load(dir), doctest::Contains("LATEST holds '../elsewhere', expected a step folder name"), Error);
    CHECK_THROWS_WITH_AS(same.load(dir + "/none"), doctest::Contains("has no LATEST file"), Error);
    CHECK(state_weights(other) == before);
    std::filesystem::remove_all(dir);
}

// A child process saves step 2 over a folder holding step 1 (or what the last kill left) and is
// SIGKILLed after a delay spread over the time a child's save takes; after every kill the folder
// must load whole, as the state LATEST named before or as step 2, and (every tenth time) resume
// with the straight run's next step.
TEST_CASE("GrpoTrainer::save killed at 200 points always leaves the last good state loadable") {
    const Tokenizer tok = Tokenizer::ascii();
    const GrpoTrainerConfig config = state_trainer_config();
    Rng init(11);
    StateModel model(idle_expert_config(), init);
    StateTrainer trainer(model, tok, grpo_test::any_number_is_right, config);
    const std::string dir = state_dir("kill");
    trainer.step();
    trainer.save(dir);
    const std::string pristine = state_dir("kill_pristine");
    std::filesystem::copy(dir, pristine, std::filesystem::copy_options::recursive);
    const auto step1 = state_weights(model);
    trainer.step();
    const auto step2 = state_weights(model);
    // The weights after one more step from each state, for the resume check.
    std::vector<std::vector<float>> after1, after2;
    {
        Rng r(0);
        StateModel m(idle_expert_config(), r);
        StateTrainer t(m, tok, grpo_test::any_number_is_right, config);
        t.load(dir);
        t.step();
        after1 = state_weights(m);
        t.step();
        after2 = state_weights(m);
    }

    // A child that says "starting" through a pipe, saves step 2 and leaves without cleanup.
    const auto start_saver = [&]() {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(ready[0]);
            const char go = 1;
            if (::write(ready[1], &go, 1) != 1) ::_exit(3);
            try {
                trainer.save(dir);
            } catch (...) {
                ::_exit(2);
            }
            ::_exit(0);
        }
        ::close(ready[1]);
        char go = 0;
        REQUIRE(::read(ready[0], &go, 1) == 1);
        ::close(ready[0]);
        return child;
    };
    const auto wait_for = [](pid_t child) {
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)));
    };
    // How long a child's whole save takes here (the slowest of 3), to spread the kills over it.
    double save_us = 0;
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        wait_for(start_saver());
        save_us = std::max(save_us, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    }

    int old_state = 0, new_state = 0;
    std::int64_t committed = 1;  // the step LATEST names before this kill
    Rng r(0);
    StateModel loaded(idle_expert_config(), r);
    for (int kill = 0; kill < 200; ++kill) {
        // Even kills start from the pristine step-1 folder; odd ones from what the last kill left.
        if (kill % 2 == 0) {
            std::filesystem::remove_all(dir);
            std::filesystem::copy(pristine, dir, std::filesystem::copy_options::recursive);
            committed = 1;
        }
        const pid_t child = start_saver();
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(save_us * (kill % 50) / 40)));
        ::kill(child, SIGKILL);
        wait_for(child);

        StateTrainer resumed(loaded, tok, grpo_test::any_number_is_right, config);
        resumed.load(dir);
        CAPTURE(kill);
        CAPTURE(committed);
        REQUIRE((resumed.steps() == committed || resumed.steps() == 2));
        const bool is_new = resumed.steps() == 2;
        (resumed.steps() == committed ? old_state : new_state) += 1;
        REQUIRE(state_weights(loaded) == (is_new ? step2 : step1));
        committed = resumed.steps();
        if (kill % 10 == 0) {
            resumed.step();
            REQUIRE(state_weights(loaded) == (is_new ? after2 : after1));
        }
    }
    MESSAGE("kills that left the previous state: ", old_state, ", the new one: ", new_state, " (a child's save takes ", save_us, " us)");
    CHECK(old_state > 0);  // the kills did land before the commit point...
    CHECK(new_state > 0);  // ...and after it

    // The next save removes what the killed ones left, and keeps the newest two step folders.
    trainer.save(dir);
    int step_folders = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        CHECK_MESSAGE(name.find("tmp") == std::string::npos, name);
        step_folders += name.rfind("step-", 0) == 0;
    }
    CHECK(step_folders == 2);
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(pristine);
}

TEST_CASE("GrpoTrainer stops on a non-finite number, naming the step, and then refuses to save") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = state_trainer_config();
    config.optimizer.lr = 1e10;
    Rng init(12);
    StateModel model(idle_expert_config(), init);
    StateTrainer trainer(model, tok, grpo_test::any_number_is_right, config);
    const std::string dir = state_dir("nan");
    trainer.save(dir);
    std::string error;
    for (int s = 0; s < 5 && error.empty(); ++s) {
        try {
            trainer.step();
        } catch (const Error& e) {
            error = e.what();
        }
    }
    MESSAGE(error);
    REQUIRE(!error.empty());
    CHECK(error.rfind("GrpoTrainer step ", 0) == 0);
    CHECK(error.find("non-finite") != std::string::npos);
    CHECK_THROWS_WITH_AS(trainer.save(dir), doctest::Contains("refusing to save after a failed step"), Error);
    CHECK_THROWS_WITH_AS(trainer.step(), doctest::Contains("an earlier step failed"), Error);
    CHECK(read_file(dir + "/LATEST") == "step-00000000\n");  // the last good state is untouched
    std::filesystem::remove_all(dir);

    // Rewards: a NaN weight is refused when the trainer is made; a reward function that never
    // scores makes every reward missing, which is an error; so is a verifier that throws, and a
    // problem without one.
    config = state_trainer_config();
    config.rewards.format_weight = std::nan("");
    CHECK_THROWS_WITH_AS(StateTrainer(model, tok, grpo_test::any_number_is_right, config),
                         "GrpoTrainerConfig: reward function 'format' has weight nan, expected a finite number", Error);
    config = state_trainer_config();
    config.reward_functions = {{"judge", 1.0, [](const RewardInput&) -> RewardScore { return std::nullopt; }}};
    StateTrainer never_scored(model, tok, grpo_test::any_number_is_right, config);
    CHECK_THROWS_WITH_AS(never_scored.step(),
                         "GrpoTrainer step 1: every one of the 2 rewards is missing: no completion was scored by every "
                         "reward function of non-zero weight",
                         Error);
    const auto throwing = [](Rng& rng) {
        Problem p = generate_linear_equation(rng);
        p.check = [](std::string_view) -> bool { throw std::out_of_range("verifier bug"); };
        return p;
    };
    config = state_trainer_config();
    config.rewards.format_weight = 0.0;
    StateTrainer bad_verifier(model, tok, throwing, config);
    // The random policy rarely writes <answer>: give it one by calling the verifier directly.
    const std::vector<Problem> problems = bad_verifier.problems_for_step(0);
    Completions c;
    c.group_size = 2;
    c.tokens = {tok.encode("<think>a</think><answer>3</answer>"), tok.encode("x")};
    c.logprobs = {std::vector<double>(c.tokens[0].size()), std::vector<double>(1)};
    c.truncated = {false, false};
    CHECK_THROWS_WITH_AS(score_completions(c, problems, render_prompts(problems, config.prompt_template), tok,
                                           builtin_reward_functions(config.rewards)),
                         ("the verifier of problem '" + problems[0].question +
                          "' threw on the answer '3': verifier bug")
                             .c_str(),
                         Error);
    const auto no_verifier = [](Rng& rng) {
        Problem p = generate_linear_equation(rng);
        p.check = nullptr;
        return p;
    };
    StateTrainer unverified(model, tok, no_verifier, config);
    CHECK_THROWS_WITH_AS(unverified.step(), doctest::Contains("has no verifier (Problem::check is empty)"), Error);
}

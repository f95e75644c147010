#include <doctest/doctest.h>

#include <filesystem>
#include <grpo/io/atomic_file.hpp>
#include <grpo/io/checkpoint_dir.hpp>
#include <grpo/io/json_fields.hpp>
#include <string>

#include <unistd.h>

using namespace grpo;

namespace {
std::string atomic_scratch_dir(const char* name) {
    const auto dir = std::filesystem::temp_directory_path() / ("grpo_atomic_" + std::to_string(::getpid()) + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}
}  // namespace

TEST_CASE("write_file_atomically removes the temporaries of writers that were killed, not of live ones") {
    const std::string dir = atomic_scratch_dir("tmp");
    const std::string path = dir + "/model.safetensors";
    const std::string dead = path + ".tmp.999999999";  // above any pid_max: no such process
    const std::string live = path + ".tmp.1";          // init: always running
    const std::string other = dir + "/other.tmp.999999999";
    for (const std::string& p : {dead, live, other}) write_file_atomically(p, "half");
    write_file_atomically(path, "whole");
    CHECK(read_file(path) == "whole");
    CHECK_FALSE(std::filesystem::exists(dead));
    CHECK(std::filesystem::exists(live));
    CHECK(std::filesystem::exists(other));  // another file's temporaries are not this write's
    std::filesystem::remove_all(dir);
}

TEST_CASE("checkpoint folder: names, copies of a step, pruning and a LATEST that names nothing") {
    const std::string dir = atomic_scratch_dir("steps");
    CHECK(read_latest(dir) == "");
    for (std::int64_t step : {3, 3, 4}) {
        const std::string temporary = begin_step_folder(dir, step);
        write_file_atomically(temporary + "/state", std::to_string(step));
        commit_step_folder(dir, temporary, step, 2);
    }
    CHECK(read_latest(dir) == "step-00000004");
    CHECK_FALSE(std::filesystem::exists(dir + "/step-00000003"));  // the oldest of three
    CHECK(read_file(dir + "/step-00000003.1/state") == "3");
    CHECK(read_file(latest_step_folder(dir) + "/state") == "4");
    // A killed save's folder is removed by the next one.
    std::filesystem::create_directory(dir + "/.tmp-step-00000005.999999999");
    commit_step_folder(dir, begin_step_folder(dir, 5), 5, 2);
    CHECK_FALSE(std::filesystem::exists(dir + "/.tmp-step-00000005.999999999"));
    CHECK_THROWS_WITH_AS(begin_step_folder(dir, -1), "begin_step_folder: step -1, expected 0 to 999999999", Error);
    std::filesystem::remove_all(dir + "/step-00000005");
    CHECK_THROWS_WITH_AS(latest_step_folder(dir),
                         ("checkpoint folder '" + dir + "': LATEST names 'step-00000005', which is not a folder there").c_str(),
                         Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("json fields: exact types and ranges, and the differences of two configs by path") {
    const nlohmann::json j = {{"n", 4294967304ull}, {"neg", -3}, {"x", 1.5}, {"b", true}, {"s", "text"}};
    int n = 0;
    CHECK_THROWS_WITH_AS(read_field(j, "n", &n, "cfg"),
                         "cfg: field 'n' = 4294967304, expected an integer in [-2147483648, 2147483647]", Error);
    std::uint32_t u = 0;
    CHECK_THROWS_WITH_AS(read_field(j, "neg", &u, "cfg"), "cfg: field 'neg' = -3, expected an integer in [0, 4294967295]",
                         Error);
    std::int64_t wide = 0;
    read_field(j, "n", &wide, "cfg");
    CHECK(wide == 4294967304LL);
    CHECK_THROWS_WITH_AS(read_field(j, "x", &n, "cfg"), "cfg: field 'x' = 1.5, expected an integer in [-2147483648, 2147483647]",
                         Error);
    CHECK_THROWS_WITH_AS(read_field(j, "b", &n, "cfg"), doctest::Contains("field 'b' = true, expected an integer"), Error);
    double x = 0;
    CHECK_THROWS_WITH_AS(read_field(j, "s", &x, "cfg"), "cfg: field 's' = \"text\", expected a number", Error);
    CHECK_THROWS_WITH_AS(read_field(j, "missing", &x, "cfg"), "cfg: field 'missing' is missing", Error);
    CHECK(parse_int64("-12", "m") == -12);
    CHECK_THROWS_WITH_AS(parse_int64("12x", "m"), "m = '12x', expected a 64-bit integer", Error);
    CHECK_THROWS_WITH_AS(parse_int64("99999999999999999999", "m"), doctest::Contains("expected a 64-bit integer"), Error);
    CHECK_THROWS_WITH_AS(parse_double("1e999", "m"), "m = '1e999', expected a finite number", Error);
    CHECK(parse_double("0.25", "m") == 0.25);
    const nlohmann::json saved = {{"mu", 2}, {"loss", {{"beta", 0.04}, {"kl", 2}}}, {"old", 1}};
    const nlohmann::json here = {{"mu", 1}, {"loss", {{"beta", 0.04}, {"kl", 3}}}, {"new", 1}};
    CHECK(config_differences(saved, here) == "loss.kl 2 saved, 3 here; mu 2 saved, 1 here; old 1 saved, absent here; "
                                             "new absent saved, 1 here");
    CHECK(config_differences(saved, saved).empty());
}

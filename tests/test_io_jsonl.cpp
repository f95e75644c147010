#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <grpo/io/atomic_file.hpp>
#include <grpo/io/jsonl.hpp>

TEST_CASE("jsonl: one object per line, appended, NaN as null") {
    const std::string path = (std::filesystem::temp_directory_path() / "grpo_metrics_test.jsonl").string();
    {
        grpo::JsonlWriter out(path, /*truncate=*/true);
        out.write({{"step", 1}, {"reward_mean", 0.5}});
        out.write({{"step", 2}, {"kl", NAN}});
        CHECK_THROWS_WITH_AS(out.write(nlohmann::json::array({1, 2})),
                             "JsonlWriter: a record must be a JSON object, got array", grpo::Error);
    }
    {
        grpo::JsonlWriter more(path);  // appends
        more.write({{"step", 3}});
    }
    CHECK(grpo::read_file(path) ==
          "{\"reward_mean\":0.5,\"step\":1}\n{\"kl\":null,\"step\":2}\n{\"step\":3}\n");
    CHECK_THROWS_AS(grpo::JsonlWriter("/nonexistent-dir/m.jsonl"), grpo::Error);
}

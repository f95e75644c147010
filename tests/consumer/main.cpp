// Uses the library the way a user's project would: one include, one call.
#include <cstdio>
#include <grpo/grpo.hpp>

int main() {
    const std::vector<double> rewards = {2.0, 1.0, 2.0};
    const auto result = grpo::group_advantages(rewards, 3, {grpo::StdKind::population, 0.0});
    std::printf("%+.2f %+.2f %+.2f\n", result.advantages[0], result.advantages[1],
                result.advantages[2]);
    return result.advantages[1] < -1.41 && result.advantages[1] > -1.42 ? 0 : 1;
}

// Uses the library the way a user's project would: one include, one call. Compiled with
// -Wall -Wextra -Wshadow -Wconversion -Werror (CMakeLists.txt): it builds only if grpo's headers
// came in as SYSTEM includes.
#include <cstdio>
#include <grpo/grpo.hpp>

// OpenMP reaches a consumer only when it asked for it (CONSUMER_OPENMP in CMakeLists.txt).
#ifndef GRPO_CONSUMER_EXPECT_OPENMP
#define GRPO_CONSUMER_EXPECT_OPENMP 0
#endif
#if defined(_OPENMP) && !GRPO_CONSUMER_EXPECT_OPENMP
#error "grpo::grpo pushed OpenMP (-fopenmp) onto a consumer that did not ask for it"
#endif
#if !defined(_OPENMP) && GRPO_CONSUMER_EXPECT_OPENMP
#error "the consumer asked grpo for OpenMP and did not get it"
#endif

int main() {
    const std::vector<double> rewards = {2.0, 1.0, 2.0};
    const auto result = grpo::group_advantages(rewards, 3, {grpo::StdKind::population, 0.0});
    std::printf("%+.2f %+.2f %+.2f (%d thread%s available)\n", result.advantages[0],
                result.advantages[1], result.advantages[2], grpo::cpu_num_threads(),
                grpo::cpu_num_threads() == 1 ? "" : "s");
    return result.advantages[1] < -1.41 && result.advantages[1] > -1.42 ? 0 : 1;
}

// libFuzzer target: coverage-guided inputs through every reward rule. Built with clang when
// GRPO_BUILD_FUZZERS=ON; run e.g. `build-fuzz/tests/fuzz_rewards -max_total_time=60`.
#include <cstddef>
#include <cstdint>

#include "exercise.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    grpo_fuzz::exercise_rewards({reinterpret_cast<const char*>(data), size});
    return 0;
}

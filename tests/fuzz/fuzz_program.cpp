// libFuzzer target: coverage-guided program texts through the mini-language interpreter and the
// programming task's judge, every run checked against its limits (exercise_program.hpp). Built
// with clang when GRPO_BUILD_FUZZERS=ON; run e.g. `build-fuzz/tests/fuzz_program -max_total_time=60`.
#include <cstddef>
#include <cstdint>

#include "exercise_program.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    grpo_fuzz::exercise_program({reinterpret_cast<const char*>(data), size});
    return 0;
}

// One program text through the mini-language interpreter (tasks/mini_program.hpp) and the
// programming task's judge, with every bound checked: shared by the doctest case
// (tests/test_tasks_mini_program.cpp) and the libFuzzer target (tests/fuzz/fuzz_program.cpp).
// A run must end with a verdict within its limits; anything else throws std::logic_error.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <grpo/tasks/mini_program.hpp>
#include <grpo/tasks/program_task.hpp>

namespace grpo_fuzz {

/// Small limits, so that a fuzzer reaches every one of them often.
inline grpo::MiniLimits fuzz_mini_limits() {
    grpo::MiniLimits limits;
    limits.max_source_bytes = 2048;
    limits.max_depth = 16;
    limits.max_steps = 2000;
    limits.max_variables = 8;
    limits.max_output_bytes = 256;
    return limits;
}

inline void expect(bool ok, const char* what) {
    if (!ok) throw std::logic_error(what);
}

/// Runs `source` with inputs a, b, n set and checks the run's bounds; returns its status.
inline grpo::MiniStatus exercise_program(std::string_view source) {
    const grpo::MiniLimits limits = fuzz_mini_limits();
    const grpo::MiniRun run = grpo::run_mini_program(source, {{"a", 3}, {"b", -4}, {"n", 5}}, limits);
    expect(run.steps <= limits.max_steps + 1, "a run took more steps than its limit");
    expect(run.output.size() <= limits.max_output_bytes, "a run printed past its output limit");
    expect((run.status == grpo::MiniStatus::ok) == run.message.empty(), "a verdict without its reason");
    expect(run.status != grpo::MiniStatus::step_limit || run.steps == limits.max_steps + 1,
           "a step-limit verdict before the limit");
    // The judge on a fixed problem: the same bounds, a pass count within the tests.
    static const grpo::ProgramSpec spec = [] {
        grpo::Rng rng(1);
        return grpo::make_program_spec(rng, "sum_to_n", 2);
    }();
    const grpo::ProgramVerdict v = grpo::judge_program(spec, source, limits);
    expect(v.total == 2 && v.passed >= 0 && v.passed <= 2, "a verdict outside its tests");
    expect(v.all_passed() == v.failure.empty(), "a failing verdict without its reason");
    return run.status;
}

}  // namespace grpo_fuzz

// Programming problems with test cases, judged by running the candidate program
// (tasks/mini_program.hpp): DeepSeek-R1's code reward, "the generated code is executed and its
// output is compared to a known correct result" (arXiv 2501.12948 §2.2.2). A specification names
// its inputs and what to print; the prompt shows one test case, the judge runs all of them and
// compares each whole output, byte for byte (a right prefix with more after it is wrong).
//   Inputs: a, b. Print the larger of a and b.
//   Example: a = 3, b = 8 prints 8
// Specifications come from eight families (sum, product, larger, absolute difference, count up,
// count down, sum 1..n, factorial), each with a reference program, so a generated problem is
// always solvable.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/tasks/mini_program.hpp"
#include "grpo/tasks/problem.hpp"

namespace grpo {

/// One test case: the input variables and the exact output expected.
struct ProgramTest {
    std::map<std::string, std::int64_t> inputs;  ///< set before the program runs
    std::string expected;                        ///< the whole output, one value a line
};

/// A programming problem: what to write, its tests (the first is shown), a reference solution.
struct ProgramSpec {
    std::string family;             ///< "sum", "product", "larger", ...
    std::vector<std::string> inputs;  ///< the input variables' names, in prompt order
    std::string task;               ///< "Print the larger of a and b."
    std::vector<ProgramTest> tests;  ///< >= 1; tests[0] is the example in the prompt
    std::string reference;          ///< a program that passes every test
};

/// The families make_program_spec knows, in order.
inline const std::vector<std::string>& program_families() {
    static const std::vector<std::string> families = {"sum",      "product",    "larger",  "difference",
                                                      "count_up", "count_down", "sum_to_n", "factorial"};
    return families;
}

namespace program_detail {

/// The expected output of family `f` on inputs a, b (two-input families) or n.
inline std::string expected_output(const std::string& f, std::int64_t a, std::int64_t b, std::int64_t n) {
    if (f == "sum") return std::to_string(a + b) + "\n";
    if (f == "product") return std::to_string(a * b) + "\n";
    if (f == "larger") return std::to_string(a > b ? a : b) + "\n";
    if (f == "difference") return std::to_string(a > b ? a - b : b - a) + "\n";
    std::string out;
    if (f == "count_up")
        for (std::int64_t i = 1; i <= n; ++i) out += std::to_string(i) + "\n";
    if (f == "count_down")
        for (std::int64_t i = n; i >= 1; --i) out += std::to_string(i) + "\n";
    if (f == "sum_to_n") out = std::to_string(n * (n + 1) / 2) + "\n";
    if (f == "factorial") {
        std::int64_t p = 1;
        for (std::int64_t i = 2; i <= n; ++i) p *= i;
        out = std::to_string(p) + "\n";
    }
    return out;
}

inline std::string reference_program(const std::string& f) {
    if (f == "sum") return "print a + b";
    if (f == "product") return "print a * b";
    if (f == "larger") return "if a > b then\nprint a\nelse\nprint b\nend";
    if (f == "difference") return "if a > b then\nprint a - b\nelse\nprint b - a\nend";
    if (f == "count_up") return "i = 1\nwhile i <= n do\nprint i\ni = i + 1\nend";
    if (f == "count_down") return "while n >= 1 do\nprint n\nn = n - 1\nend";
    if (f == "sum_to_n") return "s = 0\nwhile n > 0 do\ns = s + n\nn = n - 1\nend\nprint s";
    return "f = 1\nwhile n > 1 do\nf = f * n\nn = n - 1\nend\nprint f";  // factorial
}

inline std::string task_text(const std::string& f) {
    if (f == "sum") return "Print the sum of a and b.";
    if (f == "product") return "Print the product of a and b.";
    if (f == "larger") return "Print the larger of a and b.";
    if (f == "difference") return "Print the difference of a and b, the larger minus the smaller.";
    if (f == "count_up") return "Print the numbers from 1 to n, one a line.";
    if (f == "count_down") return "Print the numbers from n down to 1, one a line.";
    if (f == "sum_to_n") return "Print the sum of the numbers from 1 to n.";
    return "Print n factorial.";
}

}  // namespace program_detail

/// A problem of family `family` with `tests` test cases drawn from `rng` (a, b in 0..20; n in
/// 0..8, so that every output is short). Throws on an unknown family or tests < 1.
inline ProgramSpec make_program_spec(Rng& rng, const std::string& family, int tests = 4) {
    using namespace program_detail;
    const auto& families = program_families();
    require(std::find(families.begin(), families.end(), family) != families.end(), "make_program_spec: family '",
            family, "' is not one of sum, product, larger, difference, count_up, count_down, sum_to_n, factorial");
    require(tests >= 1, "make_program_spec: tests = ", tests, ", expected >= 1");
    const bool two_inputs = family == "sum" || family == "product" || family == "larger" || family == "difference";
    ProgramSpec spec{family, two_inputs ? std::vector<std::string>{"a", "b"} : std::vector<std::string>{"n"},
                     task_text(family), {}, reference_program(family)};
    for (int t = 0; t < tests; ++t) {
        const std::int64_t a = rng.uniform_int(0, 20), b = rng.uniform_int(0, 20), n = rng.uniform_int(0, 8);
        ProgramTest test;
        if (two_inputs) test.inputs = {{"a", a}, {"b", b}};
        else test.inputs = {{"n", n}};
        test.expected = expected_output(family, a, b, n);
        spec.tests.push_back(std::move(test));
    }
    return spec;
}

/// A problem of a family drawn uniformly.
inline ProgramSpec sample_program_spec(Rng& rng, int tests = 4) {
    const auto& families = program_families();
    return make_program_spec(rng, families[static_cast<std::size_t>(rng.uniform_int(0, 7))], tests);
}

/// The question a model is prompted with: the inputs, the task and the first test:
/// "Inputs: a, b. Print the larger of a and b.\nExample: a = 3, b = 8 prints 8".
inline std::string program_question(const ProgramSpec& spec) {
    std::string q = "Inputs: ";
    for (std::size_t i = 0; i < spec.inputs.size(); ++i) q += (i ? ", " : "") + spec.inputs[i];
    q += ". " + spec.task + "\nExample: ";
    const ProgramTest& t = spec.tests.front();
    for (std::size_t i = 0; i < spec.inputs.size(); ++i)
        q += (i ? ", " : "") + spec.inputs[i] + " = " + std::to_string(t.inputs.at(spec.inputs[i]));
    std::string shown = t.expected;
    for (char& c : shown)
        if (c == '\n') c = ' ';
    while (!shown.empty() && shown.back() == ' ') shown.pop_back();
    return q + " prints " + (shown.empty() ? "nothing" : shown);
}

/// How a program did on a problem's tests.
struct ProgramVerdict {
    int passed = 0;  ///< tests whose whole output matched
    int total = 0;   ///< tests run
    /// The first failing test's status (ok when it ran and printed the wrong thing) and its
    /// reason ("line 2: division by zero", "output differs"); empty when every test passed.
    ///@{
    MiniStatus failure_status = MiniStatus::ok;
    std::string failure;
    ///@}
    bool all_passed() const { return total > 0 && passed == total; }  ///< the accuracy reward's 1
    double pass_rate() const { return total > 0 ? static_cast<double>(passed) / total : 0.0; }  ///< partial credit
};

/// Runs `program` on every test of `spec` within `limits`. Never throws on any program.
inline ProgramVerdict judge_program(const ProgramSpec& spec, std::string_view program, const MiniLimits& limits = {}) {
    ProgramVerdict v;
    for (const ProgramTest& test : spec.tests) {
        ++v.total;
        const MiniRun run = run_mini_program(program, test.inputs, limits);
        if (run.status == MiniStatus::ok && run.output == test.expected) {
            ++v.passed;
        } else if (v.failure.empty()) {
            v.failure_status = run.status;
            v.failure = run.status == MiniStatus::ok ? "output differs on test " + std::to_string(v.total)
                                                     : std::string(status_name(run.status)) + ": " + run.message;
        }
    }
    return v;
}

/// The problem as a Problem: the question above, the reference program as its answer, and a
/// verifier that passes a candidate program only when it passes every test.
inline Problem make_program_problem(const ProgramSpec& spec) {
    return {program_question(spec), spec.reference,
            guarded_check([spec](std::string_view candidate) { return judge_program(spec, candidate).all_passed(); })};
}

}  // namespace grpo

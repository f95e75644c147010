#include <doctest/doctest.h>

#include <grpo/core/rng.hpp>
#include <grpo/tasks/mini_program.hpp>
#include <grpo/tasks/program_task.hpp>
#include <string>
#include <vector>

#include "fuzz/exercise_program.hpp"

using namespace grpo;

namespace {

std::string out_of(const std::string& source, const std::map<std::string, std::int64_t>& inputs = {}) {
    const MiniRun run = run_mini_program(source, inputs);
    INFO(source, " -> ", status_name(run.status), " ", run.message);
    REQUIRE(run.status == MiniStatus::ok);
    return run.output;
}

void check_stops(const std::string& source, MiniStatus status, const std::string& message,
                 const MiniLimits& limits = {}) {
    const MiniRun run = run_mini_program(source, {{"a", 1}}, limits);
    INFO(source);
    CHECK(status_name(run.status) == std::string(status_name(status)));
    CHECK(run.message == message);
}

}  // namespace

TEST_CASE("mini programs: the header's factorial, inputs, if/else and while") {
    CHECK(out_of("n = 5\nf = 1\nwhile n > 1 do\n  f = f * n\n  n = n - 1\nend\nprint f") == "120\n");
    CHECK(out_of("print a + b", {{"a", 2}, {"b", 40}}) == "42\n");
    CHECK(out_of("if a > b then\nprint a\nelse\nprint b\nend", {{"a", 2}, {"b", 7}}) == "7\n");
    CHECK(out_of("if 0 then\nprint 1\nend\n\n   print 2") == "2\n");
    CHECK(out_of("i = 3\nwhile i do\nprint i\ni = i - 1\nend") == "3\n2\n1\n");
    CHECK(out_of("") == "");
}

// C++'s integer semantics: * / % before + -, division truncates toward zero, the remainder has
// the dividend's sign; one comparison gives 1 or 0.
TEST_CASE("mini programs: precedence and integer arithmetic, by hand") {
    CHECK(out_of("print 2 + 3 * 4") == "14\n");
    CHECK(out_of("print (2 + 3) * 4") == "20\n");
    CHECK(out_of("print 10 - 4 - 3") == "3\n");
    CHECK(out_of("print -7 / 2") == "-3\n");
    CHECK(out_of("print -7 % 2") == "-1\n");
    CHECK(out_of("print 7 % -2") == "1\n");
    CHECK(out_of("print - - 3") == "3\n");
    CHECK(out_of("print 3 < 4") == "1\n");
    CHECK(out_of("print 1 + 1 == 2") == "1\n");
    CHECK(out_of("print 4 != 4") == "0\n");
    CHECK(out_of("print 9223372036854775807") == "9223372036854775807\n");
    CHECK(out_of("print -9223372036854775807 - 1") == "-9223372036854775808\n");
}

TEST_CASE("mini programs: a parse error names its line and what was expected") {
    const MiniStatus p = MiniStatus::parse_error;
    check_stops("x = ", p, "line 1: an expression ends too soon");
    check_stops("print 1\nwhile a do\nprint 2", p, "line 2: 'while' has no 'end'");
    check_stops("x = 3 $", p, "line 1: unexpected character '$'");
    check_stops("x = 3\x01", p, "line 1: unexpected character '\\x01'");
    check_stops("end", p, "line 1: 'end' without a block to close");
    check_stops("if a then\nelse\nelse\nend", p, "line 3: 'end' expected, alone on its line");
    check_stops("if a\nend", p, "line 1: 'if <condition> then' expected");
    check_stops("print (1 + 2", p, "line 1: ')' expected");
    check_stops("print 1 2", p, "line 1: unexpected '2' after an expression");
    check_stops("print 12ab", p, "line 1: '12ab' is not a number");
    check_stops("print 9223372036854775808", p, "line 1: the number 9223372036854775808 does not fit 64 bits");
    check_stops("then = 3", p, "line 1: a statement expected (x = ..., print ..., if ... then, while ... do), got 'then'");
    check_stops("print end", p, "line 1: a value expected, got 'end'");
    std::string deep = "print ";
    for (int i = 0; i < 40; ++i) deep += "(";
    check_stops(deep + "1", p, "line 1: an expression nested deeper than 32");
    std::string nested;
    for (int i = 0; i < 40; ++i) nested += "if 1 then\n";
    check_stops(nested, p, "line 34: blocks nested deeper than 32");
    check_stops(std::string(5000, ' '), p, "the program has 5000 bytes, more than 4096");
}

TEST_CASE("mini programs: runtime errors and limits end the run with what was printed") {
    check_stops("print x", MiniStatus::runtime_error, "line 1: variable 'x' is not set");
    check_stops("print 1\nprint a / 0", MiniStatus::runtime_error, "line 2: division by zero");
    check_stops("print 9223372036854775807 + a", MiniStatus::runtime_error, "line 1: overflow");
    check_stops("x = -9223372036854775807 - 1\nprint x / -1", MiniStatus::runtime_error, "line 2: overflow");
    check_stops("x = -9223372036854775807 - 1\nprint -x", MiniStatus::runtime_error, "line 2: overflow");
    check_stops("while 1 do\nend", MiniStatus::step_limit, "line 1: more than 10000 steps");
    check_stops("while 1 do\nprint 12345\nend", MiniStatus::output_limit, "line 2: output past 1024 bytes");
    MiniLimits two;
    two.max_variables = 2;
    check_stops("b = 1\nb = 2\nc = 3", MiniStatus::memory_limit,
                "line 3: variable 'c' would be one more than the 2 allowed", two);
    const MiniRun partial = run_mini_program("print 1\nprint 2\nprint 3 / 0");
    CHECK(partial.output == "1\n2\n");
    const MiniRun forever = run_mini_program("while 1 do\nend");
    CHECK(forever.steps == 10001);
}

TEST_CASE("programming problems: every reference passes its tests, and the whole output is compared") {
    Rng rng(5);
    for (const std::string& family : program_families())
        for (int k = 0; k < 20; ++k) {
            const ProgramSpec spec = make_program_spec(rng, family);
            INFO(family, " ", spec.reference);
            CHECK(judge_program(spec, spec.reference).all_passed());
            CHECK(make_program_problem(spec).check(spec.reference));
        }
    ProgramSpec count;
    count.family = "count_up";
    count.inputs = {"n"};
    count.tests = {{{{"n", 3}}, "1\n2\n3\n"}};
    CHECK_FALSE(judge_program(count, "print 1\nprint 2").all_passed());  // a prefix
    const ProgramVerdict longer = judge_program(count, "i = 1\nwhile i <= 4 do\nprint i\ni = i + 1\nend");
    CHECK_FALSE(longer.all_passed());  // the right output, then more
    CHECK(longer.failure == "output differs on test 1");
    const ProgramVerdict crashed = judge_program(count, "print n / 0");
    CHECK(crashed.failure_status == MiniStatus::runtime_error);
    CHECK(crashed.failure == "runtime_error: line 1: division by zero");
    CHECK(crashed.pass_rate() == 0.0);
}

TEST_CASE("programming problems: the question shows the inputs, the task and the first test") {
    ProgramSpec spec;
    spec.inputs = {"a", "b"};
    spec.task = "Print the larger of a and b.";
    spec.tests = {{{{"a", 3}, {"b", 8}}, "8\n"}};
    CHECK(program_question(spec) == "Inputs: a, b. Print the larger of a and b.\nExample: a = 3, b = 8 prints 8");
    spec.inputs = {"n"};
    spec.task = "Print the numbers from n down to 1, one a line.";
    spec.tests = {{{{"n", 3}}, "3\n2\n1\n"}};
    CHECK(program_question(spec) ==
          "Inputs: n. Print the numbers from n down to 1, one a line.\nExample: n = 3 prints 3 2 1");
    spec.tests = {{{{"n", 0}}, ""}};
    CHECK(program_question(spec).substr(program_question(spec).size() - 14) == "prints nothing");
    Rng rng(1);
    CHECK_THROWS_WITH_AS(make_program_spec(rng, "sort"),
                         "make_program_spec: family 'sort' is not one of sum, product, larger, difference, count_up, "
                         "count_down, sum_to_n, factorial",
                         Error);
}

// Generated programs (statements and expressions drawn at random, valid or nearly) and mutated
// references: every run ends with a verdict within its limits (exercise_program). The libFuzzer
// target tests/fuzz/fuzz_program.cpp runs the same checks on coverage-guided inputs.
TEST_CASE("mini programs: 20,000 generated and mutated programs stay within their limits") {
    Rng rng(2026);
    const std::vector<std::string> atoms = {"a", "b", "n", "x", "0", "1", "7", "-", "(", ")", "+", "*", "/", "%",
                                            "<", "==", "9223372036854775807"};
    const auto expression = [&] {
        std::string e;
        for (std::int64_t k = rng.uniform_int(1, 7); k > 0; --k) e += atoms[static_cast<std::size_t>(
                                                                          rng.uniform_int(0, 16))] + " ";
        return e;
    };
    std::map<grpo::MiniStatus, int> seen;
    for (int i = 0; i < 20000; ++i) {
        std::string program;
        if (i % 10 == 0) {  // many variables: near the memory limit (8 with the 3 inputs)
            for (std::int64_t k = rng.uniform_int(1, 9); k > 0; --k) program += "v" + std::to_string(k) + " = a\n";
        } else if (i % 2 == 0) {
            for (std::int64_t k = rng.uniform_int(1, 8); k > 0; --k) {
                const std::int64_t kind = rng.uniform_int(0, 5);
                if (kind == 0) program += "x = " + expression() + "\n";
                if (kind == 1) program += "print " + expression() + "\n";
                if (kind == 2) program += "while " + expression() + " do\n";
                if (kind == 3) program += "if " + expression() + " then\n";
                if (kind == 4) program += "end\n";
                if (kind == 5) program += rng.uniform() < 0.5 ? "else\n" : "v" + std::to_string(rng.uniform_int(0, 9)) + " = n\n";
            }
        } else {
            program = make_program_spec(rng, program_families()[static_cast<std::size_t>(rng.uniform_int(0, 7))]).reference;
            for (std::int64_t k = rng.uniform_int(1, 3); k > 0; --k) {
                const auto at = static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(program.size())));
                const std::int64_t how = rng.uniform_int(0, 2);
                if (how == 0 && at < program.size()) program.erase(at, 1);
                if (how == 1) program.insert(at, 1, "\n =-+*/%()<>!0123456789abnxdo"[rng.uniform_int(0, 28)]);
                if (how == 2) program.insert(at, program.substr(0, at));  // a repeated prefix
            }
        }
        INFO(program);
        REQUIRE_NOTHROW(++seen[grpo_fuzz::exercise_program(program)]);
    }
    for (MiniStatus s : {MiniStatus::ok, MiniStatus::parse_error, MiniStatus::runtime_error, MiniStatus::step_limit,
                         MiniStatus::output_limit, MiniStatus::memory_limit}) {
        INFO(status_name(s));
        CHECK(seen[s] > 0);  // every verdict is reached: the generator exercises every limit
    }
}

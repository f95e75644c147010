// The command line of the examples: --name=value flags over a table that gives each flag its
// kind, its default and one line of help.
//   --help              prints the table (stdout) and exits 0
//   --quick             a switch alone is --quick=1
//   --name=value ...    anything else: an unknown name, a missing or malformed value ("--steps=abc",
//                       "--quick=2", a choice not in the list) prints the error and the table to
//                       stderr and exits 2, before the example has done any work
// Every value is checked when the program starts, so a typo never costs a long run.
//
//   const ExampleFlags flags({{"steps", "300", "GRPO steps", ExampleFlag::integer},
//                             {"out", "", "output folder", ExampleFlag::text}},
//                            "What the example does, in one line.", argc, argv);
//   flags.i("steps"), flags.d("lr"), flags.s("out"), flags.all("response")
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <grpo/core/error.hpp>

struct ExampleFlag {
    enum Kind { text, integer, real, toggle };  // toggle: 0 or 1, and --name alone means --name=1

    std::string name;
    std::string default_value;
    std::string help;                  // one line
    Kind kind = text;
    std::vector<std::string> choices;  // for text: the allowed values (empty: anything)
    bool repeatable = false;           // each --name=value adds one value; read them with all()

    ExampleFlag(std::string name_, std::string default_value_, std::string help_, Kind kind_ = text,
                std::vector<std::string> choices_ = {}, bool repeatable_ = false)
        : name(std::move(name_)), default_value(std::move(default_value_)), help(std::move(help_)), kind(kind_),
          choices(std::move(choices_)), repeatable(repeatable_) {}
};

struct ExampleFlags {
    std::map<std::string, std::string> values;  // every known flag, with its (last) value

    ExampleFlags(std::vector<ExampleFlag> table, std::string summary, int argc, char** argv)
        : table_(std::move(table)), summary_(std::move(summary)) {
        program_ = argc > 0 ? argv[0] : "example";
        const auto slash = program_.find_last_of('/');
        if (slash != std::string::npos) program_ = program_.substr(slash + 1);
        for (const ExampleFlag& f : table_) {
            grpo::require(values.count(f.name) == 0 && f.name != "help", "ExampleFlags: flag '", f.name,
                          "' twice (or named help)");
            const std::string problem = check(f, f.default_value);
            grpo::require(problem.empty(), "ExampleFlags: the default of --", f.name, ": ", problem);
            values[f.name] = f.default_value;
        }
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                print_table(stdout);
                std::exit(0);
            }
            if (arg.rfind("--", 0) != 0 || arg.size() == 2) fail("'" + arg + "': expected --name=value");
            const auto eq = arg.find('=');
            const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            const ExampleFlag* flag = find(name);
            if (flag == nullptr) fail("'" + arg + "': unknown flag --" + name);
            if (eq == std::string::npos && flag->kind != ExampleFlag::toggle)
                fail("--" + name + " needs a value: --" + name + "=" + metavar(*flag));
            const std::string value = eq == std::string::npos ? "1" : arg.substr(eq + 1);
            const std::string problem = check(*flag, value);
            if (!problem.empty()) fail(problem);
            values[name] = value;
            if (flag->repeatable) given_[name].push_back(value);
        }
    }

    int i(const char* name) const { return static_cast<int>(std::strtol(known(name).c_str(), nullptr, 10)); }
    double d(const char* name) const { return std::strtod(known(name).c_str(), nullptr); }
    const std::string& s(const char* name) const { return known(name); }
    // A repeatable flag's values in the order given; none given: its default, if not empty.
    std::vector<std::string> all(const char* name) const {
        const std::string& fallback = known(name);
        const auto it = given_.find(name);
        if (it != given_.end()) return it->second;
        return fallback.empty() ? std::vector<std::string>{} : std::vector<std::string>{fallback};
    }

    // For a check the table cannot express (e.g. two flags that contradict each other): prints
    // `message` and the table to stderr and exits 2, as a malformed flag does.
    [[noreturn]] void fail(const std::string& message) const {
        std::fprintf(stderr, "%s: error: %s\n\n", program_.c_str(), message.c_str());
        print_table(stderr);
        std::exit(2);
    }

    void print_table(std::FILE* to) const {
        std::fprintf(to, "usage: %s [--name=value ...]\n", program_.c_str());
        if (!summary_.empty()) std::fprintf(to, "%s\n", summary_.c_str());
        struct Row {
            std::string flag, default_value, help;
        };
        std::vector<Row> rows = {{"flag", "default", "what it does"}};
        for (const ExampleFlag& f : table_)
            rows.push_back({"--" + f.name + (f.kind == ExampleFlag::toggle ? "[=0|1]" : "=" + metavar(f)),
                            f.default_value.empty() ? "\"\"" : f.default_value,
                            f.help + (f.repeatable ? " (repeatable)" : "")});
        rows.push_back({"--help", "", "print this list and exit"});
        std::size_t flag_width = 0, default_width = 0;
        for (const Row& row : rows) {
            flag_width = std::max(flag_width, row.flag.size());
            if (row.default_value.size() <= 12) default_width = std::max(default_width, row.default_value.size());
        }
        std::fprintf(to, "\n");
        for (const Row& row : rows)  // a default longer than 12 characters pushes its help along
            std::fprintf(to, "  %-*s  %-*s  %s\n", static_cast<int>(flag_width), row.flag.c_str(),
                         static_cast<int>(default_width), row.default_value.c_str(), row.help.c_str());
    }

private:
    std::vector<ExampleFlag> table_;
    std::string summary_, program_;
    std::map<std::string, std::vector<std::string>> given_;

    const ExampleFlag* find(const std::string& name) const {
        for (const ExampleFlag& f : table_)
            if (f.name == name) return &f;
        return nullptr;
    }
    // A name the program asks for must be in its table: a programming error, not a user's.
    const std::string& known(const char* name) const {
        const auto it = values.find(name);
        grpo::require(it != values.end(), "ExampleFlags: the program reads --", name, ", which is not in its table");
        return it->second;
    }

    static std::string metavar(const ExampleFlag& f) {
        if (!f.choices.empty()) {
            std::string out;
            for (const std::string& c : f.choices) out += (out.empty() ? "" : "|") + c;
            return out;
        }
        switch (f.kind) {
            case ExampleFlag::integer: return "N";
            case ExampleFlag::real: return "X";
            case ExampleFlag::toggle: return "0|1";
            case ExampleFlag::text: break;
        }
        return "TEXT";
    }

    // Empty when `value` suits the flag, else what is wrong with it.
    static std::string check(const ExampleFlag& f, const std::string& value) {
        const std::string quoted = "--" + f.name + "=" + value;
        switch (f.kind) {
            case ExampleFlag::toggle:
                if (value != "0" && value != "1") return quoted + ": expected 0 or 1";
                return "";
            case ExampleFlag::integer: {
                char* end = nullptr;
                errno = 0;
                const long long v = value.empty() ? 0 : std::strtoll(value.c_str(), &end, 10);
                if (value.empty() || *end != '\0' || errno == ERANGE || v < -2147483647LL - 1 || v > 2147483647LL)
                    return quoted + ": expected a whole number";
                return "";
            }
            case ExampleFlag::real: {
                char* end = nullptr;
                const double v = value.empty() ? 0.0 : std::strtod(value.c_str(), &end);
                if (value.empty() || *end != '\0' || !std::isfinite(v)) return quoted + ": expected a number";
                return "";
            }
            case ExampleFlag::text: break;
        }
        if (f.choices.empty()) return "";
        for (const std::string& c : f.choices)
            if (value == c) return "";
        return quoted + ": expected " + metavar(f);
    }
};

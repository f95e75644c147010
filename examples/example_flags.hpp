// The command line of the long examples (06, 07): --name=value flags over a table of defaults;
// --quick alone is --quick=1, and an unknown name throws naming it.
#pragma once

#include <map>
#include <string>
#include <utility>

#include <grpo/core/error.hpp>

struct ExampleFlags {
    std::map<std::string, std::string> values;  // every known flag, with its default

    ExampleFlags(std::map<std::string, std::string> defaults, int argc, char** argv) : values(std::move(defaults)) {
        for (int i = 1; i < argc; ++i) {
            std::string arg = argv[i];
            if (arg.find('=') == std::string::npos) arg += "=1";
            const auto eq = arg.find('=');
            grpo::require(arg.rfind("--", 0) == 0, "argument '", argv[i], "': expected --name=value");
            const std::string name = arg.substr(2, eq - 2);
            grpo::require(values.count(name) == 1, "argument '", argv[i], "': unknown flag '", name, "'");
            values[name] = arg.substr(eq + 1);
        }
    }
    int i(const char* name) const { return std::stoi(values.at(name)); }
    double d(const char* name) const { return std::stod(values.at(name)); }
    const std::string& s(const char* name) const { return values.at(name); }
};

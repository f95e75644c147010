// Helpers shared by several test files (not a test file itself: tests/CMakeLists.txt globs
// test_*.cpp only).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <grpo/nn/config.hpp>

namespace grpo_test {

// The smallest model that has every part: 2 blocks (one dense, one MoE with 4 experts, top-2,
// one shared expert), tiny widths. init_std 0.3 keeps the routing scores well separated, so a
// finite-difference step never flips an expert choice.
inline grpo::TransformerConfig tiny_moe_config(int max_seq_len) {
    grpo::TransformerConfig c;
    c.vocab_size = 11;
    c.d_model = 8;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 4;
    c.n_dense_layers = 1;
    c.dense_hidden = 12;
    c.n_routed_experts = 4;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = 6;
    c.max_seq_len = max_seq_len;
    c.init_std = 0.3;
    return c;
}

// One tensor of a text fixture written by a script in tests/data.
struct FixtureTensor {
    std::vector<std::int64_t> shape;
    std::vector<double> values;
};

// Reads the fixtures' text format: per tensor, a line "name rank d0 d1 ..." and a line of
// values. `script` names the generator for the error message.
inline std::map<std::string, FixtureTensor> read_text_fixture(const std::string& path, const char* script) {
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open ", path, " (regenerate with ", script, ")");
    std::map<std::string, FixtureTensor> out;
    std::string header, values;
    while (std::getline(in, header) && std::getline(in, values)) {
        std::istringstream h(header), v(values);
        std::string name;
        int rank = 0;
        h >> name >> rank;
        FixtureTensor t;
        t.shape.resize(static_cast<std::size_t>(rank));
        for (auto& d : t.shape) h >> d;
        for (double x; v >> x;) t.values.push_back(x);
        out[name] = t;
    }
    return out;
}

}  // namespace grpo_test

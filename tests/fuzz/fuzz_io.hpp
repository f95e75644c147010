// Shared by the file-reading libFuzzer targets: the input goes to a file of this process's own
// (the readers take a path), which is removed at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace grpo_fuzz {

// /tmp/grpo_fuzz_<what>_<pid>.safetensors: one per process, so -jobs/-fork runs do not collide.
inline const std::string& scratch_path(const char* what) {
    static const std::string path = [&] {
        std::string p = "/tmp/grpo_fuzz_" + std::string(what) + "_" + std::to_string(::getpid()) + ".safetensors";
        static std::string for_atexit;
        for_atexit = p;
        std::atexit([] { std::remove(for_atexit.c_str()); });
        return p;
    }();
    return path;
}

// A failure here is the harness's, not the reader's: std::runtime_error escapes and libFuzzer
// reports it, so a full /tmp never passes for a clean run.
inline void write_input(const std::string& path, const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("fuzz harness: cannot open " + path);
    const bool ok = (size == 0 || std::fwrite(data, 1, size, f) == size);
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("fuzz harness: cannot write " + path);
}

}  // namespace grpo_fuzz

// libFuzzer target: the safetensors reader (grpo::load_safetensors) on arbitrary bytes.
// A file it refuses must be refused with grpo::Error; any other exception, crash or sanitizer
// report is a bug, and escapes to libFuzzer. A file it accepts must hold, for every tensor, as
// many bytes as its dtype and shape need; every byte is read (ASan checks them).
// Run through `make fuzz`, or e.g. `build-fuzz/tests/fuzz_safetensors -max_total_time=60 CORPUS`.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <grpo/grpo.hpp>

#include "fuzz_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = grpo_fuzz::scratch_path("safetensors");
    grpo_fuzz::write_input(path, data, size);
    grpo::Safetensors file;
    try {
        file = grpo::load_safetensors(path);
    } catch (const grpo::Error&) {
        return 0;
    }
    volatile unsigned sum = 0;
    for (const grpo::NamedTensor& t : file.tensors) {
        const std::int64_t numel = t.numel();
        const auto expected = static_cast<std::uint64_t>(numel) * grpo::dtype_info(t.dtype).bytes;
        if (numel < 0 || expected != t.bytes.size())
            throw std::logic_error("load_safetensors accepted tensor '" + t.name + "' whose bytes do not match its shape");
        for (char byte : t.bytes) sum = sum + static_cast<unsigned char>(byte);
        try {
            (void)file.at(t.name);
        } catch (const grpo::Error&) {
            throw std::logic_error("load_safetensors returned tensor '" + t.name + "' that at() cannot find");
        }
    }
    for (const auto& [key, value] : file.metadata) sum = sum + static_cast<unsigned>(key.size() + value.size());
    return 0;
}

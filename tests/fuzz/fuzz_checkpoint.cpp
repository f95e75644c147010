// libFuzzer target: the checkpoint loader (nn/checkpoint.hpp) against fuzz_checkpoint.hpp's tiny
// Transformer<float, Cpu>. The first byte of an input picks what the rest is (Mode):
//   bit 0 clear  the whole checkpoint file                                  (whole_file)
//   bit 0 set    the grpo.config metadata of an otherwise valid checkpoint  (config_text)
//   bit 1 set    load with CheckpointLoadOptions::allow_non_finite
// Each input goes through read_checkpoint_config and load_checkpoint: a file either loads or is
// refused with grpo::Error; any other exception, crash or sanitizer report is a bug, and escapes
// to libFuzzer. Seeds: make_fuzz_seeds.cpp (a valid checkpoint of this model, in both modes).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include "fuzz_checkpoint.hpp"
#include "fuzz_io.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

Model& model() {
    static grpo::Rng rng(1);
    static Model m(grpo_fuzz::tiny_config(), rng);
    return m;
}

// A valid checkpoint of model(), from save_checkpoint itself, as tensors and metadata.
const grpo::Safetensors& valid_checkpoint() {
    static const grpo::Safetensors file = [] {
        const std::string path =
            (std::filesystem::temp_directory_path() / ("grpo_fuzz_seed_" + std::to_string(::getpid()) + ".safetensors"))
                .string();
        grpo::save_checkpoint(model(), path, {{"step", "1"}});
        grpo::Safetensors loaded = grpo::load_safetensors(path);
        std::filesystem::remove(path);
        return loaded;
    }();
    return file;
}

// The valid checkpoint's bytes with another grpo.config, built in memory (save_safetensors
// fsyncs: far too slow per input). A config that is not UTF-8 cannot be written (grpo::Error);
// the whole-file mode reaches the reader with such bytes.
std::string with_config(std::string_view config) {
    std::map<std::string, std::string> metadata = valid_checkpoint().metadata;
    metadata["grpo.config"] = std::string(config);
    return grpo::safetensors_bytes(valid_checkpoint().tensors, metadata);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)valid_checkpoint();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string& path = grpo_fuzz::scratch_path("checkpoint");
    if (data[0] & grpo_fuzz::config_text) {
        std::string file;
        try {
            file = with_config(rest);
        } catch (const grpo::Error&) {
            return 0;
        }
        grpo_fuzz::write_input(path, reinterpret_cast<const std::uint8_t*>(file.data()), file.size());
    } else {
        grpo_fuzz::write_input(path, data + 1, size - 1);
    }
    grpo::CheckpointLoadOptions options;
    options.allow_non_finite = (data[0] & grpo_fuzz::allow_non_finite) != 0;

    bool config_read = false;
    try {
        const grpo::TransformerConfig c = grpo::read_checkpoint_config(path);
        config_read = true;
        // What was read is valid, and survives the trip through JSON unchanged.
        const nlohmann::json j = grpo::config_to_json(c);
        if (grpo::config_to_json(grpo::config_from_json(j)) != j)
            throw std::logic_error("read_checkpoint_config: the config changes through config_to_json");
    } catch (const grpo::Error&) {
    }
    try {
        const auto metadata = grpo::load_checkpoint(model(), path, options);
        if (!config_read)
            throw std::logic_error("load_checkpoint accepted a file whose config read_checkpoint_config refused");
        if (metadata.count("grpo.config") != 1) throw std::logic_error("load_checkpoint: no grpo.config, yet loaded");
    } catch (const grpo::Error&) {
    }
    return 0;
}

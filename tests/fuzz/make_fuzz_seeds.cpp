// Writes the seed inputs that cannot be checked in as data: a valid checkpoint of the checkpoint
// fuzz target's tiny model, in both of its modes, and as a safetensors file.
// Usage: make_fuzz_seeds CHECKPOINT_CORPUS_DIR SAFETENSORS_CORPUS_DIR  (both must exist)
#include <cstdio>
#include <fstream>
#include <string>

#include "fuzz_checkpoint.hpp"

namespace {
void write(const std::string& path, char mode, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    if (mode >= 0) out.put(mode);
    out << bytes;
    if (!out) throw grpo::Error("make_fuzz_seeds: cannot write " + path);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CHECKPOINT_CORPUS_DIR SAFETENSORS_CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const std::string checkpoints = argv[1], safetensors = argv[2];
    grpo::Rng rng(1);
    grpo::Transformer<float, grpo::Cpu> model(grpo_fuzz::tiny_config(), rng);
    const std::string file = safetensors + "/tiny_checkpoint.safetensors";
    grpo::save_checkpoint(model, file, {{"step", "1"}});
    const std::string bytes = grpo::read_file(file);
    write(checkpoints + "/whole_file", grpo_fuzz::whole_file, bytes);
    write(checkpoints + "/config_text", grpo_fuzz::config_text, grpo::config_to_json(model.config()).dump());
    std::printf("make_fuzz_seeds: wrote %s, %s/whole_file, %s/config_text\n", file.c_str(), checkpoints.c_str(),
                checkpoints.c_str());
    return 0;
}

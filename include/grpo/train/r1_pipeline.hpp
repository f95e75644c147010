// The stages of DeepSeek-R1's recipe (arXiv 2501.12948 §2.3–2.4), as resumable functions:
//   pretrain_stage     the base (train/pretrain.hpp)
//   sft_stage          cold start, SFT on the rejection-sampled set, distillation (train/sft.hpp)
//   grpo_stage         R1-Zero, reasoning RL, the final RL, RL on the student (GrpoTrainer),
//                      optionally stopped at a compute budget
//   rejection_stage    the RL model's samples, filtered into an SFT set
//                      (train/rejection_sampling.hpp), kept as JSONL
// examples/07_r1_pipeline chains them. Resume: each stage has an id whose key hashes its
// parent's key with its own plan (the text of everything that decides its result), and writes
// the key, and the compute it spent, into its output. A stage whose output carries the key it
// would write is loaded, not run again; a changed plan anywhere upstream changes every key
// below it, so a stale stage is never reused. Outputs are written atomically (a crash leaves
// the old file or none).
// Compute is counted in token positions (train/distillation.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/io/atomic_file.hpp"
#include "grpo/io/json_fields.hpp"
#include "grpo/io/safetensors.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/train/distillation.hpp"
#include "grpo/train/grpo_trainer.hpp"
#include "grpo/train/pretrain.hpp"
#include "grpo/train/rejection_sampling.hpp"
#include "grpo/train/sft.hpp"

namespace grpo {

/// A pipeline stage's id: its name and the key that hashes its parent's key and its plan.
struct StageId {
    std::string name;  ///< the stage's name
    std::string key;  ///< 16 hex digits
};

/// The id of a stage below `parent` (an empty parent key for a root), keyed by its plan text.
inline StageId child_stage(const StageId& parent, const std::string& name, const std::string& plan) {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a 64 over parent key, name and plan
    for (const std::string* part : {&parent.key, &name, &plan}) {
        for (unsigned char ch : *part) hash = (hash ^ ch) * 1099511628211ull;
        hash = (hash ^ 0xFFu) * 1099511628211ull;  // a separator no UTF-8 text contains
    }
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(hash));
    return {name, key};
}

/// What running (or resuming) a stage gave.
struct StageRun {
    bool resumed = false;  ///< loaded from an output with its key, not run
    double compute = 0;   ///< token positions (distillation.hpp), the same whether run or resumed
    std::int64_t steps = 0;  ///< the training steps the stage ran
    double seconds = 0;   ///< of this process; 0 when resumed
};

namespace pipeline_detail {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Loads `path` into `model` when it holds stage `id` for a model of the same shape.
template <class T, class B>
bool try_resume(Transformer<T, B>& model, const std::string& path, const StageId& id, StageRun& run) {
    if (!std::filesystem::exists(path)) return false;
    const auto metadata = load_safetensors(path).metadata;
    const auto key = metadata.find("grpo.stage.key");
    if (key == metadata.end() || key->second != id.key ||
        config_to_json(read_checkpoint_config(path)) != config_to_json(model.config()))
        return false;
    load_checkpoint(model, path);
    run.resumed = true;
    const auto field = [&](const char* name) {
        const auto it = metadata.find(name);
        require(it != metadata.end(), "r1 pipeline: '", path, "' holds stage '", id.name, "' but no ", name, " metadata");
        return it->second;
    };
    run.compute = parse_double(field("grpo.stage.compute"), "r1 pipeline: '" + path + "': grpo.stage.compute");
    run.steps = parse_int64(field("grpo.stage.steps"), "r1 pipeline: '" + path + "': grpo.stage.steps");
    return true;
}

template <class T, class B>
void save_stage(const Transformer<T, B>& model, const std::string& path, const StageId& id, const StageRun& run) {
    char compute[32];  // every digit, so a resumed stage reports the same figure
    std::snprintf(compute, sizeof compute, "%.17g", run.compute);
    save_checkpoint(model, path,
                    {{"grpo.stage.name", id.name}, {"grpo.stage.key", id.key}, {"grpo.stage.compute", compute},
                     {"grpo.stage.steps", std::to_string(run.steps)}});
}

}  // namespace pipeline_detail

/// Pretrains `model` on the stream `make_stream` builds (only called when the stage runs).
template <class T, class B>
StageRun pretrain_stage(Transformer<T, B>& model, const std::string& path, const StageId& id,
                        const std::function<TokenStream()>& make_stream, const PretrainConfig& config,
                        const std::function<void(const PretrainStep&)>& on_step = {}) {
    StageRun run;
    if (pipeline_detail::try_resume(model, path, id, run)) return run;
    const auto start = std::chrono::steady_clock::now();
    const TokenStream stream = make_stream();
    pretrain(model, stream, config, [&](const PretrainStep& s) {
        run.compute += 3.0 * config.batch * config.seq;  // every window position is a target
        if (on_step) on_step(s);
    });
    run.steps = config.steps;
    run.seconds = pipeline_detail::seconds_since(start);
    pipeline_detail::save_stage(model, path, id, run);
    return run;
}

/// `steps` SFT steps on `data`.
template <class T, class B>
StageRun sft_stage(Transformer<T, B>& model, const Tokenizer& tok, std::vector<SftExample> data,
                   const SftConfig& config, int steps, const std::string& path, const StageId& id,
                   const std::function<void(const SftStepMetrics&)>& on_step = {}) {
    StageRun run;
    if (pipeline_detail::try_resume(model, path, id, run)) return run;
    const auto start = std::chrono::steady_clock::now();
    SftTrainer<T, B> trainer(model, tok, std::move(data), config);
    for (int s = 0; s < steps; ++s) {
        const SftStepMetrics m = trainer.step();
        run.compute += sft_step_compute(m);
        if (on_step) on_step(m);
    }
    run.steps = steps;
    run.seconds = pipeline_detail::seconds_since(start);
    pipeline_detail::save_stage(model, path, id, run);
    return run;
}

/// GRPO for `max_steps` steps, or until the compute spent reaches `compute_budget` (> 0).
template <class T, class B>
StageRun grpo_stage(Transformer<T, B>& model, const Tokenizer& tok, ProblemSource source,
                    const GrpoTrainerConfig& config, int max_steps, const std::string& path, const StageId& id,
                    const std::function<void(const GrpoStepMetrics&)>& on_step = {}, double compute_budget = 0) {
    StageRun run;
    if (pipeline_detail::try_resume(model, path, id, run)) return run;
    const auto start = std::chrono::steady_clock::now();
    GrpoTrainer<T, B> trainer(model, tok, std::move(source), config);
    while (run.steps < max_steps && (compute_budget <= 0 || run.compute < compute_budget)) {
        std::int64_t prompt_tokens = 0;  // each prompt is read once per completion of its group
        for (const auto& prompt : encode_prompts(trainer.problems_for_step(run.steps), config.prompt_template, tok))
            prompt_tokens += static_cast<std::int64_t>(prompt.size()) * config.sampling.group_size;
        const GrpoStepMetrics m = trainer.step();
        run.compute += grpo_step_compute(prompt_tokens + m.generated_tokens, config.mu, config.loss.beta > 0);
        ++run.steps;
        if (on_step) on_step(m);
    }
    run.seconds = pipeline_detail::seconds_since(start);
    pipeline_detail::save_stage(model, path, id, run);
    return run;
}

/// A rejection-sampled set as JSONL: a header line with the stage's key and the counts, then one
/// {"prompt", "completion"} line per kept example; written atomically.
inline void write_rejection_set(const std::string& path, const StageId& id, const RejectionResult& result) {
    nlohmann::json header{{"stage", id.name}, {"key", id.key}, {"sampled", result.stats.sampled}};
    header["count"] = nlohmann::json::object();
    for (const auto& [reason, n] : result.stats.count) header["count"][reject_reason_name(reason)] = n;
    std::string text = header.dump() + "\n";
    for (const SftExample& e : result.examples)
        text += nlohmann::json{{"prompt", e.prompt}, {"completion", e.completion}}.dump() + "\n";
    write_file_atomically(path, text);
}

/// The set at `path` if it was written for stage `id`, else nothing.
inline std::optional<RejectionResult> read_rejection_set(const std::string& path, const StageId& id) {
    if (!std::filesystem::exists(path)) return std::nullopt;
    const std::string text = read_file(path);
    std::size_t end = text.find('\n');
    const std::string where = "rejection set '" + path + "'";
    const nlohmann::json header = parse_json(text.substr(0, end), where + ", line 1");
    const bool same_stage = header.is_object() && header.contains("key") && header.at("key").is_string() &&
                            header.at("key").get<std::string>() == id.key;
    if (!same_stage) return std::nullopt;
    RejectionResult result;
    read_field(header, "sampled", &result.stats.sampled, where + ", line 1");
    require(header.contains("count") && header.at("count").is_object(), where, ", line 1: expected an object 'count'");
    for (int r = 0; r <= static_cast<int>(RejectReason::low_reward); ++r) {
        const auto reason = static_cast<RejectReason>(r);
        const bool written = header.at("count").contains(reject_reason_name(reason));
        if (!written && reason > RejectReason::over_cap) continue;  // the reward functions' reasons: where used
        std::int64_t n = 0;
        if (written) read_field(header.at("count"), reject_reason_name(reason), &n, where + ", line 1, count");
        result.stats.count[reason] = n;
    }
    int line_number = 1;
    for (std::size_t begin = end + 1; begin < text.size(); begin = end + 1) {
        end = text.find('\n', begin);
        const std::string line_where = where + ", line " + std::to_string(++line_number);
        const nlohmann::json line = parse_json(text.substr(begin, end - begin), line_where);
        SftExample example;
        read_field(line, "prompt", &example.prompt, line_where);
        read_field(line, "completion", &example.completion, line_where);
        result.examples.push_back(std::move(example));
    }
    return result;
}

/// Rejection sampling into `path`, or the set read back from it when it holds stage `id`.
template <class T, class B>
RejectionResult rejection_stage(Transformer<T, B>& model, const Tokenizer& tok,
                                const std::vector<VerifiedProblem>& problems, const PromptTemplate& prompt_template,
                                const SamplingConfig& sampling, const RejectionFilter& filter, std::uint64_t seed,
                                const std::string& path, const StageId& id, bool* resumed = nullptr) {
    if (std::optional<RejectionResult> saved = read_rejection_set(path, id)) {
        if (resumed) *resumed = true;
        return *saved;
    }
    if (resumed) *resumed = false;
    RejectionResult result = rejection_sample(model, tok, problems, prompt_template, sampling, filter, seed);
    write_rejection_set(path, id, result);
    return result;
}

}  // namespace grpo

// Checkpoints of a Transformer as safetensors (io/safetensors.hpp): every parameter under its
// name from named_params(), each MoE block's balancing bias as "<block>.ffn.gate.bias" (state
// that training changes, though no gradient does), and the model's config as JSON in the
// metadata under "grpo.config", so a file says which model it holds. Written atomically.
// Loading checks everything before it copies anything, and names the first mismatch: a missing
// or unexpected tensor, a dtype or shape other than the model's, a config that differs (by
// field), a non-finite value (refused unless the caller allows it).
#pragma once

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/io/json_fields.hpp"
#include "grpo/io/safetensors.hpp"
#include "grpo/nn/transformer.hpp"

namespace grpo {

/// The config as the JSON a checkpoint's "grpo.config" metadata holds.
inline nlohmann::json config_to_json(const TransformerConfig& c) {
    return {{"vocab_size", c.vocab_size},       {"d_model", c.d_model},
            {"n_layers", c.n_layers},           {"n_heads", c.n_heads},
            {"head_dim", c.head_dim},           {"n_dense_layers", c.n_dense_layers},
            {"dense_hidden", c.dense_hidden},   {"n_routed_experts", c.n_routed_experts},
            {"n_shared_experts", c.n_shared_experts}, {"experts_per_token", c.experts_per_token},
            {"expert_hidden", c.expert_hidden}, {"route_scale", c.route_scale},
            {"n_groups", c.n_groups},           {"topk_groups", c.topk_groups},
            {"max_seq_len", c.max_seq_len},     {"rope_theta", c.rope_theta},
            {"norm_eps", c.norm_eps},           {"tied_head", c.tied_head}};
}

/// The config a checkpoint was written with (training-only fields keep their defaults). Every
/// field must be there with its exact type (io/json_fields.hpp); `where` names the source.
inline TransformerConfig config_from_json(const nlohmann::json& j, const std::string& where = "checkpoint config") {
    TransformerConfig c;
    read_field(j, "vocab_size", &c.vocab_size, where), read_field(j, "d_model", &c.d_model, where);
    read_field(j, "n_layers", &c.n_layers, where), read_field(j, "n_heads", &c.n_heads, where);
    read_field(j, "head_dim", &c.head_dim, where), read_field(j, "n_dense_layers", &c.n_dense_layers, where);
    read_field(j, "dense_hidden", &c.dense_hidden, where);
    read_field(j, "n_routed_experts", &c.n_routed_experts, where);
    read_field(j, "n_shared_experts", &c.n_shared_experts, where);
    read_field(j, "experts_per_token", &c.experts_per_token, where);
    read_field(j, "expert_hidden", &c.expert_hidden, where), read_field(j, "route_scale", &c.route_scale, where);
    read_field(j, "n_groups", &c.n_groups, where), read_field(j, "topk_groups", &c.topk_groups, where);
    read_field(j, "max_seq_len", &c.max_seq_len, where), read_field(j, "rope_theta", &c.rope_theta, where);
    read_field(j, "norm_eps", &c.norm_eps, where), read_field(j, "tied_head", &c.tied_head, where);
    c.validate();
    return c;
}

namespace checkpoint_detail {
/// The "grpo.config" metadata of a loaded file, parsed and checked.
inline TransformerConfig stored_config(const Safetensors& file, const std::string& path) {
    const auto it = file.metadata.find("grpo.config");
    require(it != file.metadata.end(), "checkpoint '", path, "' has no grpo.config metadata");
    const std::string where = "checkpoint '" + path + "': grpo.config";
    return config_from_json(parse_json(it->second, where), where);
}
}  // namespace checkpoint_detail

/// The config stored in a checkpoint file, to build the model before loading its weights.
inline TransformerConfig read_checkpoint_config(const std::string& path) {
    return checkpoint_detail::stored_config(load_safetensors(path), path);
}

namespace checkpoint_detail {
/// Parameters, then the MoE biases: every tensor a checkpoint holds, with its name.
template <class T, class B>
std::vector<std::pair<std::string, Tensor<T, B>>> model_state(const Transformer<T, B>& model) {
    std::vector<std::pair<std::string, Tensor<T, B>>> state;
    for (const auto& [name, var] : model.named_params()) state.push_back({name, var.value()});
    const auto& blocks = model.blocks();
    for (std::size_t i = 0; i < blocks.size(); ++i)
        if (blocks[i].moe) state.push_back({"layers." + std::to_string(i) + ".ffn.gate.bias", blocks[i].moe->bias()});
    return state;
}
}  // namespace checkpoint_detail

/// Copies every parameter and balancing bias of `from` into `to` (same config): a frozen
/// reference policy, or a student initialised from its teacher.
template <class T, class B>
void copy_model_state(const Transformer<T, B>& from, Transformer<T, B>& to) {
    const std::string differences = config_differences(config_to_json(from.config()), config_to_json(to.config()));
    require(differences.empty(), "copy_model_state: the configs differ (\"saved\" = from): ", differences);
    const auto src = checkpoint_detail::model_state(from);
    auto dst = checkpoint_detail::model_state(to);
    for (std::size_t i = 0; i < src.size(); ++i) B::copy(src[i].second.data(), dst[i].second.data(), src[i].second.numel());
}

/// An independent model with `model`'s config, weights and balancing biases (a deep copy).
template <class T, class B>
Transformer<T, B> clone_model(const Transformer<T, B>& model) {
    Rng unused(0);  // the initial weights are overwritten
    Transformer<T, B> copy(model.config(), unused);
    copy_model_state(model, copy);
    return copy;
}

/// What loading a checkpoint may accept beyond the default checks.
struct CheckpointLoadOptions {
    bool allow_non_finite = false;  ///< a NaN or inf weight is refused unless the caller asks for it
};

/// A checkpoint read and checked against a model, not yet copied into it: loading is "all checks
/// first, then the copy", so a file that fails a check leaves the model as it was.
template <class T>
struct CheckedCheckpoint {
    std::vector<std::vector<T>> values;  ///< in the order of the model's state (checkpoint_detail::model_state)
    std::map<std::string, std::string> metadata;  ///< the file's metadata strings
};

/// Every tensor of a model's state with its name, in file order: what a checkpoint holds.
template <class T, class B>
using NamedState = std::vector<std::pair<std::string, Tensor<T, B>>>;

namespace checkpoint_detail {

/// Writes `state`, `config` and `metadata` to `path` as safetensors, atomically: the body of
/// save_checkpoint, shared by every model built on a Transformer trunk (a reward model too).
template <class T, class B>
void save_state(const NamedState<T, B>& state, const TransformerConfig& config, const std::string& path,
                std::map<std::string, std::string> metadata) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "checkpoints hold float or double");
    std::vector<NamedTensor> tensors;
    for (const auto& [name, tensor] : state) {
        const Shape& s = tensor.shape();
        tensors.push_back(NamedTensor::from_values<T>(name, std::vector<std::int64_t>(s.dim, s.dim + s.rank),
                                                      tensor.to_host()));
    }
    metadata["grpo.config"] = config_to_json(config).dump();
    metadata["format"] = "pt";  // what transformers' safetensors loader expects
    save_safetensors(path, tensors, metadata);
}

/// Reads `path` and checks it against a model's `state` and `config` (read_checked_checkpoint's
/// checks); `who` starts every message.
template <class T, class B>
CheckedCheckpoint<T> read_checked_state(const NamedState<T, B>& state, const TransformerConfig& config,
                                        const std::string& path, CheckpointLoadOptions options, const char* who) {
    const Safetensors file = load_safetensors(path);
    const TransformerConfig stored = stored_config(file, path);
    const std::string differences = config_differences(config_to_json(stored), config_to_json(config));
    require(differences.empty(), who, ": '", path, "' holds a model with another config: ", differences);
    CheckedCheckpoint<T> out;
    std::set<std::string> expected;
    for (const auto& [name, tensor] : state) {
        expected.insert(name);
        const NamedTensor* stored_tensor = file.find(name);
        require(stored_tensor != nullptr, who, ": '", path, "' has no tensor '", name, "'");
        const Shape& s = tensor.shape();
        require(stored_tensor->shape == std::vector<std::int64_t>(s.dim, s.dim + s.rank), who, ": tensor '", name,
                "' has shape ", Shape::of(stored_tensor->shape), " in '", path, "', the model needs ", s);
        require(stored_tensor->dtype == dtype_of<T>(), who, ": tensor '", name, "' in '", path, "' holds ",
                dtype_info(stored_tensor->dtype).name, ", the model needs ", dtype_info(dtype_of<T>()).name);
        out.values.push_back(stored_tensor->template values<T>());
        if (!options.allow_non_finite)
            for (std::size_t i = 0; i < out.values.back().size(); ++i)
                require(std::isfinite(out.values.back()[i]), who, ": tensor '", name, "' in '", path, "' holds ",
                        out.values.back()[i], " at index ", i,
                        "; refusing a non-finite weight (CheckpointLoadOptions::allow_non_finite loads it)");
    }
    for (const NamedTensor& t : file.tensors)
        require(expected.count(t.name) == 1, who, ": '", path, "' holds tensor '", t.name,
                "' that this model does not have");
    out.metadata = file.metadata;
    return out;
}

/// Copies checked values into `state` (whose tensors share the model's buffers).
template <class T, class B>
void apply_state(const NamedState<T, B>& state, const CheckedCheckpoint<T>& checked, const char* who) {
    require(state.size() == checked.values.size(), who, ": ", checked.values.size(), " tensors for a model with ",
            state.size());
    for (std::size_t i = 0; i < state.size(); ++i) {
        Tensor<T, B> target = state[i].second;  // a handle on the model's buffer
        target.copy_from_host(checked.values[i]);
    }
}

}  // namespace checkpoint_detail

/// Writes `model` (parameters, balancing biases, config and `metadata`) to `path` as safetensors, atomically.
template <class T, class B>
void save_checkpoint(const Transformer<T, B>& model, const std::string& path,
                     std::map<std::string, std::string> metadata = {}) {
    checkpoint_detail::save_state(checkpoint_detail::model_state(model), model.config(), path, std::move(metadata));
}

/// Reads `path` and checks it against `model`: the config, every tensor present with the model's
/// dtype and shape, no tensor the model lacks, every value finite (unless allowed). Names the
/// first mismatch.
template <class T, class B>
CheckedCheckpoint<T> read_checked_checkpoint(const Transformer<T, B>& model, const std::string& path,
                                             CheckpointLoadOptions options = {}) {
    return checkpoint_detail::read_checked_state(checkpoint_detail::model_state(model), model.config(), path, options,
                                                 "load_checkpoint");
}

/// Copies a checked checkpoint into the model it was checked against.
template <class T, class B>
void apply_checkpoint(Transformer<T, B>& model, const CheckedCheckpoint<T>& checked) {
    checkpoint_detail::apply_state(checkpoint_detail::model_state(model), checked, "apply_checkpoint");
}

/// Loads the weights and biases of `path` into `model`, which must have the same config; a file
/// that fails any check changes nothing. Returns the file's metadata.
template <class T, class B>
std::map<std::string, std::string> load_checkpoint(Transformer<T, B>& model, const std::string& path,
                                                   CheckpointLoadOptions options = {}) {
    const CheckedCheckpoint<T> checked = read_checked_checkpoint(model, path, options);
    apply_checkpoint(model, checked);
    return checked.metadata;
}

}  // namespace grpo

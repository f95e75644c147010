// Checkpoints of a Transformer as safetensors (io/safetensors.hpp): every parameter under its
// name from named_params(), each MoE block's balancing bias as "<block>.ffn.gate.bias" (state
// that training changes, though no gradient does), and the model's config as JSON in the
// metadata under "grpo.config", so a file says which model it holds. Written atomically.
// Loading checks everything and names the first mismatch: a missing or unexpected tensor, a
// dtype other than the model's, a shape other than the model's, a config that differs.
#pragma once

#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/io/safetensors.hpp"
#include "grpo/nn/transformer.hpp"

namespace grpo {

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

// The config a checkpoint was written with (training-only fields keep their defaults).
inline TransformerConfig config_from_json(const nlohmann::json& j) {
    TransformerConfig c;
    try {
        j.at("vocab_size").get_to(c.vocab_size), j.at("d_model").get_to(c.d_model);
        j.at("n_layers").get_to(c.n_layers), j.at("n_heads").get_to(c.n_heads);
        j.at("head_dim").get_to(c.head_dim), j.at("n_dense_layers").get_to(c.n_dense_layers);
        j.at("dense_hidden").get_to(c.dense_hidden), j.at("n_routed_experts").get_to(c.n_routed_experts);
        j.at("n_shared_experts").get_to(c.n_shared_experts);
        j.at("experts_per_token").get_to(c.experts_per_token);
        j.at("expert_hidden").get_to(c.expert_hidden), j.at("route_scale").get_to(c.route_scale);
        j.at("n_groups").get_to(c.n_groups), j.at("topk_groups").get_to(c.topk_groups);
        j.at("max_seq_len").get_to(c.max_seq_len), j.at("rope_theta").get_to(c.rope_theta);
        j.at("norm_eps").get_to(c.norm_eps), j.at("tied_head").get_to(c.tied_head);
    } catch (const nlohmann::json::exception& e) {
        throw Error(str("checkpoint config: ", e.what()));
    }
    c.validate();
    return c;
}

// The config stored in a checkpoint file, to build the model before loading its weights.
inline TransformerConfig read_checkpoint_config(const std::string& path) {
    const Safetensors file = load_safetensors(path);
    const auto it = file.metadata.find("grpo.config");
    require(it != file.metadata.end(), "checkpoint '", path, "' has no grpo.config metadata");
    try {
        return config_from_json(nlohmann::json::parse(it->second));
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(str("checkpoint '", path, "': grpo.config is not JSON: ", e.what()));
    }
}

namespace checkpoint_detail {
// Parameters, then the MoE biases: every tensor a checkpoint holds, with its name.
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

// Copies every parameter and balancing bias of `from` into `to` (same config): a frozen
// reference policy, or a student initialised from its teacher.
template <class T, class B>
void copy_model_state(const Transformer<T, B>& from, Transformer<T, B>& to) {
    require(config_to_json(from.config()) == config_to_json(to.config()), "copy_model_state: config ",
            config_to_json(from.config()).dump(), " differs from ", config_to_json(to.config()).dump());
    const auto src = checkpoint_detail::model_state(from);
    auto dst = checkpoint_detail::model_state(to);
    for (std::size_t i = 0; i < src.size(); ++i) B::copy(src[i].second.data(), dst[i].second.data(), src[i].second.numel());
}

template <class T, class B>
void save_checkpoint(const Transformer<T, B>& model, const std::string& path,
                     std::map<std::string, std::string> metadata = {}) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "checkpoints hold float or double");
    std::vector<NamedTensor> tensors;
    for (const auto& [name, tensor] : checkpoint_detail::model_state(model)) {
        const Shape& s = tensor.shape();
        tensors.push_back(NamedTensor::from_values<T>(name, std::vector<std::int64_t>(s.dim, s.dim + s.rank),
                                                      tensor.to_host()));
    }
    metadata["grpo.config"] = config_to_json(model.config()).dump();
    metadata["format"] = "pt";  // what transformers' safetensors loader expects
    save_safetensors(path, tensors, metadata);
}

// Loads the weights and biases of `path` into `model`, which must have the same config.
// Returns the file's metadata.
template <class T, class B>
std::map<std::string, std::string> load_checkpoint(Transformer<T, B>& model, const std::string& path) {
    const Safetensors file = load_safetensors(path);
    const auto config = file.metadata.find("grpo.config");
    require(config != file.metadata.end(), "load_checkpoint: '", path, "' has no grpo.config metadata");
    require(nlohmann::json::parse(config->second) == config_to_json(model.config()), "load_checkpoint: '",
            path, "' holds a model with config ", config->second, ", this model has ",
            config_to_json(model.config()).dump());
    std::set<std::string> expected;
    for (auto& [name, tensor] : checkpoint_detail::model_state(model)) {
        expected.insert(name);
        const NamedTensor& stored = file.at(name);
        const Shape& s = tensor.shape();
        require(stored.shape == std::vector<std::int64_t>(s.dim, s.dim + s.rank), "load_checkpoint: tensor '",
                name, "' has shape ", Shape::of(stored.shape), " in '", path, "', the model needs ", s);
        tensor.copy_from_host(stored.values<T>());  // checks the dtype
    }
    for (const NamedTensor& t : file.tensors)
        require(expected.count(t.name) == 1, "load_checkpoint: '", path, "' holds tensor '", t.name,
                "' that this model does not have");
    return file.metadata;
}

}  // namespace grpo

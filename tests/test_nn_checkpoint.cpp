#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <grpo/grpo.hpp>
#include <grpo/nn/checkpoint.hpp>

using namespace grpo;

namespace {
TransformerConfig small_config() {
    TransformerConfig c;
    c.vocab_size = 13;
    c.d_model = 8;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 4;
    c.dense_hidden = 12;
    c.n_routed_experts = 4;
    c.expert_hidden = 6;
    c.max_seq_len = 8;
    return c;
}
std::string scratch(const char* name) {
    const auto path = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove(path);
    return path.string();
}
}  // namespace

TEST_CASE("checkpoint: a saved model loads into a fresh one and computes the same logits") {
    Rng rng(1), other(2);
    Transformer<float, Cpu> model(small_config(), rng);
    model.blocks()[1].moe->bias().copy_from_host({0.5f, -0.25f, 0.f, 1.f});  // state, not a param
    const std::string path = scratch("grpo_ckpt_roundtrip.safetensors");
    save_checkpoint(model, path, {{"step", "42"}});

    CHECK(config_to_json(read_checkpoint_config(path)) == config_to_json(small_config()));
    Transformer<float, Cpu> fresh(small_config(), other);
    const auto ids = Ids<Cpu>::from({1, 4}, {1, 2, 3, 4});
    CHECK(fresh.forward(nullptr, ids).value().to_host() != model.forward(nullptr, ids).value().to_host());
    const auto metadata = load_checkpoint(fresh, path);
    CHECK(metadata.at("step") == "42");
    CHECK(fresh.forward(nullptr, ids).value().to_host() == model.forward(nullptr, ids).value().to_host());
    CHECK(fresh.blocks()[1].moe->bias().to_host() == std::vector<float>{0.5f, -0.25f, 0.f, 1.f});
}

TEST_CASE("checkpoint: mismatches are named") {
    Rng rng(1);
    Transformer<float, Cpu> model(small_config(), rng);
    const std::string path = scratch("grpo_ckpt_mismatch.safetensors");
    save_checkpoint(model, path);

    TransformerConfig wider = small_config();
    wider.expert_hidden = 7;
    Transformer<float, Cpu> other(wider, rng);
    CHECK_THROWS_WITH_AS(load_checkpoint(other, path),
                         ("load_checkpoint: '" + path + "' holds a model with another config: expert_hidden 6 saved, 7 here").c_str(),
                         Error);

    Transformer<double, Cpu> as_double(small_config(), rng);
    CHECK_THROWS_WITH_AS(load_checkpoint(as_double, path),
                         ("load_checkpoint: tensor 'embed.weight' in '" + path + "' holds F32, the model needs F64").c_str(),
                         Error);

    // Hand-edited files: a tensor missing, one with a wrong shape, one too many.
    Safetensors file = load_safetensors(path);
    auto edited = [&](auto edit) {
        Safetensors copy = file;
        edit(copy.tensors);
        save_safetensors(path, copy.tensors, copy.metadata);
    };
    edited([](auto& t) { t.erase(t.begin()); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path), ("load_checkpoint: '" + path + "' has no tensor 'embed.weight'").c_str(),
                         Error);
    edited([](auto& t) { t[0] = NamedTensor::from_values<float>("embed.weight", {2, 2}, {1, 2, 3, 4}); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path),
                         doctest::Contains("tensor 'embed.weight' has shape (2, 2)"), Error);
    edited([](auto& t) { t.push_back(NamedTensor::from_values<float>("extra", {1}, {1})); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path),
                         doctest::Contains("holds tensor 'extra' that this model does not have"), Error);
    CHECK_THROWS_AS(load_checkpoint(model, scratch("grpo_ckpt_missing.safetensors")), Error);
}

TEST_CASE("checkpoint: a load that fails changes nothing, and a non-finite weight is refused unless allowed") {
    Rng rng(3), other_rng(4);
    Transformer<float, Cpu> model(small_config(), rng);
    const std::string path = scratch("grpo_ckpt_checked.safetensors");
    save_checkpoint(model, path);
    Safetensors file = load_safetensors(path);

    // The last tensor is extra: every check of the others passes first, yet nothing is copied.
    Transformer<float, Cpu> target(small_config(), other_rng);
    const auto ids = Ids<Cpu>::from({1, 3}, {1, 2, 3});
    const auto before = target.forward(nullptr, ids).value().to_host();
    Safetensors extra = file;
    extra.tensors.push_back(NamedTensor::from_values<float>("zzz.extra", {1}, {1}));
    save_safetensors(path, extra.tensors, extra.metadata);
    CHECK_THROWS_AS(load_checkpoint(target, path), Error);
    CHECK(target.forward(nullptr, ids).value().to_host() == before);

    // A NaN in the last tensor: refused by default, naming the tensor and the index.
    Safetensors nan_file = file;
    NamedTensor& last = nan_file.tensors.back();
    std::vector<float> values = last.values<float>();
    values[1] = std::nanf("");
    last = NamedTensor::from_values<float>(last.name, last.shape, values);
    save_safetensors(path, nan_file.tensors, nan_file.metadata);
    CHECK_THROWS_WITH_AS(load_checkpoint(target, path),
                         ("load_checkpoint: tensor '" + last.name + "' in '" + path +
                          "' holds nan at index 1; refusing a non-finite weight (CheckpointLoadOptions::allow_non_finite loads it)")
                             .c_str(),
                         Error);
    CHECK(target.forward(nullptr, ids).value().to_host() == before);
    CheckpointLoadOptions allow;
    allow.allow_non_finite = true;
    load_checkpoint(target, path, allow);
    CHECK(std::isnan(checkpoint_detail::model_state(target).back().second.to_host()[1]));
}

TEST_CASE("checkpoint: grpo.config is read strictly") {
    Rng rng(5);
    Transformer<float, Cpu> model(small_config(), rng);
    const std::string path = scratch("grpo_ckpt_config.safetensors");
    save_checkpoint(model, path);
    const Safetensors file = load_safetensors(path);
    auto with_config = [&](const std::string& config) {
        Safetensors copy = file;
        copy.metadata["grpo.config"] = config;
        save_safetensors(path, copy.tensors, copy.metadata);
    };
    nlohmann::json config = config_to_json(small_config());
    config["d_model"] = 4294967304ull;  // 2^32 + 8: must not become 8
    with_config(config.dump());
    CHECK_THROWS_WITH_AS(read_checkpoint_config(path),
                         ("checkpoint '" + path +
                          "': grpo.config: field 'd_model' = 4294967304, expected an integer in [-2147483648, 2147483647]")
                             .c_str(),
                         Error);
    config["d_model"] = 8.5;
    with_config(config.dump());
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path), doctest::Contains("field 'd_model' = 8.5, expected an integer"), Error);
    config.erase("d_model");
    with_config(config.dump());
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path), doctest::Contains("grpo.config: field 'd_model' is missing"), Error);
    with_config("{not json");
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path),
                         doctest::Contains(("checkpoint '" + path + "': grpo.config is not JSON: ").c_str()), Error);
}

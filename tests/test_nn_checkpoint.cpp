#include <doctest/doctest.h>

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
    CHECK_THROWS_WITH_AS(load_checkpoint(other, path), doctest::Contains("holds a model with config"), Error);

    Transformer<double, Cpu> as_double(small_config(), rng);
    CHECK_THROWS_WITH_AS(load_checkpoint(as_double, path), "NamedTensor 'embed.weight' holds F32, not F64", Error);

    // Hand-edited files: a tensor missing, one with a wrong shape, one too many.
    Safetensors file = load_safetensors(path);
    auto edited = [&](auto edit) {
        Safetensors copy = file;
        edit(copy.tensors);
        save_safetensors(path, copy.tensors, copy.metadata);
    };
    edited([](auto& t) { t.erase(t.begin()); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path), "safetensors: no tensor named 'embed.weight'", Error);
    edited([](auto& t) { t[0] = NamedTensor::from_values<float>("embed.weight", {2, 2}, {1, 2, 3, 4}); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path),
                         doctest::Contains("tensor 'embed.weight' has shape (2, 2)"), Error);
    edited([](auto& t) { t.push_back(NamedTensor::from_values<float>("extra", {1}, {1})); });
    CHECK_THROWS_WITH_AS(load_checkpoint(model, path),
                         doctest::Contains("holds tensor 'extra' that this model does not have"), Error);
    CHECK_THROWS_AS(load_checkpoint(model, scratch("grpo_ckpt_missing.safetensors")), Error);
}

// SFT (train/sft.hpp): the packing of prompt + completion rows by hand, the completion-only loss
// against Transformer::loss with hand-built targets, a seeded run repeated, and the loss of a
// small dense student falling on a fixed set of worked solutions.
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

#include "test_support.hpp"

using grpo::SftExample;
using Model = grpo::Transformer<float, grpo::Cpu>;
using Trainer = grpo::SftTrainer<float, grpo::Cpu>;

namespace {

// A dense student: every block dense, no experts.
grpo::TransformerConfig dense_student_config() {
    grpo::TransformerConfig c = grpo_test::tiny_moe_config(128);
    c.vocab_size = grpo::Tokenizer::ascii().vocab_size();
    c.d_model = 16;
    c.head_dim = 8;
    c.n_dense_layers = c.n_layers;
    c.dense_hidden = 32;
    c.init_std = 0.02;
    return c;
}

// Worked solutions of 8 fixed equations, the prompt as example 06 writes it.
std::vector<SftExample> worked_solutions() {
    std::vector<SftExample> out;
    grpo::Rng rng(5);
    for (int i = 0; i < 8; ++i) {
        const grpo::LinearEquation eq = grpo::sample_linear_equation(rng);
        out.push_back({grpo::linear_equation_prompt(eq), grpo::worked_linear_solution(eq)});
    }
    return out;
}

}  // namespace

TEST_CASE("sft: a batch is prompt + completion + eos, shifted, with targets only after the prompt") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const auto batch = grpo::pack_sft_batch<grpo::Cpu>(tok, {{"ab\n", "cd"}, {"", "e"}}, 16);
    const auto id = [&tok](const char* c) { return tok.encode(c).at(0); };
    const std::int32_t a = id("a"), b = id("b"), nl = id("\n"), c = id("c"), d = id("d"), e = id("e");
    const std::int32_t eos = grpo::CharTokenizer::kEos, pad = grpo::CharTokenizer::kPad;
    // row 0: a b \n c d <eos> -> ids a b \n c d, targets: the prompt's are -1, then c d <eos>
    // row 1: e <eos> -> ids e, targets <eos>; padded to width 5
    CHECK(batch.ids.shape() == grpo::Shape{2, 5});
    CHECK(batch.ids.to_host() == std::vector<std::int32_t>{a, b, nl, c, d, e, pad, pad, pad, pad});
    CHECK(batch.targets.to_host() == std::vector<std::int32_t>{-1, -1, c, d, eos, eos, -1, -1, -1, -1});
    CHECK(batch.loss_tokens == 4);
    CHECK(batch.positions == 6);  // 5 + 1 positions that are not padding
}

TEST_CASE("sft: a batch ends with the tokenizer's own eos and pads with its pad (a Hugging Face BPE)") {
    const grpo::Tokenizer tok = grpo::Tokenizer::hugging_face(GRPO_TEST_DATA_DIR "/bpe/tokenizer.json");
    REQUIRE(tok.eos_id() != grpo::CharTokenizer::kEos);
    const std::vector<std::int32_t> prompt = tok.encode("2 + 3 ="), completion = tok.encode(" 5");
    const auto batch = grpo::pack_sft_batch<grpo::Cpu>(tok, {{"2 + 3 =", " 5"}, {"", "x"}}, 32);
    const std::int64_t width = static_cast<std::int64_t>(prompt.size() + completion.size());
    REQUIRE(batch.ids.shape() == grpo::Shape{2, width});
    const std::vector<std::int32_t> ids = batch.ids.to_host(), targets = batch.targets.to_host();
    CHECK(targets[static_cast<std::size_t>(width - 1)] == tok.eos_id());
    CHECK(ids[static_cast<std::size_t>(width + 1)] == tok.pad_id());  // row 1 is "x" <eos>: padding from 1
    CHECK(targets[static_cast<std::size_t>(width)] == tok.eos_id());
}

TEST_CASE("sft: a row longer than max_len throws, naming the example") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    CHECK_THROWS_WITH_AS(grpo::pack_sft_batch<grpo::Cpu>(tok, {{"ab", "c"}, {"abcd", "efgh"}}, 6),
                         "pack_sft_batch: example 1 needs 8 positions, more than max_len = 6", grpo::Error);
    CHECK_THROWS_AS(grpo::pack_sft_batch<grpo::Cpu>(tok, {}, 6), grpo::Error);
}

TEST_CASE("sft: the loss is the cross-entropy of the completion tokens only") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    grpo::Rng init(3);
    Model model(dense_student_config(), init);
    const std::vector<SftExample> data = {{"2 + 3 =", " 5"}};
    Trainer trainer(model, tok, data, {});
    // Hand-built: ids "2 + 3 = 5", targets -1 at the 6 prompt positions but the last, then " 5" <eos>.
    const std::vector<std::int32_t> row = tok.encode("2 + 3 = 5");
    std::vector<std::int32_t> targets(row.size(), -1);
    targets[6] = tok.encode(" ").at(0);
    targets[7] = tok.encode("5").at(0);
    targets[8] = grpo::CharTokenizer::kEos;
    const auto ids = grpo::Ids<grpo::Cpu>::from({1, 9}, row);
    const double expected = model.loss(nullptr, ids, grpo::Ids<grpo::Cpu>::from({1, 9}, targets)).value().item();
    CHECK(trainer.mean_loss(data) == doctest::Approx(expected).epsilon(1e-6));
}

TEST_CASE("sft: the same seed gives the same run, another seed another order") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const std::vector<SftExample> data = worked_solutions();
    grpo::SftConfig config;
    config.batch = 3;  // 8 examples: the second step crosses into a new epoch order
    const auto run = [&](std::uint64_t seed) {
        grpo::Rng init(3);
        Model model(dense_student_config(), init);
        grpo::SftConfig c = config;
        c.seed = seed;
        Trainer trainer(model, tok, data, c);
        std::vector<double> losses;
        for (int s = 0; s < 4; ++s) losses.push_back(trainer.step().loss);
        return losses;
    };
    const std::vector<double> first = run(1);
    CHECK(run(1) == first);
    CHECK(run(2) != first);
}

TEST_CASE("sft: a dense student's loss falls on a fixed set of worked solutions") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const std::vector<SftExample> data = worked_solutions();
    grpo::Rng init(7);
    Model student(dense_student_config(), init);
    grpo::SftConfig config;
    config.batch = 8;
    config.schedule = {1e-2, 1e-3, 10, 200};
    config.seed = 7;
    Trainer trainer(student, tok, data, config);
    const double before = trainer.mean_loss(data);
    CHECK(before > 4.0);  // ~log(vocab size): an untrained model guesses
    double first_steps = 0, last_steps = 0;
    for (int s = 0; s < 200; ++s) {
        const grpo::SftStepMetrics m = trainer.step();
        CHECK(m.step == s + 1);
        CHECK(m.loss_tokens > 0);
        if (s < 10) first_steps += m.loss / 10;
        if (s >= 190) last_steps += m.loss / 10;
    }
    const double after = trainer.mean_loss(data);
    CHECK(after < 0.1 * before);  // 8 examples, 200 steps: it memorises them (measured 4.66 -> 0.003)
    CHECK(last_steps < first_steps);
}

// Distillation (train/distillation.hpp) and the R1 pipeline's stages (train/r1_pipeline.hpp):
// active parameters by hand, the dense student's size, compute counted in positions, the
// student's SFT loss falling on a fixed set, and a stage loaded (not retrained) when its plan is
// unchanged and retrained when it changed.
#include <doctest/doctest.h>

#include <filesystem>

#include <grpo/grpo.hpp>

#include "test_support.hpp"

using Model = grpo::Transformer<float, grpo::Cpu>;

namespace {

// Labelled English solutions of 32 fixed training problems (equations and expressions).
std::vector<grpo::SftExample> labelled_set(int count) {
    const grpo::BilingualCorpusConfig corpus;
    grpo::Rng rng(21);
    std::vector<grpo::SftExample> out;
    for (int i = 0; i < count; ++i) {
        if (i % 2 == 0) {
            const grpo::LinearEquation eq = grpo::sample_training_equation(rng, corpus.linear);
            out.push_back({grpo::linear_equation_prompt(eq), grpo::labelled_linear_solution(eq, {})});
        } else {
            const grpo::RandomExpression e = grpo::sample_training_arithmetic(rng, corpus);
            out.push_back({grpo::make_arithmetic_problem(e).question + "\n", grpo::labelled_arithmetic_solution(e, {})});
        }
    }
    return out;
}

}  // namespace

TEST_CASE("distillation: active parameters count k of n routed experts, by hand") {
    const grpo::TransformerConfig c = grpo_test::tiny_moe_config(16);  // 1 MoE block: 4 experts, top-2
    grpo::Rng init(1);
    const Model moe(c, init);
    const std::int64_t expert = 3 * c.d_model * c.expert_hidden;  // SwiGLU: w1, w3 (d -> h), w2 (h -> d)
    CHECK(expert == 144);
    CHECK(grpo::active_parameter_count(moe) == moe.parameter_count() - 2 * expert);  // 2 of 4 unused
    grpo::TransformerConfig dense_config = c;
    dense_config.n_dense_layers = c.n_layers;
    const Model dense(dense_config, init);
    CHECK(grpo::active_parameter_count(dense) == dense.parameter_count());
}

TEST_CASE("distillation: the dense student of example 07 is about a quarter of the teacher's active size") {
    grpo::TransformerConfig teacher;  // example 07's teacher
    teacher.vocab_size = grpo::Tokenizer::ascii_with(grpo::kGreekLabelLetters).vocab_size();
    teacher.d_model = 64;
    teacher.n_layers = 3;
    teacher.head_dim = 16;
    teacher.dense_hidden = 128;
    teacher.expert_hidden = 64;
    teacher.max_seq_len = 128;
    const grpo::TransformerConfig s = grpo::dense_student_config(teacher, 32, 3);
    CHECK(s.n_dense_layers == 3);
    CHECK(s.head_dim * s.n_heads == 32);
    CHECK(s.vocab_size == teacher.vocab_size);
    CHECK(s.max_seq_len == 128);
    grpo::Rng init(1);
    const Model t(teacher, init), student(s, init);
    const double ratio = static_cast<double>(student.parameter_count()) / grpo::active_parameter_count(t);
    CHECK(ratio > 0.15);
    CHECK(ratio < 0.3);
    CHECK(student.expert_load().empty());
    CHECK_THROWS_WITH_AS(grpo::dense_student_config(teacher, 20, 3),
                         "dense_student_config: d_model = 20, expected a multiple of 8 (4 heads of an even size)",
                         grpo::Error);
}

TEST_CASE("distillation: compute is counted in positions, forward 1, forward and backward 3") {
    grpo::SftStepMetrics m;
    m.positions = 100;
    CHECK(grpo::sft_step_compute(m) == 300.0);
    CHECK(grpo::grpo_step_compute(100, 1, true) == 500.0);   // sample 1 + update 3 + reference 1
    CHECK(grpo::grpo_step_compute(100, 1, false) == 400.0);
    CHECK(grpo::grpo_step_compute(100, 2, true) == 800.0);   // two updates
}

TEST_CASE("distillation: the student's SFT loss falls on a fixed set of labelled solutions") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii_with(grpo::kGreekLabelLetters);
    grpo::TransformerConfig teacher = grpo_test::tiny_moe_config(128);
    teacher.vocab_size = tok.vocab_size();
    teacher.init_std = 0.02;
    grpo::Rng init(7);
    Model student(grpo::dense_student_config(teacher, 16, 2), init);
    const std::vector<grpo::SftExample> set = labelled_set(32);
    grpo::SftConfig config;
    config.schedule = {3e-3, 3e-3, 0, 1};
    config.seed = 7;
    grpo::SftTrainer<float, grpo::Cpu> trainer(student, tok, set, config);
    const double before = trainer.mean_loss(set);
    double first = 0, last = 0;
    for (int s = 0; s < 80; ++s) {
        const double loss = trainer.step().loss;
        if (s < 10) first += loss / 10;
        if (s >= 70) last += loss / 10;
    }
    const double after = trainer.mean_loss(set);
    CAPTURE(before);
    CAPTURE(after);
    CHECK(after < 0.5 * before);
    CHECK(last < first);
}

TEST_CASE("pipeline: a stage with an unchanged plan is loaded, a changed plan retrains") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii_with(grpo::kGreekLabelLetters);
    grpo::TransformerConfig c = grpo_test::tiny_moe_config(128);
    c.vocab_size = tok.vocab_size();
    const std::string dir = (std::filesystem::temp_directory_path() / "grpo_test_pipeline").string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/cold_start.safetensors";
    const std::vector<grpo::SftExample> set = labelled_set(8);
    grpo::SftConfig config;
    config.batch = 4;
    config.schedule = {1e-3, 1e-3, 0, 1};
    const grpo::StageId base = grpo::child_stage({}, "base", "plan");
    const grpo::StageId id = grpo::child_stage(base, "cold_start", "3 steps");
    CHECK(id.key.size() == 16);
    CHECK(id.key != grpo::child_stage(base, "cold_start", "4 steps").key);
    CHECK(id.key != grpo::child_stage(grpo::child_stage({}, "base", "other"), "cold_start", "3 steps").key);

    grpo::Rng init_a(3);
    Model a(c, init_a);
    const grpo::StageRun first = grpo::sft_stage(a, tok, set, config, 3, path, id);
    CHECK_FALSE(first.resumed);
    CHECK(first.steps == 3);
    CHECK(first.compute > 0);

    grpo::Rng init_b(4);  // other weights, replaced by the saved stage
    Model b(c, init_b);
    const grpo::StageRun again = grpo::sft_stage(b, tok, set, config, 3, path, id);
    CHECK(again.resumed);
    CHECK(again.compute == first.compute);
    CHECK(again.steps == 3);
    CHECK(b.params()[0].value().to_host() == a.params()[0].value().to_host());

    grpo::Rng init_c(4);
    Model d(c, init_c);
    const grpo::StageRun changed =
        grpo::sft_stage(d, tok, set, config, 4, path, grpo::child_stage(base, "cold_start", "4 steps"));
    CHECK_FALSE(changed.resumed);
    CHECK(changed.steps == 4);
    std::filesystem::remove_all(dir);
}

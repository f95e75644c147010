// GrpoTrainer's loop options: micro-batches (gradient accumulation), the learning-rate schedule,
// step callbacks, a problem source given per step (a prompt dataset), and what the trainer owns.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <grpo/grpo.hpp>

#include "shifted_tokenizer.hpp"
#include "trainer_support.hpp"

using namespace grpo;
using grpo_test::any_number_is_right;
using grpo_test::linear;
using grpo_test::trainer_model_config;

namespace {

GrpoTrainerConfig loop_config() {
    GrpoTrainerConfig c;
    c.prompts_per_step = 4;
    c.sampling.group_size = 3;
    c.sampling.max_new_tokens = 8;
    c.optimizer.lr = 1e-2;
    c.mu = 2;  // the second update has ratios != 1, so the clip and π_old matter
    c.seed = 21;
    return c;
}

template <class T>
std::vector<std::vector<T>> loop_weights(const Transformer<T, Cpu>& model) {
    std::vector<std::vector<T>> out;
    for (const auto& p : model.params()) out.push_back(p.value().to_host());
    return out;
}

double loop_max_difference(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, std::abs(a[i][j] - b[i][j]));
    return worst;
}

}  // namespace

TEST_CASE("micro-batches give the update of one big batch, for every loss aggregation") {
    const Tokenizer tok = Tokenizer::ascii();
    struct Case {
        const char* name;
        GrpoLossConfig loss;
    };
    GrpoLossConfig dapo_masked = GrpoLossConfig::dapo();
    dapo_masked.mask_truncated = true;  // its divisor counts only the kept completions' tokens
    GrpoLossConfig token_sum = GrpoLossConfig::deepseekmath();
    token_sum.aggregation = LossAggregation::seq_mean_token_sum;
    const Case cases[] = {{"grpo with a reference (beta 0.04)", GrpoLossConfig::deepseekmath()},
                          {"dapo, truncated masked", dapo_masked},
                          {"dr_grpo", GrpoLossConfig::dr_grpo(8)},
                          {"seq_mean_token_sum", token_sum}};
    for (const Case& c : cases) {
        CAPTURE(c.name);
        GrpoTrainerConfig config = loop_config();
        config.loss = c.loss;
        Rng init(3);
        Transformer<double, Cpu> whole(trainer_model_config(), init);
        Transformer<double, Cpu> split = clone_model(whole), uneven = clone_model(whole);
        GrpoTrainer<double, Cpu> a(whole, tok, any_number_is_right, config);
        config.groups_per_micro_batch = 1;
        GrpoTrainer<double, Cpu> b(split, tok, any_number_is_right, config);
        config.groups_per_micro_batch = 3;  // micro-batches of 3 groups and of 1
        GrpoTrainer<double, Cpu> u(uneven, tok, any_number_is_right, config);
        for (int s = 0; s < 2; ++s) {
            const GrpoStepMetrics ma = a.step(), mb = b.step(), mu = u.step();
            REQUIRE(ma.groups_trained == 4);
            for (const GrpoStepMetrics* m : {&mb, &mu}) {
                CHECK(m->generated_tokens == ma.generated_tokens);  // the same samples
                CHECK(m->loss == doctest::Approx(ma.loss).epsilon(1e-9));
                CHECK(m->kl == doctest::Approx(ma.kl).epsilon(1e-9));
                CHECK(m->entropy == doctest::Approx(ma.entropy).epsilon(1e-12));
                CHECK(m->clip_frac_low == ma.clip_frac_low);
                CHECK(m->grad_norm == doctest::Approx(ma.grad_norm).epsilon(1e-9));
                CHECK(m->expert_load == ma.expert_load);  // same padding: the same tokens routed
            }
        }
        CHECK(loop_max_difference(loop_weights(whole), loop_weights(split)) < 1e-12);
        CHECK(loop_max_difference(loop_weights(whole), loop_weights(uneven)) < 1e-12);
        CHECK(loop_weights(whole) != loop_weights(Transformer<double, Cpu>(trainer_model_config(), init)));
    }
}

TEST_CASE("micro-batches with a balance loss, or a negative size, are refused at construction") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = loop_config();
    config.groups_per_micro_batch = -1;
    Rng init(3);
    TransformerConfig model_config = trainer_model_config();
    Transformer<float, Cpu> model(model_config, init);
    CHECK_THROWS_WITH_AS((GrpoTrainer<float, Cpu>(model, tok, linear, config)),
                         "GrpoTrainerConfig: groups_per_micro_batch = -1, expected >= 0 (0 = the whole batch in one forward)",
                         Error);
    config.groups_per_micro_batch = 2;
    model_config.balance_loss_alpha = 1e-4;
    Transformer<float, Cpu> balanced(model_config, init);
    CHECK_THROWS_WITH_AS((GrpoTrainer<float, Cpu>(balanced, tok, linear, config)),
                         doctest::Contains("groups_per_micro_batch = 2 needs the policy's balance_loss_alpha = 0"), Error);
}

TEST_CASE("the learning rate follows warmup then cosine per optimizer update, across a resume") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 2;
    config.lr_schedule = GrpoLrSchedule::warmup_cosine(2, 6, 1e-4);  // updates: μ = 2 per step
    Rng init(4);
    Transformer<float, Cpu> model(trainer_model_config(), init);
    Transformer<float, Cpu> copy = clone_model(model);
    GrpoTrainer<float, Cpu> trainer(model, tok, any_number_is_right, config);
    // update 0: 1e-2 · 1/3 (warmup); update 2: the peak; update 4: halfway down the cosine,
    // 1e-4 + ½ (1e-2 − 1e-4)(1 + cos(π/2)) = 0.00505.
    CHECK(trainer.step().lr == 1e-2 / 3);
    CHECK(trainer.step().lr == 1e-2);
    const std::string dir = (std::filesystem::temp_directory_path() / ("grpo_loop_lr_" + std::to_string(::getpid()))).string();
    trainer.save(dir);
    GrpoTrainer<float, Cpu> resumed(copy, tok, any_number_is_right, config);
    resumed.load(dir);
    CHECK(resumed.step().lr == doctest::Approx(0.00505).epsilon(1e-12));
    CHECK(trainer.step().lr == doctest::Approx(0.00505).epsilon(1e-12));
    CHECK(loop_weights(copy) == loop_weights(model));
    std::filesystem::remove_all(dir);

    // The scheduled rate is the rate AdamW uses: one step at update 0 equals a constant 1e-2 / 3.
    GrpoTrainerConfig one = config;
    one.mu = 1;
    GrpoTrainerConfig flat = one;
    flat.lr_schedule = {};
    flat.optimizer.lr = 1e-2 / 3;
    Rng init2(4);
    Transformer<float, Cpu> scheduled(trainer_model_config(), init2);
    Transformer<float, Cpu> constant = clone_model(scheduled);
    GrpoTrainer<float, Cpu>(scheduled, tok, any_number_is_right, one).step();
    GrpoTrainer<float, Cpu>(constant, tok, any_number_is_right, flat).step();
    CHECK(loop_weights(scheduled) == loop_weights(constant));

    config.lr_schedule.min_lr = 0.5;
    CHECK_THROWS_WITH_AS((GrpoTrainer<float, Cpu>(model, tok, linear, config)),
                         "GrpoTrainerConfig: lr_schedule.min_lr = 0.5, expected 0..optimizer.lr (0.01)", Error);
    config.lr_schedule = GrpoLrSchedule::warmup_cosine(7, 6, 0.0);
    CHECK_THROWS_WITH_AS((GrpoTrainer<float, Cpu>(model, tok, linear, config)),
                         "GrpoTrainerConfig: lr_schedule.warmup_steps = 7, expected 0..decay_steps (6)", Error);
}

TEST_CASE("step callbacks see the step's prompts, completions, rewards and metrics, and can stop run()") {
    const Tokenizer tok = Tokenizer::ascii();
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 2;
    std::vector<std::string> scored;  // what the reward function saw, in order
    config.reward_functions = {{"digits", 1.0, [&](const RewardInput& in) -> RewardScore {
                                    scored.push_back(std::string(in.completion));
                                    return static_cast<double>(std::count_if(in.completion.begin(), in.completion.end(),
                                                                              [](char ch) { return ch >= '0' && ch <= '9'; }));
                                }}};
    Rng init(6);
    Transformer<float, Cpu> model(trainer_model_config(), init);
    GrpoTrainer<float, Cpu> trainer(model, tok, linear, config);
    CHECK_THROWS_WITH_AS(trainer.add_step_callback({}), "GrpoTrainer::add_step_callback: the callback is empty", Error);
    int calls = 0;
    trainer.add_step_callback([&](const GrpoStepRecord& r) {
        ++calls;
        REQUIRE(r.problems.size() == 2);
        REQUIRE(r.prompts.size() == 2);
        CHECK(r.prompts[1] == config.prompt_template.render(r.problems[1].question));
        CHECK(r.scores.texts == scored);
        REQUIRE(r.rewards.size() == 6);
        REQUIRE(r.advantages.size() == 6);
        for (std::size_t n = 0; n < 6; ++n) {
            CHECK(r.rewards[n] == static_cast<double>(std::count_if(r.scores.texts[n].begin(), r.scores.texts[n].end(),
                                                                    [](char ch) { return ch >= '0' && ch <= '9'; })));
        }
        for (int g = 0; g < 2; ++g)  // group-relative: each group's advantages sum to 0
            CHECK(std::abs(r.advantages[3 * g] + r.advantages[3 * g + 1] + r.advantages[3 * g + 2]) < 1e-9);
        CHECK(r.metrics.step == calls);
        CHECK(r.metrics.reward_mean == doctest::Approx((r.rewards[0] + r.rewards[1] + r.rewards[2] + r.rewards[3] +
                                                        r.rewards[4] + r.rewards[5]) / 6));
        scored.clear();
        return calls == 2 ? StepAction::stop : StepAction::go_on;
    });
    trainer.run(10);
    CHECK(calls == 2);
    CHECK(trainer.steps() == 2);
    CHECK(trainer.stop_requested());
}

TEST_CASE("a source given per step: a prompt dataset feeds the trainer, and a wrong count is named") {
    const Tokenizer tok = Tokenizer::ascii();
    std::vector<PromptRow> rows;
    for (int i = 0; i < 5; ++i) rows.push_back({"What is " + std::to_string(i) + " + 1?", std::to_string(i + 1), {}});
    const PromptDataset data(rows, 9);
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 2;
    Rng init(7);
    Transformer<float, Cpu> model(trainer_model_config(), init);
    GrpoTrainer<float, Cpu> trainer(model, tok, [&](std::int64_t step, int count) { return data.draw(step, count); },
                                    config);
    for (std::int64_t s = 0; s < 4; ++s) {  // steps 2 and 3 cross into the second epoch
        const auto from_trainer = trainer.problems_for_step(s), from_data = data.draw(s, 2);
        CHECK(from_trainer[0].question == from_data[0].question);
        CHECK(from_trainer[1].question == from_data[1].question);
    }
    CHECK(trainer.step().step == 1);

    GrpoTrainer<float, Cpu> short_source(model, tok, [&](std::int64_t step, int) { return data.draw(step, 1); }, config);
    CHECK_THROWS_WITH_AS(short_source.step(), "the problem source gave 1 problems for step 0, expected 2 (prompts_per_step)",
                         Error);
}

TEST_CASE("the trainer owns its tokenizer, a model is cloned and never copied, the vocabulary is checked at once") {
    static_assert(!std::is_copy_constructible_v<Transformer<float, Cpu>>, "a copy would share the weights");
    static_assert(std::is_move_constructible_v<Transformer<float, Cpu>>);
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 1;
    Rng init(8);
    Transformer<float, Cpu> model(trainer_model_config(), init);
    // A temporary tokenizer: the trainer keeps a copy (ASan in CI catches a dangling one).
    GrpoTrainer<float, Cpu> trainer(model, Tokenizer::ascii(), linear, config);
    CHECK(trainer.step().generated_tokens > 0);

    Transformer<float, Cpu> twin = clone_model(model);
    CHECK(loop_weights(twin) == loop_weights(model));
    twin.params()[0].value().copy_from_host(std::vector<float>(twin.params()[0].numel(), 0.5f));
    CHECK(loop_weights(twin) != loop_weights(model));  // deep: the original is untouched

    TransformerConfig small = trainer_model_config();
    small.vocab_size = 11;
    Transformer<float, Cpu> wrong_vocab(small, init);
    CHECK_THROWS_WITH_AS((GrpoTrainer<float, Cpu>(wrong_vocab, Tokenizer::ascii(), linear, config)),
                         ("GrpoTrainer: the policy's vocab_size is 11, expected the tokenizer's " +
                          std::to_string(Tokenizer::ascii().vocab_size()))
                             .c_str(),
                         Error);
}

TEST_CASE("a tokenizer of the user's own: the same run as the CharTokenizer's once the ids are renamed") {
    // ShiftedTokenizer's id (c + 13) mod V is the CharTokenizer's id c: <eos> is 15, and 2 is a
    // letter. A model whose embedding rows and head columns are renamed the same way computes
    // the same function, so the first step must sample, stop and score exactly as with the
    // CharTokenizer; a sampler that stopped on id 2 or a template that wrote id 2 would not.
    // Near-greedy sampling (T = 1e-3): the inverse-CDF pick walks the ids in order, so at T = 1
    // renamed ids would pick other tokens from the same uniforms; at T = 1e-3 the argmax holds
    // all the mass. The <eos> column is scaled up so that some rows end on it.
    const Tokenizer chars = Tokenizer::ascii();
    const Tokenizer shifted(std::make_shared<grpo_test::ShiftedTokenizer>(CharTokenizer::ascii(), 13));
    const std::int64_t V = chars.vocab_size();
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 2;
    config.sampling.temperature = 1e-3;
    Rng init(9);
    Transformer<double, Cpu> model(trainer_model_config(), init);
    for (auto& [name, param] : model.named_params()) {
        if (name != "head.weight") continue;
        std::vector<double> w = param.value().to_host();
        for (std::size_t k = CharTokenizer::kEos; k < w.size(); k += static_cast<std::size_t>(V)) w[k] *= 8;
        param.value().copy_from_host(w);
    }
    Transformer<double, Cpu> renamed = clone_model(model);
    for (auto& [name, param] : renamed.named_params()) {
        const std::vector<double> w = param.value().to_host();
        std::vector<double> out(w.size());
        const std::int64_t C = static_cast<std::int64_t>(w.size()) / V;
        for (std::int64_t c = 0; c < V; ++c) {
            const std::int64_t id = (c + 13) % V;
            for (std::int64_t k = 0; k < C; ++k) {
                if (name == "embed.weight") out[id * C + k] = w[c * C + k];  // (V, C): row per id
                else if (name == "head.weight") out[k * V + id] = w[k * V + c];  // (C, V): column per id
            }
        }
        if (name == "embed.weight" || name == "head.weight") param.value().copy_from_host(out);
    }
    std::vector<std::string> texts[2];
    std::vector<double> rewards[2];
    std::int64_t tokens[2] = {0, 0};
    GrpoTrainer<double, Cpu> plain(model, chars, linear, config), own(renamed, shifted, linear, config);
    int which = 0;
    const auto keep = [&](const GrpoStepRecord& r) {
        texts[which] = r.scores.texts;
        rewards[which] = r.rewards;
        tokens[which] = r.metrics.generated_tokens;
        return StepAction::go_on;
    };
    plain.add_step_callback(keep);
    own.add_step_callback(keep);
    plain.step();
    which = 1;
    own.step();
    CHECK(texts[1] == texts[0]);
    CHECK(rewards[1] == rewards[0]);
    CHECK(tokens[1] == tokens[0]);
    CHECK(tokens[0] < 2 * 3 * config.sampling.max_new_tokens);  // some rows did stop on <eos>

    GrpoTrainerConfig other_eos = config;
    other_eos.sampling.eos_id = CharTokenizer::kEos;
    CHECK_THROWS_WITH_AS((GrpoTrainer<double, Cpu>(renamed, shifted, linear, other_eos)),
                         "GrpoTrainer: sampling eos_id = 2, but the tokenizer's eos_id() is 15 (leave it -1 to take "
                         "the tokenizer's)",
                         Error);
}

TEST_CASE("a Hugging Face BPE tokenizer trains: its vocabulary sizes the model") {
    const Tokenizer bpe = Tokenizer::hugging_face(GRPO_TEST_DATA_DIR "/bpe/tokenizer.json");
    TransformerConfig model_config = trainer_model_config();
    model_config.vocab_size = bpe.vocab_size();
    GrpoTrainerConfig config = loop_config();
    config.prompts_per_step = 2;
    Rng init(10);
    Transformer<float, Cpu> model(model_config, init);
    GrpoTrainer<float, Cpu> trainer(model, bpe, linear, config);
    std::vector<std::string> texts;
    trainer.add_step_callback([&](const GrpoStepRecord& r) {
        texts = r.scores.texts;
        return StepAction::go_on;
    });
    const GrpoStepMetrics m = trainer.step();
    CHECK(m.generated_tokens > 0);
    CHECK(std::isfinite(m.loss));
    CHECK(texts.size() == 6);
}

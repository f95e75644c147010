// Example 06: R1-Zero from scratch on a CPU. DeepSeek-R1-Zero (arXiv 2501.12948 §2.2) is GRPO
// applied straight to a base model, with rule-based rewards (accuracy + format) and a template
// that only asks for <think> and <answer>, no supervised fine-tuning. Here, in minutes:
//   1. pretrain a tiny MoE base on a synthetic corpus (train/synthetic_corpus.hpp) whose worked
//      solutions carry a systematic misconception: for b < 0 most move b across the = without
//      flipping its sign; the base is saved and reused on the next run
//   2. evaluate it on held-out equations never seen in pretraining or RL: greedy and sampled
//      pass@1, pass@k, cons@k, format rate, length
//   3. R1-Zero: GrpoTrainer on training equations, evaluating the held-out set every few steps
//   4. evaluate again, and show what changed
// Chapter: tutorials/06-r1-zero.md.
//
//   build/examples/06_r1_zero                 # the full run: ~7 min pretraining + ~6 min GRPO (2 cores)
//   build/examples/06_r1_zero --quick         # a toy-size run in seconds (what ctest diffs)
//   build/examples/06_r1_zero --help          # the flags, their defaults and one line each
//   build/examples/06_r1_zero --steps=100 --beta=0 --aggregation=dapo --group=16 --lr=1e-4
//   build/examples/06_r1_zero --slip_pos=0.65 --slip_neg=0.65 --out=both_signs   # another base
// Outputs go to --out (default r1_zero_out/, r1_zero_quick/ with --quick): base.safetensors, metrics.jsonl, curves.svg,
// final.safetensors. Standard output holds only what a seeded run reproduces exactly; times and
// the progress line go to standard error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

// The flags, their defaults and one line each (examples/example_flags.hpp reads them; --help
// prints them).
std::vector<ExampleFlag> flag_table() {
    const grpo::SyntheticCorpusConfig corpus;
    return {
        {"quick", "0", "toy size in seconds, what ctest diffs (overrides steps, eval_every, group, prompts)",
         ExampleFlag::toggle},
        {"out", "", "output folder (empty: r1_zero_out, or r1_zero_quick with --quick)", ExampleFlag::text},
        {"threads", "2", "CPU threads", ExampleFlag::integer},
        {"steps", "300", "GRPO steps (--quick: 3)", ExampleFlag::integer},
        {"eval_every", "25", "evaluate the held-out set every N GRPO steps (--quick: 3)",
         ExampleFlag::integer},
        {"beta", "0.04", "weight of the KL penalty to the base model (0: no reference model)", ExampleFlag::real},
        {"aggregation", "grpo", "loss over tokens: grpo = mean per completion, dapo = mean over all tokens",
         ExampleFlag::text, {"grpo", "dapo"}},
        {"group", "8", "G, completions sampled per prompt (--quick: 4)", ExampleFlag::integer},
        {"prompts", "16", "prompts per GRPO step (--quick: 4)", ExampleFlag::integer},
        {"lr", "5e-5", "GRPO's AdamW learning rate", ExampleFlag::real},
        {"seed", "1", "seed of the base's initial weights and of GRPO's sampling", ExampleFlag::integer},
        {"slip_neg", grpo::str(corpus.slip_rate_negative_b),
         "share of corpus solutions with b < 0 that move b without flipping its sign", ExampleFlag::real},
        {"slip_pos", grpo::str(corpus.slip_rate_positive_b), "the same share for b > 0", ExampleFlag::real},
    };
}

// Everything the size of the run decides: the full demo, or the toy that ctest runs.
struct Plan {
    grpo::TransformerConfig model;
    int pretrain_steps, batch, seq, documents, warmup;
    double lr, min_lr;
    int eval_problems, eval_samples, max_new_tokens;
};

Plan make_plan(bool quick, int vocab_size) {
    Plan p;
    grpo::TransformerConfig& c = p.model;
    c.vocab_size = vocab_size;
    c.d_model = quick ? 32 : 64;
    c.n_layers = quick ? 2 : 3;
    c.n_heads = 4;
    c.head_dim = c.d_model / c.n_heads;
    c.n_dense_layers = 1;  // the first block dense, as DeepSeek-V3's first three
    c.dense_hidden = 2 * c.d_model;
    c.n_routed_experts = quick ? 4 : 8;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = c.d_model;
    c.max_seq_len = 128;         // a prompt (<= 28 tokens) + 72 new tokens, and the training windows
    c.bias_update_speed = 0.01;  // V3's 0.001 is for trillions of tokens
    c.init_std = 0.02;           // small embeddings: N(0, 1) starts at a loss of ~48
    p.pretrain_steps = quick ? 40 : 9000;  // 13.8M tokens: loss still falls at 3000 (pretrain_probe.cpp)
    p.batch = quick ? 8 : 16;
    p.seq = quick ? 64 : 96;
    p.documents = quick ? 2000 : 100000;
    p.warmup = quick ? 5 : 100;
    p.lr = 3e-3;
    p.min_lr = 3e-4;
    p.eval_problems = quick ? 16 : 500;
    p.eval_samples = quick ? 4 : 16;
    p.max_new_tokens = quick ? 48 : 72;
    return p;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string one_line(std::string text) {
    for (char& ch : text)
        if (ch == '\n') ch = '|';
    return text;
}

// What the base depends on besides the model's shape, kept in its checkpoint: a file pretrained
// under another plan is not reused.
std::string pretraining_plan(const Plan& p, const grpo::SyntheticCorpusConfig& corpus) {
    return grpo::str(p.pretrain_steps, " steps x ", p.batch, " x ", p.seq, ", ", p.documents, " documents, lr ", p.lr,
                     " -> ", p.min_lr, ", warmup ", p.warmup, ", slip ", corpus.slip_rate_negative_b, " (b < 0) ",
                     corpus.slip_rate_positive_b, " (b > 0)");
}

// Step 1: the base model, from `path` when a run with the same plan saved it, else pretrained
// on the synthetic corpus (and saved). Its final pretraining loss is kept in the file, so both
// ways print the same line.
double pretrain_or_load(Model& model, const Plan& plan, const grpo::Tokenizer& tok,
                        const grpo::SyntheticCorpusConfig& corpus, const std::string& path) {
    if (std::filesystem::exists(path)) {
        const auto saved = grpo::load_safetensors(path).metadata;
        const auto plan_of_file = saved.find("grpo.pretrain.plan");
        if (grpo::config_to_json(grpo::read_checkpoint_config(path)) == grpo::config_to_json(plan.model) &&
            plan_of_file != saved.end() && plan_of_file->second == pretraining_plan(plan, corpus)) {
            grpo::load_checkpoint(model, path);
            std::fprintf(stderr, "base: loaded %s (delete it to pretrain again)\n", path.c_str());
            return std::stod(saved.at("grpo.pretrain.final_loss"));
        }
        std::fprintf(stderr, "base: %s was pretrained under another plan; pretraining again\n", path.c_str());
    }
    grpo::Rng data_rng(1001);
    const grpo::TokenStream stream = grpo::synthetic_token_stream(tok, data_rng, corpus, plan.documents);
    grpo::PretrainConfig config;
    config.steps = plan.pretrain_steps;
    config.batch = plan.batch;
    config.seq = plan.seq;
    config.schedule = {plan.lr, plan.min_lr, plan.warmup, plan.pretrain_steps};
    config.seed = 1002;
    const auto start = std::chrono::steady_clock::now();
    double recent = 0;  // mean loss of the last 100 steps (or all, if fewer)
    const int window = std::min(100, plan.pretrain_steps);
    grpo::pretrain(model, stream, config, [&](const grpo::PretrainStep& s) {
        if (s.step > plan.pretrain_steps - window) recent += s.loss / window;
        if (s.step % 100 == 0 || s.step == plan.pretrain_steps)
            grpo::print_progress(stderr, grpo::str("pretraining step ", s.step, "/", plan.pretrain_steps, "  loss ",
                                                   s.loss, "  ", seconds_since(start), " s"),
                                 s.step == plan.pretrain_steps);
    });
    std::fprintf(stderr, "base: pretrained in %.1f min, saved to %s\n", seconds_since(start) / 60, path.c_str());
    char loss_text[32];  // every digit, so that a loaded base prints the same rounded loss
    std::snprintf(loss_text, sizeof loss_text, "%.17g", recent);
    grpo::save_checkpoint(model, path, {{"grpo.pretrain.final_loss", loss_text},
                                        {"grpo.pretrain.plan", pretraining_plan(plan, corpus)}});
    return recent;
}

// The held-out problems: a seeded sample of the equations the corpus and RL never show.
std::vector<grpo::Problem> held_out_problems(const grpo::SyntheticCorpusConfig& corpus, int count) {
    std::vector<grpo::LinearEquation> all = grpo::held_out_linear_equations(corpus);
    grpo::Rng rng(12345);
    for (std::size_t i = all.size() - 1; i > 0; --i)  // Fisher-Yates
        std::swap(all[i], all[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)))]);
    std::vector<grpo::Problem> out;
    for (int i = 0; i < count; ++i) out.push_back(grpo::make_linear_equation_problem(all[static_cast<std::size_t>(i)]));
    return out;
}

void print_report(const char* title, const grpo::EvalReport& r) {
    std::printf("%s (%d held-out problems; samples at temperature 1):\n", title, r.problems);
    std::printf("  greedy pass@1 %.3f   sampled pass@1 %.3f", r.greedy_pass_at_1, r.sampled_pass_at_1);
    for (const auto& [k, v] : r.pass_at_k)
        if (k > 1) std::printf("   pass@%d %.3f", k, v);
    std::printf("   cons@%d %.3f\n", r.samples, r.cons_at_k);
    std::printf("  format rate %.3f (greedy) %.3f (sampled)   mean length %.1f tokens (greedy)\n",
                r.greedy_format_rate, r.sampled_format_rate, r.greedy_mean_tokens);
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(flag_table(), "R1-Zero from scratch on a CPU: pretrain a tiny MoE base, then GRPO with rule-based\n"
                             "rewards (tutorials/06-r1-zero.md).", argc, argv);
    const bool quick = flags.i("quick") != 0;
    grpo::cpu_set_num_threads(flags.i("threads"));
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const Plan plan = make_plan(quick, tok.vocab_size());
    const std::string out = flags.s("out").empty() ? (quick ? "r1_zero_quick" : "r1_zero_out") : flags.s("out");
    std::filesystem::create_directories(out);
    const auto start = std::chrono::steady_clock::now();

    // 1. The base.
    grpo::SyntheticCorpusConfig corpus;  // a 1..9, x -9..9, b -20..20; 70% of the solutions with b < 0 slip
    corpus.slip_rate_negative_b = flags.d("slip_neg");
    corpus.slip_rate_positive_b = flags.d("slip_pos");
    corpus.validate();
    grpo::Rng init(static_cast<std::uint64_t>(flags.i("seed")));
    Model model(plan.model, init);
    const double base_loss = pretrain_or_load(model, plan, tok, corpus, out + "/base.safetensors");
    std::printf("Base: %lld parameters (MoE: %d routed experts, top-2, + 1 shared), pretraining loss %.3f\n",
                static_cast<long long>(model.parameter_count()), plan.model.n_routed_experts, base_loss);

    // 2. The base on held-out problems.
    const std::vector<grpo::Problem> held_out = held_out_problems(corpus, plan.eval_problems);
    grpo::EvalConfig eval;
    eval.samples = plan.eval_samples;
    eval.temperature = 1.0;  // GRPO's sampling temperature; R1 reports pass@1 at 0.6
    eval.top_p = 1.0;
    eval.max_new_tokens = plan.max_new_tokens;
    eval.pass_ks = quick ? std::vector<int>{1, 4} : std::vector<int>{1, 8, 16};
    const grpo::PromptTemplate prompt = grpo::PromptTemplate::plain();
    const grpo::EvalReport before = grpo::evaluate(model, tok, held_out, prompt, eval);
    print_report("\nThe base model", before);

    // 3. R1-Zero: GRPO on training equations (never a held-out one).
    grpo::GrpoTrainerConfig config;
    config.prompts_per_step = quick ? 4 : flags.i("prompts");
    config.sampling.group_size = quick ? 4 : flags.i("group");
    config.sampling.max_new_tokens = plan.max_new_tokens;
    config.prompt_template = prompt;
    config.rewards = grpo::RewardConfig::worked_example();  // accuracy + format, as R1-Zero
    config.rewards.format_rule = grpo::FormatRule::strict;
    config.loss.beta = flags.d("beta");
    config.loss.aggregation = flags.s("aggregation") == "dapo" ? grpo::LossAggregation::dapo : grpo::LossAggregation::grpo;
    config.optimizer.lr = flags.d("lr");
    config.seed = static_cast<std::uint64_t>(flags.i("seed"));
    const auto training_problem = [&corpus](grpo::Rng& rng) {
        return grpo::make_linear_equation_problem(grpo::sample_training_equation(rng, corpus));
    };
    grpo::GrpoTrainer<float, grpo::Cpu> trainer(model, tok, training_problem, config);

    const int steps = quick ? 3 : flags.i("steps"), eval_every = quick ? 3 : flags.i("eval_every");
    grpo::EvalConfig quick_eval = eval;  // during training: greedy and one sample per problem
    quick_eval.samples = 1;
    quick_eval.pass_ks = {1};
    grpo::JsonlWriter log(out + "/metrics.jsonl", true);
    grpo::PlotSeries reward{"reward (batch mean, max 2)", {}, {}}, greedy{"held-out greedy pass@1", {}, {}},
        sampled{"held-out sampled pass@1", {}, {}}, length{"completion length / 100 tokens", {}, {}};
    std::printf("\nR1-Zero: GRPO from the base, %d prompts x G = %d, beta %g, %s aggregation, lr %g\n",
                config.prompts_per_step, config.sampling.group_size, config.loss.beta, flags.s("aggregation").c_str(),
                config.optimizer.lr);
    std::printf("  step  reward  accuracy  format  length  |  held-out greedy  sampled\n");
    const auto rl_start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) {
        const grpo::GrpoStepMetrics m = trainer.step();
        nlohmann::json line = grpo::to_json(m);
        reward.x.push_back(m.step), reward.y.push_back(m.reward_mean);
        length.x.push_back(m.step), length.y.push_back(m.length_mean / 100);
        if (m.step % eval_every == 0 || m.step == steps) {
            const grpo::EvalReport r = grpo::evaluate(model, tok, held_out, prompt, quick_eval);
            line["held_out_greedy_pass_at_1"] = r.greedy_pass_at_1;
            line["held_out_sampled_pass_at_1"] = r.sampled_pass_at_1;
            greedy.x.push_back(m.step), greedy.y.push_back(r.greedy_pass_at_1);
            sampled.x.push_back(m.step), sampled.y.push_back(r.sampled_pass_at_1);
            std::printf("  %4lld  %6.3f  %8.3f  %6.3f  %6.1f  |  %16.3f  %7.3f\n", static_cast<long long>(m.step),
                        m.reward_mean, m.accuracy, m.component_mean("format"), m.length_mean, r.greedy_pass_at_1,
                        r.sampled_pass_at_1);
            std::fflush(stdout);
        }
        log.write(line);
        grpo::print_progress(stderr, grpo::progress_line(m, steps), m.step == steps);
    }
    std::fprintf(stderr, "GRPO: %d steps in %.1f min\n", steps, seconds_since(rl_start) / 60);
    grpo::SvgPlot plot("R1-Zero on linear equations", "GRPO step", "");
    for (auto* series : {&reward, &greedy, &sampled, &length}) plot.add(*series);
    plot.save(out + "/curves.svg");
    grpo::save_checkpoint(model, out + "/final.safetensors");

    // 4. After.
    const grpo::EvalReport after = grpo::evaluate(model, tok, held_out, prompt, eval);
    print_report("\nAfter R1-Zero", after);
    std::printf("\nGreedy completions, before -> after:\n");
    int shown = 0;
    for (std::size_t i = 0; i < held_out.size() && shown < 3; ++i) {
        if (before.per_problem[i].greedy_correct || !after.per_problem[i].greedy_correct) continue;
        std::printf("  %s\n    before: %s\n    after:  %s\n", held_out[i].question.c_str(),
                    one_line(before.per_problem[i].greedy_completion).c_str(),
                    one_line(after.per_problem[i].greedy_completion).c_str());
        ++shown;
    }
    if (shown == 0) std::printf("  (no held-out problem went from wrong to right)\n");
    std::printf("\nWrote %s/metrics.jsonl, %s/curves.svg, %s/final.safetensors\n", out.c_str(), out.c_str(), out.c_str());
    std::fprintf(stderr, "total %.1f min\n", seconds_since(start) / 60);
    return 0;
}

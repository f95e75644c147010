// Example 06: R1-Zero from scratch on a CPU. DeepSeek-R1-Zero (arXiv 2501.12948 §2.2) is GRPO
// applied straight to a base model, with rule-based rewards (accuracy + format) and a template
// that only asks for <think> and <answer>, no supervised fine-tuning. Here, in minutes:
//   1. pretrain a tiny MoE base on a synthetic corpus (train/synthetic_corpus.hpp) and save it
//      (a later run with the same plan reuses it)
//   2. evaluate it on held-out equations never seen in pretraining or RL
//   3. R1-Zero: GrpoTrainer on training equations, evaluating the held-out set every few steps
//   4. evaluate again, and show what changed
// Two lessons, two corpora (--lesson):
//   phenomena      (default) 90% of the worked solutions slip on the sign of b, whatever its sign; 10%
//                  of them check the answer by substituting it back and, after a failed check,
//                  retry (tasks/self_check.hpp); only 40% are in the <think>/<answer> format;
//                  the prompt is the R1-Zero conversation (PromptTemplate::compact). Nothing
//                  rewards checking: the run measures whether RL amplifies it (here it does
//                  not), what a check is worth, the length, and whether the format is learnt.
//   misconception  the first version of this lesson: b < 0 slips 70% of the time, every
//                  solution in the format, the plain template, μ = 1.
// Chapter: tutorials/06-r1-zero.md.
//
//   build/examples/06_r1_zero                 # the full run (2 cores): see full_run_output.txt
//   build/examples/06_r1_zero --quick         # a toy-size run in seconds (what ctest diffs)
//   build/examples/06_r1_zero --help          # the flags, their defaults and one line each
//   build/examples/06_r1_zero --check_rate=0 --out=no_check      # control: a corpus without checks
//   build/examples/06_r1_zero --aggregation=dr_grpo --out=dr_grpo  # control: no length bias
//   build/examples/06_r1_zero --lesson=misconception            # the first lesson
// Outputs go to --out (default r1_zero_out/, r1_zero_quick/ with --quick): base.safetensors, metrics.jsonl, curves.svg,
// final.safetensors. Standard output holds only what a seeded run reproduces exactly; times and
// the progress line go to standard error.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

// What a lesson fixes besides the flags' values: its corpus and template, and its defaults.
struct Lesson {
    bool phenomena = true;
    grpo::SyntheticCorpusConfig corpus;
    grpo::PromptTemplate prompt = grpo::PromptTemplate::compact();
    int mu = 2, steps = 200;
    double lr = 1e-4;  // twice the first lesson's; even so the second update clips at most 0.1% of tokens
};

Lesson make_lesson(const std::string& name) {
    Lesson l;
    l.phenomena = name != "misconception";
    if (l.phenomena) {
        // The first attempt slips on either sign nine times in ten, so that a retry after a
        // failed check has the most to win. GRPO still fixes the sign directly and drops the
        // checks, at 0.9 as at 0.6 (chapter 6, "Why the checks were not amplified here").
        l.corpus.slip_rate_negative_b = 0.9;
        l.corpus.slip_rate_positive_b = 0.9;
        l.corpus.check_rate = 0.1;            // at most 10% of worked solutions check themselves
        l.corpus.tagged_share = 0.4;          // the format reward has work to do
        l.corpus.document_template = grpo::PromptTemplate::compact();
    } else {
        l.prompt = grpo::PromptTemplate::plain();
        l.mu = 1;
        l.steps = 300;
        l.lr = 5e-5;
    }
    return l;
}

// The lesson named on the command line (before the flags are read: it sets their defaults).
std::string lesson_name(int argc, char** argv) {
    std::string name = "phenomena";
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--lesson=", 9) == 0) name = argv[i] + 9;
    return name;
}

// The flags, their defaults (the lesson's) and one line each (examples/example_flags.hpp reads
// them; --help prints them).
std::vector<ExampleFlag> flag_table(const Lesson& lesson) {
    const grpo::SyntheticCorpusConfig& corpus = lesson.corpus;
    return {
        {"lesson", "phenomena", "phenomena: checks, retries and the format under RL; misconception: the first lesson",
         ExampleFlag::text, {"phenomena", "misconception"}},
        {"quick", "0", "toy size in seconds, what ctest diffs (overrides steps, eval_every, group, prompts)",
         ExampleFlag::toggle},
        {"out", "", "output folder (empty: r1_zero_out, or r1_zero_quick with --quick)", ExampleFlag::text},
        {"threads", "2", "CPU threads", ExampleFlag::integer},
        {"steps", grpo::str(lesson.steps), "GRPO steps (--quick: 3)", ExampleFlag::integer},
        {"eval_every", "25", "evaluate the held-out set every N GRPO steps (--quick: 3)", ExampleFlag::integer},
        {"beta", "0.04", "weight of the KL penalty to the base model (0: no reference model)", ExampleFlag::real},
        {"aggregation", "grpo",
         "loss over tokens: grpo = mean per completion, dapo = mean over all tokens, dr_grpo = sum / max length "
         "with unscaled advantages",
         ExampleFlag::text, {"grpo", "dapo", "dr_grpo"}},
        {"mu", grpo::str(lesson.mu), "optimizer steps per batch of samples (> 1: the clip acts)", ExampleFlag::integer},
        {"group", "8", "G, completions sampled per prompt (--quick: 4)", ExampleFlag::integer},
        {"prompts", "16", "prompts per GRPO step (--quick: 4)", ExampleFlag::integer},
        {"lr", grpo::str(lesson.lr), "GRPO's AdamW learning rate", ExampleFlag::real},
        {"seed", "1", "seed of the base's initial weights and of GRPO's sampling", ExampleFlag::integer},
        {"slip_neg", grpo::str(corpus.slip_rate_negative_b),
         "share of corpus solutions with b < 0 that move b without flipping its sign", ExampleFlag::real},
        {"slip_pos", grpo::str(corpus.slip_rate_positive_b), "the same share for b > 0", ExampleFlag::real},
        {"check_rate", grpo::str(corpus.check_rate),
         "share of corpus solutions that check their answer and retry after a failed check", ExampleFlag::real},
        {"tagged_share", grpo::str(corpus.tagged_share),
         "share of corpus solutions in the <think>/<answer> format", ExampleFlag::real},
    };
}

// Everything the size of the run decides: the full demo, or the toy that ctest runs.
struct Plan {
    grpo::TransformerConfig model;
    int pretrain_steps, batch, seq, documents, warmup;
    double lr, min_lr;
    int eval_problems, eval_samples, max_new_tokens;
    std::vector<int> pass_ks;
};

Plan make_plan(const Lesson& lesson, bool quick, int vocab_size) {
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
    c.bias_update_speed = 0.01;  // V3's 0.001 is for trillions of tokens
    c.init_std = 0.02;           // small embeddings: N(0, 1) starts at a loss of ~48
    p.warmup = quick ? 5 : 100;
    p.lr = 3e-3;
    p.min_lr = 3e-4;
    if (lesson.phenomena) {
        // A checked and retried solution is ~210 characters after a 43-character prompt, so the
        // windows hold a whole one: the model never has to attend farther than it was trained to.
        c.max_seq_len = 256;
        p.pretrain_steps = quick ? 40 : 6000;
        p.batch = quick ? 4 : 8;
        p.seq = quick ? 128 : 256;
        p.documents = quick ? 2000 : 100000;
        p.eval_problems = quick ? 16 : 200;
        p.eval_samples = quick ? 4 : 64;
        p.max_new_tokens = quick ? 64 : 208;
        p.pass_ks = quick ? std::vector<int>{1, 2, 4} : std::vector<int>{1, 2, 4, 8, 16, 32, 64};
    } else {
        c.max_seq_len = 128;  // a prompt (<= 28 tokens) + 72 new tokens, and the training windows
        p.pretrain_steps = quick ? 40 : 9000;  // 13.8M tokens: loss still falls at 3000 (pretrain_probe.cpp)
        p.batch = quick ? 8 : 16;
        p.seq = quick ? 64 : 96;
        p.documents = quick ? 2000 : 100000;
        p.eval_problems = quick ? 16 : 500;
        p.eval_samples = quick ? 4 : 16;
        p.max_new_tokens = quick ? 48 : 72;
        p.pass_ks = quick ? std::vector<int>{1, 4} : std::vector<int>{1, 8, 16};
    }
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
    std::string plan = grpo::str(p.pretrain_steps, " steps x ", p.batch, " x ", p.seq, ", ", p.documents,
                                 " documents, lr ", p.lr, " -> ", p.min_lr, ", warmup ", p.warmup, ", slip ",
                                 corpus.slip_rate_negative_b, " (b < 0) ", corpus.slip_rate_positive_b, " (b > 0)");
    if (corpus.check_rate > 0 || corpus.tagged_share < 1)
        plan += grpo::str(", check ", corpus.check_rate, ", tagged ", corpus.tagged_share, ", template '",
                          corpus.document_template.before_question, "'");
    return plan;
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
        if (k > 1 && k <= 16) std::printf("   pass@%d %.3f", k, v);
    std::printf("   cons@%d %.3f\n", r.samples, r.cons_at_k);
    std::printf("  format rate %.3f (greedy) %.3f (sampled)   mean length %.1f tokens (greedy)\n",
                r.greedy_format_rate, r.sampled_format_rate, r.greedy_mean_tokens);
}

// A share, or "-" where it has no completions to be a share of.
std::string share(double v) {
    if (std::isnan(v)) return "-";
    char text[16];
    std::snprintf(text, sizeof text, "%.3f", v);
    return text;
}

void print_reflection(const char* who, const grpo::ReflectionStats& s) {
    std::printf("  %s: check %s   failed check %s   self-correction %s   superficial %s   accuracy with a check %s,"
                " without %s\n",
                who, share(s.check_rate).c_str(), share(s.failed_check_rate).c_str(),
                share(s.self_correction_rate).c_str(), share(s.superficial_rate).c_str(),
                share(s.accuracy_with_check).c_str(), share(s.accuracy_without_check).c_str());
}

// The first sample of `r` that failed a check and still ended right (what ReflectionCounter
// counts as a self-correction): its own wrong answer, the check that caught it, the retry.
// Empty when there is none.
std::string first_aha(const grpo::EvalReport& r, const std::vector<grpo::Problem>& problems, std::string* question) {
    for (std::size_t i = 0; i < problems.size(); ++i)
        for (const std::string& text : r.per_problem[i].sample_completions)
            if (grpo::read_checks(text).failed > 0 && grpo::accuracy_reward(text, problems[i].check) > 0) {
                *question = problems[i].question;
                return text;
            }
    return "";
}

void print_aha(const char* when, const grpo::EvalReport& r, const std::vector<grpo::Problem>& problems) {
    std::string question;
    const std::string text = first_aha(r, problems, &question);
    if (text.empty()) {
        std::printf("\n%s: no sample failed a check and then answered right\n", when);
        return;
    }
    std::printf("\n%s, a sample that catches its own mistake:\n  %s\n  ", when, question.c_str());
    for (char ch : text) std::printf(ch == '\n' ? "\n  " : "%c", ch);
    std::printf("\n");
}

grpo::LossAggregation aggregation_of(const std::string& name) {
    if (name == "dapo") return grpo::LossAggregation::dapo;
    if (name == "dr_grpo") return grpo::LossAggregation::dr_grpo;
    return grpo::LossAggregation::grpo;
}

}  // namespace

int main(int argc, char** argv) {
    Lesson lesson = make_lesson(lesson_name(argc, argv));
    const ExampleFlags flags(flag_table(lesson), "R1-Zero from scratch on a CPU: pretrain a tiny MoE base, then GRPO with rule-based\n"
                             "rewards (tutorials/06-r1-zero.md).", argc, argv);
    const bool quick = flags.i("quick") != 0;
    grpo::cpu_set_num_threads(flags.i("threads"));
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const Plan plan = make_plan(lesson, quick, tok.vocab_size());
    const std::string out = flags.s("out").empty() ? (quick ? "r1_zero_quick" : "r1_zero_out") : flags.s("out");
    std::filesystem::create_directories(out);
    const auto start = std::chrono::steady_clock::now();

    // 1. The base.
    grpo::SyntheticCorpusConfig& corpus = lesson.corpus;  // a 1..9, x -9..9, b -20..20
    corpus.slip_rate_negative_b = flags.d("slip_neg");
    corpus.slip_rate_positive_b = flags.d("slip_pos");
    corpus.check_rate = flags.d("check_rate");
    corpus.tagged_share = flags.d("tagged_share");
    corpus.validate();
    grpo::Rng init(static_cast<std::uint64_t>(flags.i("seed")));
    Model model(plan.model, init);
    const double base_loss = pretrain_or_load(model, plan, tok, corpus, out + "/base.safetensors");
    std::printf("Base: %lld parameters (MoE: %d routed experts, top-2, + 1 shared), pretraining loss %.3f\n",
                static_cast<long long>(model.parameter_count()), plan.model.n_routed_experts, base_loss);
    if (lesson.phenomena)
        std::printf("Corpus: sign slips %.2f (b < 0) %.2f (b > 0), self-checks %.2f, <think>/<answer> format %.2f\n",
                    corpus.slip_rate_negative_b, corpus.slip_rate_positive_b, corpus.check_rate, corpus.tagged_share);

    // 2. The base on held-out problems.
    const std::vector<grpo::Problem> held_out = held_out_problems(corpus, plan.eval_problems);
    grpo::EvalConfig eval;
    eval.samples = plan.eval_samples;
    eval.temperature = 1.0;  // GRPO's sampling temperature; R1 reports pass@1 at 0.6
    eval.top_p = 1.0;
    eval.max_new_tokens = plan.max_new_tokens;
    eval.pass_ks = plan.pass_ks;
    eval.keep_samples = lesson.phenomena;
    const grpo::PromptTemplate prompt = lesson.prompt;
    const grpo::EvalReport before = grpo::evaluate(model, tok, held_out, prompt, eval);
    print_report("\nThe base model", before);
    if (lesson.phenomena) {
        print_reflection("greedy", grpo::greedy_reflection(before));
        print_reflection("sampled", grpo::sampled_reflection(before, held_out));
    }
    std::fflush(stdout);

    // 3. R1-Zero: GRPO on training equations (never a held-out one), rewarding accuracy and
    // format only: nothing rewards a check.
    grpo::GrpoTrainerConfig config;
    config.prompts_per_step = quick ? 4 : flags.i("prompts");
    config.sampling.group_size = quick ? 4 : flags.i("group");
    config.sampling.max_new_tokens = plan.max_new_tokens;
    config.prompt_template = prompt;
    config.rewards = grpo::RewardConfig::worked_example();  // accuracy + format, as R1-Zero
    config.rewards.format_rule = grpo::FormatRule::strict;
    config.loss.beta = flags.d("beta");
    config.loss.aggregation = aggregation_of(flags.s("aggregation"));
    if (config.loss.aggregation == grpo::LossAggregation::dr_grpo) {  // Dr. GRPO (arXiv 2503.20783 §3.1)
        config.loss.max_completion_length = plan.max_new_tokens;
        config.advantages = grpo::AdvantageConfig::dr_grpo();
    }
    config.mu = flags.i("mu");
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
    grpo::PlotSeries greedy{"held-out greedy pass@1", {}, {}}, sampled{"held-out sampled pass@1", {}, {}},
        length{"sampled length / 200 tokens", {}, {}}, checks{"samples with a check", {}, {}},
        format{"samples in the format", {}, {}};
    std::printf("\nR1-Zero: GRPO from the base, %d prompts x G = %d, mu %d, beta %g, %s aggregation, lr %g\n",
                config.prompts_per_step, config.sampling.group_size, config.mu, config.loss.beta,
                flags.s("aggregation").c_str(), config.optimizer.lr);
    if (lesson.phenomena)
        std::printf("  step  reward  clip   |  held-out greedy  sampled  format  length  max  trunc  check  "
                    "self-corr  superficial  acc|check  acc|none\n");
    else
        std::printf("  step  reward  accuracy  format  length  |  held-out greedy  sampled\n");
    const auto add_point = [](grpo::PlotSeries& s, double x, double y) { s.x.push_back(x), s.y.push_back(y); };
    const auto rl_start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) {
        const grpo::GrpoStepMetrics m = trainer.step();
        nlohmann::json line = grpo::to_json(m);
        if (m.step % eval_every == 0 || m.step == steps) {
            const grpo::EvalReport r = grpo::evaluate(model, tok, held_out, prompt, quick_eval);
            line["held_out_greedy_pass_at_1"] = r.greedy_pass_at_1;
            line["held_out_sampled_pass_at_1"] = r.sampled_pass_at_1;
            add_point(greedy, m.step, r.greedy_pass_at_1);
            add_point(sampled, m.step, r.sampled_pass_at_1);
            if (lesson.phenomena) {
                const grpo::ReflectionStats c = grpo::sampled_reflection(r, held_out);
                line["held_out_check_rate"] = c.check_rate;
                line["held_out_self_correction_rate"] = c.self_correction_rate;
                add_point(length, m.step, r.sampled_mean_tokens / 200);
                add_point(checks, m.step, c.check_rate);
                add_point(format, m.step, r.sampled_format_rate);
                std::printf("  %4lld  %6.3f  %5.3f  |  %15.3f  %7.3f  %6.3f  %6.1f  %3d  %5.3f  %5s  %9s  %11s  %9s  %8s\n",
                            static_cast<long long>(m.step), m.reward_mean, m.last_update_clip_frac,
                            r.greedy_pass_at_1, r.sampled_pass_at_1, r.sampled_format_rate, r.sampled_mean_tokens,
                            r.sampled_max_tokens, r.sampled_truncated_rate, share(c.check_rate).c_str(),
                            share(c.self_correction_rate).c_str(), share(c.superficial_rate).c_str(),
                            share(c.accuracy_with_check).c_str(), share(c.accuracy_without_check).c_str());
            } else {
                add_point(length, m.step, m.length_mean / 200);
                std::printf("  %4lld  %6.3f  %8.3f  %6.3f  %6.1f  |  %16.3f  %7.3f\n", static_cast<long long>(m.step),
                            m.reward_mean, m.accuracy, m.component_mean("format"), m.length_mean, r.greedy_pass_at_1,
                            r.sampled_pass_at_1);
            }
            std::fflush(stdout);
        }
        log.write(line);
        grpo::print_progress(stderr, grpo::progress_line(m, steps), m.step == steps);
    }
    std::fprintf(stderr, "GRPO: %d steps in %.1f min\n", steps, seconds_since(rl_start) / 60);
    grpo::SvgPlot plot("R1-Zero on linear equations (held-out problems)", "GRPO step", "");
    for (auto* series : {&greedy, &sampled, &length, &checks, &format})
        if (!series->x.empty()) plot.add(*series);  // the misconception lesson has no checks or format curve
    plot.save(out + "/curves.svg");
    grpo::save_checkpoint(model, out + "/final.safetensors");

    // 4. After.
    const grpo::EvalReport after = grpo::evaluate(model, tok, held_out, prompt, eval);
    print_report("\nAfter R1-Zero", after);
    if (lesson.phenomena) {
        print_reflection("greedy", grpo::greedy_reflection(after));
        print_reflection("sampled", grpo::sampled_reflection(after, held_out));
        std::printf("\nDoes RL find what the base could not sample? pass@k on the same %d problems, %d samples each:\n",
                    after.problems, after.samples);
        std::printf("      k   base pass@k   after RL pass@k\n");
        for (int k : plan.pass_ks)
            std::printf("  %5d   %11.3f   %15.3f\n", k, before.pass_at(k), after.pass_at(k));
        std::printf("  greedy mean length %.1f -> %.1f tokens, sampled %.1f -> %.1f\n", before.greedy_mean_tokens,
                    after.greedy_mean_tokens, before.sampled_mean_tokens, after.sampled_mean_tokens);
        print_aha("The base", before, held_out);
        print_aha("After R1-Zero", after, held_out);
    }
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

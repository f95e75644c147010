// Example 07: the DeepSeek-R1 recipe (arXiv 2501.12948 §2.3–2.4), scaled down to a CPU:
//   1. base           a tiny MoE pretrained on a corpus with two reasoning languages (English and
//                     Greek step labels) and two tasks (train/bilingual_corpus.hpp)
//   2. R1-Zero        pure GRPO from the base, accuracy + format rewards (§2.2)
//   3. cold start     SFT of the base on a few hundred clean English solutions (§2.3.1)
//   4. reasoning RL   GRPO from the cold start with accuracy + format + language consistency
//                     (§2.3.2), and the same without the language reward, to see what it costs
//   5. rejection      sample the RL model, keep what is correct, well formed, all English and
//      sampling       verified step by step, dedupe, add 25% plain text (§2.3.3's 600k + 200k)
//   6. SFT + RL       SFT of the base on that set, then a short final GRPO stage (§2.3.4)
//   7. distillation   a dense student (~1/4 of the active parameters) by SFT on the set, and the
//                     same student by GRPO from its own base with the same compute (§2.4, §4.1)
// Every model is evaluated on the same held-out linear equations and multi-step arithmetic.
// Chapter: tutorials/07-r1-pipeline.md.
//
//   build/examples/07_r1_pipeline            # the full run (~40 min on 2 cores; `make run-07`)
//   build/examples/07_r1_pipeline --quick    # a toy-size run in seconds (what ctest diffs)
//   build/examples/07_r1_pipeline --help     # the flags, their defaults and one line each
// Outputs go to --out (default r1_pipeline_out/, r1_pipeline_quick/ with --quick): one checkpoint
// per stage (a rerun loads every stage whose plan is unchanged), rs_set.jsonl, metrics.jsonl,
// results.jsonl and stages.svg. Standard output holds only what a seeded run reproduces;
// times and progress go to standard error.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

// Everything the size of the run decides: the full pipeline, or the toy that ctest runs.
struct Plan {
    grpo::TransformerConfig teacher, student;
    grpo::PretrainConfig pretrain;
    int documents;
    int r1_zero_steps, rl_steps, final_rl_steps;
    int prompts_per_step, group_size, max_new_tokens;
    int cold_start_examples, cold_start_steps;
    int rs_prompts, rs_group, rs_sft_steps;
    double non_reasoning_share = 0.25;  // R1 §2.3.3: ~200k non-reasoning of ~800k samples
    int eval_problems, eval_samples;
};

Plan make_plan(bool quick, int vocab_size) {
    Plan p;
    grpo::TransformerConfig& c = p.teacher;  // example 06's model
    c.vocab_size = vocab_size;
    c.d_model = quick ? 32 : 64;
    c.n_layers = quick ? 2 : 3;
    c.n_heads = 4;
    c.head_dim = c.d_model / c.n_heads;
    c.n_dense_layers = 1;
    c.dense_hidden = 2 * c.d_model;
    c.n_routed_experts = quick ? 4 : 8;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = c.d_model;
    c.max_seq_len = 128;  // a prompt (<= 28 tokens) + 100 new tokens
    c.bias_update_speed = 0.01;
    c.init_std = 0.02;
    p.student = grpo::dense_student_config(c, quick ? 16 : 32, quick ? 1 : 3);
    p.pretrain.steps = quick ? 40 : 9000;
    p.pretrain.batch = quick ? 8 : 16;
    p.pretrain.seq = quick ? 64 : 96;
    p.pretrain.schedule = {3e-3, 3e-4, quick ? 5 : 100, p.pretrain.steps};
    p.pretrain.seed = 1002;
    p.documents = quick ? 2000 : 100000;
    p.r1_zero_steps = quick ? 2 : 150;
    p.rl_steps = quick ? 2 : 120;
    p.final_rl_steps = quick ? 2 : 60;
    p.prompts_per_step = quick ? 4 : 16;
    p.group_size = quick ? 4 : 8;
    p.max_new_tokens = quick ? 48 : 100;
    p.cold_start_examples = quick ? 16 : 300;
    p.cold_start_steps = quick ? 3 : 60;
    p.rs_prompts = quick ? 8 : 1024;
    p.rs_group = quick ? 4 : 8;
    p.rs_sft_steps = quick ? 3 : 1000;
    p.eval_problems = quick ? 8 : 200;
    p.eval_samples = quick ? 2 : 8;
    return p;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A training problem with its step checker and its clean English solution: an equation or an
// expression, half and half, never a held-out one.
struct TrainingProblem {
    grpo::VerifiedProblem verified;
    std::string clean_solution;
};

TrainingProblem draw_training_problem(grpo::Rng& rng, const grpo::BilingualCorpusConfig& corpus) {
    const grpo::LanguagePlan english;
    if (rng.uniform() < 0.5) {
        const grpo::LinearEquation eq = grpo::sample_training_equation(rng, corpus.linear);
        return {{grpo::make_linear_equation_problem(eq), grpo::linear_step_rule(eq)},
                grpo::labelled_linear_solution(eq, english)};
    }
    const grpo::RandomExpression e = grpo::sample_training_arithmetic(rng, corpus);
    return {{grpo::make_arithmetic_problem(e), grpo::arithmetic_step_rule()},
            grpo::labelled_arithmetic_solution(e, english)};
}

std::vector<TrainingProblem> training_problems(const grpo::BilingualCorpusConfig& corpus, int count,
                                               std::uint64_t seed) {
    grpo::Rng rng(seed);
    std::vector<TrainingProblem> out;
    for (int i = 0; i < count; ++i) out.push_back(draw_training_problem(rng, corpus));
    return out;
}

// The held-out benchmarks: `count` equations (a seeded sample of the held-out split) and
// `count` held-out expressions.
std::map<std::string, std::vector<grpo::Problem>> benchmarks(const grpo::BilingualCorpusConfig& corpus, int count) {
    std::vector<grpo::LinearEquation> equations = grpo::held_out_linear_equations(corpus.linear);
    grpo::Rng rng(12345);
    for (std::size_t i = equations.size() - 1; i > 0; --i)  // Fisher-Yates
        std::swap(equations[i], equations[static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(i)))]);
    std::map<std::string, std::vector<grpo::Problem>> out;
    for (int i = 0; i < count; ++i)
        out["linear"].push_back(grpo::make_linear_equation_problem(equations[static_cast<std::size_t>(i)]));
    for (const grpo::RandomExpression& e : grpo::held_out_arithmetic(corpus, count, 54321))
        out["arithmetic"].push_back(grpo::make_arithmetic_problem(e));
    return out;
}

// One row of the table: a model evaluated on both benchmarks.
struct Row {
    std::string name, what;
    std::map<std::string, grpo::EvalReport> eval;  // "linear", "arithmetic"
    double compute = 0;                            // of the stage that made it (token positions)
};

double mean_of(const Row& row, double grpo::EvalReport::*field) {
    return (row.eval.at("linear").*field + row.eval.at("arithmetic").*field) / 2;
}

void print_table(const std::vector<Row>& rows, int k) {
    std::printf("\n%-16s %-8s %-8s %-8s | %-8s %-8s %-8s | %-6s %-6s %-7s %s\n", "", "linear", "", "", "arith",
                "", "", "format", "mixed", "english", "length");
    std::printf("%-16s %-8s %-8s cons@%-3d | %-8s %-8s cons@%-3d | %-6s %-6s %-7s %s\n", "model", "greedy",
                "sampled", k, "greedy", "sampled", k, "", "", "share", "tokens");
    for (const Row& r : rows) {
        const grpo::EvalReport &l = r.eval.at("linear"), &a = r.eval.at("arithmetic");
        std::printf("%-16s %-8.3f %-8.3f %-8.3f | %-8.3f %-8.3f %-8.3f | %-6.3f %-6.3f %-7.3f %.1f\n", r.name.c_str(),
                    l.greedy_pass_at_1, l.sampled_pass_at_1, l.cons_at_k, a.greedy_pass_at_1, a.sampled_pass_at_1,
                    a.cons_at_k, mean_of(r, &grpo::EvalReport::sampled_format_rate),
                    mean_of(r, &grpo::EvalReport::sampled_mixing_rate),
                    mean_of(r, &grpo::EvalReport::sampled_language_share),
                    mean_of(r, &grpo::EvalReport::sampled_mean_tokens));
    }
}

void write_results(const std::string& out, const std::vector<Row>& rows) {
    grpo::JsonlWriter results(out + "/results.jsonl", true);
    grpo::PlotSeries linear{"linear: sampled pass@1", {}, {}}, arithmetic{"arithmetic: sampled pass@1", {}, {}},
        mixed{"sampled mixing rate", {}, {}}, english{"english share", {}, {}};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        for (const auto& [benchmark, e] : r.eval)
            results.write({{"model", r.name}, {"stage", r.what}, {"benchmark", benchmark},
                           {"compute_token_positions", r.compute}, {"problems", e.problems}, {"k", e.samples},
                           {"greedy_pass_at_1", e.greedy_pass_at_1}, {"sampled_pass_at_1", e.sampled_pass_at_1},
                           {"cons_at_k", e.cons_at_k}, {"greedy_format_rate", e.greedy_format_rate},
                           {"sampled_format_rate", e.sampled_format_rate},
                           {"greedy_mixing_rate", e.greedy_mixing_rate},
                           {"sampled_mixing_rate", e.sampled_mixing_rate},
                           {"sampled_language_share", e.sampled_language_share},
                           {"greedy_mean_tokens", e.greedy_mean_tokens},
                           {"sampled_mean_tokens", e.sampled_mean_tokens}});
        const double x = static_cast<double>(i + 1);
        linear.x.push_back(x), linear.y.push_back(r.eval.at("linear").sampled_pass_at_1);
        arithmetic.x.push_back(x), arithmetic.y.push_back(r.eval.at("arithmetic").sampled_pass_at_1);
        mixed.x.push_back(x), mixed.y.push_back(mean_of(r, &grpo::EvalReport::sampled_mixing_rate));
        english.x.push_back(x), english.y.push_back(mean_of(r, &grpo::EvalReport::sampled_language_share));
    }
    grpo::SvgPlot plot("The R1 pipeline, model by model (x: row of the table)", "row", "");
    for (auto* series : {&linear, &arithmetic, &mixed, &english}) plot.add(*series);
    plot.save(out + "/stages.svg");
}

// A "stage: …" line on stderr with the stage's time, or that it was loaded.
void report_stage(const grpo::StageId& id, const grpo::StageRun& run) {
    if (run.resumed) std::fprintf(stderr, "%s: loaded (key %s)\n", id.name.c_str(), id.key.c_str());
    else std::fprintf(stderr, "%s: %lld steps in %.1f min\n", id.name.c_str(), static_cast<long long>(run.steps),
                      run.seconds / 60);
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(
        {{"quick", "0", "toy size in seconds, what ctest diffs (from scratch unless --out is given)",
          ExampleFlag::toggle},
         {"out", "", "output folder, a rerun reloads its unchanged stages (empty: r1_pipeline_out, "
                     "r1_pipeline_quick with --quick)", ExampleFlag::text},
         {"threads", "2", "CPU threads", ExampleFlag::integer}},
        "The DeepSeek-R1 recipe on a CPU: base, R1-Zero, cold start, reasoning RL, rejection\n"
        "sampling, SFT + RL, distillation (tutorials/07-r1-pipeline.md).", argc, argv);
    const bool quick = flags.i("quick") != 0;
    grpo::cpu_set_num_threads(flags.i("threads"));
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii_with(grpo::kGreekLabelLetters);
    const Plan plan = make_plan(quick, tok.vocab_size());
    const std::string out = flags.s("out").empty() ? (quick ? "r1_pipeline_quick" : "r1_pipeline_out") : flags.s("out");
    // The toy run starts afresh each time, so that ctest diffs what a first run prints (a rerun
    // of the full run loads its stages and prints "(loaded: N steps)" instead of the RL curves).
    if (quick && flags.s("out").empty()) std::filesystem::remove_all(out);
    std::filesystem::create_directories(out);
    const auto start = std::chrono::steady_clock::now();
    grpo::JsonlWriter log(out + "/metrics.jsonl", true);

    const grpo::BilingualCorpusConfig corpus;  // 30% Greek, 20% switching, slips 0.7 (English) / 0.3 (Greek)
    corpus.validate();
    const auto bench = benchmarks(corpus, plan.eval_problems);
    grpo::EvalConfig eval;
    eval.samples = plan.eval_samples;
    eval.temperature = 1.0;  // GRPO's sampling temperature, as example 06
    eval.top_p = 1.0;
    eval.max_new_tokens = plan.max_new_tokens;
    eval.pass_ks = {1};
    const grpo::PromptTemplate prompt = grpo::PromptTemplate::plain();
    std::vector<Row> rows;
    const auto evaluate = [&](Model& model, const std::string& name, const std::string& what, double compute) {
        Row row{name, what, {}, compute};
        for (const auto& [benchmark, problems] : bench)
            row.eval[benchmark] = grpo::evaluate(model, tok, problems, prompt, eval);
        rows.push_back(row);
    };
    const auto fresh_copy = [](const Model& from) { return grpo::clone_model(from); };
    const auto corpus_stream = [&] {
        grpo::Rng data_rng(1001);
        return grpo::bilingual_token_stream(tok, data_rng, corpus, plan.documents);
    };
    const std::string corpus_plan = grpo::str(plan.documents, " documents; corpus ", corpus.greek_share, " greek, ",
                                              corpus.code_switch_share, " switch, slips ",
                                              corpus.linear.slip_rate_negative_b, "/",
                                              corpus.greek_slip_rate_negative_b, ", ", corpus.arithmetic_share,
                                              " arithmetic; pretrain ", plan.pretrain.steps, " x ",
                                              plan.pretrain.batch, " x ", plan.pretrain.seq);

    // 1. The base.
    grpo::Rng init(1);
    Model base(plan.teacher, init);
    const grpo::StageId base_id =
        grpo::child_stage({}, "base", grpo::config_to_json(plan.teacher).dump() + corpus_plan);
    const auto pretrain_progress = [&](const char* name, int steps) {
        return [name, steps, t0 = std::chrono::steady_clock::now()](const grpo::PretrainStep& s) {
            if (s.step % 100 == 0 || s.step == steps)
                grpo::print_progress(stderr, grpo::str(name, " step ", s.step, "/", steps, "  loss ", s.loss, "  ",
                                                       seconds_since(t0), " s"), s.step == steps);
        };
    };
    const grpo::StageRun base_run = grpo::pretrain_stage(base, out + "/base.safetensors", base_id, corpus_stream,
                                                         plan.pretrain, pretrain_progress("base", plan.pretrain.steps));
    report_stage(base_id, base_run);
    std::printf("Teacher: a MoE of %lld parameters, %lld active per token; pretrained on %lld token positions\n",
                static_cast<long long>(base.parameter_count()),
                static_cast<long long>(grpo::active_parameter_count(base)),
                static_cast<long long>(base_run.compute / 3));
    evaluate(base, "base", "pretrained", base_run.compute);

    // GRPO stages share everything but their rewards, step count and seed.
    const auto grpo_config = [&](const grpo::RewardConfig& rewards, std::uint64_t seed) {
        grpo::GrpoTrainerConfig c;
        c.prompts_per_step = plan.prompts_per_step;
        c.sampling.group_size = plan.group_size;
        c.sampling.max_new_tokens = plan.max_new_tokens;
        c.prompt_template = prompt;
        c.rewards = rewards;
        c.optimizer.lr = 5e-5;  // example 06's
        c.seed = seed;
        return c;
    };
    const auto source = [&corpus](grpo::Rng& rng) { return draw_training_problem(rng, corpus).verified.problem; };
    grpo::RewardConfig outcome = grpo::RewardConfig::worked_example();  // R1-Zero: accuracy + format
    outcome.format_rule = grpo::FormatRule::strict;
    outcome.min_word_letters = 2;  // logged at weight 0: the English share of the batch
    const grpo::RewardConfig with_language = grpo::RewardConfig::r1_reasoning();
    const auto run_grpo = [&](Model& model, const grpo::StageId& parent, const char* name,
                              const grpo::RewardConfig& rewards, int steps, double budget = 0) {
        const grpo::GrpoTrainerConfig c = grpo_config(rewards, 7);
        const grpo::StageId id = grpo::child_stage(
            parent, name, grpo::str("grpo ", steps, " steps, budget ", budget, ", language weight ",
                                    rewards.language_weight, ", ", c.prompts_per_step, " x ", c.sampling.group_size,
                                    ", lr ", c.optimizer.lr));
        std::printf("\n%s: GRPO, %s rewards\n  step  reward  accuracy  english share  length\n", name,
                    rewards.language_weight > 0 ? "accuracy + format + language" : "accuracy + format");
        const int every = budget > 0 ? 10 : std::max(1, steps / 6);  // a budgeted run's length is not known
        const grpo::StageRun run = grpo::grpo_stage(model, tok, source, c, steps, out + "/" + name + ".safetensors",
                                                    id, [&](const grpo::GrpoStepMetrics& m) {
            nlohmann::json line = grpo::to_json(m);
            line["stage"] = name;
            log.write(line);
            grpo::print_progress(stderr, grpo::progress_line(m, steps), false);
            if (m.step % every == 0)
                std::printf("  %4lld  %6.3f  %8.3f  %13.3f  %6.1f\n", static_cast<long long>(m.step), m.reward_mean,
                            m.accuracy, m.component_mean("language"), m.length_mean);
        }, budget);
        if (run.resumed) std::printf("  (loaded: %lld steps)\n", static_cast<long long>(run.steps));
        report_stage(id, run);
        return std::make_pair(id, run);
    };

    // 2. R1-Zero: GRPO straight from the base.
    Model r1_zero = fresh_copy(base);
    const auto [r1_zero_id, r1_zero_run] = run_grpo(r1_zero, base_id, "r1_zero", outcome, plan.r1_zero_steps);
    evaluate(r1_zero, "r1_zero", "GRPO from the base", r1_zero_run.compute);

    // 3. Cold start: SFT of the base on clean English solutions.
    std::vector<grpo::SftExample> cold_set;
    for (const TrainingProblem& p : training_problems(corpus, plan.cold_start_examples, 555))
        cold_set.push_back({prompt.render(p.verified.problem.question), p.clean_solution});
    grpo::SftConfig sft;
    sft.schedule = {5e-4, 5e-5, std::min(5, plan.cold_start_steps), plan.cold_start_steps};
    Model cold = fresh_copy(base);
    const grpo::StageId cold_id = grpo::child_stage(
        base_id, "cold_start", grpo::str(plan.cold_start_examples, " examples, ", plan.cold_start_steps, " steps"));
    const grpo::StageRun cold_run = grpo::sft_stage(cold, tok, cold_set, sft, plan.cold_start_steps,
                                                    out + "/cold_start.safetensors", cold_id);
    report_stage(cold_id, cold_run);
    std::printf("\ncold_start: SFT of the base on %zu clean English solutions, %d steps of %d\n", cold_set.size(),
                plan.cold_start_steps, sft.batch);
    evaluate(cold, "cold_start", "SFT on clean solutions", cold_run.compute);

    // 4. Reasoning RL from the cold start, with the language reward and without it.
    Model rl = fresh_copy(cold);
    const auto [rl_id, rl_run] = run_grpo(rl, cold_id, "rl_language", with_language, plan.rl_steps);
    evaluate(rl, "rl_language", "GRPO from the cold start", rl_run.compute);
    Model rl_plain = fresh_copy(cold);
    const auto [rl_plain_id, rl_plain_run] = run_grpo(rl_plain, cold_id, "rl_no_language", outcome, plan.rl_steps);
    evaluate(rl_plain, "rl_no_language", "the same, no language reward", rl_plain_run.compute);

    // 5. Rejection sampling from the reasoning-RL model.
    std::vector<grpo::VerifiedProblem> rs_problems;
    for (const TrainingProblem& p : training_problems(corpus, plan.rs_prompts, 777)) rs_problems.push_back(p.verified);
    grpo::SamplingConfig rs_sampling;
    rs_sampling.group_size = plan.rs_group;
    rs_sampling.max_new_tokens = plan.max_new_tokens;
    const grpo::RejectionFilter filter;  // English only, every step verified, 2 per prompt
    const grpo::StageId rs_id =
        grpo::child_stage(rl_id, "rejection_sampling", grpo::str(plan.rs_prompts, " prompts x ", plan.rs_group));
    bool rs_resumed = false;
    const auto rs_start = std::chrono::steady_clock::now();
    const grpo::RejectionResult rs = grpo::rejection_stage(rl, tok, rs_problems, prompt, rs_sampling, filter, 99,
                                                           out + "/rs_set.jsonl", rs_id, &rs_resumed);
    std::fprintf(stderr, "rejection_sampling: %s\n",
                 rs_resumed ? "loaded" : grpo::str(seconds_since(rs_start), " s").c_str());
    grpo::Rng mix_rng(31);
    const auto drill = [&corpus](grpo::Rng& r) { return grpo::drill_document(r, corpus.linear); };
    std::vector<grpo::SftExample> rs_set = grpo::mix_non_reasoning(rs.examples, drill, plan.non_reasoning_share, mix_rng);
    if (rs_set.empty())  // nothing kept (the toy run): the SFT stages still run, on plain text alone
        for (int i = 0; i < 16; ++i) rs_set.push_back({"", drill(mix_rng)});
    std::printf("\nrejection_sampling: %lld completions of %d training prompts from rl_language\n",
                static_cast<long long>(rs.stats.sampled), plan.rs_prompts);
    for (auto reason : {grpo::RejectReason::bad_format, grpo::RejectReason::wrong_answer,
                        grpo::RejectReason::mixed_language, grpo::RejectReason::unverified_step,
                        grpo::RejectReason::duplicate, grpo::RejectReason::over_cap, grpo::RejectReason::kept})
        std::printf("  %-40s %6lld\n", reason == grpo::RejectReason::kept ? "kept" : grpo::str("dropped: ",
                    grpo::reject_reason_name(reason)).c_str(), static_cast<long long>(rs.stats[reason]));
    std::printf("  + %zu plain drill documents = %zu SFT examples\n", rs_set.size() - rs.examples.size(),
                rs_set.size());

    // 6. SFT of the base on the set, then a short final RL stage.
    grpo::SftConfig rs_sft = sft;
    rs_sft.schedule = {1e-3, 1e-4, std::min(20, plan.rs_sft_steps), plan.rs_sft_steps};
    const std::string rs_plan = grpo::str(rs_set.size(), " examples, ", plan.rs_sft_steps, " steps");
    Model rs_model = fresh_copy(base);
    const grpo::StageId rs_sft_id = grpo::child_stage(rs_id, "rs_sft", rs_plan);
    const grpo::StageRun rs_sft_run = grpo::sft_stage(rs_model, tok, rs_set, rs_sft, plan.rs_sft_steps,
                                                      out + "/rs_sft.safetensors", rs_sft_id);
    report_stage(rs_sft_id, rs_sft_run);
    std::printf("\nrs_sft: SFT of the base on the %zu examples, %d steps of %d\n", rs_set.size(), plan.rs_sft_steps,
                rs_sft.batch);
    evaluate(rs_model, "rs_sft", "SFT of the base on the set", rs_sft_run.compute);
    const auto [final_id, final_run] = run_grpo(rs_model, rs_sft_id, "final_rl", with_language, plan.final_rl_steps);
    evaluate(rs_model, "final_rl", "R1: the final RL stage", final_run.compute);

    // 7. The student: distilled by SFT on the set, or trained by GRPO with the same compute.
    grpo::Rng student_init(2);
    Model student_base(plan.student, student_init);
    const grpo::StageId student_id =
        grpo::child_stage({}, "student_base", grpo::config_to_json(plan.student).dump() + corpus_plan);
    const grpo::StageRun student_run =
        grpo::pretrain_stage(student_base, out + "/student_base.safetensors", student_id, corpus_stream,
                             plan.pretrain, pretrain_progress("student_base", plan.pretrain.steps));
    report_stage(student_id, student_run);
    std::printf("\nStudent: dense, %lld parameters (%.2f x the teacher's active %lld), pretrained like the base\n",
                static_cast<long long>(student_base.parameter_count()),
                static_cast<double>(student_base.parameter_count()) / grpo::active_parameter_count(base),
                static_cast<long long>(grpo::active_parameter_count(base)));
    evaluate(student_base, "student_base", "pretrained", student_run.compute);
    Model distilled = fresh_copy(student_base);
    const grpo::StageId distill_id = grpo::child_stage(student_id, "student_distill", rs_id.key + ", " + rs_plan);
    const grpo::StageRun distill_run = grpo::sft_stage(distilled, tok, rs_set, rs_sft, plan.rs_sft_steps,
                                                       out + "/student_distill.safetensors", distill_id);
    report_stage(distill_id, distill_run);
    evaluate(distilled, "student_distill", "SFT on the teacher's set", distill_run.compute);
    Model student_rl = fresh_copy(student_base);
    const auto [student_rl_id, student_rl_run] =
        run_grpo(student_rl, student_id, "student_rl", with_language, 100000, distill_run.compute);
    evaluate(student_rl, "student_rl", "GRPO, same compute", student_rl_run.compute);
    std::printf("\nThe student's two routes, in token positions (forward 1, forward + backward 3):\n");
    std::printf("  distillation  %5lld SFT steps    %12.0f\n", static_cast<long long>(distill_run.steps),
                distill_run.compute);
    std::printf("  RL            %5lld GRPO steps   %12.0f\n", static_cast<long long>(student_rl_run.steps),
                student_rl_run.compute);

    // The table, in the shape of R1's Table 5 (models x benchmarks).
    std::printf("\nHeld-out: %d equations and %d expressions; greedy, and %d samples at temperature 1 per problem",
                plan.eval_problems, plan.eval_problems, plan.eval_samples);
    std::printf("\n(format, mixed, english share and length: sampled, both benchmarks)");
    print_table(rows, plan.eval_samples);
    write_results(out, rows);
    std::printf("\nWrote %s/results.jsonl, %s/stages.svg, %s/metrics.jsonl, %s/rs_set.jsonl\n", out.c_str(),
                out.c_str(), out.c_str(), out.c_str());
    std::fprintf(stderr, "total %.1f min\n", seconds_since(start) / 60);
    return 0;
}

// Example 08: scaled GPU training. Chapter 6's recipe (pretrain a MoE base on a synthetic corpus,
// then GRPO with rule-based rewards) at ~100M parameters on one GPU, measured the way large runs
// are measured:
//   1. a DeepSeek-V3-style MoE of ~102M parameters, ~25M of them active a token: d_model 512,
//      8 blocks (the first dense), 32 routed experts top-4 + 1 shared
//   2. pretraining on worked solutions (chapter 6's corpus of equations and drills, plus
//      multi-step arithmetic and countdown), timed: training tokens/s and model FLOPs
//      utilisation (MFU)
//   3. GRPO on the harder tasks, multi-step arithmetic and countdown, timed: sampling tokens/s
//   4. the same model's pretraining step in eager PyTorch (torch_peer.py, same batch shape, same
//      matmul precision) run by this program, and the ratio ours / PyTorch
// The lesson is one template on the backend, using only grpo/generic.hpp: main.cu runs it on
// grpo::Cuda; any backend with the same static functions runs it too. Chapter:
// tutorials/08-gpu-scaled.md.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <grpo/generic.hpp>

#include "../example_flags.hpp"

#ifndef GRPO_EXAMPLE_08_DIR  // set by examples/CMakeLists.txt to this folder's absolute path
#define GRPO_EXAMPLE_08_DIR "examples/08_gpu_scaled"
#endif

namespace gpu_scaled {

// The flags, their defaults and one line each (examples/example_flags.hpp reads them; --help
// prints them).
inline std::vector<ExampleFlag> flag_table() {
    return {
        {"quick", "0", "toy size in seconds, what ctest runs (overrides steps and pretrain_steps)", ExampleFlag::toggle},
        {"out", "", "output folder (empty: gpu_scaled_out, or gpu_scaled_quick with --quick)", ExampleFlag::text},
        {"steps", "30", "GRPO steps (--quick: 2)", ExampleFlag::integer},
        {"pretrain_steps", "2000", "pretraining steps, the first 20 untimed (--quick: 6)", ExampleFlag::integer},
        {"seed", "1", "seed of the initial weights and of GRPO's sampling", ExampleFlag::integer},
        // NVIDIA's H100 SXM datasheet: 989 TFLOP/s of dense bf16 tensor-core math (1979 is
        // with 2:4 sparsity, which nothing here uses); tf32 dense is 495, plain fp32 67.
        {"peak_tflops", "989", "the GPU's peak TFLOP/s at --precision, MFU's denominator (H100 SXM bf16 dense)",
         ExampleFlag::real},
        {"precision", "bf16", "precision of the GEMMs' inputs (accumulation in float)", ExampleFlag::text,
         {"fp32", "tf32", "bf16"}},
        {"no_torch", "0", "leave out step 4, the same training step in PyTorch", ExampleFlag::toggle},
        {"python", "python3", "the Python (with torch) that runs the PyTorch peer", ExampleFlag::text},
        {"torch_peer", GRPO_EXAMPLE_08_DIR "/torch_peer.py", "the PyTorch peer's script", ExampleFlag::text},
    };
}

// What the lesson needs from the device besides the backend: a wait for queued work (a GPU runs
// kernels asynchronously, so a clock read without it measures the launches, not the work), and
// names for the report.
struct Device {
    std::function<void()> synchronize;
    std::string name;              // "NVIDIA H100 80GB HBM3"
    std::string matmul_precision;  // "bf16", as torch_peer.py reads it
};

// The tasks of the run: the pretraining corpus writes their worked solutions, GRPO trains on the
// harder two.
struct Tasks {
    grpo::BilingualCorpusConfig corpus;  // .linear: chapter 6's corpus; .arithmetic and its held-out split
    grpo::CountdownConfig countdown;
};

// Everything the size of the run decides: the full run, or the toy that ctest runs.
struct Plan {
    grpo::TransformerConfig model;
    grpo::PretrainConfig pretrain;
    int documents, untimed_steps;  // untimed: the first steps (allocator growth, cuBLAS heuristics)
    int grpo_steps, prompts_per_step, group_size, max_new_tokens, report_every;
    int eval_problems, eval_samples;
    int peer_warmup, peer_steps;
};

inline Plan make_plan(const ExampleFlags& flags, int vocab_size) {
    const bool quick = flags.i("quick") != 0;
    Plan p;
    grpo::TransformerConfig& c = p.model;
    c.vocab_size = vocab_size;
    c.d_model = quick ? 32 : 512;
    c.n_layers = quick ? 2 : 8;
    c.n_heads = quick ? 4 : 8;
    c.head_dim = c.d_model / c.n_heads;  // 64, GPT-2's
    c.n_dense_layers = 1;                 // the first block dense, as DeepSeek-V3's first three
    c.dense_hidden = 3 * c.d_model;
    c.n_routed_experts = quick ? 4 : 32;
    c.n_shared_experts = 1;
    c.experts_per_token = quick ? 2 : 4;
    c.expert_hidden = c.d_model / 2;  // fine-grained experts (V3: 2048 for d 7168)
    c.max_seq_len = quick ? 256 : 320;  // a countdown prompt (~170 tokens) + 128 new tokens
    c.bias_update_speed = 0.01;         // as chapters 6 and 7: V3's 0.001 is for trillions of tokens
    c.init_std = 0.02;
    p.pretrain.steps = quick ? 6 : flags.i("pretrain_steps");
    p.pretrain.batch = quick ? 4 : 32;
    p.pretrain.seq = quick ? 64 : 256;
    // nanoGPT's GPT-2 small (124M): lr 6e-4 cosine to 6e-5; betas (0.9, 0.95) are PretrainConfig's.
    p.pretrain.schedule = {6e-4, 6e-5, quick ? 1 : 100, p.pretrain.steps};
    p.pretrain.seed = 1002;
    p.documents = quick ? 300 : 100000;
    p.untimed_steps = quick ? 2 : 20;
    p.grpo_steps = quick ? 2 : flags.i("steps");
    p.prompts_per_step = quick ? 2 : 16;
    p.group_size = quick ? 2 : 8;
    p.max_new_tokens = quick ? 16 : 128;
    p.report_every = quick ? 1 : 5;
    p.eval_problems = quick ? 2 : 32;
    p.eval_samples = quick ? 2 : 4;
    p.peer_warmup = quick ? 1 : 5;
    p.peer_steps = quick ? 2 : 20;
    grpo::require(p.pretrain.steps > p.untimed_steps, "--pretrain_steps=", p.pretrain.steps,
                  ": expected more than the ", p.untimed_steps, " untimed warm-up steps");
    return p;
}

inline Tasks make_tasks() {
    Tasks t;
    t.corpus.arithmetic = {4, 1, 12, false, 200};  // 4 operations on 1..12, values within ±200
    t.countdown.number_max = 30;  // TinyZero's 1..99 is for a 3B model; a 100M one starts smaller
    t.countdown.target_max = 200;
    t.countdown.max_intermediate = 1000;
    t.corpus.validate();
    grpo::validate(t.countdown);
    return t;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A countdown worked solution: numbers drawn and combined in a shuffled order into a random
// expression, as grpo::sample_countdown draws its targets, one "then:" line per operation and
// the expression as the answer.
inline std::string countdown_document(grpo::Rng& rng, const grpo::CountdownConfig& c) {
    for (;;) {
        std::vector<std::int64_t> numbers(static_cast<std::size_t>(rng.uniform_int(c.min_numbers, c.max_numbers)));
        for (std::int64_t& n : numbers) n = rng.uniform_int(c.number_min, c.number_max);
        std::vector<std::int64_t> order = numbers;
        for (std::size_t k = order.size() - 1; k > 0; --k)  // Fisher-Yates
            std::swap(order[k], order[static_cast<std::size_t>(rng.uniform_int(0, std::int64_t(k)))]);
        const auto e = grpo::random_expression(rng, order, c.allow_division, c.max_intermediate);
        if (!e || e->value.num() < c.target_min || e->value.num() > c.target_max) continue;
        const grpo::Countdown problem{numbers, e->value.num(), e->text};
        const std::vector<grpo::StepKind> kinds(e->steps.size(), grpo::StepKind::then);
        return grpo::countdown_question(problem) + "\n" + grpo::labelled_solution(e->steps, kinds, {}, e->text);
    }
}

// One pretraining document, a third of each kind: chapter 6's (an equation's worked solution or
// a drill), a worked multi-step arithmetic solution (never a held-out expression), a countdown.
inline std::string scaled_document(grpo::Rng& rng, const Tasks& tasks) {
    const double kind = rng.uniform();
    if (kind < 1.0 / 3) return grpo::synthetic_document(rng, tasks.corpus.linear);
    if (kind < 2.0 / 3) {
        const grpo::RandomExpression e = grpo::sample_training_arithmetic(rng, tasks.corpus);
        return grpo::make_arithmetic_problem(e).question + "\n" + grpo::labelled_arithmetic_solution(e, {});
    }
    return countdown_document(rng, tasks.countdown);
}

// GRPO's problems: arithmetic or countdown, half and half.
inline grpo::ProblemSource grpo_problems(const Tasks& tasks) {
    return [tasks](grpo::Rng& rng) {
        if (rng.uniform() < 0.5) return grpo::make_arithmetic_problem(grpo::sample_training_arithmetic(rng, tasks.corpus));
        return grpo::generate_countdown(rng, tasks.countdown);
    };
}

// The parameters a token multiplies: all, the routed experts at k of n
// (grpo::active_parameter_count), less the embedding table, which is looked up, not multiplied
// (nanoGPT leaves its position table out of N for the same reason).
template <class T, class B>
std::int64_t active_matmul_parameters(const grpo::Transformer<T, B>& model) {
    const grpo::TransformerConfig& c = model.config();
    return grpo::active_parameter_count(model) - (c.tied_head ? 0 : std::int64_t{c.vocab_size} * c.d_model);
}

// Model FLOPs of training on one token (forward + backward), PaLM (arXiv 2204.02311) Appendix B,
// as nanoGPT's estimate_mfu: 6·N + 12·L·H·Q·T, N the active parameters above, T the sequence
// length. The attention term counts all T×T scores, the causally masked half too, as both do.
inline double training_flops_per_token(const grpo::TransformerConfig& c, std::int64_t n_active, int seq) {
    return 6.0 * static_cast<double>(n_active) + 12.0 * c.n_layers * c.n_heads * c.head_dim * seq;
}

struct PretrainResult {
    double first_loss = 0, final_loss = 0;  // final: the mean of the last 50 steps
    int timed_steps = 0;
    double seconds = 0;          // of the timed steps
    std::size_t peak_bytes = 0;  // the backend's tensor storage at its peak
};

// Step 2: pretraining, timed from the end of step `untimed_steps` to the end of the last.
template <class B>
PretrainResult pretrain_base(grpo::Transformer<float, B>& model, const grpo::TokenStream& stream, const Plan& plan,
                             const Device& device, grpo::JsonlWriter& log) {
    PretrainResult r;
    const int steps = plan.pretrain.steps, window = std::min(50, steps);
    auto t0 = std::chrono::steady_clock::now();
    B::reset_peak_memory();
    grpo::pretrain(model, stream, plan.pretrain, [&](const grpo::PretrainStep& s) {
        if (s.step == 1) r.first_loss = s.loss;
        if (s.step > steps - window) r.final_loss += s.loss / window;
        if (s.step == plan.untimed_steps || s.step == steps) device.synchronize();
        if (s.step == plan.untimed_steps) t0 = std::chrono::steady_clock::now();
        if (s.step == steps) r.seconds = seconds_since(t0);
        log.write({{"phase", "pretrain"}, {"step", s.step}, {"loss", s.loss}, {"lr", s.lr}});
        if (s.step % 50 == 0 || s.step == steps)
            grpo::print_progress(stderr, grpo::str("pretraining step ", s.step, "/", steps, "  loss ", s.loss),
                                 s.step == steps);
    });
    r.timed_steps = steps - plan.untimed_steps;
    r.peak_bytes = B::memory_stats().peak_bytes;
    return r;
}

// Held-out problems of both tasks: expressions from the corpus's held-out split; countdowns
// from a seed of their own (a repeat of a training draw is possible, and rare).
struct Benchmarks {
    std::vector<grpo::Problem> arithmetic, countdown;
};

inline Benchmarks make_benchmarks(const Tasks& tasks, int count) {
    Benchmarks b;
    for (const grpo::RandomExpression& e : grpo::held_out_arithmetic(tasks.corpus, count, 54321))
        b.arithmetic.push_back(grpo::make_arithmetic_problem(e));
    grpo::Rng rng(4242);
    for (int i = 0; i < count; ++i) b.countdown.push_back(grpo::generate_countdown(rng, tasks.countdown));
    return b;
}

template <class B>
void print_evaluation(const char* title, grpo::Transformer<float, B>& model, const grpo::Tokenizer& tok,
                      const Benchmarks& bench, const grpo::EvalConfig& eval) {
    std::printf("%s (%zu held-out problems a task; %d samples at temperature 1):\n", title, bench.arithmetic.size(),
                eval.samples);
    const std::pair<const char*, const std::vector<grpo::Problem>*> tasks[] = {{"arithmetic", &bench.arithmetic},
                                                                                {"countdown", &bench.countdown}};
    for (const auto& [name, problems] : tasks) {
        const grpo::EvalReport r = grpo::evaluate(model, tok, *problems, grpo::PromptTemplate::plain(), eval);
        std::printf("  %-10s  greedy pass@1 %.3f   sampled pass@1 %.3f   format %.3f   length %.1f tokens\n", name,
                    r.greedy_pass_at_1, r.sampled_pass_at_1, r.sampled_format_rate, r.sampled_mean_tokens);
    }
}

struct GrpoResult {
    std::int64_t generated_tokens = 0;  // over the timed steps (all but the first)
    double sampling_seconds = 0, update_seconds = 0, step_seconds = 0;
    std::size_t peak_bytes = 0;
};

// Step 3: GRPO on arithmetic and countdown; the first step is left out of the rates (warm-up).
template <class B>
GrpoResult train_grpo(grpo::Transformer<float, B>& model, const grpo::Tokenizer& tok, const Tasks& tasks,
                      const Plan& plan, std::uint64_t seed, const Device& device, grpo::JsonlWriter& log) {
    grpo::GrpoTrainerConfig config;
    config.prompts_per_step = plan.prompts_per_step;
    config.sampling.group_size = plan.group_size;
    config.sampling.max_new_tokens = plan.max_new_tokens;
    config.prompt_template = grpo::PromptTemplate::plain();
    config.rewards = grpo::RewardConfig::worked_example();  // accuracy + format, as R1-Zero
    config.rewards.format_rule = grpo::FormatRule::strict;
    config.optimizer.lr = 1e-5;  // between TRL's 1e-6 (billions of parameters) and chapter 6's 5e-5 (300k)
    config.seed = seed;
    grpo::GrpoTrainer<float, B> trainer(model, tok, grpo_problems(tasks), config);
    std::printf("\nGRPO: %d prompts x G = %d a step, up to %d new tokens, accuracy + format rewards, lr %g\n",
                config.prompts_per_step, config.sampling.group_size, config.sampling.max_new_tokens,
                config.optimizer.lr);
    std::printf("  step  reward  accuracy  format  length  |  sampling tokens/s  s/step\n");
    GrpoResult r;
    B::reset_peak_memory();
    for (int s = 0; s < plan.grpo_steps; ++s) {
        const auto start = std::chrono::steady_clock::now();
        grpo::GrpoStepMetrics m = trainer.step();
        device.synchronize();
        const double seconds = seconds_since(start);
        if (s > 0 || plan.grpo_steps == 1) {
            r.generated_tokens += m.generated_tokens;
            r.sampling_seconds += m.sampling_seconds;
            r.update_seconds += m.update_seconds;
            r.step_seconds += seconds;
        }
        nlohmann::json line = grpo::to_json(m);
        line["phase"] = "grpo";
        log.write(line);
        if (m.step % plan.report_every == 0 || m.step == plan.grpo_steps)
            std::printf("  %4lld  %6.3f  %8.3f  %6.3f  %6.1f  |  %18.0f  %6.2f\n", static_cast<long long>(m.step),
                        m.reward_mean, m.accuracy, m.component_mean("format"), m.length_mean,
                        m.tokens_per_second, seconds);
        std::fflush(stdout);
        grpo::print_progress(stderr, grpo::progress_line(m, plan.grpo_steps), m.step == plan.grpo_steps);
    }
    r.peak_bytes = B::memory_stats().peak_bytes;
    return r;
}

// What torch_peer.py needs to build the same model and time the same step.
template <class B>
nlohmann::json peer_config(const grpo::Transformer<float, B>& model, const Plan& plan, const ExampleFlags& flags,
                           const Device& device) {
    nlohmann::json c = grpo::config_to_json(model.config());
    c["init_std"] = model.config().init_std;
    c["bias_update_speed"] = model.config().bias_update_speed;
    const grpo::AdamWConfig& o = plan.pretrain.optimizer;
    return {{"model", c}, {"batch", plan.pretrain.batch}, {"seq", plan.pretrain.seq},
            {"optimizer", {{"lr", plan.pretrain.schedule.max_lr}, {"beta1", o.beta1}, {"beta2", o.beta2},
                           {"eps", o.eps}, {"weight_decay", o.weight_decay}}},
            {"precision", device.matmul_precision}, {"peak_tflops", flags.d("peak_tflops")},
            {"parameters", model.parameter_count()}, {"active_matmul_parameters", active_matmul_parameters(model)},
            {"warmup_steps", plan.peer_warmup},
            {"timed_steps", plan.peer_steps}};
}

// Step 4: runs the peer on `config_path` and returns the JSON line it prints last (null when
// it fails; its own messages go to standard error).
inline nlohmann::json run_torch_peer(const ExampleFlags& flags, const std::string& config_path) {
    const std::string command = flags.s("python") + " '" + flags.s("torch_peer") + "' --config='" + config_path + "'";
    std::fprintf(stderr, "torch peer: %s\n", command.c_str());
    std::FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return nullptr;
    std::string line, last;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) {
        line += buffer;
        if (line.back() != '\n') continue;  // a longer line: read on
        if (line[0] == '{') last = line;
        line.clear();
    }
    if (pclose(pipe) != 0 || last.empty()) return nullptr;
    return nlohmann::json::parse(last);
}

inline double gib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

template <class B>
int run_scaled(const ExampleFlags& flags, const Device& device) {
    const bool quick = flags.i("quick") != 0;
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const Plan plan = make_plan(flags, tok.vocab_size());
    const Tasks tasks = make_tasks();
    const std::string out = flags.s("out").empty() ? (quick ? "gpu_scaled_quick" : "gpu_scaled_out") : flags.s("out");
    std::filesystem::create_directories(out);
    grpo::JsonlWriter log(out + "/metrics.jsonl", true);
    const double peak = flags.d("peak_tflops") * 1e12;

    // 1. The model.
    grpo::Rng init(static_cast<std::uint64_t>(flags.i("seed")));
    grpo::Transformer<float, B> model(plan.model, init);
    const grpo::TransformerConfig& c = plan.model;
    const std::int64_t active = active_matmul_parameters(model);
    const double flops_per_token = training_flops_per_token(c, active, plan.pretrain.seq);
    std::printf("Device: %s, matmul precision %s\n", device.name.c_str(), device.matmul_precision.c_str());
    std::printf("Model: %.2fM parameters, %.2fM multiplied per token (%d blocks, d_model %d, %d routed experts "
                "top-%d + %d shared)\n", model.parameter_count() / 1e6, active / 1e6, c.n_layers, c.d_model,
                c.n_routed_experts, c.experts_per_token, c.n_shared_experts);
    std::printf("FLOPs of a training token: 6 x %.2fM + 12 x %d x %d x %d x %d (attention) = %.1f MFLOP\n",
                active / 1e6, c.n_layers, c.n_heads, c.head_dim, plan.pretrain.seq, flops_per_token / 1e6);

    // 2. Pretraining, timed.
    grpo::Rng data_rng(1001);
    grpo::TokenStream stream;
    for (int i = 0; i < plan.documents; ++i) stream.add_document(tok, scaled_document(data_rng, tasks));
    const PretrainResult pre = pretrain_base(model, stream, plan, device, log);
    const double tokens = static_cast<double>(pre.timed_steps) * plan.pretrain.batch * plan.pretrain.seq;
    const double train_rate = tokens / pre.seconds;
    std::printf("\nPretraining: %d steps of %d x %d tokens (%.1fM in the corpus), loss %.3f -> %.3f\n",
                plan.pretrain.steps, plan.pretrain.batch, plan.pretrain.seq, stream.size() / 1e6, pre.first_loss,
                pre.final_loss);
    std::printf("  training   %.0f tokens/s, %.1f ms a step (steps %d..%d)\n", train_rate,
                1e3 * pre.seconds / pre.timed_steps, plan.untimed_steps + 1, plan.pretrain.steps);
    std::printf("  MFU        %.2f%% of %.0f TFLOP/s (--peak_tflops)\n", 100 * train_rate * flops_per_token / peak,
                peak / 1e12);
    std::printf("  memory     %.2f GiB of tensors at the peak\n", gib(pre.peak_bytes));

    // 3. GRPO on the harder tasks, evaluated before and after.
    const Benchmarks bench = make_benchmarks(tasks, plan.eval_problems);
    grpo::EvalConfig eval;
    eval.samples = plan.eval_samples;
    eval.temperature = 1.0;
    eval.top_p = 1.0;
    eval.max_new_tokens = plan.max_new_tokens;
    eval.pass_ks = {1};
    std::printf("\n");
    print_evaluation("The base", model, tok, bench, eval);
    const GrpoResult rl = train_grpo(model, tok, tasks, plan, static_cast<std::uint64_t>(flags.i("seed")), device, log);
    const double sampling_rate = rl.generated_tokens / rl.sampling_seconds;
    std::printf("  sampling   %.0f tokens/s (%.0f%% of the step; the update %.0f%%)\n", sampling_rate,
                100 * rl.sampling_seconds / rl.step_seconds, 100 * rl.update_seconds / rl.step_seconds);
    std::printf("  memory     %.2f GiB of tensors at the peak\n\n", gib(rl.peak_bytes));
    print_evaluation("After GRPO", model, tok, bench, eval);

    // 4. The PyTorch peer: the same pretraining step, and the ratio.
    nlohmann::json summary = {{"device", device.name}, {"precision", device.matmul_precision},
                              {"parameters", model.parameter_count()}, {"active_matmul_parameters", active},
                              {"flops_per_token", flops_per_token}, {"peak_tflops", peak / 1e12},
                              {"train_tokens_per_s", train_rate}, {"mfu", train_rate * flops_per_token / peak},
                              {"train_peak_bytes", pre.peak_bytes}, {"sampling_tokens_per_s", sampling_rate},
                              {"grpo_peak_bytes", rl.peak_bytes}};
    const std::string config_path = out + "/peer_config.json";
    std::ofstream(config_path) << peer_config(model, plan, flags, device).dump(2) << "\n";
    int status = 0;
    if (flags.i("no_torch") == 0) {
        std::fflush(stdout);  // our lines before the peer's messages
        const nlohmann::json peer = run_torch_peer(flags, config_path);
        if (peer.is_null()) {
            std::printf("\nPyTorch peer: failed (see above); rerun with --no_torch to leave it out\n");
            status = 1;
        } else {
            const double torch_rate = peer.at("tokens_per_s").get<double>();
            std::printf("\nThe same training step in PyTorch %s on %s (eager, %s attention, %s matmuls):\n",
                        peer.at("torch_version").get<std::string>().c_str(), peer.at("device").get<std::string>().c_str(),
                        peer.at("attention").get<std::string>().c_str(), peer.at("precision").get<std::string>().c_str());
            std::printf("  PyTorch    %.0f tokens/s, %.1f ms a step, MFU %.2f%%, %.2f GiB at the peak\n", torch_rate,
                        peer.at("step_ms").get<double>(), 100 * peer.at("mfu").get<double>(),
                        gib(peer.at("peak_memory_bytes").get<std::size_t>()));
            std::printf("  ours / PyTorch: %.2fx the tokens/s\n", train_rate / torch_rate);
            summary["torch"] = peer;
            summary["ratio_ours_over_torch"] = train_rate / torch_rate;
        }
    }
    std::ofstream(out + "/summary.json") << summary.dump(2) << "\n";
    std::printf("\nWrote %s/metrics.jsonl, %s/summary.json, %s/peer_config.json\n", out.c_str(), out.c_str(),
                out.c_str());
    return status;
}

}  // namespace gpu_scaled

// Pretraining probe for the R1-Zero demo (built as examples/06_r1_zero_pretrain_probe; no test
// runs it, it takes minutes): pretrain a tiny MoE base model on the synthetic corpus
// (train/synthetic_corpus.hpp), then measure on held-out linear equations what GRPO would start
// from: greedy pass@1 (want <= 50%) and pass@16 (want >= 97%), with rl/evaluation.hpp. Every
// setting is a --name=value flag (--help lists them); the defaults are the best run.
//
//   make run-build && cmake --build build-native --target example_06_r1_zero_pretrain_probe
//   build-native/examples/06_r1_zero_pretrain_probe --threads=2 --out=/tmp/base.safetensors
// Measured with those defaults (2 threads, 2-core machine, 2026-11-23): 13.8M tokens in 7.2 min,
// held-out greedy pass@1 0.520, pass@16 0.996 (T 1), strict format 1.000: the b >= 0 half is
// solved, the b < 0 half slips. With --slip_pos=0.65 --slip_neg=0.65 the base is at greedy 0.026,
// pass@16 0.996, but GRPO stalls on it (train/synthetic_corpus.hpp says why).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

// The flags, their defaults and one line each (examples/example_flags.hpp reads them; --help
// prints them).
std::vector<ExampleFlag> flag_table() {
    using F = ExampleFlag;
    return {
        // model
        {"d_model", "64", "model width", F::integer},
        {"layers", "3", "transformer blocks, the first dense", F::integer},
        {"heads", "4", "attention heads (head dim = d_model / heads)", F::integer},
        {"experts", "8", "routed experts per MoE block (top-2, + 1 shared)", F::integer},
        {"expert_hidden", "64", "hidden width of each expert", F::integer},
        {"dense_hidden", "128", "hidden width of the dense block's MLP", F::integer},
        {"init_std", "0.02", "std of the initial weights", F::real},
        // pretraining
        {"steps", "9000", "pretraining steps", F::integer},
        {"batch", "16", "windows per step", F::integer},
        {"seq", "96", "tokens per window", F::integer},
        {"lr", "3e-3", "peak learning rate, after the warm-up", F::real},
        {"min_lr", "3e-4", "learning rate at the end of the cosine decay", F::real},
        {"warmup", "100", "warm-up steps", F::integer},
        {"weight_decay", "0.0", "AdamW weight decay", F::real},
        {"threads", "1", "CPU threads", F::integer},
        {"seed", "1", "seed of the initial weights, the corpus and the batches", F::integer},
        {"log_every", "250", "print the mean loss every N steps", F::integer},
        // corpus
        {"slip_neg", "0.7", "share of solutions with b < 0 that move b without flipping its sign", F::real},
        {"slip_pos", "0.0", "the same share for b > 0", F::real},
        {"drills", "0.5", "share of documents that are arithmetic drills", F::real},
        {"documents", "100000", "documents in the corpus", F::integer},
        // evaluation
        {"eval", "500", "held-out equations evaluated", F::integer},
        {"samples", "16", "samples per equation (pass@1 and pass@samples)", F::integer},
        {"temperature", "1.0", "sampling temperature", F::real},
        {"top_p", "1.0", "nucleus sampling's p (1: off)", F::real},
        {"max_new", "72", "most new tokens per completion", F::integer},
        {"out", "", "save the pretrained model to this file (empty: not saved)", F::text},
        {"load", "", "evaluate this saved model instead of pretraining one", F::text},
    };
}

grpo::TransformerConfig model_config(const ExampleFlags& f, int vocab_size) {
    grpo::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = f.i("d_model");
    c.n_layers = f.i("layers");
    c.n_heads = f.i("heads");
    c.head_dim = c.d_model / c.n_heads;
    c.n_dense_layers = 1;  // the first block dense, as DeepSeek-V3's first three
    c.dense_hidden = f.i("dense_hidden");
    c.n_routed_experts = f.i("experts");
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = f.i("expert_hidden");
    c.max_seq_len = 128;  // prompt (<= 28 tokens) + max_new, and the training windows
    c.bias_update_speed = 0.01;  // V3's 0.001 is for trillions of tokens
    c.init_std = f.d("init_std");
    return c;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `count` held-out problems, drawn without replacement in a seeded order.
std::vector<grpo::LinearEquation> held_out_sample(const grpo::SyntheticCorpusConfig& corpus, int count) {
    std::vector<grpo::LinearEquation> all = grpo::held_out_linear_equations(corpus);
    grpo::require(count <= static_cast<int>(all.size()), "--eval=", count, ": only ", all.size(),
                  " held-out equations exist");
    grpo::Rng rng(12345);
    for (std::size_t i = all.size() - 1; i > 0; --i)  // Fisher-Yates
        std::swap(all[i], all[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)))]);
    all.resize(static_cast<std::size_t>(count));
    return all;
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags f(flag_table(), "Pretrain the R1-Zero demo's tiny MoE base and measure what GRPO would start from.",
                         argc, argv);
    grpo::cpu_set_num_threads(f.i("threads"));
    const auto start = std::chrono::steady_clock::now();
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();

    grpo::SyntheticCorpusConfig corpus;
    corpus.slip_rate_negative_b = f.d("slip_neg");
    corpus.slip_rate_positive_b = f.d("slip_pos");
    corpus.drill_share = f.d("drills");
    grpo::Rng data_rng(static_cast<std::uint64_t>(f.i("seed")) * 1000 + 1);
    const grpo::TokenStream stream = grpo::synthetic_token_stream(tok, data_rng, corpus, f.i("documents"));

    const bool load = !f.s("load").empty();
    const grpo::TransformerConfig config =
        load ? grpo::read_checkpoint_config(f.s("load")) : model_config(f, tok.vocab_size());
    grpo::Rng init(static_cast<std::uint64_t>(f.i("seed")));
    Model model(config, init);
    if (load) grpo::load_checkpoint(model, f.s("load"));
    std::printf("model: d %d, %d layers (1 dense), %d experts top-2 + 1 shared, expert hidden %d: %lld parameters\n",
                config.d_model, config.n_layers, config.n_routed_experts, config.expert_hidden,
                static_cast<long long>(model.parameter_count()));
    std::printf("corpus: %d documents, %zu tokens, slip %.2f (b < 0) %.2f (b > 0), drills %.2f; threads %d\n",
                f.i("documents"), stream.size(), corpus.slip_rate_negative_b, corpus.slip_rate_positive_b,
                corpus.drill_share, f.i("threads"));

    const int steps = load ? 0 : f.i("steps"), batch = f.i("batch"), seq = f.i("seq");
    grpo::PretrainConfig pretraining;
    pretraining.steps = steps;
    pretraining.batch = batch;
    pretraining.seq = seq;
    pretraining.schedule = {f.d("lr"), f.d("min_lr"), f.i("warmup"), std::max(steps, f.i("warmup"))};
    pretraining.optimizer.weight_decay = f.d("weight_decay");
    pretraining.seed = static_cast<std::uint64_t>(f.i("seed")) * 1000 + 2;
    const auto train_start = std::chrono::steady_clock::now();
    const std::clock_t train_cpu_start = std::clock();
    double loss_sum = 0;
    grpo::pretrain(model, stream, pretraining, [&](const grpo::PretrainStep& s) {
        loss_sum += s.loss;
        if (s.step % f.i("log_every") == 0) {
            std::printf("step %5d  loss %.4f  lr %.2e  %.1f s\n", s.step, loss_sum / f.i("log_every"), s.lr,
                        seconds_since(train_start));
            std::fflush(stdout);
            loss_sum = 0;
        }
    });
    const double train_s = seconds_since(train_start);
    const double train_cpu_s = static_cast<double>(std::clock() - train_cpu_start) / CLOCKS_PER_SEC;
    const double tokens = static_cast<double>(steps) * batch * seq;
    // Wall time depends on what else the machine runs; CPU time (all threads) less so.
    if (steps > 0)
        std::printf("pretraining: %d steps x %d x %d = %.2fM tokens in %.1f min wall, %.1f min CPU "
                    "(%.0f tokens/s wall)\n",
                    steps, batch, seq, tokens / 1e6, train_s / 60, train_cpu_s / 60, tokens / train_s);
    if (!f.s("out").empty()) {
        grpo::save_checkpoint(model, f.s("out"),
                              {{"grpo.corpus.slip_neg", f.s("slip_neg")},
                               {"grpo.corpus.slip_pos", f.s("slip_pos")},
                               {"grpo.corpus.drills", f.s("drills")}});
        std::printf("saved %s\n", f.s("out").c_str());
    }

    // Held-out evaluation.
    const std::vector<grpo::LinearEquation> equations = held_out_sample(corpus, f.i("eval"));
    std::vector<grpo::Problem> problems;
    for (const auto& eq : equations) problems.push_back(grpo::make_linear_equation_problem(eq));
    grpo::EvalConfig eval;
    eval.samples = f.i("samples");
    eval.temperature = f.d("temperature");
    eval.top_p = f.d("top_p");
    eval.max_new_tokens = f.i("max_new");
    eval.pass_ks = {1, eval.samples};
    const auto eval_start = std::chrono::steady_clock::now();
    const grpo::EvalReport r = grpo::evaluate(model, tok, problems, grpo::PromptTemplate{"", "\n"}, eval);
    const double eval_s = seconds_since(eval_start);

    // Where the answers go wrong, by the sign of b: the slip, or arithmetic.
    struct BySign {
        int problems = 0, greedy_right = 0, greedy_slipped = 0, samples_right = 0;
    } by_sign[3];  // b < 0, b = 0, b > 0
    for (std::size_t i = 0; i < equations.size(); ++i) {
        const grpo::LinearEquation& eq = equations[i];
        const grpo::ProblemEval& e = r.per_problem[i];
        BySign& s = by_sign[eq.b < 0 ? 0 : eq.b == 0 ? 1 : 2];
        ++s.problems;
        s.greedy_right += e.greedy_correct;
        s.samples_right += e.samples_correct;
        const std::string slipped_answer = grpo::LinearEquation{eq.a, -eq.b, eq.c}.solution().to_string();
        s.greedy_slipped += eq.b != 0 && grpo::accuracy_reward(e.greedy_completion, slipped_answer) > 0;
    }
    std::printf("held-out eval (%d problems, %d samples at T %.2f top-p %.2f) in %.1f s:\n", r.problems, r.samples,
                eval.temperature, eval.top_p, eval_s);
    std::printf("  greedy pass@1 %.3f\n", r.greedy_pass_at_1);
    const char* names[3] = {"b < 0", "b = 0", "b > 0"};
    for (int k = 0; k < 3; ++k) {
        const BySign& s = by_sign[k];
        if (s.problems == 0) continue;
        std::printf("    %s: %3d problems, greedy right %.3f, greedy slipped %.3f, samples right %.3f\n", names[k],
                    s.problems, static_cast<double>(s.greedy_right) / s.problems,
                    static_cast<double>(s.greedy_slipped) / s.problems,
                    static_cast<double>(s.samples_right) / (s.problems * r.samples));
    }
    std::printf("  sampled pass@1 %.3f   pass@%d %.3f   cons@%d %.3f\n", r.sampled_pass_at_1, r.samples,
                r.pass_at(r.samples), r.samples, r.cons_at_k);
    std::printf("  format rate: greedy %.3f, sampled %.3f   mean tokens: greedy %.1f, sampled %.1f   truncated %.3f\n",
                r.greedy_format_rate, r.sampled_format_rate, r.greedy_mean_tokens, r.sampled_mean_tokens,
                r.sampled_truncated_rate);
    for (int i = 0; i < 2; ++i) {
        std::string text = r.per_problem[i].greedy_completion;
        for (char& ch : text) if (ch == '\n') ch = '|';
        std::printf("  e.g. %s -> %s\n", problems[i].question.c_str(), text.c_str());
    }
    std::printf("total %.1f min\n", seconds_since(start) / 60);
    return 0;
}

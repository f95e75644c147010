// Example 10: a learned reward model, and what RL does to it. DeepSeek-R1 rewards reasoning with
// rules (arXiv 2501.12948 §2.2.2) because a neural reward model "may suffer from reward hacking";
// its final stage still scores general prompts with reward models, helpfulness on the answer and
// harmlessness on the whole completion (§2.3.4). Here the human rater is a program with a known
// "true" preference (tasks/preference.hpp), so the reward model's score (the proxy) and the true
// reward can be watched side by side as GRPO optimises the proxy (Gao et al. 2022, arXiv
// 2210.10760, who use a large "gold" reward model the same way):
//   1. a base policy: SFT on completions of every quality, sampled from the generator
//   2. reward models: Bradley-Terry on pairs the rater labelled; held-out pairwise accuracy
//   3. GRPO on the proxy, three ways from the same base: one reward model without a KL penalty,
//      the same with β > 0, and an ensemble of three combined by their minimum (Coste et al.
//      2023, arXiv 2310.02743); every few steps the batch's proxy and true reward
//   4. a table: where the true reward peaked, and where it ended
// Chapter: tutorials/10-reward-model.md.
//
//   build/examples/10_reward_model              # the whole run, a few minutes on one core
//   build/examples/10_reward_model --quick      # a toy-size run in seconds (what ctest diffs)
// Standard output holds only what a seeded run reproduces exactly, at any thread count.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;
using RewardModel = grpo::RewardModel<float, grpo::Cpu>;

std::vector<ExampleFlag> flag_table() {
    return {
        {"quick", "0", "toy size in seconds, what ctest diffs", ExampleFlag::toggle},
        {"threads", "1", "CPU threads (the output is the same for any count)", ExampleFlag::integer},
        {"out", "", "output folder (empty: reward_model_out, or reward_model_quick with --quick)", ExampleFlag::text},
        {"sft_steps", "600", "SFT steps of the base policy (--quick: 20)", ExampleFlag::integer},
        {"rm_pairs", "2000", "preference pairs each reward model learns from (--quick: 64)", ExampleFlag::integer},
        {"rm_steps", "300", "steps of each reward model (--quick: 10)", ExampleFlag::integer},
        {"grpo_steps", "150", "GRPO steps of each run (--quick: 4)", ExampleFlag::integer},
        {"beta", "0.1", "the KL weight of the second run", ExampleFlag::real},
        {"lr", "1e-4", "GRPO's AdamW learning rate", ExampleFlag::real},
    };
}

// Everything the size of the run decides.
struct Plan {
    int sft_examples, sft_steps, rm_pairs, rm_steps, grpo_steps, prompts, group, log_every;
};

Plan make_plan(const ExampleFlags& flags) {
    const bool quick = flags.i("quick") != 0;
    Plan p;
    p.sft_examples = quick ? 200 : 4000;
    p.sft_steps = quick ? 20 : flags.i("sft_steps");
    p.rm_pairs = quick ? 64 : flags.i("rm_pairs");
    p.rm_steps = quick ? 10 : flags.i("rm_steps");
    p.grpo_steps = quick ? 4 : flags.i("grpo_steps");
    p.prompts = quick ? 4 : 16;
    p.group = quick ? 4 : 8;
    p.log_every = quick ? 2 : 15;
    return p;
}

// The longest prompt (41 tokens with the conversation template) + 120 new tokens + <eos> fits.
constexpr int kMaxSeqLen = 176, kMaxNewTokens = 120;

grpo::TransformerConfig model_config(int vocab_size, int d_model) {
    grpo::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = d_model;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = d_model / 2;
    c.n_dense_layers = 1;  // the first block dense, then one MoE block
    c.dense_hidden = 2 * d_model;
    c.n_routed_experts = 4;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = d_model;
    c.max_seq_len = kMaxSeqLen;
    c.init_std = 0.02;
    c.bias_update_speed = 0.01;  // V3's 0.001 is for trillions of tokens
    return c;
}

// ---- 1. The base policy ---------------------------------------------------------------------

// SFT on completions of every quality for random prompts: the base writes what the generator
// writes (right and wrong sums, refusals, passwords, fillers, closings), so RL has room to move.
void train_base(Model& policy, const grpo::Tokenizer& tok, const grpo::PromptTemplate& prompt, const Plan& plan) {
    grpo::Rng rng(11);
    std::vector<grpo::SftExample> data;
    for (int i = 0; i < plan.sft_examples; ++i) {
        const grpo::PreferencePrompt p = grpo::sample_preference_prompt(rng);
        data.push_back({prompt.render(p.text()), grpo::sample_preference_completion(rng, p)});
    }
    grpo::SftConfig sft;
    sft.batch = 32;
    sft.schedule = {3e-3, 3e-4, 20, std::max(1, plan.sft_steps)};
    sft.max_len = kMaxSeqLen;
    sft.seed = 12;
    grpo::SftTrainer<float, grpo::Cpu> trainer(policy, tok, data, sft);
    double loss = 0;
    for (int s = 0; s < plan.sft_steps; ++s) loss = trainer.step().loss;
    std::printf("Base policy: %lld parameters, SFT %d steps on %d sampled completions, last batch loss %.3f\n",
                static_cast<long long>(policy.parameter_count()), plan.sft_steps, plan.sft_examples, loss);
    std::fflush(stdout);
}

// ---- 2. Reward models -----------------------------------------------------------------------

std::vector<grpo::PreferencePair> rater_pairs(std::uint64_t seed, int n, const grpo::PromptTemplate& prompt) {
    grpo::Rng rng(seed);
    std::vector<grpo::PreferencePair> out;
    for (int i = 0; i < n; ++i) out.push_back(grpo::sample_preference_pair(rng, prompt));
    return out;
}

// Reward model k: its own initial weights and its own pairs, so an ensemble's members err apart.
RewardModel train_reward_model(int k, const grpo::Tokenizer& tok, const grpo::PromptTemplate& prompt,
                               const Plan& plan, const std::vector<grpo::PreferencePair>& held_out) {
    grpo::Rng init(100 + static_cast<std::uint64_t>(k));
    RewardModel model(model_config(tok.vocab_size(), 16), init);
    grpo::RewardModelTrainerConfig config;
    config.max_len = kMaxSeqLen;
    config.seed = 200 + static_cast<std::uint64_t>(k);
    grpo::RewardModelTrainer<float, grpo::Cpu> trainer(
        model, tok, rater_pairs(300 + static_cast<std::uint64_t>(k), plan.rm_pairs, prompt), config);
    const grpo::RewardModelMetrics before = trainer.evaluate(held_out);
    for (int s = 0; s < plan.rm_steps; ++s) trainer.step();
    const grpo::RewardModelMetrics after = trainer.evaluate(held_out);
    std::printf("  reward model %d: held-out pairwise accuracy %.3f -> %.3f, loss %.3f -> %.3f\n", k, before.accuracy,
                after.accuracy, before.loss, after.loss);
    std::fflush(stdout);
    return model;
}

// ---- 3. GRPO on the proxy -------------------------------------------------------------------

std::string one_line(std::string text) {
    for (char& ch : text)
        if (ch == '\n') ch = '|';
    return text;
}

// The true preference, logged beside the proxy with weight 0 (scored, never trained on); the
// rates of leaking a password and of declining, the same way.
std::vector<grpo::RewardFunction> watched_rewards() {
    const auto true_score = [](const grpo::RewardInput& in) {
        return grpo::true_preference(*grpo::parse_preference_prompt(in.problem.question), in.completion);
    };
    return {
        {"true", 0.0, [=](const grpo::RewardInput& in) -> grpo::RewardScore { return true_score(in).total(); }},
        {"helpful", 0.0, [=](const grpo::RewardInput& in) -> grpo::RewardScore { return true_score(in).helpfulness; }},
        {"harmless", 0.0,
         [=](const grpo::RewardInput& in) -> grpo::RewardScore { return true_score(in).harmlessness; }},
        {"leaks", 0.0, [](const grpo::RewardInput& in) -> grpo::RewardScore {
             return in.completion.find(grpo::kLeakPhrase) != std::string_view::npos ? 1.0 : 0.0;
         }},
    };
}

struct RunResult {
    std::string name;
    std::vector<double> steps, proxy, truth;
};

RunResult grpo_run(const std::string& name, const Model& base, std::vector<RewardModel*> judges,
                   grpo::EnsembleCombine combine, double beta, const grpo::Tokenizer& tok,
                   const grpo::PromptTemplate& prompt, const Plan& plan, double lr) {
    Model policy = grpo::clone_model(base);
    grpo::GrpoTrainerConfig config;
    config.prompts_per_step = plan.prompts;
    config.sampling.group_size = plan.group;
    config.sampling.max_new_tokens = kMaxNewTokens;
    config.prompt_template = prompt;
    config.reward_functions = {grpo::reward_model_reward("proxy", 1.0, judges, tok, kMaxSeqLen, combine)};
    for (grpo::RewardFunction& f : watched_rewards()) config.reward_functions.push_back(f);
    config.loss.beta = beta;
    config.optimizer.lr = lr;
    config.seed = 21;
    const grpo::ProblemSource source = [](grpo::Rng& rng) {
        return grpo::make_preference_problem(grpo::sample_preference_prompt(rng));
    };
    grpo::GrpoTrainer<float, grpo::Cpu> trainer(policy, tok, source, config);
    RunResult result{name, {}, {}, {}};
    std::printf("\n%s\n  step   proxy    true  helpful  harmless  leaks  length      kl\n", name.c_str());
    trainer.add_step_callback([&](const grpo::GrpoStepRecord& r) {
        const grpo::GrpoStepMetrics& m = r.metrics;
        result.steps.push_back(static_cast<double>(m.step));
        result.proxy.push_back(m.component_mean("proxy"));
        result.truth.push_back(m.component_mean("true"));
        if (m.step == 1 || m.step % plan.log_every == 0)
            std::printf("  %4lld  %6.3f  %6.3f  %7.3f  %8.3f  %5.3f  %6.1f  %6.4f\n", static_cast<long long>(m.step),
                        m.component_mean("proxy"), m.component_mean("true"), m.component_mean("helpful"),
                        m.component_mean("harmless"), m.component_mean("leaks"), m.length_mean, m.kl);
        if (m.step == plan.grpo_steps)
            std::printf("  last step's first completion: \"%s\" -> \"%s\"\n", r.problems[0].question.c_str(),
                        one_line(r.scores.texts[0]).c_str());
        std::fflush(stdout);
        return grpo::StepAction::go_on;
    });
    for (int s = 0; s < plan.grpo_steps; ++s) trainer.step();
    return result;
}

// The mean of a series over a window of steps around index i (both ends clipped): a batch of
// 128 completions is noisy.
double smoothed(const std::vector<double>& y, std::size_t i, std::size_t half) {
    const std::size_t lo = i >= half ? i - half : 0, hi = std::min(y.size() - 1, i + half);
    double sum = 0;
    for (std::size_t k = lo; k <= hi; ++k) sum += y[k];
    return sum / static_cast<double>(hi - lo + 1);
}

void print_summary(const std::vector<RunResult>& runs, std::size_t half) {
    std::printf("\nProxy and true reward, batch means smoothed over %zu steps:\n", 2 * half + 1);
    std::printf("  run                           proxy first -> last   true first -> peak (step) -> last\n");
    for (const RunResult& r : runs) {
        const std::size_t last = r.steps.size() - 1;
        std::size_t peak = 0;
        for (std::size_t i = 0; i <= last; ++i)
            if (smoothed(r.truth, i, half) > smoothed(r.truth, peak, half)) peak = i;
        std::printf("  %-28s  %6.3f -> %6.3f        %6.3f -> %6.3f (%4.0f) -> %6.3f\n", r.name.c_str(),
                    smoothed(r.proxy, 0, half), smoothed(r.proxy, last, half), smoothed(r.truth, 0, half),
                    smoothed(r.truth, peak, half), r.steps[peak], smoothed(r.truth, last, half));
    }
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(flag_table(), "A learned reward model and GRPO against it: proxy vs true reward\n"
                             "(tutorials/10-reward-model.md).", argc, argv);
    if (flags.i("threads") < 1) flags.fail("--threads=" + flags.s("threads") + ": expected 1 or more");
    grpo::cpu_set_num_threads(flags.i("threads"));
    const bool quick = flags.i("quick") != 0;
    const Plan plan = make_plan(flags);
    const std::string out = flags.s("out").empty() ? (quick ? "reward_model_quick" : "reward_model_out") : flags.s("out");
    std::filesystem::create_directories(out);
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const grpo::PromptTemplate prompt = grpo::PromptTemplate::compact();

    // 1. The base policy.
    grpo::Rng init(1);
    Model base(model_config(tok.vocab_size(), 32), init);
    train_base(base, tok, prompt, plan);

    // 2. Three reward models, each on its own rater-labelled pairs.
    const std::vector<grpo::PreferencePair> held_out = rater_pairs(400, quick ? 32 : 500, prompt);
    std::printf("\nReward models (Bradley-Terry, %d pairs and %d steps each; %zu held-out pairs):\n", plan.rm_pairs,
                plan.rm_steps, held_out.size());
    std::vector<RewardModel> judges;
    for (int k = 0; k < 3; ++k) judges.push_back(train_reward_model(k, tok, prompt, plan, held_out));
    grpo::save_reward_model(judges[0], out + "/reward_model_0.safetensors");

    // 3. GRPO on the proxy, three ways.
    std::vector<RunResult> runs;
    runs.push_back(grpo_run("reward model 0, beta 0", base, {&judges[0]}, grpo::EnsembleCombine::mean, 0.0, tok,
                            prompt, plan, flags.d("lr")));
    runs.push_back(grpo_run(grpo::str("reward model 0, beta ", flags.d("beta")), base, {&judges[0]},
                            grpo::EnsembleCombine::mean, flags.d("beta"), tok, prompt, plan, flags.d("lr")));
    runs.push_back(grpo_run("ensemble of 3 (min), beta 0", base, {&judges[0], &judges[1], &judges[2]},
                            grpo::EnsembleCombine::min, 0.0, tok, prompt, plan, flags.d("lr")));

    // 4. What each run did to the true reward.
    print_summary(runs, quick ? 1 : 5);
    grpo::SvgPlot plot("GRPO against a learned reward model", "GRPO step", "batch mean");
    for (const RunResult& r : runs) {
        plot.add({r.name + ": proxy", r.steps, r.proxy});
        plot.add({r.name + ": true", r.steps, r.truth});
    }
    plot.save(out + "/curves.svg");
    std::printf("\nWrote %s/curves.svg and %s/reward_model_0.safetensors\n", out.c_str(), out.c_str());
    return 0;
}

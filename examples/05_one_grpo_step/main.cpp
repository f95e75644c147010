// Example 05: one GRPO update on a tiny policy. A small MoE transformer is pretrained briefly on
// worked equations, so it sometimes solves "2x + 3 = 7" and sometimes does not. Then, exactly as
// in chapter 1 but with a real model: sample a group, score it with the rules, turn rewards into
// advantages, and take one step on the GRPO loss (DeepSeekMath eq. 3). The table shows each
// completion's reward, advantage and how its log-probability moved; the probability of a
// correct answer goes up. Chapter: tutorials/05-one-grpo-step.md.
//
//   build/examples/05_one_grpo_step --group=4 --seed=8 --lr=2e-3   # another group, a step 4x as large: does it still help?
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;
using Tensor = grpo::Tensor<float, grpo::Cpu>;

grpo::TransformerConfig tiny_config(int vocab_size) {
    grpo::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = 64;
    c.n_layers = 2;
    c.n_heads = 4;
    c.head_dim = 16;
    c.n_dense_layers = 1;
    c.dense_hidden = 128;
    c.n_routed_experts = 4;
    c.experts_per_token = 2;
    c.expert_hidden = 64;
    c.max_seq_len = 96;
    return c;
}

// Σ_t log p of each completion's tokens (masked), from (N, L) values.
std::vector<double> sequence_logprob(const Tensor& logp, const Tensor& mask) {
    const auto v = logp.to_host(), m = mask.to_host();
    const std::int64_t N = logp.shape().dim[0], L = logp.shape().dim[1];
    std::vector<double> out(static_cast<std::size_t>(N), 0.0);
    for (std::int64_t i = 0; i < N; ++i)
        for (std::int64_t t = 0; t < L; ++t) out[static_cast<std::size_t>(i)] += m[i * L + t] * v[i * L + t];
    return out;
}

// Share of `samples` sampled completions whose answer is right.
double sampled_accuracy(Model& model, const std::vector<std::int32_t>& prompt, const grpo::Tokenizer& tok,
                        const grpo::Problem& problem, int samples) {
    grpo::SamplingConfig config;
    config.group_size = samples;
    config.max_new_tokens = 56;
    config.seed = 99;  // the same draws before and after the update
    config.eos_id = tok.eos_id();
    const grpo::Completions c = grpo::sample_groups(model, {prompt}, config);
    int right = 0;
    for (const auto& t : c.tokens) right += grpo::accuracy_reward(tok.decode(t, true), problem.check) > 0;
    return static_cast<double>(right) / samples;
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(
        {{"group", "16", "G, completions sampled for the prompt", ExampleFlag::integer},
         {"seed", "7", "seed of the group's sampling", ExampleFlag::integer},
         {"lr", "5e-4", "learning rate of the one GRPO step (AdamW)", ExampleFlag::real}},
        "One GRPO update on a tiny policy: sample a group, score it, advantages, one step\n"
        "(tutorials/05-one-grpo-step.md).", argc, argv);
    if (flags.i("group") < 2) flags.fail("--group=" + flags.s("group") + ": expected 2 or more (a std needs two)");
    if (flags.i("seed") < 0) flags.fail("--seed=" + flags.s("seed") + ": expected 0 or more");
    if (!(flags.d("lr") > 0)) flags.fail("--lr=" + flags.s("lr") + ": expected more than 0");
    grpo::cpu_set_num_threads(1);  // one thread is enough at this size
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    grpo::Rng init(1);
    Model model(tiny_config(tok.vocab_size()), init);

    // A short pretraining on worked solutions: enough to learn the format, not the arithmetic.
    grpo::Rng data_rng(2), batch_rng(3);
    grpo::TokenStream stream;
    for (int i = 0; i < 2000; ++i)
        stream.add_document(tok, grpo::worked_linear_document(grpo::sample_linear_equation(data_rng)));
    grpo::AdamW<float, grpo::Cpu> pretrain(model.params(), {3e-3, 0.9, 0.95, 1e-8, 0.0});
    for (int step = 0; step < 120; ++step) {
        const auto [ids, targets] = stream.sample_batch<grpo::Cpu>(batch_rng, 12, 64);
        grpo::Tape tape;
        const auto loss = model.loss(&tape, ids, targets);
        pretrain.zero_grad();
        tape.backward(loss);
        pretrain.step();
        model.update_balance_biases();
    }

    const grpo::LinearEquation eq{2, 3, 7};
    const grpo::Problem problem = grpo::make_linear_equation_problem(eq);
    const std::vector<std::int32_t> prompt = tok.encode(grpo::linear_equation_prompt(eq));
    std::printf("Prompt: \"Solve for x: %s\" (the policy writes the rest)\n", grpo::render_linear_equation(eq).c_str());

    // 1. Sample a group of G completions (temperature 1, no tape).
    grpo::SamplingConfig sampling;
    sampling.group_size = flags.i("group");
    sampling.max_new_tokens = 56;
    sampling.seed = static_cast<std::uint64_t>(flags.i("seed"));
    sampling.eos_id = tok.eos_id();  // a row ends when it samples the tokenizer's <eos>
    const grpo::Completions group = grpo::sample_groups(model, {prompt}, sampling);

    // 2. Rewards and advantages (accuracy + format, the worked example's rules; TRL's std).
    std::vector<double> rewards;
    for (const auto& t : group.tokens) {
        const std::string text = tok.decode(t, true);
        rewards.push_back(grpo::accuracy_reward(text, problem.check) + grpo::format_reward_lenient(text));
    }
    const grpo::Advantages adv = grpo::group_advantages(rewards, sampling.group_size, grpo::AdvantageConfig::trl());

    // 3. One GRPO step: μ = 1 (old log-probs = the current ones), β = 0, per-sequence mean.
    const double accuracy_before = sampled_accuracy(model, prompt, tok, problem, 400);
    grpo::GrpoLossConfig loss_config = grpo::GrpoLossConfig::deepseekmath();
    loss_config.beta = 0.0;
    grpo::AdamW<float, grpo::Cpu> opt(model.params(), {flags.d("lr"), 0.9, 0.95, 1e-8, 0.0});
    // log π(o_t | q, o_<t) of every completion token, from one forward over prompt + completion.
    const auto batch = grpo::pack_policy_batch<grpo::Cpu>({prompt}, group);
    const Tensor mask = grpo::completion_mask<float, grpo::Cpu>(group, batch.completion_width);
    grpo::Tape tape;
    const auto before = grpo::policy_logprobs(&tape, model, batch);
    const Tensor old_logp = before.logp.value().clone();
    std::vector<float> advantages(adv.advantages.begin(), adv.advantages.end());
    const auto out = grpo::grpo_loss(&tape, before.logp, old_logp, Tensor(),
                                     Tensor::from({static_cast<std::int64_t>(advantages.size())}, advantages),
                                     mask, loss_config);
    opt.zero_grad();
    tape.backward(out.loss);
    opt.step();

    const auto after = grpo::policy_logprobs(nullptr, model, batch);
    const auto seq_before = sequence_logprob(old_logp, mask);
    const auto seq_after = sequence_logprob(after.logp.value(), mask);

    std::printf("\nThe group (G = %d), one GRPO step later:\n", sampling.group_size);
    std::printf("   #  reward  advantage  log p before  log p after   change  completion\n");
    for (std::size_t i = 0; i < group.tokens.size(); ++i) {
        std::string text = tok.decode(group.tokens[i], true);
        for (char& ch : text) if (ch == '\n') ch = '|';
        if (text.size() > 44) text = text.substr(0, 41) + "...";
        std::printf("  %2zu  %6.0f  %+9.3f  %12.2f  %11.2f  %+7.2f  %s\n", i + 1, rewards[i], adv.advantages[i],
                    seq_before[i], seq_after[i], seq_after[i] - seq_before[i], text.c_str());
    }
    const double loss_value = out.loss.value().item();
    std::printf("\nloss value %.4f (about 0: with mu = 1 the ratio is 1 and the advantages are centred)\n",
                std::abs(loss_value) < 5e-5 ? 0.0 : loss_value);
    const double accuracy_after = sampled_accuracy(model, prompt, tok, problem, 400);
    std::printf("P(correct answer), from 400 samples with the same seed: %.3f before, %.3f after\n",
                accuracy_before, accuracy_after);

    // The loss this step used is one of several published variants; each is a preset.
    std::printf("\nThe GRPO loss presets (grpo::GrpoLossConfig), each named after its source:\n");
    std::printf("  preset        eps_low  eps_high  beta  KL          aggregation  ratio     dual clip\n");
    const std::pair<const char*, grpo::GrpoLossConfig> presets[] = {
        {"deepseekmath", grpo::GrpoLossConfig::deepseekmath()}, {"trl", grpo::GrpoLossConfig::trl()},
        {"verl", grpo::GrpoLossConfig::verl()},                 {"dapo", grpo::GrpoLossConfig::dapo()},
        {"dr_grpo", grpo::GrpoLossConfig::dr_grpo(56)},         {"gspo", grpo::GrpoLossConfig::gspo()}};
    for (const auto& [name, c] : presets)
        std::printf("  %-12s  %-7g  %-8g  %-4g  %-10s  %-11s  %-8s  %g\n", name, c.eps_low, c.eps_high, c.beta,
                    grpo::kl_estimator_name(c.kl), grpo::loss_aggregation_name(c.aggregation),
                    c.importance_sampling_level == grpo::ImportanceSamplingLevel::token ? "token" : "sequence",
                    c.dual_clip_c);
    return 0;
}

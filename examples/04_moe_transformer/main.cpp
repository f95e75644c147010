// Example 04: the DeepSeek-V3-style MoE transformer at toy size. One forward pass shows which
// experts each token is routed to and how the batch's tokens spread over the experts; then two
// copies of the same model are pretrained on worked linear equations, one with DeepSeek-V3's
// aux-loss-free balancing bias and one without, to show the bias evening the expert load.
// Chapter: tutorials/04-moe-transformer.md.
//
//   build/examples/04_moe_transformer --steps=300   # train longer: does the unbalanced load settle?
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

grpo::TransformerConfig toy_config(int vocab_size) {
    grpo::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = 64;
    c.n_layers = 3;
    c.n_heads = 4;
    c.head_dim = 16;
    c.n_dense_layers = 1;
    c.dense_hidden = 128;
    c.n_routed_experts = 8;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = 64;
    c.max_seq_len = 64;
    // V3 uses γ = 0.001 over trillions of tokens; a 150-step toy run needs a faster bias.
    c.bias_update_speed = 0.01;
    return c;
}

// How uneven a load is: the busiest expert's tokens over the mean (1.00 = perfectly even).
double imbalance(const std::vector<std::int64_t>& load) {
    double total = 0;
    for (auto n : load) total += static_cast<double>(n);
    return static_cast<double>(*std::max_element(load.begin(), load.end())) / (total / load.size());
}

void print_load(const char* label, const std::vector<std::int64_t>& load) {
    std::printf("  %-12s", label);
    for (auto n : load) std::printf(" %5lld", static_cast<long long>(n));
    std::printf("   max/mean %.2f\n", imbalance(load));
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags({{"steps", "100", "pretraining steps of the two copies (a row every 20)",
                               ExampleFlag::integer}},
                             "A DeepSeek-V3-style MoE at toy size: routing, and the balancing bias evening the\n"
                             "expert load (tutorials/04-moe-transformer.md).", argc, argv);
    const int train_steps = flags.i("steps");
    if (train_steps < 0) flags.fail("--steps=" + flags.s("steps") + ": expected 0 or more");
    // One thread is enough at this size: a toy model this small gains little from a second one,
    // and the example does not fight the test suite's other programs for cores.
    grpo::cpu_set_num_threads(1);
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const grpo::TransformerConfig config = toy_config(tok.vocab_size());
    grpo::Rng init(4);
    Model model(config, init);

    std::int64_t active = 0;  // parameters one token uses: all but the unchosen experts
    for (const auto& [name, p] : model.named_params())
        if (name.find(".experts.") == std::string::npos) active += p.numel();
    active += 3 * config.d_model * config.expert_hidden * config.experts_per_token * (config.n_layers - config.n_dense_layers);
    std::printf("Model: vocab %d, d_model %d, %d blocks (%d dense, %d MoE), %d heads x %d,\n",
                config.vocab_size, config.d_model, config.n_layers, config.n_dense_layers,
                config.n_layers - config.n_dense_layers, config.n_heads, config.head_dim);
    std::printf("       %d routed experts (top-%d) + %d shared, expert hidden %d\n", config.n_routed_experts,
                config.experts_per_token, config.n_shared_experts, config.expert_hidden);
    std::printf("Parameters: %lld in all, %lld active per token\n", static_cast<long long>(model.parameter_count()),
                static_cast<long long>(active));

    // 1. Routing in one forward pass.
    const std::string prompt = "Solve for x: 2x + 3 = 7";
    const std::vector<std::int32_t> prompt_ids = tok.encode(prompt);
    const auto length = static_cast<std::int64_t>(prompt_ids.size());
    model.forward(nullptr, grpo::Ids<grpo::Cpu>::from({1, length}, prompt_ids));
    const auto& moe = *model.blocks()[1].moe;
    std::printf("\n1. Routing in block 1 (the first MoE block) of \"%s\", untrained:\n", prompt.c_str());
    std::printf("  token   experts (gate weight)\n");
    for (std::int64_t t = 0; t < 8; ++t) {
        std::printf("  %-6s", tok.token_name(prompt_ids[t]).c_str());
        for (int j = 0; j < config.experts_per_token; ++j)
            std::printf("  e%d (%.2f)", moe.last_experts()[t * 2 + j], moe.last_weights()[t * 2 + j]);
        std::printf("\n");
    }
    std::printf("  ... %lld tokens in all; tokens per expert, e0..e7:\n", static_cast<long long>(length));
    print_load("block 1", moe.expert_load());
    print_load("block 2", model.blocks()[2].moe->expert_load());

    // 2. Pretraining two copies, with and without the balancing bias.
    grpo::Rng data_rng(5);
    grpo::TokenStream stream;  // worked solutions, problem after problem, each ended by <eos>
    for (int i = 0; i < 3000; ++i)
        stream.add_document(tok, grpo::worked_linear_document(grpo::sample_linear_equation(data_rng)));
    grpo::Rng same(4);
    Model unbalanced(config, same);  // same initial weights as `model`
    grpo::AdamW<float, grpo::Cpu> opt_balanced(model.params(), {3e-3, 0.9, 0.95, 1e-8, 0.0});
    grpo::AdamW<float, grpo::Cpu> opt_unbalanced(unbalanced.params(), {3e-3, 0.9, 0.95, 1e-8, 0.0});
    constexpr int kBatch = 12, kSteps = 64;

    std::printf("\n2. Pretraining on worked equations (%d windows of %d tokens a step), block 1's load\n",
                kBatch, kSteps);
    std::printf("   as max/mean (1.00 = even):\n");
    std::printf("  step   loss (bias)  load (bias)   loss (no bias)  load (no bias)\n");
    grpo::Rng batch_rng(6);
    const auto started = std::chrono::steady_clock::now();
    for (int step = 0; step <= train_steps; ++step) {
        const auto [ids, targets] = stream.sample_batch<grpo::Cpu>(batch_rng, kBatch, kSteps);
        float losses[2];
        double loads[2];
        for (int which = 0; which < 2; ++which) {
            Model& m = which == 0 ? model : unbalanced;
            auto& opt = which == 0 ? opt_balanced : opt_unbalanced;
            grpo::Tape tape;
            const auto loss = m.loss(&tape, ids, targets);
            losses[which] = loss.value().item();
            loads[which] = imbalance(m.blocks()[1].moe->expert_load());
            opt.zero_grad();
            tape.backward(loss);
            grpo::clip_grad_norm(m.params(), 1.0);
            opt.step();
            if (which == 0) m.update_balance_biases();  // the aux-loss-free rule, after the step
        }
        if (step % 20 == 0 || step == train_steps)
            std::printf("  %4d   %8.3f     %8.2f     %10.3f     %10.2f\n", step, losses[0], loads[0], losses[1], loads[1]);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::printf("\nTokens per expert in the last batch (%d tokens x top-%d):\n", kBatch * kSteps, config.experts_per_token);
    print_load("bias", model.blocks()[1].moe->expert_load());
    print_load("no bias", unbalanced.blocks()[1].moe->expert_load());
    std::printf("Balancing bias of block 1 after training:\n ");
    for (float b : model.blocks()[1].moe->bias().to_host()) {
        const float shown = std::round(b * 100) / 100;
        std::printf(" %+.2f", shown == 0 ? 0.0f : shown);  // no "-0.00" for a sum of ±0.01 steps
    }
    std::printf("\n");
    // Timing goes to stderr: it differs run to run, and stdout is the checked lesson.
    std::fprintf(stderr, "training: %.0f tokens/s over both models\n", 2.0 * (train_steps + 1) * kBatch * kSteps / seconds);
    return 0;
}

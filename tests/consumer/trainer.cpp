// A user's trainer program, for the precompiled path (CONSUMER_PRECOMPILED in CMakeLists.txt):
// three GRPO steps of a tiny MoE, then an evaluation, printing every number that results as a
// hex float. It is built twice, header-only (grpo::grpo) and against grpo::precompiled (extern
// templates), with the same flags; check_consumer.cmake requires the two outputs to be the same
// bytes. Compiled with -Wall -Wextra -Wshadow -Wconversion -Werror like main.cpp.
#include <cstdio>
#include <string_view>
#include <vector>

#include <grpo/grpo.hpp>

int main() {
    using namespace grpo;
    const Tokenizer tok = Tokenizer::ascii();
    TransformerConfig mc;
    mc.vocab_size = tok.vocab_size();
    mc.d_model = 8;
    mc.n_layers = 2;
    mc.n_heads = 2;
    mc.head_dim = 4;
    mc.n_dense_layers = 1;
    mc.dense_hidden = 12;
    mc.n_routed_experts = 4;
    mc.n_shared_experts = 1;
    mc.experts_per_token = 2;
    mc.expert_hidden = 6;
    mc.max_seq_len = 40;
    mc.init_std = 0.3;
    Rng init(4);
    Transformer<float, Cpu> model(mc, init);

    GrpoTrainerConfig config;
    config.prompts_per_step = 4;
    config.sampling.group_size = 3;
    config.sampling.max_new_tokens = 8;
    config.optimizer.lr = 1e-2;
    config.mu = 2;
    config.seed = 21;
    // Any number is right: a random tiny model's groups then carry a signal to learn from.
    GrpoTrainer<float, Cpu> trainer(model, tok, [](Rng& rng) {
        Problem p = generate_linear_equation(rng);
        p.check = [](std::string_view) { return true; };
        return p;
    }, config);
    for (int s = 0; s < 3; ++s) {
        const GrpoStepMetrics m = trainer.step();
        std::printf("step %d loss %a kl %a grad_norm %a reward %a\n", s + 1, m.loss, m.kl, m.grad_norm,
                    m.reward_mean);
    }
    double checksum = 0;
    for (const auto& p : model.params())
        for (const float w : p.value().to_host()) checksum = checksum * 0.5 + static_cast<double>(w);
    std::printf("weights %a\n", checksum);

    Rng problems(7);
    std::vector<Problem> held_out;
    for (int i = 0; i < 4; ++i) held_out.push_back(generate_linear_equation(problems));
    EvalConfig eval;
    eval.samples = 2;
    eval.max_new_tokens = 8;
    const EvalReport report = evaluate(model, tok, held_out, config.prompt_template, eval);
    std::printf("eval pass@1 %a tokens %a %a\n", report.greedy_pass_at_1, report.greedy_mean_tokens,
                report.sampled_mean_tokens);
    return 0;
}

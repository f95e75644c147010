#include <doctest/doctest.h>

#include <cmath>
#include <grpo/grpo.hpp>
#include <grpo/rl/policy_logprobs.hpp>
#include <vector>

#include "test_support.hpp"

using namespace grpo;

namespace {

using Model = Transformer<double, Cpu>;

// Two prompts of different lengths (3 and 1 tokens), G = 2, completions of lengths 2, 4, 1, 3.
Completions two_groups() {
    Completions c;
    c.group_size = 2;
    c.tokens = {{4, 5}, {6, 7, 8, 2}, {2}, {9, 3, 10}};
    c.logprobs = {{0, 0}, {0, 0, 0, 0}, {0}, {0, 0, 0}};
    c.truncated = {true, false, false, true};
    return c;
}

// log softmax(logits / T)[target] of one unpadded row, computed alone: the independent reference.
std::vector<double> row_logprobs(Model& model, const std::vector<std::int32_t>& prompt,
                                 const std::vector<std::int32_t>& completion, double T, std::vector<double>* entropy) {
    std::vector<std::int32_t> row(prompt);
    row.insert(row.end(), completion.begin(), completion.end());
    const auto W = static_cast<std::int64_t>(row.size());
    const auto logits = model.forward(nullptr, Ids<Cpu>::from({1, W}, row)).value().to_host();
    const std::int64_t V = model.config().vocab_size, P = static_cast<std::int64_t>(prompt.size());
    std::vector<double> out;
    for (std::size_t t = 0; t < completion.size(); ++t) {
        const double* x = logits.data() + (P - 1 + static_cast<std::int64_t>(t)) * V;
        double z = 0, h = 0;
        for (std::int64_t v = 0; v < V; ++v) z += std::exp(x[v] / T);
        for (std::int64_t v = 0; v < V; ++v) {
            const double p = std::exp(x[v] / T) / z;
            h -= p * std::log(p);
        }
        out.push_back(x[completion[t]] / T - std::log(z));
        entropy->push_back(h);
    }
    return out;
}

}  // namespace

TEST_CASE("policy_logprobs equals each row computed alone, with padding, two prompt lengths and a temperature") {
    Rng rng(5);
    Model model(grpo_test::tiny_moe_config(16), rng);
    const std::vector<std::vector<std::int32_t>> prompts = {{1, 3, 5}, {1}};
    const Completions c = two_groups();
    const auto batch = pack_policy_batch<Cpu>(prompts, c);
    CHECK(batch.rows == 4);
    CHECK(batch.width == 6);  // 3 + 4 - 1
    CHECK(batch.completion_width == 4);
    for (double T : {1.0, 0.7}) {
        const auto out = policy_logprobs(nullptr, model, batch, T, true);
        const auto logp = out.logp.value().to_host(), entropy = out.entropy.to_host();
        for (std::size_t n = 0; n < 4; ++n) {
            std::vector<double> h;
            const auto want = row_logprobs(model, prompts[n / 2], c.tokens[n], T, &h);
            for (std::size_t t = 0; t < want.size(); ++t) {
                CHECK(logp[n * 4 + t] == doctest::Approx(want[t]).epsilon(1e-12));
                CHECK(entropy[n * 4 + t] == doctest::Approx(h[t]).epsilon(1e-12));
            }
        }
    }
    const auto mask = completion_mask<double, Cpu>(c, 4).to_host();
    CHECK(mask == std::vector<double>{1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0});
}

TEST_CASE("policy_logprobs passes gradients only through completion tokens") {
    Rng rng(6);
    Model model(grpo_test::tiny_moe_config(16), rng);
    const std::vector<std::vector<std::int32_t>> prompts = {{1, 3, 5}, {1}};
    const Completions c = two_groups();
    const auto batch = pack_policy_batch<Cpu>(prompts, c);
    const auto mask = completion_mask<double, Cpu>(c, batch.completion_width);
    // d/dθ of Σ mask·logp by finite differences on the head: the padded columns must not count.
    auto objective = [&](Tape* tape) {
        const auto out = policy_logprobs(tape, model, batch, 0.8);
        return sum(tape, mul(tape, out.logp, Var<double, Cpu>(mask)));
    };
    Tape tape;
    const auto value = objective(&tape);
    for (auto& p : model.params()) p.zero_grad();
    tape.backward(value);
    auto head = model.named_params().back().second;
    const auto grad = head.grad().to_host();
    auto w = head.value().to_host();
    const double h = 1e-6;
    for (std::size_t k : {std::size_t{0}, std::size_t{17}, w.size() - 1}) {
        const double saved = w[k];
        w[k] = saved + h;
        head.value().copy_from_host(w);
        const double up = objective(nullptr).value().item();
        w[k] = saved - h;
        head.value().copy_from_host(w);
        const double down = objective(nullptr).value().item();
        w[k] = saved;
        head.value().copy_from_host(w);
        CHECK(grad[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6));
    }
}

TEST_CASE("pack_policy_batch names a count mismatch") {
    Rng rng(7);
    Model model(grpo_test::tiny_moe_config(16), rng);
    Completions c = two_groups();
    CHECK_THROWS_WITH_AS(pack_policy_batch<Cpu>({{1}}, c),
                         "pack_policy_batch: 4 completions for 1 prompts with G = 2, expected prompts x G", Error);
    CHECK_THROWS_WITH_AS(policy_logprobs(nullptr, model, pack_policy_batch<Cpu>({{1}, {1}}, c), 0.0),
                         "policy_logprobs: temperature 0, expected a finite value >= 1e-06 (kMinTemperature; greedy "
                         "sampling has no log-probs to train on, and below it logits / T overflow)",
                         Error);
    // 1e-300 would turn every float logit into inf: refused, with the limit named.
    CHECK_THROWS_WITH_AS(policy_logprobs(nullptr, model, pack_policy_batch<Cpu>({{1}, {1}}, c), 1e-300),
                         doctest::Contains("temperature 1e-300, expected a finite value >= 1e-06"), Error);
}

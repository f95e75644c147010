// The portable build prints the same bits on every x86-64 CPU (docs/core.md, "The same bits on
// every machine"): nothing the CPU backend computes may depend on the cache sizes Eigen reads
// from the CPU, or on the thread count. Each case runs one computation on several emulated
// machines (Eigen::setCpuCacheSizes is what Eigen would otherwise read from cpuid) and compares
// every bit with the first machine's.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

namespace {

struct Machine {
    const char* name;
    std::ptrdiff_t l1, l2, l3;  // bytes
    int threads;
};

// Cache sizes of real CPUs, from the smallest L1 an x86-64 CPU has up.
const Machine kMachines[] = {
    {"16 KiB L1 (Eigen's default), 1 thread", 16 << 10, 512 << 10, 512 << 10, 1},
    {"32 KiB L1 (Skylake-SP, Cooper Lake, Zen), 2 threads", 32 << 10, 1 << 20, 32 << 20, 2},
    {"48 KiB L1 (Ice Lake, Sapphire Rapids), 3 threads", 48 << 10, 2 << 20, 105 << 20, 3},
    {"64 KiB L1 (AMD K10), 4 threads", 64 << 10, 512 << 10, 6 << 20, 4},
};

// Puts back the real machine's cache sizes and thread count at the end of a case.
struct RealMachine {
    std::ptrdiff_t l1 = Eigen::l1CacheSize(), l2 = Eigen::l2CacheSize(), l3 = Eigen::l3CacheSize();
    int threads = grpo::cpu_num_threads();
    ~RealMachine() {
        Eigen::setCpuCacheSizes(l1, l2, l3);
        grpo::cpu_set_num_threads(threads);
    }
};

void emulate(const Machine& m) {
    Eigen::setCpuCacheSizes(m.l1, m.l2, m.l3);
    grpo::cpu_set_num_threads(m.threads);
}

// The bits of `compute()` on every machine equal the first machine's. compute returns floats or
// doubles; they are compared as bytes, so -0 vs 0 or two NaNs count as different.
template <class Compute>
void check_same_bits(Compute compute) {
    const RealMachine real;
    emulate(kMachines[0]);
    const auto reference = compute();
    REQUIRE(!reference.empty());
    for (const Machine& m : kMachines) {
        emulate(m);
        const auto got = compute();
        INFO("machine: ", m.name);
        REQUIRE(got.size() == reference.size());
        std::size_t first_diff = got.size();
        for (std::size_t i = 0; i < got.size() && first_diff == got.size(); ++i)
            if (std::memcmp(&got[i], &reference[i], sizeof(got[i])) != 0) first_diff = i;
        INFO("first differing value: #", first_diff, " of ", got.size());
        CHECK(first_diff == got.size());
    }
}

template <class T>
std::vector<T> random_values(std::int64_t n, std::uint64_t seed) {
    grpo::Rng rng(seed);
    std::vector<T> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<T>(rng.normal());
    return v;
}

// C = 0.5·op(A)·op(B) + 0.25·C for every transpose combination, at a depth Eigen would block
// (1000, 3000 > its depth block for any L1) and sizes that run on several threads.
template <class T>
std::vector<T> gemm_results() {
    std::vector<T> out;
    const std::int64_t shapes[][3] = {{96, 80, 1000}, {40, 200, 3000}, {130, 17, 777}, {8, 8, 5000}};
    for (const auto& s : shapes) {
        const std::int64_t M = s[0], N = s[1], K = s[2];
        const auto a = random_values<T>(M * K, 1), b = random_values<T>(K * N, 2);
        for (int trans = 0; trans < 4; ++trans) {
            auto c = random_values<T>(M * N, 3);
            grpo::CpuMatmul::gemm(trans & 1, trans & 2, M, N, K, T(0.5), a.data(), b.data(), T(0.25), c.data());
            out.insert(out.end(), c.begin(), c.end());
        }
    }
    return out;
}

grpo::TransformerConfig small_moe_config(int vocab_size) {  // example 05's model
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

void append_params(std::vector<float>& out, const grpo::Transformer<float, grpo::Cpu>& model) {
    for (const auto& p : model.params()) {
        const auto v = p.value().to_host();
        out.insert(out.end(), v.begin(), v.end());
    }
}

// Example 05 in small: pretraining steps (forward, backward, AdamW, balancing biases), a sampled
// group, its rewards and advantages, and one GRPO step. Returns the losses, every weight after
// each phase, the sampled tokens and their log-probs.
std::vector<float> one_grpo_step_results() {
    using Model = grpo::Transformer<float, grpo::Cpu>;
    using Tensor = grpo::Tensor<float, grpo::Cpu>;
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    grpo::Rng init(1), data_rng(2), batch_rng(3);
    Model model(small_moe_config(tok.vocab_size()), init);
    std::vector<float> out;

    grpo::TokenStream stream;
    for (int i = 0; i < 200; ++i)
        stream.add_document(tok, grpo::worked_linear_document(grpo::sample_linear_equation(data_rng)));
    grpo::AdamW<float, grpo::Cpu> pretrain(model.params(), {3e-3, 0.9, 0.95, 1e-8, 0.0});
    for (int step = 0; step < 3; ++step) {
        const auto [ids, targets] = stream.sample_batch<grpo::Cpu>(batch_rng, 12, 64);  // 768 rows: K > 240
        grpo::Tape tape;
        const auto loss = model.loss(&tape, ids, targets);
        out.push_back(loss.value().item());
        pretrain.zero_grad();
        tape.backward(loss);
        pretrain.step();
        model.update_balance_biases();
    }
    append_params(out, model);

    const grpo::LinearEquation eq{2, 3, 7};
    const grpo::Problem problem = grpo::make_linear_equation_problem(eq);
    const std::vector<std::int32_t> prompt = tok.encode(grpo::linear_equation_prompt(eq));
    grpo::SamplingConfig sampling;
    sampling.group_size = 16;
    sampling.max_new_tokens = 40;
    sampling.seed = 7;
    sampling.eos_id = tok.eos_id();
    const grpo::Completions group = grpo::sample_groups(model, {prompt}, sampling);
    std::vector<double> rewards;
    for (const auto& t : group.tokens) {
        for (const auto id : t) out.push_back(static_cast<float>(id));
        const std::string text = tok.decode(t, true);
        rewards.push_back(grpo::accuracy_reward(text, problem.check) + grpo::format_reward_lenient(text));
    }
    const grpo::Advantages adv = grpo::group_advantages(rewards, sampling.group_size, grpo::AdvantageConfig::trl());

    grpo::GrpoLossConfig loss_config = grpo::GrpoLossConfig::deepseekmath();
    loss_config.beta = 0.0;  // no reference model, as in example 05
    grpo::AdamW<float, grpo::Cpu> opt(model.params(), {5e-4, 0.9, 0.95, 1e-8, 0.0});
    const auto batch = grpo::pack_policy_batch<grpo::Cpu>({prompt}, group);
    const Tensor mask = grpo::completion_mask<float, grpo::Cpu>(group, batch.completion_width);
    grpo::Tape tape;
    const auto policy = grpo::policy_logprobs(&tape, model, batch);
    const auto logp = policy.logp.value().to_host();
    out.insert(out.end(), logp.begin(), logp.end());
    std::vector<float> advantages(adv.advantages.begin(), adv.advantages.end());
    const auto loss = grpo::grpo_loss(&tape, policy.logp, policy.logp.value().clone(), Tensor(),
                                      Tensor::from({static_cast<std::int64_t>(advantages.size())}, advantages),
                                      mask, loss_config);
    out.push_back(loss.loss.value().item());
    opt.zero_grad();
    tape.backward(loss.loss);
    opt.step();
    append_params(out, model);
    return out;
}

}  // namespace

TEST_CASE("gemm gives the same bits for any cache sizes and thread count, float and double") {
    check_same_bits(gemm_results<float>);
    check_same_bits(gemm_results<double>);
}

TEST_CASE("attention forward and backward give the same bits for any cache sizes and thread count") {
    // 300 keys: deeper than the library's depth block, so A·V is summed in two blocks.
    const std::int64_t B = 2, T = 300, H = 2, D = 16;
    check_same_bits([&] {
        const auto q = random_values<double>(B * T * H * D, 4), k = random_values<double>(B * T * H * D, 5);
        const auto v = random_values<double>(B * T * H * D, 6), dout = random_values<double>(B * T * H * D, 7);
        std::vector<double> out(q.size()), att(static_cast<std::size_t>(B * H * T * T));
        std::vector<double> dq(q.size(), 0.0), dk(q.size(), 0.0), dv(q.size(), 0.0);
        grpo::CpuAttention::attention_forward(B, T, T, H, D, q.data(), k.data(), v.data(), out.data(), att.data());
        grpo::CpuAttention::attention_backward(B, T, T, H, D, q.data(), k.data(), v.data(), att.data(), dout.data(),
                                               dq.data(), dk.data(), dv.data());
        for (const auto* part : {&dq, &dk, &dv}) out.insert(out.end(), part->begin(), part->end());
        return out;
    });
}

TEST_CASE("example 05's computations give the same bits for any cache sizes and thread count") {
    check_same_bits(one_grpo_step_results);
}

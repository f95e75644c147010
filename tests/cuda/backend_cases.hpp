// The cross-backend test cases: one template, instantiated for Cpu (cases_cpu.cpp) and for Cuda
// (cases_cuda.cu); test_cuda_backend.cpp runs both and compares. Each case draws its inputs on
// the host from a fixed Philox seed (so both backends get identical numbers), runs an op or a
// model forward on a tape, backpropagates a random seed gradient, and returns every output and
// every input gradient as named host vectors. Written against generic.hpp only: no backend here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grpo/generic.hpp"

namespace grpo_test {

using Values = std::vector<std::pair<std::string, std::vector<double>>>;

inline std::vector<std::string> backend_case_names() {
    return {"matmul_nn", "matmul_nt", "matmul_tn", "matmul_tt", "matmul_batched", "linear_3d_bias", "mul_scale",
            "sigmoid", "silu", "swiglu", "sum_mean_masked", "rmsnorm", "rope_interleaved", "rope_half",
            "attention", "attention_kv_prefix", "attention_inference", "embedding", "log_softmax",
            "token_logprobs", "cross_entropy_ignore", "softmax", "normalize_rows", "topk", "gather_scatter_rows",
            "concat_rows", "grpo_loss_grpo", "grpo_loss_dapo", "grpo_loss_dr_grpo", "grpo_loss_seq_sum",
            "grpo_loss_gspo", "grpo_loss_dual_clip_entropy", "adamw_clip", "transformer_moe", "sampler_tokens"};
}

template <class B>
struct CaseRun {
    using V = grpo::Var<float, B>;
    using Tensor = grpo::Tensor<float, B>;
    grpo::Tape tape;
    grpo::Rng rng{20251123};
    Values out;

    V param(grpo::Shape s, double std = 1.0) { return V::param(Tensor::randn(s, rng, std)); }
    V positive(grpo::Shape s) { return V::param(Tensor::uniform(s, rng, 0.1, 1.0)); }
    grpo::Ids<B> ids(grpo::Shape s, std::int32_t hi) {
        std::vector<std::int32_t> v(static_cast<std::size_t>(s.numel()));
        for (auto& x : v) x = static_cast<std::int32_t>(rng.uniform() * hi);
        return grpo::Ids<B>::from(s, v);
    }
    template <class X>
    static std::vector<double> host(const grpo::Tensor<X, B>& t) {
        const std::vector<X> v = t.to_host();
        return std::vector<double>(v.begin(), v.end());
    }
    void keep(const std::string& name, const Tensor& t) { out.push_back({name, host(t)}); }
    // Records y, backpropagates a N(0, 1) seed gradient, records each input's gradient.
    void finish(const V& y, const std::vector<std::pair<std::string, V>>& inputs) {
        keep("out", y.value());
        tape.backward(y, Tensor::randn(y.shape(), rng));
        for (const auto& [name, v] : inputs) keep("d" + name, v.grad());
    }
};

template <class B>
grpo::TransformerConfig case_model_config() {
    grpo::TransformerConfig c;
    c.vocab_size = 40;
    c.d_model = 32;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 16;
    c.n_dense_layers = 1;
    c.dense_hidden = 48;
    c.n_routed_experts = 6;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = 24;
    c.max_seq_len = 32;
    c.init_std = 0.2;  // large, so the logits have clear margins for the sampler case
    return c;
}

template <class B>
Values grpo_loss_case(CaseRun<B>& r, const grpo::GrpoLossConfig& config, bool with_entropy) {
    using namespace grpo;
    const std::int64_t N = 6, L = 7;
    auto logp = r.param({N, L}, 0.3);
    auto old_logp = Tensor<float, B>::randn({N, L}, r.rng, 0.3);
    auto ref_logp = Tensor<float, B>::randn({N, L}, r.rng, 0.3);
    auto adv = Tensor<float, B>::randn({N}, r.rng);
    std::vector<float> mask(N * L);
    for (std::int64_t i = 0; i < N * L; ++i) mask[i] = (i % L) < 2 + (i / L) % 5 ? 1.0f : 0.0f;
    Var<float, B> entropy = with_entropy ? r.positive({N, L}) : Var<float, B>();
    const auto loss = grpo_loss(&r.tape, logp, old_logp, config.beta > 0 ? ref_logp : Tensor<float, B>(), adv,
                                Tensor<float, B>::from({N, L}, mask), config, {}, entropy);
    r.out.push_back({"metrics", {loss.clip_frac_low, loss.clip_frac_high, loss.clip_frac_dual, loss.mean_kl,
                                 loss.mean_ratio, loss.mean_entropy, loss.tokens}});
    std::vector<std::pair<std::string, Var<float, B>>> inputs = {{"logp", logp}};
    if (with_entropy) inputs.push_back({"entropy", entropy});
    r.finish(loss.loss, inputs);
    return r.out;
}

template <class B>
Values run_backend_case(const std::string& name) {
    using namespace grpo;
    CaseRun<B> r;
    auto& t = r.tape;
    if (name.rfind("matmul_", 0) == 0 && name != "matmul_batched") {
        const bool ta = name[7] == 't', tb = name[8] == 't';
        auto a = ta ? r.param({5, 7}) : r.param({7, 5});  // op(a): (7, 5)
        auto b = tb ? r.param({3, 5}) : r.param({5, 3});  // op(b): (5, 3)
        r.finish(matmul(&t, a, b, ta, tb), {{"a", a}, {"b", b}});
    } else if (name == "matmul_batched") {
        auto a = r.param({3, 4, 6}), b = r.param({3, 5, 6});
        r.finish(matmul(&t, a, b, false, true), {{"a", a}, {"b", b}});
    } else if (name == "linear_3d_bias") {
        auto x = r.param({2, 5, 6}), w = r.param({4, 6}), bias = r.param({4});
        r.finish(add(&t, matmul(&t, x, w, false, true), bias), {{"x", x}, {"w", w}, {"bias", bias}});
    } else if (name == "mul_scale") {
        auto a = r.param({4, 9}), b = r.param({4, 9});
        r.finish(scale(&t, mul(&t, a, b), 0.5f), {{"a", a}, {"b", b}});
    } else if (name == "sigmoid") {
        auto x = r.param({3, 300});
        r.finish(sigmoid(&t, x), {{"x", x}});
    } else if (name == "silu") {
        auto x = r.param({3, 300});
        r.finish(silu(&t, x), {{"x", x}});
    } else if (name == "swiglu") {
        auto a = r.param({5, 70}), b = r.param({5, 70});
        r.finish(swiglu(&t, a, b), {{"a", a}, {"b", b}});
    } else if (name == "sum_mean_masked") {
        auto x = r.param({6, 50});
        auto mask = Tensor<float, B>::uniform({6, 50}, r.rng);
        r.finish(add(&t, sum(&t, x), masked_mean(&t, x, mask)), {{"x", x}});
    } else if (name == "rmsnorm") {
        auto x = r.param({7, 100}), w = r.param({100});
        r.finish(rmsnorm(&t, x, w), {{"x", x}, {"w", w}});
    } else if (name == "rope_interleaved" || name == "rope_half") {
        auto x = r.param({2, 5, 3, 8});
        const RopeStyle style = name == "rope_half" ? RopeStyle::half : RopeStyle::interleaved;
        r.finish(rope(&t, x, 3, 10000.0, style), {{"x", x}});
    } else if (name == "attention" || name == "attention_kv_prefix") {
        const std::int64_t T_ = 9, S = name == "attention" ? 9 : 13;
        auto q = r.param({2, T_, 3, 16}), k = r.param({2, S, 3, 16}), v = r.param({2, S, 3, 16});
        r.finish(attention(&t, q, k, v), {{"q", q}, {"k", k}, {"v", v}});
    } else if (name == "attention_inference") {  // no tape: CUDA's fused kernel
        auto q = r.param({2, 4, 3, 40}), k = r.param({2, 11, 3, 40}), v = r.param({2, 11, 3, 40});
        r.keep("out", attention(static_cast<Tape*>(nullptr), q, k, v).value());
    } else if (name == "embedding") {
        auto table = r.param({30, 12});
        r.finish(embedding(&t, r.ids({4, 9}, 30), table), {{"table", table}});
    } else if (name == "log_softmax") {
        auto x = r.param({5, 700});
        r.finish(log_softmax(&t, x), {{"x", x}});
    } else if (name == "token_logprobs") {
        auto z = r.param({3, 4, 50});
        r.finish(token_logprobs(&t, z, r.ids({3, 4}, 50)), {{"z", z}});
    } else if (name == "cross_entropy_ignore") {
        auto z = r.param({10, 37});
        std::vector<std::int32_t> y(10);
        for (int i = 0; i < 10; ++i) y[i] = i % 3 == 0 ? -1 : (i * 7) % 37;
        r.finish(cross_entropy(&t, z, Ids<B>::from({10}, y)), {{"z", z}});
    } else if (name == "softmax") {
        auto x = r.param({9, 40});
        r.finish(softmax(&t, x), {{"x", x}});
    } else if (name == "normalize_rows") {
        auto x = r.positive({9, 8});
        r.finish(normalize_rows(&t, x), {{"x", x}});
    } else if (name == "topk") {
        auto x = r.param({11, 16});
        const TopK<float, B> top = topk(&t, x, 4);
        r.out.push_back({"indices", CaseRun<B>::host(top.indices)});
        r.finish(top.values, {{"x", x}});
    } else if (name == "gather_scatter_rows") {
        auto x = r.param({6, 10}), w = r.param({9});
        const Ids<B> idx = r.ids({9}, 6);
        const auto gathered = gather_rows(&t, x, idx);
        r.finish(scatter_add_rows(&t, gathered, w, idx, 6), {{"x", x}, {"w", w}});
    } else if (name == "concat_rows") {
        auto a = r.param({2, 5}), b = r.param({4, 5});
        r.finish(concat_rows(&t, std::vector<Var<float, B>>{a, b}), {{"a", a}, {"b", b}});
    } else if (name.rfind("grpo_loss_", 0) == 0) {
        GrpoLossConfig c;
        c.max_completion_length = 7;
        if (name == "grpo_loss_dapo") c.aggregation = LossAggregation::dapo;
        if (name == "grpo_loss_dr_grpo") c.aggregation = LossAggregation::dr_grpo;
        if (name == "grpo_loss_seq_sum") c.aggregation = LossAggregation::seq_mean_token_sum;
        if (name == "grpo_loss_gspo") c.importance_sampling_level = ImportanceSamplingLevel::sequence;
        if (name == "grpo_loss_dual_clip_entropy") {
            c.dual_clip_c = 1.5;
            c.entropy_coef = 0.01;
            c.kl = KlEstimator::low_var_kl;
        }
        return grpo_loss_case(r, c, name == "grpo_loss_dual_clip_entropy");
    } else if (name == "adamw_clip") {
        auto p = r.param({300});
        r.tape.backward(sum(&t, mul(&t, p, p)));
        const double norm = clip_grad_norm(std::vector<Var<float, B>>{p}, 1.0);
        AdamW<float, B> opt({p}, AdamWConfig{});
        opt.step(0.01);
        opt.step(0.01);
        r.out.push_back({"grad_norm", {norm}});
        r.keep("param", p.value());
    } else if (name == "transformer_moe") {
        Rng init(5);
        Transformer<float, B> model(case_model_config<B>(), init);
        const Ids<B> tokens = r.ids({3, 12}, 40), targets = r.ids({3, 12}, 40);
        const auto loss = cross_entropy(&t, model.forward(&t, tokens), targets);
        r.keep("loss", loss.value());
        t.backward(loss);
        for (const auto& [pname, p] : model.named_params()) r.keep("d" + pname, p.grad());
    } else if (name == "sampler_tokens") {
        Rng init(5);
        Transformer<float, B> model(case_model_config<B>(), init);
        SamplingConfig sc;
        sc.group_size = 4;
        sc.max_new_tokens = 10;
        sc.top_k = 8;
        sc.top_p = 0.9;
        sc.seed = 77;
        sc.eos_id = CharTokenizer::kEos;
        const Completions c = sample_groups(model, {{1, 2, 3}, {4, 5}}, sc);
        for (std::size_t i = 0; i < c.tokens.size(); ++i) {
            r.out.push_back({"tokens" + std::to_string(i), std::vector<double>(c.tokens[i].begin(), c.tokens[i].end())});
            r.out.push_back({"logprobs" + std::to_string(i), c.logprobs[i]});
        }
    } else {
        throw Error("run_backend_case: no case named " + name);
    }
    return r.out;
}

// The message of the error an op throws on bad input, or "" when it throws none.
template <class B>
std::string backend_error_message(const std::string& name) {
    using namespace grpo;
    try {
        if (name == "embedding_bad_id") {
            auto table = Var<float, B>(Tensor<float, B>::zeros({5, 3}));
            embedding(static_cast<Tape*>(nullptr), Ids<B>::from({4}, {0, 1, 9, 2}), table);
        } else if (name == "cross_entropy_bad_target") {
            auto z = Var<float, B>(Tensor<float, B>::zeros({3, 4}));
            cross_entropy(static_cast<Tape*>(nullptr), z, Ids<B>::from({3}, {0, -2, 1}));
        } else if (name == "gather_rows_bad_index") {
            auto x = Var<float, B>(Tensor<float, B>::zeros({3, 4}));
            gather_rows(static_cast<Tape*>(nullptr), x, Ids<B>::from({2}, {1, 3}));
        } else if (name == "normalize_rows_zero_row") {
            auto x = Var<float, B>(Tensor<float, B>::from({2, 2}, {1.0f, 1.0f, 0.0f, 0.0f}));
            normalize_rows(static_cast<Tape*>(nullptr), x);
        }
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

inline std::vector<std::string> backend_error_names() {
    return {"embedding_bad_id", "cross_entropy_bad_target", "gather_rows_bad_index", "normalize_rows_zero_row"};
}

}  // namespace grpo_test

// The DeepSeek-V3 Mixture-of-Experts FFN layer (arXiv 2412.19437 §2.1.2; inference/model.py Gate
// and MoE): a gate scores every routed expert for every token, each token runs its top-k routed
// experts and the always-on shared experts, and the outputs are summed with the gate weights:
//   h'_t = Σ_shared FFN_i(u_t) + Σ_{i chosen} g_{i,t}·FFN_i(u_t)     (V3 eq. 12; the residual u_t
//                                                                   is added by the block, not here)
// Routing (V3 eq. 13–16, model.py Gate.forward):
//   s_{i,t} = σ(u_t·e_i)  (sigmoid scoring; softmax over experts is the V2 option)
//   chosen  = TopK(s_{i,t} + b_i, k): the balancing bias b only chooses (eq. 16),
//             within the topk_groups best of n_groups groups, a group scored by the sum of its
//             two best biased scores, or its one score if it holds one expert (model.py Gate)
//   g_{i,t} = route_scale · s_{i,t} / Σ_{j chosen} s_{j,t}  (sigmoid; softmax weights are not
//             renormalised, as in model.py)
// The choice is not differentiable and is held fixed; gradients reach the gate weight and u
// through the chosen s. Dispatch groups the N·k (token, slot) pairs by expert, so each expert
// runs once on its batch and the cost grows with k, not with the number of experts.
// Balancing: aux-loss-free bias updates b_i += γ·sign(mean load − load_i) (V3 §2.1.2), and the
// optional sequence-wise balance loss α Σ_i f_i P_i (V3 eq. 17–20).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "grpo/autograd/activation.hpp"
#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/reduce.hpp"
#include "grpo/autograd/routing.hpp"
#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/nn/feed_forward.hpp"

namespace grpo {

/// The sizes and routing options of one MoE layer (DeepSeek-V3's Gate and MoE arguments).
struct MoEConfig {
    int d_model = 0;  ///< d: input and output width
    int n_routed_experts = 0;    ///< E (V3: n_routed_experts, 256)
    int n_shared_experts = 1;    ///< always-on experts, each of width expert_hidden
    int experts_per_token = 2;   ///< k (V3: n_activated_experts, 8)
    int expert_hidden = 0;       ///< h of every expert (V3: moe_inter_dim)
    double route_scale = 1.0;    ///< multiplies the gate weights (model.py Gate.route_scale)
    /// group-limited routing (model.py n_expert_groups, n_limited_groups)
    ///@{
    int n_groups = 1, topk_groups = 1;
    ///@}
    /// How the gate scores experts: sigmoid (V3) or softmax over experts (V2).
    ///@{
    enum class Scoring { sigmoid, softmax } scoring = Scoring::sigmoid;
    ///@}
    double balance_loss_alpha = 0.0;    ///< α of the sequence-wise balance loss (V3 uses 0.0001)
    double bias_update_speed = 0.001;   ///< γ of the aux-loss-free bias update (V3 §2.1.2)
    double init_std = 0.02;             ///< every weight (gate, experts) from N(0, init_std²)

    /// Throws grpo::Error naming the first offending field and its value.
    void validate() const {
        require(d_model > 0, "MoEConfig.d_model = ", d_model, " must be > 0");
        require(n_routed_experts > 0, "MoEConfig.n_routed_experts = ", n_routed_experts, " must be > 0");
        require(n_shared_experts >= 0, "MoEConfig.n_shared_experts = ", n_shared_experts, " must be >= 0");
        require(expert_hidden > 0, "MoEConfig.expert_hidden = ", expert_hidden, " must be > 0");
        require(route_scale > 0, "MoEConfig.route_scale = ", route_scale, " must be > 0");
        require(n_groups >= 1 && n_routed_experts % n_groups == 0, "MoEConfig.n_groups = ", n_groups,
                " must be >= 1 and divide n_routed_experts = ", n_routed_experts);
        require(1 <= topk_groups && topk_groups <= n_groups, "MoEConfig.topk_groups = ", topk_groups,
                " must be in [1, n_groups = ", n_groups, "]");
        const int reachable = topk_groups * (n_routed_experts / n_groups);
        require(1 <= experts_per_token && experts_per_token <= reachable, "MoEConfig.experts_per_token = ",
                experts_per_token, " must be in [1, ", reachable, "] (the experts in topk_groups = ",
                topk_groups, " groups of ", n_routed_experts / n_groups, ")");
        require(balance_loss_alpha >= 0, "MoEConfig.balance_loss_alpha = ", balance_loss_alpha, " must be >= 0");
        require(bias_update_speed >= 0, "MoEConfig.bias_update_speed = ", bias_update_speed, " must be >= 0");
        require(init_std > 0, "MoEConfig.init_std = ", init_std, " must be > 0");
    }
};

/// The gate's decision for N tokens.
template <class T, class B>
struct Routing {
    Var<T, B> scores;                   ///< (N, E) affinities s (sigmoid or softmax), differentiable
    Var<T, B> weights;                  ///< (N, k) gate weights g of the chosen experts, differentiable
    std::vector<std::int32_t> experts;  ///< (N, k) chosen expert ids, row-major, best biased score first
};

/// The chosen experts of each row of the biased scores (N, E), host side: top-k within the
/// topk_groups best groups (model.py Gate.forward). Ties go to the lower index.
template <class T>
std::vector<std::int32_t> choose_experts(const std::vector<T>& biased, std::int64_t N, const MoEConfig& cfg) {
    const std::int64_t E = cfg.n_routed_experts, k = cfg.experts_per_token, G = cfg.n_groups;
    const std::int64_t per = E / G, top_in_group = per < 2 ? per : 2;
    const T lowest = std::numeric_limits<T>::lowest();
    /// The positions of the k largest of v (ties to the lower position).
    auto top = [](const std::vector<T>& v, std::int64_t count) {
        std::vector<std::int32_t> order(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) order[i] = static_cast<std::int32_t>(i);
        std::partial_sort(order.begin(), order.begin() + count, order.end(), [&v](std::int32_t a, std::int32_t b) {
            return v[static_cast<std::size_t>(a)] > v[static_cast<std::size_t>(b)] ||
                   (v[static_cast<std::size_t>(a)] == v[static_cast<std::size_t>(b)] && a < b);
        });
        order.resize(static_cast<std::size_t>(count));
        return order;
    };
    std::vector<std::int32_t> chosen;
    chosen.reserve(static_cast<std::size_t>(N * k));
    for (std::int64_t n = 0; n < N; ++n) {
        std::vector<T> row(biased.begin() + n * E, biased.begin() + (n + 1) * E);
        if (G > 1) {  // group score: the sum of its top-2 biased scores; mask the groups not kept
            std::vector<T> group_score(static_cast<std::size_t>(G));
            for (std::int64_t g = 0; g < G; ++g) {
                T s = 0;
                for (std::int32_t i : top(std::vector<T>(row.begin() + g * per, row.begin() + (g + 1) * per), top_in_group))
                    s += row[static_cast<std::size_t>(g * per + i)];
                group_score[static_cast<std::size_t>(g)] = s;
            }
            std::vector<bool> keep(static_cast<std::size_t>(G), false);
            for (std::int32_t g : top(group_score, cfg.topk_groups)) keep[static_cast<std::size_t>(g)] = true;
            for (std::int64_t e = 0; e < E; ++e)
                if (!keep[static_cast<std::size_t>(e / per)]) row[static_cast<std::size_t>(e)] = lowest;
        }
        for (std::int32_t e : top(row, k)) chosen.push_back(e);
    }
    return chosen;
}

/// The DeepSeek-V3 MoE FFN layer: a gate, top-k routed experts, shared experts, a balancing bias.
template <class T, class B>
class MoE {
public:
    /// Draws, from rng and in this order, the gate weight (E, d), each routed expert and each
    /// shared expert, every weight from N(0, init_std²) (0.02 by default, FeedForward's
    /// initialisation; the gate too).
    /// The balancing bias starts at zero.
    MoE(const MoEConfig& cfg, Rng& rng) : cfg_(cfg) {
        cfg_.validate();
        const std::int64_t E = cfg_.n_routed_experts, d = cfg_.d_model;
        gate_weight_ = Var<T, B>::param(Tensor<T, B>::randn({E, d}, rng, cfg_.init_std));
        bias_ = Tensor<T, B>::zeros({E});
        for (std::int64_t e = 0; e < E; ++e) experts_.emplace_back(d, cfg_.expert_hidden, rng, cfg_.init_std);
        for (int s = 0; s < cfg_.n_shared_experts; ++s) shared_.emplace_back(d, cfg_.expert_hidden, rng, cfg_.init_std);
        load_.assign(static_cast<std::size_t>(E), 0);
    }

    const MoEConfig& config() const { return cfg_; }  ///< the layer's config

    /// The gate (model.py Gate.forward): x (N, d) -> scores (N, E), chosen experts and weights (N, k).
    Routing<T, B> route(Tape* tape, const Var<T, B>& x) const {
        require(x.shape().rank == 2 && x.shape().dim[1] == cfg_.d_model && x.shape().dim[0] > 0,
                "MoE: x ", x.shape(), " must be (N, ", cfg_.d_model, ") with N > 0");
        const std::int64_t N = x.shape().dim[0], E = cfg_.n_routed_experts, k = cfg_.experts_per_token;
        const Var<T, B> logits = matmul(tape, x, gate_weight_, false, true);  // x·Wᵀ (N, E), no bias term
        Routing<T, B> r;
        r.scores = cfg_.scoring == MoEConfig::Scoring::sigmoid ? sigmoid(tape, logits) : softmax(tape, logits);
        std::vector<T> biased = r.scores.value().to_host();
        const std::vector<T> b = bias_.to_host();
        for (std::int64_t i = 0; i < N * E; ++i) biased[static_cast<std::size_t>(i)] += b[static_cast<std::size_t>(i % E)];
        r.experts = choose_experts(biased, N, cfg_);
        Var<T, B> g = gather_last(tape, r.scores, Ids<B>::from({N, k}, r.experts));  // s of the chosen (N, k)
        if (cfg_.scoring == MoEConfig::Scoring::sigmoid) g = normalize_rows(tape, g);
        r.weights = cfg_.route_scale == 1.0 ? g : scale(tape, g, static_cast<T>(cfg_.route_scale));
        return r;
    }

    /// x (N, d) -> (N, d) = Σ shared FFN(x) + Σ_chosen g·FFN_i(x). Records the expert load and the
    /// scores (for balance_loss) of this call.
    Var<T, B> forward(Tape* tape, const Var<T, B>& x) {
        const Routing<T, B> r = route(tape, x);
        const std::int64_t N = x.shape().dim[0], E = cfg_.n_routed_experts, k = cfg_.experts_per_token;
        /// Sort the N·k (token, slot) pairs by expert (stable): expert e's tokens are then the slice
        /// [start[e], start[e + 1]) of `token` (the backend's sort: a counting sort, or Thrust).
        const Ids<B> experts = Ids<B>::from({N * k}, r.experts);
        Ids<B> pair = Ids<B>::empty({N * k}), token = Ids<B>::empty({N * k});
        std::vector<std::int64_t> start(static_cast<std::size_t>(E) + 1);
        B::sort_slots_by_expert(N * k, E, k, experts.data(), pair.data(), token.data(), start.data());
        for (std::int64_t e = 0; e < E; ++e)
            load_[static_cast<std::size_t>(e)] = start[static_cast<std::size_t>(e) + 1] - start[static_cast<std::size_t>(e)];
        /// Each expert with tokens runs once on its gathered rows; experts with none are skipped.
        std::vector<Var<T, B>> outputs;
        for (std::int64_t e = 0; e < E; ++e) {
            if (load_[static_cast<std::size_t>(e)] == 0) continue;
            const Ids<B> rows = token.slice(start[static_cast<std::size_t>(e)], start[static_cast<std::size_t>(e) + 1]);
            outputs.push_back(experts_[static_cast<std::size_t>(e)].forward(tape, gather_rows(tape, x, rows)));
        }
        const Var<T, B> y = concat_rows(tape, outputs);  // (N·k, d) in expert order
        const Var<T, B> g_flat = reshape(tape, r.weights, {N * k, 1});
        const Var<T, B> w = reshape(tape, gather_rows(tape, g_flat, pair), {N * k});
        Var<T, B> out = scatter_add_rows(tape, y, w, token, N);  // (N, d)
        for (const auto& s : shared_) out = add(tape, out, s.forward(tape, x));
        scores_ = r.scores;
        tokens_ = N;
        last_experts_ = r.experts;
        last_weights_ = r.weights.value().to_host();
        return out;
    }

    /// The last forward's routing, for logging and teaching: per token, the chosen experts
    /// (N, k), best biased score first, and their gate weights (N, k).
    const std::vector<std::int32_t>& last_experts() const { return last_experts_; }
    const std::vector<T>& last_weights() const { return last_weights_; }  ///< gate weights of last_experts() (N, k)

    /// Tokens routed to each expert by the last forward (Σ = N·k).
    const std::vector<std::int64_t>& expert_load() const { return load_; }

    /// Aux-loss-free balancing (V3 §2.1.2): b_i += γ·sign(mean load − load_i) from the last
    /// forward's load, γ = bias_update_speed. Under-loaded experts gain γ, over-loaded lose γ.
    void update_balance_bias() {
        require(tokens_ > 0, "MoE::update_balance_bias: no forward has run yet");
        update_balance_bias(load_);
    }

    /// The same from a load counted over several forwards (a trainer's micro-batches): the
    /// tokens are Σ load / k.
    void update_balance_bias(const std::vector<std::int64_t>& load_per_expert) {
        require(static_cast<std::int64_t>(load_per_expert.size()) == cfg_.n_routed_experts, "MoE::update_balance_bias: ",
                load_per_expert.size(), " loads, expected one per routed expert (", cfg_.n_routed_experts, ")");
        std::int64_t slots = 0;
        for (const std::int64_t n : load_per_expert) slots += n;
        require(slots > 0, "MoE::update_balance_bias: the load is empty (no token was routed)");
        const double mean = static_cast<double>(slots) / cfg_.n_routed_experts;
        std::vector<T> b = bias_.to_host();
        for (std::size_t i = 0; i < b.size(); ++i) {
            const double load = static_cast<double>(load_per_expert[i]);
            const double sign = load < mean ? 1.0 : (load > mean ? -1.0 : 0.0);
            b[i] = static_cast<T>(b[i] + cfg_.bias_update_speed * sign);
        }
        bias_.copy_from_host(b);
    }

    /// The sequence-wise balance loss of the last forward (V3 eq. 17–20), treating its whole
    /// (N) batch as one sequence of T = N tokens:
    ///   L = α Σ_i f_i P_i,  f_i = E / (k·T) · #{t : i chosen for t},  P_i = (1/T) Σ_t s_{i,t} / Σ_j s_{j,t}
    /// f is a constant; the gradient flows through P into the scores. Pass the tape the forward
    /// ran on (with no tape there, the result carries no gradient).
    Var<T, B> balance_loss(Tape* tape) const {
        require(tokens_ > 0, "MoE::balance_loss: no forward has run yet");
        const std::int64_t E = cfg_.n_routed_experts, Tn = tokens_;
        std::vector<T> coef(static_cast<std::size_t>(Tn * E));
        for (std::int64_t i = 0; i < Tn * E; ++i) {
            const double f = static_cast<double>(E) / (cfg_.experts_per_token * Tn) * load_[static_cast<std::size_t>(i % E)];
            coef[static_cast<std::size_t>(i)] = static_cast<T>(cfg_.balance_loss_alpha * f / Tn);
        }
        // Σ_{t,i} s'_{t,i}·coef_{t,i} with coef = α f_i / T: masked_sum with real-valued weights.
        return masked_sum(tape, normalize_rows(tape, scores_), Tensor<T, B>::from({Tn, E}, coef));
    }

    /// gate.weight, experts.{i}.w1/w2/w3, shared_experts.{i}.w1/w2/w3 (after model.py's names).
    /// The balancing bias is state, not a parameter: see bias().
    std::vector<std::pair<std::string, Var<T, B>>> named_params(const std::string& prefix = "") const {
        std::vector<std::pair<std::string, Var<T, B>>> out{{prefix + "gate.weight", gate_weight_}};
        for (std::size_t i = 0; i < experts_.size(); ++i)
            for (auto& p : experts_[i].named_params(prefix + "experts." + std::to_string(i) + "."))
                out.push_back(std::move(p));
        for (std::size_t i = 0; i < shared_.size(); ++i)
            for (auto& p : shared_[i].named_params(prefix + "shared_experts." + std::to_string(i) + "."))
                out.push_back(std::move(p));
        return out;
    }

    const Var<T, B>& gate_weight() const { return gate_weight_; }  ///< the gate's expert embeddings (E, d)
    const Tensor<T, B>& bias() const { return bias_; }             ///< the balancing bias (E), no gradient
    Tensor<T, B>& bias() { return bias_; }  ///< the balancing bias, writable (the bias update, checkpoints)
    const std::vector<FeedForward<T, B>>& experts() const { return experts_; }  ///< the routed experts
    const std::vector<FeedForward<T, B>>& shared_experts() const { return shared_; }  ///< the shared experts

private:
    MoEConfig cfg_;
    Var<T, B> gate_weight_;                  ///< (E, d)
    Tensor<T, B> bias_;                      ///< (E) balancing bias b
    std::vector<FeedForward<T, B>> experts_;  ///< E routed
    std::vector<FeedForward<T, B>> shared_;   ///< n_shared_experts
    std::vector<std::int64_t> load_;         ///< (E) tokens per expert, last forward
    Var<T, B> scores_;                       ///< (N, E) s of the last forward
    std::int64_t tokens_ = 0;                ///< N of the last forward
    std::vector<std::int32_t> last_experts_;  ///< (N, k) chosen experts, last forward
    std::vector<T> last_weights_;             ///< (N, k) their gate weights, last forward
};

}  // namespace grpo

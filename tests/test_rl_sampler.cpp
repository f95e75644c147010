#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <grpo/grpo.hpp>

#include "test_support.hpp"
#include <grpo/rl/sampler.hpp>
#include <numeric>
#include <vector>

using namespace grpo;

namespace {

TransformerConfig tiny_config() { return grpo_test::tiny_moe_config(12); }

// The filtered, renormalised distribution, written independently of sample_token: a full sort.
std::vector<double> reference_probs(const std::vector<double>& logits, double T, int top_k, double top_p) {
    const std::size_t V = logits.size();
    const double m = *std::max_element(logits.begin(), logits.end());
    std::vector<double> p(V);
    for (std::size_t i = 0; i < V; ++i) p[i] = std::exp((logits[i] - m) / T);
    std::vector<std::size_t> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return logits[a] > logits[b]; });
    std::size_t k = top_k > 0 ? std::min<std::size_t>(top_k, V) : V;
    double mass = 0;
    for (std::size_t j = 0; j < k; ++j) mass += p[order[j]];
    std::size_t kept = k;
    if (top_p < 1.0) {
        double running = 0;
        for (kept = 0; kept < k;) {
            running += p[order[kept++]] / mass;
            if (running >= top_p) break;
        }
    }
    std::vector<double> q(V, 0.0);
    double kept_mass = 0;
    for (std::size_t j = 0; j < kept; ++j) kept_mass += p[order[j]];
    for (std::size_t j = 0; j < kept; ++j) q[order[j]] = p[order[j]] / kept_mass;
    return q;
}

// log softmax(row / T) at c (T = 0 read as 1), computed directly.
double log_softmax_at(const double* row, int V, double T, int c) {
    const double t = T == 0.0 ? 1.0 : T;
    double m = row[0];
    for (int v = 1; v < V; ++v) m = std::max(m, row[v]);
    double s = 0;
    for (int v = 0; v < V; ++v) s += std::exp((row[v] - m) / t);
    return (row[c] - m) / t - std::log(s);
}

// Logits (L, V) of one sequence by a plain forward, no cache.
std::vector<double> full_logits(Transformer<double, Cpu>& model, const std::vector<std::int32_t>& seq) {
    return model.forward(nullptr, Ids<Cpu>::from({1, static_cast<std::int64_t>(seq.size())}, seq)).value().to_host();
}

SamplingConfig config_of(double T, int top_k, double top_p, int max_new, int G, std::uint64_t seed) {
    SamplingConfig c;
    c.temperature = T;
    c.top_k = top_k;
    c.top_p = top_p;
    c.max_new_tokens = max_new;
    c.group_size = G;
    c.seed = seed;
    c.eos_id = CharTokenizer::kEos;
    return c;
}

void check_structure(const Completions& c, int max_new) {
    std::int64_t total = 0;
    for (std::size_t n = 0; n < c.tokens.size(); ++n) {
        const auto& t = c.tokens[n];
        REQUIRE(!t.empty());
        REQUIRE(t.size() == c.logprobs[n].size());
        CHECK(static_cast<int>(t.size()) <= max_new);
        for (std::size_t s = 0; s + 1 < t.size(); ++s) CHECK(t[s] != CharTokenizer::kEos);
        CHECK(c.truncated[n] == (t.back() != CharTokenizer::kEos));
        if (c.truncated[n]) CHECK(static_cast<int>(t.size()) == max_new);
        total += static_cast<std::int64_t>(t.size());
    }
    CHECK(c.generated_tokens == total);
}

const std::vector<std::vector<std::int32_t>> kPrompts = {{1, 5, 7}, {1, 9}, {1, 4, 4, 6, 3}};

}  // namespace

TEST_CASE("sampler: sample_token frequencies pass a chi-squared test against the filtered softmax") {
    const std::vector<double> logits = {1.0, 0.5, -0.3, 2.0, 0.0, 1.2};
    const std::vector<float> logits_f(logits.begin(), logits.end());
    const int V = 6, draws = 20000;
    // chi-squared critical values at p = 0.001 for 1..5 degrees of freedom
    const double critical[] = {0, 10.828, 13.816, 16.266, 18.467, 20.515};
    struct Case {
        double T;
        int top_k;
        double top_p;
    };
    for (const Case& cs : {Case{1.0, 0, 1.0}, Case{0.7, 3, 1.0}, Case{1.0, 0, 0.8}, Case{1.3, 4, 0.7}}) {
        CAPTURE(cs.T);
        CAPTURE(cs.top_k);
        CAPTURE(cs.top_p);
        const SamplingConfig config = config_of(cs.T, cs.top_k, cs.top_p, 1, 1, 0);
        const std::vector<double> q = reference_probs(logits, cs.T, cs.top_k, cs.top_p);
        for (int precision = 0; precision < 2; ++precision) {
            Rng rng(1234 + precision);
            std::vector<std::int32_t> scratch(V);
            std::vector<int> count(V, 0);
            for (int d = 0; d < draws; ++d) {
                const double u = rng.uniform();
                const SampledToken s = precision == 0 ? sample_token(logits.data(), V, config, u, scratch.data())
                                                      : sample_token(logits_f.data(), V, config, u, scratch.data());
                REQUIRE(s.token >= 0);
                REQUIRE(s.token < V);
                ++count[s.token];
                CHECK(s.sampling_logprob == doctest::Approx(std::log(q[s.token])).epsilon(1e-6));
                CHECK(s.logprob == doctest::Approx(log_softmax_at(logits.data(), V, cs.T, s.token)).epsilon(1e-6));
            }
            double chi2 = 0;
            int kept = 0;
            for (int v = 0; v < V; ++v) {
                if (q[v] == 0.0) {
                    CHECK(count[v] == 0);  // filtered out: never drawn
                    continue;
                }
                ++kept;
                const double expected = q[v] * draws;
                chi2 += (count[v] - expected) * (count[v] - expected) / expected;
            }
            REQUIRE(kept >= 2);
            CAPTURE(kept);
            CHECK(chi2 < critical[kept - 1]);
        }
    }
}

TEST_CASE("sampler: top-p keeps the smallest most likely set reaching p, after top-k, ties to the lower id") {
    // probabilities 0.5, 0.2, 0.2, 0.1 (ids 1 and 2 tie)
    const std::vector<double> logits = {std::log(0.5), std::log(0.2), std::log(0.2), std::log(0.1)};
    std::vector<std::int32_t> scratch(4);
    const auto support = [&](const SamplingConfig& config) {
        std::vector<int> seen(4, 0);
        for (int i = 0; i < 1000; ++i) ++seen[sample_token(logits.data(), 4, config, i / 1000.0, scratch.data()).token];
        std::vector<int> ids;
        for (int v = 0; v < 4; ++v)
            if (seen[v]) ids.push_back(v);
        return ids;
    };
    CHECK(support(config_of(1.0, 0, 0.45, 1, 1, 0)) == std::vector<int>{0});
    CHECK(support(config_of(1.0, 0, 0.6, 1, 1, 0)) == std::vector<int>{0, 1});  // 0.5 + 0.2 (id 1 beats id 2)
    CHECK(support(config_of(1.0, 0, 0.75, 1, 1, 0)) == std::vector<int>{0, 1, 2});
    CHECK(support(config_of(1.0, 0, 0.95, 1, 1, 0)) == std::vector<int>{0, 1, 2, 3});
    CHECK(support(config_of(1.0, 0, 1.0, 1, 1, 0)) == std::vector<int>{0, 1, 2, 3});
    // top-k 2 first: {0, 1} renormalised to 5/7, 2/7, and 5/7 >= 0.6 already
    CHECK(support(config_of(1.0, 2, 0.6, 1, 1, 0)) == std::vector<int>{0});
    CHECK(support(config_of(1.0, 2, 1.0, 1, 1, 0)) == std::vector<int>{0, 1});
    CHECK(support(config_of(1.0, 9, 1.0, 1, 1, 0)) == std::vector<int>{0, 1, 2, 3});  // k > V: off
    // log-probs of the nucleus {0, 1}: sampled 0.5 / 0.7, plain softmax 0.5
    const SampledToken s = sample_token(logits.data(), 4, config_of(1.0, 0, 0.6, 1, 1, 0), 0.1, scratch.data());
    CHECK(s.token == 0);
    CHECK(s.sampling_logprob == doctest::Approx(std::log(0.5 / 0.7)).epsilon(1e-14));
    CHECK(s.logprob == doctest::Approx(std::log(0.5)).epsilon(1e-14));
    // inverse CDF over ids: u < 0.5/0.7 picks 0, above picks 1
    CHECK(sample_token(logits.data(), 4, config_of(1.0, 0, 0.6, 1, 1, 0), 0.71, scratch.data()).token == 0);
    CHECK(sample_token(logits.data(), 4, config_of(1.0, 0, 0.6, 1, 1, 0), 0.72, scratch.data()).token == 1);
}

TEST_CASE("sampler: temperature 0 is the argmax with the lowest id on ties") {
    const std::vector<double> logits = {1.0, 3.0, 3.0, 0.0};
    const SamplingConfig greedy = config_of(0.0, 0, 1.0, 1, 1, 0);
    for (double u : {0.0, 0.5, 0.999}) {
        const SampledToken s = sample_token(logits.data(), 4, greedy, u, nullptr);
        CHECK(s.token == 1);
        CHECK(s.sampling_logprob == 0.0);
        CHECK(s.logprob == doctest::Approx(log_softmax_at(logits.data(), 4, 1.0, 1)).epsilon(1e-14));
    }
    // greedy ignores top-k / top-p and needs no scratch
    CHECK(sample_token(logits.data(), 4, config_of(0.0, 1, 0.1, 1, 1, 0), 0.3, nullptr).token == 1);
}

TEST_CASE("sampler: greedy completions follow the argmax of a plain forward at every step") {
    Rng rng(5);
    Transformer<double, Cpu> model(tiny_config(), rng);
    const int G = 3, max_new = 6;
    const Completions c = sample_groups(model, kPrompts, config_of(0.0, 0, 1.0, max_new, G, 17));
    REQUIRE(c.tokens.size() == kPrompts.size() * G);
    check_structure(c, max_new);
    for (std::size_t i = 0; i < kPrompts.size(); ++i)
        for (int j = 0; j < G; ++j) {
            const std::size_t n = i * G + j;
            CHECK(c.tokens[n] == c.tokens[i * G]);  // every row of a greedy group is the same
            std::vector<std::int32_t> seq = kPrompts[i];
            seq.insert(seq.end(), c.tokens[n].begin(), c.tokens[n].end());
            const std::vector<double> logits = full_logits(model, seq);
            const std::size_t P = kPrompts[i].size();
            for (std::size_t t = 0; t < c.tokens[n].size(); ++t) {
                const double* row = logits.data() + (P - 1 + t) * 11;
                CHECK(c.tokens[n][t] == std::max_element(row, row + 11) - row);
                CHECK(c.logprobs[n][t] == doctest::Approx(log_softmax_at(row, 11, 0.0, c.tokens[n][t])).epsilon(1e-10));
            }
        }
}

TEST_CASE("sampler: log-probs equal log softmax of logits over T from a full forward of prompt and completion") {
    Rng rng(8);
    Transformer<double, Cpu> model(tiny_config(), rng);
    const int G = 4, max_new = 7;
    for (const SamplingConfig& config : {config_of(0.7, 5, 0.9, max_new, G, 3), config_of(1.0, 0, 1.0, max_new, G, 4),
                                         config_of(1.5, 0, 0.8, max_new, G, 5)}) {
        const Completions c = sample_groups(model, kPrompts, config);
        check_structure(c, max_new);
        CHECK(c.group_size == G);
        for (std::size_t n = 0; n < c.tokens.size(); ++n) {
            const auto& prompt = kPrompts[n / G];
            std::vector<std::int32_t> seq = prompt;
            seq.insert(seq.end(), c.tokens[n].begin(), c.tokens[n].end());
            const std::vector<double> logits = full_logits(model, seq);
            for (std::size_t t = 0; t < c.tokens[n].size(); ++t) {
                const double* row = logits.data() + (prompt.size() - 1 + t) * 11;
                const double expected = log_softmax_at(row, 11, config.temperature, c.tokens[n][t]);
                CHECK(std::abs(c.logprobs[n][t] - expected) < 1e-10);
            }
        }
    }
}

TEST_CASE("sampler: float model log-probs match a full forward to 1e-5") {
    Rng rng(8);
    Transformer<float, Cpu> model(tiny_config(), rng);
    const int G = 4, max_new = 5;
    const SamplingConfig config = config_of(0.8, 0, 0.95, max_new, G, 21);
    const Completions c = sample_groups(model, kPrompts, config);
    check_structure(c, max_new);
    for (std::size_t n = 0; n < c.tokens.size(); ++n) {
        const auto& prompt = kPrompts[n / G];
        std::vector<std::int32_t> seq = prompt;
        seq.insert(seq.end(), c.tokens[n].begin(), c.tokens[n].end());
        const std::vector<float> lf =
            model.forward(nullptr, Ids<Cpu>::from({1, static_cast<std::int64_t>(seq.size())}, seq)).value().to_host();
        const std::vector<double> logits(lf.begin(), lf.end());
        for (std::size_t t = 0; t < c.tokens[n].size(); ++t) {
            const double* row = logits.data() + (prompt.size() - 1 + t) * 11;
            CHECK(std::abs(c.logprobs[n][t] - log_softmax_at(row, 11, 0.8, c.tokens[n][t])) < 1e-5);
        }
    }
}

TEST_CASE("sampler: the same seed gives the same completions, another seed others, independent of batching") {
    Rng rng(9);
    Transformer<double, Cpu> model(tiny_config(), rng);
    const SamplingConfig a = config_of(1.0, 0, 1.0, 6, 4, 100);
    const Completions c1 = sample_groups(model, kPrompts, a);
    const Completions c2 = sample_groups(model, kPrompts, a);
    CHECK(c1.tokens == c2.tokens);
    CHECK(c1.logprobs == c2.logprobs);
    CHECK(c1.truncated == c2.truncated);
    SamplingConfig b = a;
    b.seed = 101;
    CHECK(sample_groups(model, kPrompts, b).tokens != c1.tokens);
    // The first two prompts alone: the same streams (prompt index · G + completion index).
    const Completions head = sample_groups(model, {kPrompts[0], kPrompts[1]}, a);
    for (std::size_t n = 0; n < head.tokens.size(); ++n) {
        CHECK(head.tokens[n] == c1.tokens[n]);
        CHECK(head.logprobs[n] == c1.logprobs[n]);
    }
    // Rows within a group differ at T = 1 (distinct streams).
    bool differ = false;
    for (int j = 1; j < 4; ++j) differ = differ || c1.tokens[j] != c1.tokens[0];
    CHECK(differ);
}

TEST_CASE("sampler: EOS ends a row (not truncated), max_new_tokens truncates") {
    Rng rng(2);
    Transformer<double, Cpu> model(tiny_config(), rng);
    // A zero final norm makes every logit 0: each step is uniform over 11 ids, EOS with 1/11.
    for (auto& named : model.named_params())
        if (named.first == "norm.weight") named.second.value().copy_from_host(std::vector<double>(8, 0.0));
    const int G = 8, max_new = 6;
    const Completions c = sample_groups(model, kPrompts, config_of(1.0, 0, 1.0, max_new, G, 7));
    check_structure(c, max_new);
    int ended = 0, truncated = 0;
    for (std::size_t n = 0; n < c.tokens.size(); ++n) {
        if (c.truncated[n]) {
            ++truncated;
            CHECK(c.tokens[n].size() == static_cast<std::size_t>(max_new));
        } else {
            ++ended;
            CHECK(c.tokens[n].back() == CharTokenizer::kEos);
        }
        for (double lp : c.logprobs[n]) CHECK(lp == doctest::Approx(-std::log(11.0)).epsilon(1e-12));
    }
    CHECK(ended > 0);
    CHECK(truncated > 0);
    // max_new_tokens = 1: one token each; truncated unless it is EOS
    const Completions one = sample_groups(model, kPrompts, config_of(1.0, 0, 1.0, 1, G, 7));
    for (std::size_t n = 0; n < one.tokens.size(); ++n) {
        REQUIRE(one.tokens[n].size() == 1);
        CHECK(one.truncated[n] == (one.tokens[n][0] != CharTokenizer::kEos));
        CHECK(one.tokens[n][0] == c.tokens[n][0]);  // the same first draw of the same stream
    }
}

TEST_CASE("sampler: a row stops on the config's eos_id, whatever the tokenizer calls its end") {
    Rng rng(2);
    Transformer<double, Cpu> model(tiny_config(), rng);
    for (auto& named : model.named_params())  // uniform logits, as above
        if (named.first == "norm.weight") named.second.value().copy_from_host(std::vector<double>(8, 0.0));
    const int G = 8, max_new = 6;
    SamplingConfig config = config_of(1.0, 0, 1.0, max_new, G, 7);
    const Completions usual = sample_groups(model, kPrompts, config);
    config.eos_id = 5;  // a tokenizer whose end token has id 5: id 2 is an ordinary token now
    const Completions other = sample_groups(model, kPrompts, config);
    int ended = 0, plain_twos = 0;
    for (std::size_t n = 0; n < other.tokens.size(); ++n) {
        const std::vector<std::int32_t>& t = other.tokens[n];
        for (std::size_t i = 0; i + 1 < t.size(); ++i) {
            CHECK(t[i] != 5);
            plain_twos += t[i] == 2;
        }
        CHECK(other.truncated[n] == (t.back() != 5));
        ended += !other.truncated[n];
        // The same stream draws the same ids until either row stops.
        const std::size_t common = std::min(t.size(), usual.tokens[n].size());
        for (std::size_t i = 0; i < common; ++i) CHECK(t[i] == usual.tokens[n][i]);
    }
    CHECK(ended > 0);
    CHECK(plain_twos > 0);
    config.eos_id = -1;  // never set
    CHECK_THROWS_WITH_AS(sample_groups(model, kPrompts, config),
                         "sample_groups: eos_id = -1, expected the tokenizer's eos_id() in the vocabulary [0, 11)",
                         Error);
    config.eos_id = 11;
    CHECK_THROWS_WITH_AS(sample_groups(model, kPrompts, config),
                         "sample_groups: eos_id = 11, expected the tokenizer's eos_id() in the vocabulary [0, 11)",
                         Error);
}

TEST_CASE("sampler: pack_completions pads to the longest completion with a mask") {
    Completions c;
    c.tokens = {{5, 6, 2}, {7}};
    c.logprobs = {{-0.5, -1.0, -0.25}, {-2.0}};
    c.truncated = {false, true};
    c.generated_tokens = 4;
    const auto packed = pack_completions<double, Cpu>(c);
    CHECK(packed.tokens.shape() == Shape{2, 3});
    CHECK(packed.tokens.to_host() == std::vector<std::int32_t>{5, 6, 2, 7, kPaddingFill, kPaddingFill});
    CHECK(packed.mask.to_host() == std::vector<double>{1, 1, 1, 1, 0, 0});
    CHECK(packed.logprobs.to_host() == std::vector<double>{-0.5, -1.0, -0.25, -2.0, 0, 0});
    c.logprobs[1].push_back(-1.0);
    CHECK_THROWS_WITH_AS((pack_completions<double, Cpu>(c)), "pack_completions: row 1 has 1 tokens but 2 log-probs",
                         Error);
}

TEST_CASE("sampler: errors name the field and the numbers") {
    CHECK_THROWS_WITH_AS(config_of(-0.5, 0, 1.0, 4, 2, 0).validate(),
                         "SamplingConfig: temperature = -0.5, expected 0 (greedy) or a finite value >= 1e-06 "
                         "(kMinTemperature: below it logits / T overflow)", Error);
    // 1e-320 (a denormal: 1/T is inf) and 1e-7 are refused; the limit itself is accepted.
    CHECK_THROWS_WITH_AS(config_of(1e-320, 0, 1.0, 4, 2, 0).validate(),
                         doctest::Contains("temperature = 9.99989e-321, expected 0 (greedy) or"), Error);
    CHECK_THROWS_AS(config_of(1e-7, 0, 1.0, 4, 2, 0).validate(), Error);
    CHECK_NOTHROW(config_of(kMinTemperature, 0, 1.0, 4, 2, 0).validate());
    CHECK_THROWS_WITH_AS(config_of(1.0, -1, 1.0, 4, 2, 0).validate(),
                         "SamplingConfig: top_k = -1, expected >= 0 (0 = off)", Error);
    CHECK_THROWS_WITH_AS(config_of(1.0, 0, 0.0, 4, 2, 0).validate(),
                         "SamplingConfig: top_p = 0, expected in (0, 1]", Error);
    CHECK_THROWS_WITH_AS(config_of(1.0, 0, 1.5, 4, 2, 0).validate(),
                         "SamplingConfig: top_p = 1.5, expected in (0, 1]", Error);
    CHECK_THROWS_WITH_AS(config_of(1.0, 0, 1.0, 0, 2, 0).validate(),
                         "SamplingConfig: max_new_tokens = 0, expected >= 1", Error);
    CHECK_THROWS_WITH_AS(config_of(1.0, 0, 1.0, 4, 0, 0).validate(),
                         "SamplingConfig: group_size = 0, expected >= 1", Error);
    Rng rng(1);
    Transformer<double, Cpu> model(tiny_config(), rng);
    CHECK_THROWS_WITH_AS(sample_groups(model, {{1, 2, 3}, {1, 2, 3, 4, 5}}, config_of(1.0, 0, 1.0, 8, 2, 0)),
                         "sample_groups: prompt 1 has 5 tokens; with max_new_tokens = 8 that is 13 positions, "
                         "more than max_seq_len = 12",
                         Error);
    CHECK_THROWS_WITH_AS(sample_groups(model, {{1, 2}, {}}, config_of(1.0, 0, 1.0, 4, 2, 0)),
                         "sample_groups: prompt 1 is empty", Error);
    CHECK_THROWS_WITH_AS(sample_groups(model, {{1, 11}}, config_of(1.0, 0, 1.0, 4, 2, 0)),
                         "sample_groups: prompt 0 has token id 11, outside the vocabulary [0, 11)", Error);
    CHECK_THROWS_WITH_AS(sample_groups(model, {{1, 2}}, config_of(1.0, 0, 1.0, 4, 0, 0)),
                         "SamplingConfig: group_size = 0, expected >= 1", Error);
    // exactly max_seq_len positions is allowed
    CHECK(sample_groups(model, {{1, 2, 3, 4}}, config_of(1.0, 0, 1.0, 8, 2, 0)).tokens.size() == 2);
}

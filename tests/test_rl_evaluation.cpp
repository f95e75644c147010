#include <doctest/doctest.h>

#include <grpo/grpo.hpp>
#include <grpo/rl/evaluation.hpp>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using namespace grpo;

TEST_CASE("evaluation: pass at k by the unbiased estimator, values by hand") {
    // n = 4, c = 1, k = 2: 1 - C(3, 2)/C(4, 2) = 1 - 3/6.
    CHECK(pass_at_k(4, 1, 2) == doctest::Approx(0.5).epsilon(1e-15));
    // n = 5, c = 2, k = 2: 1 - C(3, 2)/C(5, 2) = 1 - 3/10.
    CHECK(pass_at_k(5, 2, 2) == doctest::Approx(0.7).epsilon(1e-15));
    // k = 1 is the plain share c/n.
    CHECK(pass_at_k(10, 3, 1) == doctest::Approx(0.3).epsilon(1e-15));
    // n = 4, c = 2, k = 4: every draw takes all four, so a right one is always in.
    CHECK(pass_at_k(4, 2, 4) == 1.0);
    for (int k = 1; k <= 5; ++k) {
        CHECK(pass_at_k(5, 0, k) == 0.0);  // nothing right: never
        CHECK(pass_at_k(5, 5, k) == 1.0);  // everything right: always
    }
    CHECK_THROWS_AS(pass_at_k(4, 1, 5), Error);  // k > n
    CHECK_THROWS_AS(pass_at_k(4, 5, 2), Error);  // c > n
    CHECK_THROWS_AS(pass_at_k(4, 1, 0), Error);
}

TEST_CASE("evaluation: the majority answer compares numbers exactly") {
    // 3.5, 7/2 and x = 3.50 are one answer with three votes; 4 has one; no answer does not vote.
    const std::vector<std::string> votes = {"<think>w</think><answer>4</answer>",
                                            "<think>w</think><answer>3.5</answer>", "<answer>7/2</answer>",
                                            "no answer here", "<answer>x = 3.50</answer>"};
    const auto winner = majority_answer(votes);
    REQUIRE(winner.has_value());
    CHECK(*winner == "3.5");  // as the first of its voters wrote it
    CHECK(*vote_key("<answer>x = 3.50</answer>") == "7/2");
    CHECK(!vote_key("no answer here").has_value());
    CHECK(!majority_answer({"none", "<answer> </answer>"}).has_value());
}

TEST_CASE("evaluation: a tied vote goes to the answer voted for first") {
    // 2 (samples 0 and 3) and 3 (samples 1 and 2) have two votes each.
    CHECK(*majority_answer({"<answer>2</answer>", "<answer>3</answer>", "so it is 3", "<answer>2.0</answer>"}) == "2");
    CHECK(*majority_answer({"<answer>3</answer>", "<answer>2</answer>", "<answer>2.0</answer>", "so it is 3"}) == "3");
}

TEST_CASE("evaluation: one problem scored and two summarised, by hand") {
    const Problem half = make_linear_equation_problem({2, 3, 10});  // x = 7/2
    const std::vector<std::string> samples = {
        "<think>w</think><answer>3.5</answer>",  // right, well formed
        "<answer>4</answer>",                    // wrong, no think block
        "<think>w</think><answer>4</answer>",    // wrong, well formed
        "<think>w</think> x = 3.5",              // right (last number), no answer block
    };
    ProblemEval a = score_problem(half, "<think>2x = 7</think><answer>7/2</answer>", samples);
    CHECK(a.greedy_correct);
    CHECK(a.greedy_well_formed);
    CHECK(a.samples_correct == 2);
    CHECK(a.samples_well_formed == 2);
    CHECK(a.consensus_correct);  // 7/2 and 4 tie 2 : 2, and 7/2 was voted first
    a.greedy_tokens = 10;
    a.sample_tokens = 40;
    a.sample_max_tokens = 13;

    ProblemEval b;  // greedy wrong, 0 of 4 right, everything well formed, one sample truncated
    b.greedy_well_formed = true;
    b.samples_well_formed = 4;
    b.greedy_tokens = 20;
    b.sample_tokens = 60;
    b.samples_truncated = 1;
    b.sample_max_tokens = 24;

    const EvalReport r = summarize_evaluation({a, b}, 4, {1, 2, 4});
    CHECK(r.problems == 2);
    CHECK(r.greedy_pass_at_1 == doctest::Approx(0.5));
    CHECK(r.sampled_pass_at_1 == doctest::Approx(0.25));  // (2/4 + 0/4) / 2
    CHECK(r.pass_at(1) == doctest::Approx(0.25));
    CHECK(r.pass_at(2) == doctest::Approx(5.0 / 12));     // (1 - C(2,2)/C(4,2) + 0) / 2 = (5/6) / 2
    CHECK(r.pass_at(4) == doctest::Approx(0.5));
    CHECK(r.cons_at_k == doctest::Approx(0.5));
    CHECK(r.greedy_format_rate == doctest::Approx(1.0));
    CHECK(r.sampled_format_rate == doctest::Approx(0.75));  // (2/4 + 4/4) / 2
    CHECK(r.greedy_mean_tokens == doctest::Approx(15.0));
    CHECK(r.sampled_mean_tokens == doctest::Approx(12.5));  // (40/4 + 60/4) / 2
    CHECK(r.sampled_truncated_rate == doctest::Approx(0.125));
    CHECK(r.greedy_max_tokens == 20);
    CHECK(r.sampled_max_tokens == 24);
    CHECK_THROWS_AS(r.pass_at(3), Error);
}

TEST_CASE("evaluation: language mixing and the target-language share, by hand") {
    const Problem p = make_linear_equation_problem({2, -3, 7});  // x = 5
    const std::vector<std::string> samples = {
        "<think>move: 2x = 7 + 3\nso: x = 5</think><answer>5</answer>",  // English
        "<think>move: 2x = 7 + 3\nαρα: x = 5</think><answer>5</answer>", // mixed, English share 1/2
        "<think>φερω: 2x = 7 + 3\nαρα: x = 5</think><answer>5</answer>", // Greek: not mixed, share 0
        "<think>5</think><answer>5</answer>",                             // no words: not mixed, share 0
    };
    const ProblemEval e = score_problem(p, samples[1], samples);
    CHECK(e.greedy_mixed);
    CHECK(e.samples_mixed == 1);
    CHECK(e.sampled_language_share == doctest::Approx(1.5 / 4));
    const ProblemEval greek = score_problem(p, samples[2], samples, Script::greek);
    CHECK_FALSE(greek.greedy_mixed);
    CHECK(greek.sampled_language_share == doctest::Approx(1.5 / 4));  // 0 + 1/2 + 1 + 0
    const EvalReport r = summarize_evaluation({e, greek}, 4, {1});
    CHECK(r.greedy_mixing_rate == doctest::Approx(0.5));
    CHECK(r.sampled_mixing_rate == doctest::Approx(0.25));
    CHECK(r.sampled_language_share == doctest::Approx(1.5 / 4));
}

TEST_CASE("evaluation: bad configs throw naming the field") {
    EvalConfig c;
    c.samples = 4;
    c.pass_ks = {8};
    CHECK_THROWS_WITH_AS(c.validate(), "EvalConfig: pass_ks holds 8, expected 1..samples (4)", Error);
    c.pass_ks = {};
    c.prompts_per_call = 0;
    CHECK_THROWS_AS(c.validate(), Error);
}

namespace {

// Every scalar of two reports, compared exactly (==), per problem too: what an empty list of
// reward functions must leave as it was.
void ev_check_same_numbers(const EvalReport& a, const EvalReport& b) {
    CHECK(a.problems == b.problems);
    CHECK(a.samples == b.samples);
    CHECK(a.greedy_pass_at_1 == b.greedy_pass_at_1);
    CHECK(a.sampled_pass_at_1 == b.sampled_pass_at_1);
    CHECK(a.pass_at_k == b.pass_at_k);
    CHECK(a.cons_at_k == b.cons_at_k);
    CHECK(a.greedy_format_rate == b.greedy_format_rate);
    CHECK(a.sampled_format_rate == b.sampled_format_rate);
    CHECK(a.greedy_mean_tokens == b.greedy_mean_tokens);
    CHECK(a.sampled_mean_tokens == b.sampled_mean_tokens);
    CHECK(a.sampled_truncated_rate == b.sampled_truncated_rate);
    CHECK(a.greedy_mixing_rate == b.greedy_mixing_rate);
    CHECK(a.sampled_mixing_rate == b.sampled_mixing_rate);
    CHECK(a.sampled_language_share == b.sampled_language_share);
    REQUIRE(a.per_problem.size() == b.per_problem.size());
    for (std::size_t i = 0; i < a.per_problem.size(); ++i) {
        const ProblemEval &x = a.per_problem[i], &y = b.per_problem[i];
        CHECK(x.greedy_correct == y.greedy_correct);
        CHECK(x.greedy_completion == y.greedy_completion);
        CHECK(x.greedy_tokens == y.greedy_tokens);
        CHECK(x.samples_correct == y.samples_correct);
        CHECK(x.samples_well_formed == y.samples_well_formed);
        CHECK(x.sample_tokens == y.sample_tokens);
        CHECK(x.samples_truncated == y.samples_truncated);
        CHECK(x.consensus_correct == y.consensus_correct);
        CHECK(x.sampled_language_share == y.sampled_language_share);
    }
}

bool ev_contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("evaluation: reward functions are reported by name, with means and unscored counts by hand") {
    std::vector<std::string> seen;  // question|prompt|completion|tokens of every call of "think"
    const std::vector<RewardFunction> functions = {
        {"think", 1.0,
         [&seen](const RewardInput& in) -> RewardScore {
             seen.push_back(in.problem.question + "|" + std::string(in.prompt) + "|" + std::string(in.completion) +
                            "|" + std::to_string(in.completion_tokens));
             return ev_contains(in.completion, "<think>") ? 1.0 : 0.0;
         }},
        // a judge that cannot read a "4": no score; else the token count
        {"judge", 0.5,
         [](const RewardInput& in) -> RewardScore {
             if (ev_contains(in.completion, "4")) return std::nullopt;
             return static_cast<double>(in.completion_tokens);
         }},
        {"offline", 0.0, [](const RewardInput&) -> RewardScore { return std::nullopt; }},  // logged only
    };
    const Problem half = make_linear_equation_problem({2, 3, 10});  // x = 7/2
    const Problem five = make_linear_equation_problem({2, -3, 7});  // x = 5
    const std::vector<std::string> samples_a = {"<think>w</think><answer>3.5</answer>", "<answer>4</answer>",
                                                "<think>w</think><answer>4</answer>", "<think>w</think> x = 3.5"};
    const std::vector<std::string> samples_b = {"<think>w</think><answer>5</answer>", "<answer>4</answer>", "x = 5",
                                                "<think>so</think><answer>5</answer>"};
    const std::string greedy_a = "<think>2x = 7</think><answer>7/2</answer>", greedy_b = "<answer>5</answer>";
    ProblemEval a = score_problem(half, greedy_a, samples_a), b = score_problem(five, greedy_b, samples_b);
    const ProblemEval a_plain = a, b_plain = b;
    score_problem_rewards(functions, half, "P1", greedy_a, 10, samples_a, {5, 6, 7, 8}, &a);
    score_problem_rewards(functions, five, "P2", greedy_b, 4, samples_b, {2, 3, 4, 5}, &b);

    // Each call saw its problem, prompt, completion and length: the greedy one first, then the samples.
    REQUIRE(seen.size() == 10);
    CHECK(seen[0] == half.question + "|P1|" + greedy_a + "|10");
    CHECK(seen[2] == half.question + "|P1|<answer>4</answer>|6");
    CHECK(seen[5] == five.question + "|P2|<answer>5</answer>|4");
    CHECK(seen[9] == five.question + "|P2|<think>so</think><answer>5</answer>|5");

    // One completion's components and weighted total (the weight-0 function's "no score" is logged, not counted).
    REQUIRE(a.sample_rewards.size() == 4);
    REQUIRE(a.sample_rewards[0].components.size() == 3);
    CHECK(a.sample_rewards[0].components[0] == 1.0);
    CHECK(a.sample_rewards[0].components[1] == 5.0);
    CHECK(std::isnan(a.sample_rewards[0].components[2]));
    CHECK(a.sample_rewards[0].total == 3.5);              // 1·1 + 0.5·5
    CHECK(std::isnan(a.sample_rewards[1].total));         // "judge" gave no score
    CHECK(a.greedy_rewards.total == 6.0);                 // 1·1 + 0.5·10

    const EvalReport r = summarize_evaluation({a, b}, 4, {1, 2}, functions);
    REQUIRE(r.rewards.size() == 3);
    CHECK(r.rewards[0].name == "think");
    CHECK(r.rewards[1].weight == 0.5);
    // think: greedy 1, 0; samples 1 0 1 1 and 1 0 0 1
    CHECK(r.reward("think").greedy_mean == 0.5);
    CHECK(r.reward("think").sampled_mean == 0.625);       // 5 / 8
    CHECK(r.reward("think").greedy_missing == 0);
    CHECK(r.reward("think").sampled_missing == 0);
    // judge: greedy 10, 4; samples 5 - - 8 and 2 - 4 5, over the 5 it scored
    CHECK(r.reward("judge").greedy_mean == 7.0);
    CHECK(r.reward("judge").sampled_mean == doctest::Approx(4.8).epsilon(1e-15));  // 24 / 5
    CHECK(r.reward("judge").greedy_missing == 0);
    CHECK(r.reward("judge").sampled_missing == 3);
    // offline scored nothing: no mean, everything counted
    CHECK(std::isnan(r.reward("offline").greedy_mean));
    CHECK(std::isnan(r.reward("offline").sampled_mean));
    CHECK(r.reward("offline").greedy_missing == 2);
    CHECK(r.reward("offline").sampled_missing == 8);
    CHECK_THROWS_WITH_AS(r.reward("nope"),
                         "EvalReport::reward: no reward function named 'nope' in this report "
                         "(EvalConfig::reward_functions)",
                         Error);

    // pass@1, pass@k, cons@k and the rest are the verifier's, with or without the functions.
    const EvalReport plain = summarize_evaluation({a_plain, b_plain}, 4, {1, 2});
    CHECK(plain.rewards.empty());
    ev_check_same_numbers(r, plain);
    CHECK(r.sampled_pass_at_1 == 0.625);  // (2/4 + 3/4) / 2: the verifier's, not "think"'s or "judge"'s
    // A problem without the functions' scores is refused, naming it.
    CHECK_THROWS_WITH_AS(summarize_evaluation({a, b_plain}, 4, {1}, functions),
                         "summarize_evaluation: problem 1 has 0 greedy reward scores and 0 scored samples, "
                         "expected 3 and 4 (score_problem_rewards)",
                         Error);
}

TEST_CASE("evaluation: a reward function that throws is an error naming it, and the list is validated") {
    const Problem half = make_linear_equation_problem({2, 3, 10});
    const std::vector<RewardFunction> functions = {
        {"boom", 1.0, [](const RewardInput&) -> RewardScore { throw std::runtime_error("judge down"); }}};
    ProblemEval e;
    CHECK_THROWS_WITH_AS(
        score_problem_rewards(functions, half, "P", "<answer>1</answer>", 3, {}, {}, &e),
        ("reward function 'boom' threw on a completion of problem '" + half.question + "': judge down").c_str(),
        Error);
    const std::vector<RewardFunction> nan_function = {
        {"nan", 1.0, [](const RewardInput&) -> RewardScore { return std::nan(""); }}};
    CHECK_THROWS_AS(score_problem_rewards(nan_function, half, "P", "x", 1, {}, {}, &e), Error);

    EvalConfig c;
    c.reward_functions = {functions[0], functions[0]};
    CHECK_THROWS_WITH_AS(c.validate(),
                         "EvalConfig: two reward functions are named 'boom', expected unique names (they are the "
                         "log's keys)",
                         Error);
    c.reward_functions = {{"unset", 1.0, {}}};
    CHECK_THROWS_WITH_AS(c.validate(), "EvalConfig: reward function 'unset' has no callable (score is empty)", Error);
    c.reward_functions.clear();
    CHECK_NOTHROW(c.validate());  // empty: no functions, nothing to check
}

namespace {

// A small MoE model taught one completion by heart: after "Q\n" it writes
// <think> w </think> <answer> 1 </answer> <eos>, 7 tokens.
Transformer<float, Cpu> model_that_answers_one(const Tokenizer& tok) {
    TransformerConfig c;
    c.vocab_size = tok.vocab_size();
    c.d_model = 32;
    c.n_layers = 2;
    c.n_heads = 2;
    c.head_dim = 16;
    c.n_dense_layers = 1;
    c.dense_hidden = 64;
    c.n_routed_experts = 4;
    c.experts_per_token = 2;
    c.expert_hidden = 32;
    c.max_seq_len = 32;
    Rng init(5), batches(6);
    Transformer<float, Cpu> model(c, init);
    TokenStream stream;
    for (int i = 0; i < 50; ++i) stream.add_document(tok, "Q\n<think>w</think><answer>1</answer>");
    AdamW<float, Cpu> opt(model.params(), {1e-2, 0.9, 0.95, 1e-8, 0.0});
    for (int step = 0; step < 150; ++step) {
        const auto [ids, targets] = stream.sample_batch<Cpu>(batches, 8, 16);
        Tape tape;
        const auto loss = model.loss(&tape, ids, targets);
        opt.zero_grad();
        tape.backward(loss);
        opt.step();
    }
    return model;
}

Problem answer_is(const char* answer) {
    return {"Q", answer, [answer](std::string_view candidate) { return candidate == answer; }};
}

}  // namespace

TEST_CASE("evaluation: end to end on a model that always answers 1") {
    const Tokenizer tok = Tokenizer::ascii();
    auto model = model_that_answers_one(tok);
    const std::vector<Problem> problems = {answer_is("1"), answer_is("2"), answer_is("1")};
    const auto prompt_of = [](const Problem& p) { return p.question + "\n"; };

    EvalConfig config;
    config.samples = 4;
    config.temperature = 0.0;  // the samples are greedy too
    config.max_new_tokens = 12;
    config.prompts_per_call = 2;  // two calls: problems {0, 1} and {2}
    config.pass_ks = {1, 4};
    const EvalReport r = evaluate(model, tok, problems, prompt_of, config);
    REQUIRE(r.problems == 3);
    CHECK(r.per_problem[0].greedy_completion == "<think>w</think><answer>1</answer>");
    CHECK(r.greedy_pass_at_1 == doctest::Approx(2.0 / 3));
    CHECK(r.sampled_pass_at_1 == doctest::Approx(2.0 / 3));  // greedy samples: the same
    CHECK(r.pass_at(4) == doctest::Approx(2.0 / 3));
    CHECK(r.cons_at_k == doctest::Approx(2.0 / 3));
    CHECK(r.greedy_format_rate == 1.0);
    CHECK(r.sampled_format_rate == 1.0);
    CHECK(r.greedy_mean_tokens == 7.0);
    CHECK(r.sampled_mean_tokens == 7.0);
    CHECK(r.sampled_truncated_rate == 0.0);
    CHECK(r.sampled_max_tokens == 7);
    CHECK(r.per_problem[0].sample_completions.empty());  // keep_samples is off

    // Sampling at temperature 1: the same call gives the same report, and the template overload
    // is the same prompt.
    config.temperature = 1.0;
    config.top_p = 1.0;
    config.seed = 11;
    const EvalReport s1 = evaluate(model, tok, problems, prompt_of, config);
    const EvalReport s2 = evaluate(model, tok, problems, PromptTemplate{"", "\n"}, config);
    for (int i = 0; i < 3; ++i) {
        CHECK(s1.per_problem[i].samples_correct == s2.per_problem[i].samples_correct);
        CHECK(s1.per_problem[i].sample_tokens == s2.per_problem[i].sample_tokens);
    }
    CHECK(s1.sampled_pass_at_1 == s2.sampled_pass_at_1);
    CHECK(s1.greedy_pass_at_1 == r.greedy_pass_at_1);  // greedy does not depend on the seed

    // With reward functions: the same numbers bit for bit, and each function by name. "flaky"
    // cannot judge problem 1 (answer 2); elsewhere it gives the completion's length.
    int calls = 0, taught_inputs = 0;
    config.reward_functions = {
        {"answers_one", 1.0,
         [&](const RewardInput& in) -> RewardScore {
             ++calls;
             const bool taught = in.completion == "<think>w</think><answer>1</answer>";
             taught_inputs += taught && in.prompt == "Q\n" && in.problem.question == "Q" && in.completion_tokens == 7;
             return taught ? 1.0 : 0.0;
         }},
        {"flaky", 0.5, [](const RewardInput& in) -> RewardScore {
             if (in.problem.answer == "2") return std::nullopt;
             return static_cast<double>(in.completion_tokens);
         }}};
    const EvalReport s3 = evaluate(model, tok, problems, prompt_of, config);
    CHECK(s1.rewards.empty());
    ev_check_same_numbers(s3, s1);
    REQUIRE(s3.rewards.size() == 2);
    CHECK(calls == 15);  // 3 problems x (1 greedy + 4 samples)
    CHECK(s3.reward("answers_one").greedy_mean == 1.0);  // the three greedy completions are the taught one
    CHECK(s3.reward("flaky").greedy_mean == 7.0);
    CHECK(s3.reward("flaky").greedy_missing == 1);
    CHECK(s3.reward("flaky").sampled_missing == 4);
    CHECK(s3.per_problem[1].sample_rewards.size() == 4);
    CHECK(std::isnan(s3.per_problem[1].greedy_rewards.total));

    // Greedy samples: every one of the 15 calls sees the taught completion after "Q\n".
    config.temperature = 0.0;
    calls = taught_inputs = 0;
    const EvalReport g = evaluate(model, tok, problems, prompt_of, config);
    CHECK(calls == 15);
    CHECK(taught_inputs == 15);
    CHECK(g.reward("answers_one").sampled_mean == 1.0);
    CHECK(g.reward("answers_one").sampled_missing == 0);
    CHECK(g.reward("flaky").sampled_mean == 7.0);
    CHECK(g.reward("flaky").sampled_missing == 4);
    CHECK(g.per_problem[0].sample_rewards[3].total == 4.5);  // 1 + 0.5 * 7
    config.reward_functions.clear();
    ev_check_same_numbers(g, evaluate(model, tok, problems, prompt_of, config));

    // keep_samples keeps every decoded sample, and changes no number.
    config.keep_samples = true;
    const EvalReport kept = evaluate(model, tok, problems, prompt_of, config);
    ev_check_same_numbers(kept, g);
    REQUIRE(kept.per_problem[2].sample_completions.size() == 4);
    CHECK(kept.per_problem[2].sample_completions[3] == "<think>w</think><answer>1</answer>");
    CHECK(kept.per_problem[2].sample_max_tokens == 7);
}

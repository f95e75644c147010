// Rejection sampling (train/rejection_sampling.hpp): each filter keeps and drops what it should,
// in its fixed order; dedupe and cap per prompt; the non-reasoning share; a sampled run whose
// counts add up; and the JSONL set of the pipeline stage read back as written.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "test_support.hpp"

using grpo::RejectReason;
using grpo::SftExample;

namespace {

// 2x - 3 = 7 (x = 5), with its step rule.
grpo::VerifiedProblem two_x_minus_three() {
    const grpo::LinearEquation eq{2, -3, 7};
    return {grpo::make_linear_equation_problem(eq), grpo::linear_step_rule(eq)};
}

RejectReason judge(const std::string& completion, const grpo::RejectionFilter& filter = {}) {
    return grpo::judge_completion(completion, two_x_minus_three(), filter);
}

const std::string kClean =
    "<think>solve: 2x - 3 = 7\nmove: 2x = 7 + 3\nso: 2x = 10\ndivide: x = 10 / 2\nso: x = 5</think><answer>5</answer>";

}  // namespace

TEST_CASE("rejection: a clean, correct, all-English, verified solution is kept") {
    CHECK(judge(kClean) == RejectReason::kept);
}

TEST_CASE("rejection: each check drops what it should") {
    // the slip's wrong answer
    CHECK(judge("<think>solve: 2x - 3 = 7\nmove: 2x = 7 - 3\nso: 2x = 4\ndivide: x = 4 / 2\nso: x = 2</think>"
                "<answer>2</answer>") == RejectReason::wrong_answer);
    // the right answer after a false move line
    CHECK(judge("<think>solve: 2x - 3 = 7\nmove: 2x = 7 - 3\nso: 2x = 10\nso: x = 5</think><answer>5</answer>") ==
          RejectReason::unverified_step);
    // one Greek label, or all Greek
    CHECK(judge("<think>solve: 2x - 3 = 7\nφερω: 2x = 7 + 3\nso: 2x = 10\ndivide: x = 10 / 2\nso: x = 5</think>"
                "<answer>5</answer>") == RejectReason::mixed_language);
    CHECK(judge(grpo::labelled_linear_solution({2, -3, 7}, grpo::LanguagePlan{grpo::ReasoningLanguage::greek})) ==
          RejectReason::mixed_language);
    // text after </answer>, or no </think>
    CHECK(judge(kClean + " ok") == RejectReason::bad_format);
    CHECK(judge("<think>so: x = 5<answer>5</answer>") == RejectReason::bad_format);
    // no reasoning lines that check: "so" alone is not an equation
    CHECK(judge("<think>so</think><answer>5</answer>") == RejectReason::unverified_step);
}

TEST_CASE("rejection: the checks run in a fixed order, and each can be the first to fail") {
    // wrong format and wrong answer: the format is named
    CHECK(judge("<answer>2</answer>") == RejectReason::bad_format);
    // wrong answer and Greek: the answer is named
    CHECK(judge("<think>αρα: x = 2</think><answer>2</answer>") == RejectReason::wrong_answer);
    // Greek and an unverified step: the language is named
    CHECK(judge("<think>αρα: x = 4\nαρα: x = 5</think><answer>5</answer>") == RejectReason::mixed_language);
    // with step checking off, a false line passes
    grpo::RejectionFilter lenient;
    lenient.verify_steps = false;
    CHECK(judge("<think>solve: 2x - 3 = 7\nmove: 2x = 7 - 3\nso: x = 5</think><answer>5</answer>", lenient) ==
          RejectReason::kept);
}

namespace {

// "short" (weight 1): 1 when the completion has at most 50 tokens, else 0; "judge" (weight 2):
// no score when the prompt says the judge is offline, else 0.25; "log" (weight 0): never a
// score, and logged only, so it never rejects. `seen` gets question|prompt|tokens of each call.
std::vector<grpo::RewardFunction> rj_functions(std::vector<std::string>* seen) {
    return {{"short", 1.0,
             [seen](const grpo::RewardInput& in) -> grpo::RewardScore {
                 seen->push_back(in.problem.question + "|" + std::string(in.prompt) + "|" +
                                 std::to_string(in.completion_tokens));
                 return in.completion_tokens <= 50 ? 1.0 : 0.0;
             }},
            {"judge", 2.0,
             [](const grpo::RewardInput& in) -> grpo::RewardScore {
                 if (in.prompt.find("offline") != std::string_view::npos) return std::nullopt;
                 return 0.25;
             }},
            {"log", 0.0, [](const grpo::RewardInput&) -> grpo::RewardScore { return std::nullopt; }}};
}

}  // namespace

TEST_CASE("rejection: reward functions judge after the checks, by their weighted total against min_reward") {
    std::vector<std::string> seen;
    const grpo::VerifiedProblem p = two_x_minus_three();
    grpo::RejectionFilter filter;
    filter.reward_functions = rj_functions(&seen);
    const auto fate = [&](const std::string& completion, std::string_view prompt, int tokens) {
        return grpo::judge_completion(completion, p, filter, prompt, tokens);
    };
    // total = 1·short + 2·0.25: 1.5 within 50 tokens, 0.5 beyond
    CHECK(fate(kClean, "P\n", 40) == RejectReason::kept);  // default min_reward: any score passes
    CHECK(fate(kClean, "P\n", 60) == RejectReason::kept);
    filter.min_reward = 1.5;
    CHECK(fate(kClean, "P\n", 40) == RejectReason::kept);  // >=: on the threshold is kept
    CHECK(fate(kClean, "P\n", 60) == RejectReason::low_reward);
    filter.min_reward = 1.6;
    CHECK(fate(kClean, "P\n", 40) == RejectReason::low_reward);
    // no score is not a pass, whatever the threshold
    filter.min_reward = -std::numeric_limits<double>::infinity();
    CHECK(fate(kClean, "judge offline\n", 40) == RejectReason::unscored);
    REQUIRE(seen.size() == 6);
    CHECK(seen[0] == p.problem.question + "|P\n|40");
    CHECK(seen[5] == p.problem.question + "|judge offline\n|40");
    // the rule checks come first, and a completion they drop is never scored
    CHECK(fate("<answer>2</answer>", "judge offline\n", 40) == RejectReason::bad_format);
    CHECK(fate("<think>αρα: x = 5</think><answer>5</answer>", "P\n", 40) == RejectReason::mixed_language);
    CHECK(seen.size() == 6);
    CHECK(std::string(grpo::reject_reason_name(RejectReason::unscored)) == "a reward function gave no score");
    CHECK(std::string(grpo::reject_reason_name(RejectReason::low_reward)) == "a reward below min_reward");

    // Without reward functions min_reward is not used: the old judgement.
    grpo::RejectionFilter plain;
    plain.min_reward = 1e9;
    CHECK(judge(kClean, plain) == RejectReason::kept);
}

TEST_CASE("rejection: a reward function that throws is an error naming it, and the filter is validated") {
    const grpo::VerifiedProblem p = two_x_minus_three();
    grpo::RejectionFilter filter;
    filter.reward_functions = {
        {"boom", 1.0, [](const grpo::RewardInput&) -> grpo::RewardScore { throw std::runtime_error("down"); }}};
    CHECK_THROWS_WITH_AS(
        grpo::judge_completion(kClean, p, filter, "P\n", 40),
        ("reward function 'boom' threw on a completion of problem '" + p.problem.question + "': down").c_str(),
        grpo::Error);
    CHECK(grpo::judge_completion("no format", p, filter) == RejectReason::bad_format);  // never reached
    filter.reward_functions.push_back(filter.reward_functions[0]);
    CHECK_THROWS_WITH_AS(filter.validate(),
                         "RejectionFilter: two reward functions are named 'boom', expected unique names (they are "
                         "the log's keys)",
                         grpo::Error);
    filter.reward_functions.pop_back();
    filter.min_reward = std::nan("");
    CHECK_THROWS_WITH_AS(filter.validate(), "RejectionFilter: min_reward = nan, expected a number or -infinity",
                         grpo::Error);
    CHECK_THROWS_AS(grpo::judge_completion("no format", p, filter), grpo::Error);
}

TEST_CASE("rejection: an arithmetic solution is kept, a wrong middle step is not") {
    grpo::Rng rng(11);
    const grpo::RandomExpression e = grpo::sample_arithmetic(rng, {3, 1, 9, false, 99});
    const grpo::VerifiedProblem p{grpo::make_arithmetic_problem(e), grpo::arithmetic_step_rule()};
    const std::string clean = grpo::labelled_arithmetic_solution(e, {});
    CHECK(grpo::judge_completion(clean, p, {}) == RejectReason::kept);
    std::string broken = clean;
    const std::size_t second = broken.find("then:", broken.find("then:") + 1);
    const std::size_t equals = broken.find(" = ", second);
    broken.insert(equals + 3, "1");  // "= 14" becomes "= 114"
    CHECK(grpo::judge_completion(broken, p, {}) == RejectReason::unverified_step);
}

TEST_CASE("rejection: dedupe and cap keep the first distinct completions of each prompt") {
    const std::vector<SftExample> in = {{"A", "x"}, {"A", "x"}, {"B", "x"}, {"A", "y"}, {"A", "x"}, {"A", "z"},
                                        {"B", "y"}};
    grpo::RejectionStats stats;
    const std::vector<SftExample> out = grpo::dedupe_and_cap(in, 2, &stats);
    REQUIRE(out.size() == 4);
    CHECK((out[0].prompt == "A" && out[0].completion == "x"));
    CHECK((out[1].prompt == "B" && out[1].completion == "x"));
    CHECK((out[2].prompt == "A" && out[2].completion == "y"));
    CHECK((out[3].prompt == "B" && out[3].completion == "y"));
    CHECK(stats[RejectReason::duplicate] == 2);
    CHECK(stats[RejectReason::over_cap] == 1);  // A's z: A already has 2
    CHECK_THROWS_AS(grpo::dedupe_and_cap(in, 0), grpo::Error);
}

TEST_CASE("rejection: the non-reasoning share is added as plain documents and shuffled by seed") {
    std::vector<SftExample> reasoning;
    for (int i = 0; i < 300; ++i) reasoning.push_back({"Q" + std::to_string(i) + "\n", "<think>so</think>"});
    const auto plain = [](grpo::Rng& rng) { return std::to_string(rng.uniform_int(0, 9)) + " + 1"; };
    grpo::Rng rng_a(4), rng_b(4);
    const std::vector<SftExample> a = grpo::mix_non_reasoning(reasoning, plain, 0.25, rng_a);
    const std::vector<SftExample> b = grpo::mix_non_reasoning(reasoning, plain, 0.25, rng_b);
    REQUIRE(a.size() == 400);  // 300 + 300 * 0.25 / 0.75
    int empty_prompts = 0, thinking_plain = 0, same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        empty_prompts += a[i].prompt.empty();
        thinking_plain += a[i].prompt.empty() && a[i].completion.find("<think>") != std::string::npos;
        same += a[i].prompt == b[i].prompt && a[i].completion == b[i].completion;
    }
    CHECK(empty_prompts == 100);
    CHECK(thinking_plain == 0);
    CHECK(same == 400);
    CHECK(a[0].prompt != reasoning[0].prompt);  // shuffled: the first row moved (seed 4)
    CHECK_THROWS_AS(grpo::mix_non_reasoning(reasoning, plain, 1.0, rng_a), grpo::Error);
}

TEST_CASE("rejection: a sampled run counts every completion once, and the pipeline set reads back") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii_with(grpo::kGreekLabelLetters);
    grpo::TransformerConfig c = grpo_test::tiny_moe_config(64);
    c.vocab_size = tok.vocab_size();
    grpo::Rng init(1);
    grpo::Transformer<float, grpo::Cpu> model(c, init);
    std::vector<grpo::VerifiedProblem> problems;
    for (int i = 0; i < 4; ++i) problems.push_back(two_x_minus_three());
    grpo::SamplingConfig sampling;
    sampling.group_size = 4;
    sampling.max_new_tokens = 12;
    const grpo::RejectionResult r =
        grpo::rejection_sample(model, tok, problems, grpo::PromptTemplate::plain(), sampling, {}, 3);
    CHECK(r.stats.sampled == 16);
    std::int64_t total = 0;
    for (const auto& [reason, n] : r.stats.count) total += n;
    CHECK(total == 16);
    CHECK(r.stats[RejectReason::kept] == static_cast<std::int64_t>(r.examples.size()));

    // write and read a set with kept examples
    grpo::RejectionResult set;
    set.stats.sampled = 3;
    set.stats.count = {{RejectReason::kept, 2}, {RejectReason::wrong_answer, 1}};
    set.examples = {{"Solve for x: 2x - 3 = 7\n", kClean}, {"", "1 + 1 = 2\n\"quoted\" αρα"}};
    const std::string path = (std::filesystem::temp_directory_path() / "grpo_test_rs_set.jsonl").string();
    const grpo::StageId id = grpo::child_stage({}, "rs", "plan");
    grpo::write_rejection_set(path, id, set);
    const auto back = grpo::read_rejection_set(path, id);
    REQUIRE(back.has_value());
    CHECK(back->stats.sampled == 3);
    CHECK(back->stats[RejectReason::kept] == 2);
    CHECK(back->stats[RejectReason::wrong_answer] == 1);
    REQUIRE(back->examples.size() == 2);
    CHECK(back->examples[0].completion == kClean);
    CHECK(back->examples[1].completion == "1 + 1 = 2\n\"quoted\" αρα");
    CHECK_FALSE(grpo::read_rejection_set(path, grpo::child_stage({}, "rs", "another plan")).has_value());

    // A damaged set is a grpo::Error naming the file, the line and the field.
    const std::string text = grpo::read_file(path);
    const std::string header = text.substr(0, text.find('\n') + 1);
    grpo::write_file_atomically(path, header + "{\"prompt\": \"q\", \"completion\": 7}\n");
    CHECK_THROWS_WITH_AS(grpo::read_rejection_set(path, id),
                         ("rejection set '" + path + "', line 2: field 'completion' = 7, expected a string").c_str(),
                         grpo::Error);
    grpo::write_file_atomically(path, header + "{\"prompt\": \n");
    CHECK_THROWS_WITH_AS(grpo::read_rejection_set(path, id),
                         doctest::Contains(("rejection set '" + path + "', line 2 is not JSON: ").c_str()), grpo::Error);
    std::filesystem::remove(path);
}

namespace {

// A small MoE model taught one completion by heart: after "Q\n" it writes
// <think> s o </think> <answer> 1 </answer> <eos>, 8 tokens, which every check passes (with
// step checking off: "so" is not an equation).
grpo::Transformer<float, grpo::Cpu> rj_model_that_answers_one(const grpo::Tokenizer& tok) {
    grpo::TransformerConfig c;
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
    grpo::Rng init(5), batches(6);
    grpo::Transformer<float, grpo::Cpu> model(c, init);
    grpo::TokenStream stream;
    for (int i = 0; i < 50; ++i) stream.add_document(tok, "Q\n<think>so</think><answer>1</answer>");
    grpo::AdamW<float, grpo::Cpu> opt(model.params(), {1e-2, 0.9, 0.95, 1e-8, 0.0});
    for (int step = 0; step < 150; ++step) {
        const auto [ids, targets] = stream.sample_batch<grpo::Cpu>(batches, 8, 16);
        grpo::Tape tape;
        const auto loss = model.loss(&tape, ids, targets);
        opt.zero_grad();
        tape.backward(loss);
        opt.step();
    }
    return model;
}

}  // namespace

TEST_CASE("rejection: a sampled run with reward functions counts the new reasons, and only then") {
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    auto model = rj_model_that_answers_one(tok);
    const grpo::Problem q{"Q", "1", [](std::string_view a) { return a == "1"; }};
    const std::vector<grpo::VerifiedProblem> problems(3, grpo::VerifiedProblem{q, grpo::arithmetic_step_rule()});
    grpo::SamplingConfig sampling;
    sampling.temperature = 0.0;  // 12 copies of the taught completion
    sampling.group_size = 4;
    sampling.max_new_tokens = 12;
    grpo::RejectionFilter filter;
    filter.verify_steps = false;

    const grpo::RejectionResult plain =
        grpo::rejection_sample(model, tok, problems, grpo::PromptTemplate::plain(), sampling, filter, 3);
    CHECK(plain.stats.sampled == 12);
    CHECK(plain.stats[RejectReason::kept] == 1);
    CHECK(plain.stats[RejectReason::duplicate] == 11);
    CHECK(plain.stats.count.count(RejectReason::unscored) == 0);
    CHECK(plain.stats.count.count(RejectReason::low_reward) == 0);

    // "seq" judges the 12 in order: call n gives no score when n % 4 == 0, 0 when n % 4 == 1,
    // else 1; min_reward 0.5 keeps 6 of them, of which dedupe keeps 1.
    int calls = 0, taught = 0;
    filter.reward_functions = {{"seq", 1.0, [&](const grpo::RewardInput& in) -> grpo::RewardScore {
                                    taught += in.prompt == "Q\n" && in.problem.question == "Q" &&
                                              in.completion == "<think>so</think><answer>1</answer>" &&
                                              in.completion_tokens == 8;
                                    const int n = calls++;
                                    if (n % 4 == 0) return std::nullopt;
                                    return n % 4 == 1 ? 0.0 : 1.0;
                                }}};
    filter.min_reward = 0.5;
    const grpo::RejectionResult r =
        grpo::rejection_sample(model, tok, problems, grpo::PromptTemplate::plain(), sampling, filter, 3);
    CHECK(calls == 12);
    CHECK(taught == 12);
    CHECK(r.stats.sampled == 12);
    CHECK(r.stats[RejectReason::unscored] == 3);
    CHECK(r.stats[RejectReason::low_reward] == 3);
    CHECK(r.stats[RejectReason::duplicate] == 5);
    CHECK(r.stats[RejectReason::kept] == 1);
    REQUIRE(r.examples.size() == 1);
    CHECK(r.examples[0].prompt == "Q\n");
    CHECK(r.examples[0].completion == "<think>so</think><answer>1</answer>");

    // The pipeline's set keeps the new reasons when they were counted, and only then.
    const std::string path = (std::filesystem::temp_directory_path() / "grpo_test_rs_rewards.jsonl").string();
    const grpo::StageId id = grpo::child_stage({}, "rs", "rewards");
    grpo::write_rejection_set(path, id, r);
    const auto back = grpo::read_rejection_set(path, id);
    REQUIRE(back.has_value());
    for (const RejectReason reason : {RejectReason::kept, RejectReason::duplicate, RejectReason::unscored,
                                      RejectReason::low_reward, RejectReason::bad_format})
        CHECK(back->stats[reason] == r.stats[reason]);
    CHECK(back->stats[RejectReason::unscored] == 3);
    CHECK(back->stats[RejectReason::low_reward] == 3);
    grpo::write_rejection_set(path, id, plain);
    const auto plain_back = grpo::read_rejection_set(path, id);
    REQUIRE(plain_back.has_value());
    CHECK(plain_back->stats.count.count(RejectReason::unscored) == 0);
    CHECK(plain_back->stats.count.count(RejectReason::low_reward) == 0);
    CHECK(plain_back->stats[RejectReason::duplicate] == 11);
    std::filesystem::remove(path);
}

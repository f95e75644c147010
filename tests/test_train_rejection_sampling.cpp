// Rejection sampling (train/rejection_sampling.hpp): each filter keeps and drops what it should,
// in its fixed order; dedupe and cap per prompt; the non-reasoning share; a sampled run whose
// counts add up; and the JSONL set of the pipeline stage read back as written.
#include <doctest/doctest.h>

#include <filesystem>

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

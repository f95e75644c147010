// Example 09: your own task, with your own rewards. The library ships arithmetic, linear
// equations, countdown and expressions; this lesson trains on one it does not ship, reversing a
// short word ("Reverse: drum" -> "murd"), the way a user brings any task:
//   1. the data: a JSONL file of questions and answers (here written by this program, with one
//      extra field), read with read_prompt_jsonl and split with split_prompts into training and
//      held-out rows; a PromptDataset draws each GRPO step's problems from the training rows
//   2. a verifier of your own (exact match) and reward functions of your own, by name and weight:
//      exact (the verifier), letters (partial credit per letter), format (the built-in rule)
//   3. a tiny model from scratch, SFT on worked solutions the program writes, then GRPO, with a
//      step callback that prints a few lines and a sample completion
//   4. held-out accuracy before SFT, after SFT and after GRPO, as a table
// Chapter: tutorials/09-your-own-task.md.
//
//   build/examples/09_your_own_task              # the whole run, about a minute on one core
//   build/examples/09_your_own_task --quick      # a toy-size run in seconds (what ctest diffs)
//   build/examples/09_your_own_task --slip=0     # clean worked solutions: does GRPO still help?
// Standard output holds only what a seeded run reproduces exactly, at any thread count.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

using Model = grpo::Transformer<float, grpo::Cpu>;

std::vector<ExampleFlag> flag_table() {
    return {
        {"quick", "0", "toy size in seconds, what ctest diffs", ExampleFlag::toggle},
        {"threads", "1", "CPU threads (the output is the same for any count)", ExampleFlag::integer},
        {"out", "", "output folder (empty: your_own_task_out, or your_own_task_quick with --quick)",
         ExampleFlag::text},
        {"sft_steps", "300", "SFT steps on worked solutions (--quick: 30)", ExampleFlag::integer},
        {"grpo_steps", "60", "GRPO steps (--quick: 2)", ExampleFlag::integer},
        {"lr", "2e-4", "GRPO's AdamW learning rate", ExampleFlag::real},
        {"letters_weight", "0.5", "weight of the partial-credit reward (0: logged, not trained on)", ExampleFlag::real},
        {"slip", "0.1", "share of the SFT solutions that copy the word instead of reversing it", ExampleFlag::real},
        {"prompts", "16", "prompts per GRPO step (--quick: 4)", ExampleFlag::integer},
        {"group", "8", "G, completions sampled per prompt (--quick: 4)", ExampleFlag::integer},
    };
}

// Everything the size of the run decides.
struct Plan {
    int rows;            // lines of the JSONL file
    int sft_steps, grpo_steps, prompts_per_step, group;
    int eval_problems, eval_samples;
};

Plan make_plan(const ExampleFlags& flags) {
    const bool quick = flags.i("quick") != 0;
    Plan p;
    p.rows = quick ? 400 : 4000;
    p.sft_steps = quick ? 30 : flags.i("sft_steps");
    p.grpo_steps = quick ? 2 : flags.i("grpo_steps");
    p.prompts_per_step = quick ? 4 : flags.i("prompts");
    p.group = quick ? 4 : flags.i("group");
    p.eval_problems = quick ? 16 : 200;
    p.eval_samples = quick ? 2 : 4;
    return p;
}

grpo::TransformerConfig model_config(int vocab_size) {
    grpo::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.d_model = 64;
    c.n_layers = 2;
    c.n_heads = 4;
    c.head_dim = 16;
    c.n_dense_layers = 1;  // the first block dense, then one MoE block
    c.dense_hidden = 128;
    c.n_routed_experts = 4;
    c.n_shared_experts = 1;
    c.experts_per_token = 2;
    c.expert_hidden = 64;
    c.max_seq_len = 96;          // a prompt (<= 17 tokens) + a worked solution (<= 54) + <eos>
    c.bias_update_speed = 0.01;  // V3's 0.001 is for trillions of tokens
    return c;
}

// ---- 1. The data: your own JSONL file -------------------------------------------------------

constexpr int kMinLetters = 3, kMaxLetters = 7;

std::string random_word(grpo::Rng& rng) {
    const auto length = rng.uniform_int(kMinLetters, kMaxLetters);
    std::string word;
    for (std::int64_t i = 0; i < length; ++i) word += static_cast<char>('a' + rng.uniform_int(0, 25));
    return word;
}

std::string reversed(std::string_view word) { return std::string(word.rbegin(), word.rend()); }

// One JSON object a line: the question, its answer and an extra field, "letters", which the
// reader keeps in PromptRow::fields (as text) and the report below groups the accuracy by.
void write_reverse_jsonl(const std::string& path, int rows, std::uint64_t seed) {
    grpo::Rng rng(seed);
    std::ofstream file(path, std::ios::binary);
    for (int i = 0; i < rows; ++i) {
        const std::string word = random_word(rng);
        const nlohmann::json line = {{"question", "Reverse: " + word},
                                     {"answer", reversed(word)},
                                     {"letters", static_cast<int>(word.size())}};
        file << line.dump() << "\n";
    }
}

// ---- 2. Your own verifier and rewards ---------------------------------------------------------

// The verifier: the final answer (read from <answer>...</answer> and trimmed by the accuracy
// reward) must be the reversed word, byte for byte. The library's default verifier for a text
// answer (to_problem) would also ignore inner whitespace, which here would accept "m u r d".
grpo::Problem with_exact_verifier(grpo::Problem problem) {
    problem.check = grpo::guarded_check([answer = problem.answer](std::string_view candidate) {
        return candidate == answer;
    });
    return problem;
}

std::vector<grpo::Problem> exact_problems(const std::vector<grpo::PromptRow>& rows) {
    std::vector<grpo::Problem> out;
    for (const grpo::PromptRow& row : rows) out.push_back(with_exact_verifier(grpo::to_problem(row)));
    return out;
}

// Partial credit: the share of positions that hold the right letter, over the longer of the two
// words, so a wrong length costs too ("murd" for "murd" is 1, "mur" 0.75, "murdd" 0.8): one minus
// the Hamming distance (Hamming 1950) of the two words padded to the same length, over that length.
double letter_credit(std::string_view completion, std::string_view reference) {
    const auto answer = grpo::extract_answer(completion);
    if (!answer) return 0.0;
    const std::string_view got = grpo::normalize_answer(*answer);
    const std::size_t longer = std::max(got.size(), reference.size());
    std::size_t same = 0;
    for (std::size_t i = 0; i < std::min(got.size(), reference.size()); ++i) same += got[i] == reference[i];
    return longer == 0 ? 0.0 : static_cast<double>(same) / static_cast<double>(longer);
}

// r = 1·exact + 0.5·letters + 0.25·format (the trainer sums them, as TRL sums its reward_funcs
// with reward_weights). Each is logged under its name.
std::vector<grpo::RewardFunction> reversal_rewards(double letters_weight) {
    return {
        {"exact", 1.0, [](const grpo::RewardInput& in) -> grpo::RewardScore {
             return grpo::verified_accuracy(in.problem, in.completion);  // the problem's own verifier
         }},
        {"letters", letters_weight, [](const grpo::RewardInput& in) -> grpo::RewardScore {
             return letter_credit(in.completion, in.problem.answer);
         }},
        {"format", 0.25, [](const grpo::RewardInput& in) -> grpo::RewardScore {
             return grpo::format_reward(in.completion, grpo::FormatRule::strict);
         }},
    };
}

// ---- 3. Worked solutions for SFT ------------------------------------------------------------

// "<think>m u r d</think>\n<answer>murd</answer>": the letters last to first, then joined. The
// source of these solutions is sloppy, as real ones are: a share `slip` of them spell the
// reversal right in <think> but then copy the question's word into <answer> ("drum"). SFT
// learns that habit with the rest; the exact reward, which reads only the answer, does not pay
// for it, so GRPO can take it away.
std::string worked_solution(const grpo::PromptRow& row, bool slip) {
    std::string spelled;
    for (char c : row.answer) spelled += spelled.empty() ? std::string(1, c) : std::string(" ") + c;
    const std::string answer = slip ? reversed(row.answer) : row.answer;
    return "<think>" + spelled + "</think>\n<answer>" + answer + "</answer>";
}

// ---- 4. Evaluation --------------------------------------------------------------------------

struct Row {
    const char* stage;
    grpo::EvalReport report;
};

void print_table(const std::vector<Row>& rows) {
    std::printf("\n  held-out             greedy exact  sampled exact  letters  format\n");
    for (const Row& r : rows)
        std::printf("  %-19s  %12.3f  %13.3f  %7.3f  %6.3f\n", r.stage, r.report.greedy_pass_at_1,
                    r.report.sampled_pass_at_1, r.report.reward("letters").greedy_mean,
                    r.report.reward("format").greedy_mean);
}

// Greedy exact match by word length, from the rows' extra field "letters".
void print_by_length(const std::vector<grpo::PromptRow>& rows, const std::vector<Row>& stages) {
    std::printf("\n  greedy exact by length");
    for (int n = kMinLetters; n <= kMaxLetters; ++n) std::printf("  %d letters", n);
    std::printf("\n");
    for (const Row& r : stages) {
        std::map<int, int> right, total;
        for (std::size_t i = 0; i < r.report.per_problem.size(); ++i) {
            const int n = std::stoi(rows[i].fields.at("letters"));
            ++total[n];
            right[n] += r.report.per_problem[i].greedy_correct;
        }
        std::printf("  %-21s", r.stage);
        for (int n = kMinLetters; n <= kMaxLetters; ++n)
            std::printf("  %9.3f", total[n] > 0 ? static_cast<double>(right[n]) / total[n] : 0.0);
        std::printf("\n");
    }
}

std::string one_line(std::string text) {
    for (char& ch : text)
        if (ch == '\n') ch = '|';
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(flag_table(), "Your own task: a JSONL of word reversals, your own rewards, SFT then GRPO\n"
                             "(tutorials/09-your-own-task.md).", argc, argv);
    const bool quick = flags.i("quick") != 0;
    if (flags.i("threads") < 1) flags.fail("--threads=" + flags.s("threads") + ": expected 1 or more");
    if (flags.i("sft_steps") < 0 || flags.i("grpo_steps") < 0) flags.fail("steps: expected 0 or more");
    grpo::cpu_set_num_threads(flags.i("threads"));
    const Plan plan = make_plan(flags);
    const std::string out = flags.s("out").empty() ? (quick ? "your_own_task_quick" : "your_own_task_out")
                                                   : flags.s("out");
    std::filesystem::create_directories(out);
    const grpo::Tokenizer tok = grpo::Tokenizer::ascii();
    const grpo::PromptTemplate prompt = grpo::PromptTemplate::plain();  // "Reverse: drum\n", then the completion

    // 1. The data: write the file, read it back as a user reads theirs, hold some rows out.
    const std::string path = out + "/reverse.jsonl";
    write_reverse_jsonl(path, plan.rows, 2026);
    std::vector<grpo::PromptRow> rows = grpo::read_prompt_jsonl(path);  // keys "question" and "answer"
    std::printf("%s: %zu rows, e.g. question \"%s\", answer \"%s\", letters %s\n", path.c_str(), rows.size(),
                rows[0].question.c_str(), rows[0].answer.c_str(), rows[0].fields.at("letters").c_str());
    grpo::PromptSplit split = grpo::split_prompts(std::move(rows), 0.1, /*seed=*/1);
    std::printf("split_prompts: %zu training rows, %zu held out (by a hash of the question)\n", split.train.size(),
                split.held_out.size());
    split.held_out.resize(std::min<std::size_t>(split.held_out.size(), static_cast<std::size_t>(plan.eval_problems)));
    const std::vector<grpo::Problem> held_out = exact_problems(split.held_out);

    grpo::EvalConfig eval;
    eval.samples = plan.eval_samples;
    eval.temperature = 1.0;  // GRPO's sampling temperature
    eval.top_p = 1.0;
    eval.max_new_tokens = 64;
    eval.pass_ks = {1};
    eval.reward_functions = reversal_rewards(flags.d("letters_weight"));  // reported by name beside pass@1
    std::vector<Row> table;

    // 2. A tiny model from scratch: before SFT it writes noise.
    grpo::Rng init(1);
    Model model(model_config(tok.vocab_size()), init);
    std::printf("Model: %lld parameters (1 dense block, 1 MoE block: 4 routed experts, top-2, + 1 shared)\n",
                static_cast<long long>(model.parameter_count()));
    table.push_back({"before SFT", grpo::evaluate(model, tok, held_out, prompt, eval)});

    // 3. SFT on worked solutions of the training rows.
    std::vector<grpo::SftExample> sft_set;
    grpo::Rng slip_rng(6);
    for (const grpo::PromptRow& row : split.train)
        sft_set.push_back({prompt.render(row.question), worked_solution(row, slip_rng.uniform() < flags.d("slip"))});
    grpo::SftConfig sft;
    sft.batch = 32;
    sft.schedule = {3e-3, 3e-4, 20, std::max(1, plan.sft_steps)};
    sft.max_len = 96;
    sft.seed = 3;
    grpo::SftTrainer<float, grpo::Cpu> sft_trainer(model, tok, sft_set, sft);
    double sft_loss = 0;
    for (int s = 0; s < plan.sft_steps; ++s) sft_loss = sft_trainer.step().loss;
    std::printf("SFT: %d steps of %d worked solutions, last batch loss %.3f\n", plan.sft_steps, sft.batch, sft_loss);
    table.push_back({"after SFT", grpo::evaluate(model, tok, held_out, prompt, eval)});

    // 4. GRPO on the training rows, scored by the three reward functions.
    const grpo::PromptDataset train_set(split.train, /*seed=*/4);
    const grpo::ProblemBatches batches = [&train_set](std::int64_t step, int count) {
        std::vector<grpo::Problem> problems = train_set.draw(step, count);
        for (grpo::Problem& p : problems) p = with_exact_verifier(std::move(p));
        return problems;
    };
    grpo::GrpoTrainerConfig config;
    config.prompts_per_step = plan.prompts_per_step;
    config.sampling.group_size = plan.group;
    config.sampling.max_new_tokens = 64;
    config.prompt_template = prompt;
    config.reward_functions = reversal_rewards(flags.d("letters_weight"));
    config.loss.beta = 0.0;  // no reference model: cheaper, and 60 steps do not drift far
    config.optimizer.lr = flags.d("lr");
    config.seed = 5;
    grpo::GrpoTrainer<float, grpo::Cpu> trainer(model, tok, batches, config);
    const int log_every = std::max(1, plan.grpo_steps / 8);
    trainer.add_step_callback([&](const grpo::GrpoStepRecord& r) {
        const grpo::GrpoStepMetrics& m = r.metrics;
        if (m.step % log_every == 0 || m.step == plan.grpo_steps)
            std::printf("  %4lld  %6.3f  %5.3f  %7.3f  %6.3f  %6.1f\n", static_cast<long long>(m.step), m.reward_mean,
                        m.component_mean("exact"), m.component_mean("letters"), m.component_mean("format"),
                        m.length_mean);
        if (m.step == plan.grpo_steps)  // the last step's first completion; components in the list's order
            std::printf("  sample: \"%s\" -> \"%s\"  exact %.0f  letters %.2f  format %.0f  advantage %+.2f\n",
                        r.problems[0].question.c_str(), one_line(r.scores.texts[0]).c_str(),
                        r.scores.scores[0].components[0], r.scores.scores[0].components[1],
                        r.scores.scores[0].components[2], r.advantages[0]);
        return grpo::StepAction::go_on;
    });
    std::printf("\nGRPO: %d prompts x G = %d a step, r = exact + 0.5 letters + 0.25 format, lr %g\n",
                config.prompts_per_step, config.sampling.group_size, config.optimizer.lr);
    std::printf("  step  reward  exact  letters  format  length\n");
    for (int s = 0; s < plan.grpo_steps; ++s) trainer.step();
    table.push_back({"after GRPO", grpo::evaluate(model, tok, held_out, prompt, eval)});

    print_table(table);
    print_by_length(split.held_out, table);
    std::printf("(%zu held-out problems; exact: greedy, and the mean of %d samples at temperature 1;\n"
                " letters and format: the reward functions' greedy means)\n",
                held_out.size(), plan.eval_samples);
    return 0;
}

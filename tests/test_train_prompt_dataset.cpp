// The prompt dataset (train/prompt_dataset.hpp): the two committed fixtures read back as written,
// every malformed file refused with its file, line and field, the verifier's equivalences, the
// epoch shuffles of draw() (permutations, crossing epochs, a hand-checked case) and the hashed
// held-out split (stable when rows are added, near its fraction).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <grpo/train/prompt_dataset.hpp>

using grpo::AnswerFormat;
using grpo::PromptFields;
using grpo::PromptRow;

namespace {

const std::string kPdGsm8k = GRPO_TEST_DATA_DIR "/prompts_gsm8k_style.jsonl";
const std::string kPdMath = GRPO_TEST_DATA_DIR "/prompts_math_style.jsonl";

// A file in this process's own temp folder, holding `text`; returns its path.
std::string pd_write(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / ("grpo_pd_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// The message of the grpo::Error that reading `text` as a prompt file throws ("" if none).
std::string pd_read_error(const std::string& text, const PromptFields& names = {}) {
    const std::string path = pd_write("bad.jsonl", text);
    try {
        grpo::read_prompt_jsonl(path, names);
    } catch (const grpo::Error& e) {
        return e.what();
    }
    return "";
}

std::string pd_where(int line) {
    return "read_prompt_jsonl: '" + pd_write("bad.jsonl", "") + "', line " + std::to_string(line);
}

std::vector<PromptRow> pd_rows(int n, const std::string& prefix = "q") {
    std::vector<PromptRow> rows;
    for (int i = 0; i < n; ++i) rows.push_back({prefix + std::to_string(i), std::to_string(i), {}});
    return rows;
}

// The row index behind each drawn problem (the questions are "q<index>").
std::vector<int> pd_indices(const std::vector<grpo::Problem>& problems) {
    std::vector<int> out;
    for (const grpo::Problem& p : problems) out.push_back(std::stoi(p.question.substr(1)));
    return out;
}

}  // namespace

TEST_CASE("prompt dataset: the GSM8K-style fixture reads with its final answers and extra fields") {
    const std::vector<PromptRow> rows = grpo::read_prompt_jsonl(kPdGsm8k, PromptFields::gsm8k());
    REQUIRE(rows.size() == 12);  // 13 lines, one blank
    CHECK(rows[0].question == "A baker makes 36 muffins and sells 3/4 of them before noon. How many muffins are left?");
    const std::vector<std::string> answers{"9",   "1,300", "168", "\\frac{5}{4}", "24.50", "1,200",
                                           "-7",  "5",     "\\frac{5}{8}", "150", "8", "500"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        CHECK(rows[i].answer == answers[i]);
    }
    CHECK(rows[0].fields == std::map<std::string, std::string>{{"id", "g01"}});
    CHECK(rows[6].fields == std::map<std::string, std::string>{{"difficulty", "2"}, {"id", "g07"}});

    // as_is keeps the whole solution
    const std::vector<PromptRow> raw = grpo::read_prompt_jsonl(kPdGsm8k);
    CHECK(raw[0].answer ==
          "The baker sells 36 * 3/4 = <<36*3/4=27>>27 muffins.\nSo 36 - 27 = <<36-27=9>>9 muffins are left.\n#### 9");

    // each reference is a number its verifier accepts
    for (const PromptRow& row : rows) {
        CAPTURE(row.answer);
        CHECK(grpo::parse_math_answer(row.answer).has_value());
        CHECK(grpo::to_problem(row).check(row.answer));
    }
    CHECK(grpo::to_problem(rows[1]).check("1300"));
    CHECK(grpo::to_problem(rows[3]).check("1.25"));
    CHECK(grpo::to_problem(rows[4]).check("\\$24.5"));
    CHECK_FALSE(grpo::to_problem(rows[4]).check("24"));
}

TEST_CASE("prompt dataset: the MATH-style fixture reads problem and solution by the last boxed answer") {
    const std::vector<PromptRow> rows = grpo::read_prompt_jsonl(kPdMath, PromptFields::math());
    REQUIRE(rows.size() == 6);
    CHECK(rows[1].question == "Solve for $x$: $3x - 7 = 11$.");
    const std::vector<std::string> answers{"\\frac{7}{8}", "6", "(1, 2)", "5", "2x + 1", "\\dfrac{1}{3}"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        CHECK(rows[i].answer == answers[i]);
    }
    CHECK(rows[5].fields == std::map<std::string, std::string>{{"level", "Level 3"}, {"type", "Number Theory"}});

    // numbers compare exactly, the rest as normalised text
    CHECK(grpo::to_problem(rows[0]).check("0.875"));
    CHECK(grpo::to_problem(rows[5]).check("1/3"));
    CHECK(grpo::to_problem(rows[5]).check("\\tfrac{1}{3}"));
    CHECK_FALSE(grpo::to_problem(rows[5]).check("0.333"));
    CHECK(grpo::to_problem(rows[2]).check("(1,2)"));
    CHECK(grpo::to_problem(rows[2]).check("$(1, 2)$"));
    CHECK_FALSE(grpo::to_problem(rows[2]).check("(2, 1)"));
    CHECK(grpo::to_problem(rows[4]).check("2x+1"));
    CHECK(grpo::to_problem(rows[4]).check("\\boxed{2x + 1}"));
    CHECK_FALSE(grpo::to_problem(rows[4]).check("2x - 1"));
    CHECK_FALSE(grpo::to_problem(rows[4]).check(""));

    // renamed keys, answer as written
    PromptFields names;
    names.question = "problem";
    names.answer = "solution";
    CHECK(grpo::read_prompt_jsonl(kPdMath, names)[1].answer ==
          "Adding 7 to both sides gives $3x = 18$, so $x = \\boxed{6}$.");
}

TEST_CASE("prompt dataset: the GSM8K and boxed answer extractors") {
    CHECK(grpo::gsm8k_final_answer("He has 3 + 4 = 7.\n#### 7") == "7");
    CHECK(grpo::gsm8k_final_answer("#### 1 then\n####  72 \n") == "72");
    CHECK_THROWS_WITH_AS(grpo::gsm8k_final_answer("The answer is 7."),
                         "gsm8k_final_answer: no '####' in the solution (expected '... #### 72')", grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::gsm8k_final_answer("so 7\n####  \n"),
                         "gsm8k_final_answer: nothing after the last '####' (expected '... #### 72')", grpo::Error);

    CHECK(grpo::last_boxed_answer("so $\\boxed{\\frac{1}{2}}$.") == "\\frac{1}{2}");
    CHECK(grpo::last_boxed_answer("\\boxed{1} and then \\boxed{ 2 }") == "2");
    CHECK(grpo::last_boxed_answer("\\fbox{3}") == "3");
    CHECK_THROWS_WITH_AS(grpo::last_boxed_answer("x = 2"), "last_boxed_answer: no closed \\boxed{...} in the solution",
                         grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::last_boxed_answer("\\boxed{\\frac{1}{2}"),
                         "last_boxed_answer: no closed \\boxed{...} in the solution", grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::last_boxed_answer("\\boxed{ }"), "last_boxed_answer: the last \\boxed{} is empty",
                         grpo::Error);
}

TEST_CASE("prompt dataset: every malformed file is an error naming the file, the line and the field") {
    const std::string ok = "{\"question\": \"1 + 1?\", \"answer\": \"2\"}\n";

    const std::string missing = (std::filesystem::temp_directory_path() / "grpo_pd_no_such_file.jsonl").string();
    CHECK_THROWS_WITH_AS(grpo::read_prompt_jsonl(missing), ("read_prompt_jsonl: cannot open '" + missing + "'").c_str(),
                         grpo::Error);
    CHECK(pd_read_error("") == "read_prompt_jsonl: '" + pd_write("bad.jsonl", "") +
                                   "' has no rows (empty, or only blank lines)");
    CHECK(pd_read_error("\n  \n\t\n") == "read_prompt_jsonl: '" + pd_write("bad.jsonl", "") +
                                             "' has no rows (empty, or only blank lines)");

    const std::string not_json = pd_read_error(ok + "\n{\"question\": \"2 + 2?\", \"answer\": \n");
    CHECK(not_json.rfind(pd_where(3) + " is not JSON: ", 0) == 0);
    CHECK(pd_read_error(ok + "[1, 2]\n") == pd_where(2) + ": expected a JSON object, got array");
    CHECK(pd_read_error("{\"answer\": \"2\"}\n") == pd_where(1) + ": field 'question' (the question) is missing");
    CHECK(pd_read_error("{\"question\": 7, \"answer\": \"2\"}\n") == pd_where(1) + ": field 'question' = 7, expected a string");
    CHECK(pd_read_error("{\"question\": \"  \", \"answer\": \"2\"}\n") ==
          pd_where(1) + ": field 'question' (the question) is empty");
    CHECK(pd_read_error(ok + ok + "{\"question\": \"1 + 1?\"}\n") == pd_where(3) + ": field 'answer' (the answer) is missing");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": \"\"}\n") ==
          pd_where(1) + ": field 'answer' (the answer) is empty");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": \"$ $\"}\n") ==
          pd_where(1) + ": field 'answer' = '$ $' is empty once its wrappers ($...$, \\boxed{}) are removed");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": \"so\\n#### \\\\boxed{}\"}\n", PromptFields::gsm8k()) ==
          pd_where(1) + ": field 'answer' = '\\boxed{}' is empty once its wrappers ($...$, \\boxed{}) are removed");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": [2]}\n") ==
          pd_where(1) + ": field 'answer' = [2], expected a string or a number");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": null}\n") ==
          pd_where(1) + ": field 'answer' = null, expected a string or a number");
    CHECK(pd_read_error("{\"question\": \"1 + 1?\", \"answer\": \"1 + 1 = 2\\n#### 2\"}\n"
                        "{\"question\": \"1 + 1?\", \"answer\": \"it is 2\"}\n",
                        PromptFields::gsm8k()) ==
          pd_where(2) + ": field 'answer': gsm8k_final_answer: no '####' in the solution (expected '... #### 72')");
    CHECK(pd_read_error("{\"problem\": \"1 + 1?\", \"solution\": \"2\"}\n", PromptFields::math()) ==
          pd_where(1) + ": field 'solution': last_boxed_answer: no closed \\boxed{...} in the solution");
    CHECK(pd_read_error(ok, PromptFields{"problem", "solution", AnswerFormat::as_is}) ==
          pd_where(1) + ": field 'problem' (the question) is missing");
    CHECK(pd_read_error(ok, PromptFields{"q", "q", AnswerFormat::as_is}) ==
          "read_prompt_jsonl: PromptFields names question 'q' and answer 'q', expected two different non-empty keys");
}

TEST_CASE("prompt dataset: numbers, Windows line ends and other fields as text") {
    const std::string path = pd_write(
        "numbers.jsonl",
        "{\"question\": \"half of 145?\", \"answer\": 72.5, \"id\": 17, \"ok\": true, \"tags\": [\"a\"], \"src\": \"x\"}\r\n"
        "\r\n"
        "{\"question\": \"6 * 12?\", \"answer\": 72}\r\n");
    const std::vector<PromptRow> rows = grpo::read_prompt_jsonl(path, PromptFields::gsm8k());  // numbers are final
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].answer == "72.5");
    CHECK(rows[0].fields == std::map<std::string, std::string>{{"id", "17"}, {"src", "x"}});  // no bool, no array
    CHECK(rows[1].question == "6 * 12?");
    CHECK(rows[1].answer == "72");
    CHECK(rows[1].fields.empty());
}

TEST_CASE("prompt dataset: the verifier accepts equivalent answers and rejects wrong ones") {
    const grpo::Problem p = grpo::to_problem({"6 * 12?", "72", {}});
    CHECK(p.question == "6 * 12?");
    CHECK(p.answer == "72");
    for (const char* good : {"72", "72.0", "\\boxed{72}", "$72$", "x = 72", "72.", "+72", "144/2", "\\frac{144}{2}"}) {
        CAPTURE(good);
        CHECK(p.check(good));
    }
    for (const char* bad : {"71", "72.01", "-72", "72 apples", "", "seventy-two", "7 2", "\\boxed{72"}) {
        CAPTURE(bad);
        CHECK_FALSE(p.check(bad));
    }
    const grpo::Problem thousand = grpo::to_problem({"10 * 100?", "1,000", {}});
    CHECK(thousand.check("1000"));
    CHECK(thousand.check("1,000"));
    CHECK(thousand.check("\\$1{,}000"));
    CHECK_FALSE(thousand.check("1,00"));
    const grpo::Problem reverse = grpo::to_problem({"10 * 100?", "1000", {}});
    CHECK(reverse.check("1,000"));
    // never throws, whatever the bytes
    CHECK_FALSE(p.check(std::string("\xff\xfe\0\\boxed{", 10)));
    CHECK_FALSE(p.check(std::string(100000, '{')));
    CHECK_FALSE(p.check("99999999999999999999999999"));
}

TEST_CASE("prompt dataset: each epoch is a permutation, and a draw crosses epoch boundaries") {
    const grpo::PromptDataset data(pd_rows(7), 11);
    CHECK(data.size() == 7);
    CHECK(data.rows()[3].question == "q3");
    CHECK(data.seed() == 11);
    // 7 steps of 3 problems are 21 positions: exactly 3 epochs
    std::vector<int> all;
    for (std::int64_t step = 0; step < 7; ++step) {
        const std::vector<int> drawn = pd_indices(data.draw(step, 3));
        REQUIRE(drawn.size() == 3);
        all.insert(all.end(), drawn.begin(), drawn.end());
    }
    for (int epoch = 0; epoch < 3; ++epoch) {
        CAPTURE(epoch);
        std::vector<int> seen(all.begin() + 7 * epoch, all.begin() + 7 * (epoch + 1));
        std::vector<int> expected;
        for (std::size_t i : data.epoch_order(epoch)) expected.push_back(static_cast<int>(i));
        CHECK(seen == expected);
        std::sort(seen.begin(), seen.end());
        CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
    }
    // step 2 is positions 6, 7, 8: the last of epoch 0, then the first two of epoch 1
    const std::vector<int> crossing = pd_indices(data.draw(2, 3));
    CHECK(crossing == std::vector<int>{all[6], all[7], all[8]});
    CHECK(static_cast<std::size_t>(crossing[0]) == data.epoch_order(0)[6]);
    CHECK(static_cast<std::size_t>(crossing[1]) == data.epoch_order(1)[0]);
    CHECK(data.epoch_of(0, 3) == 0);
    CHECK(data.epoch_of(2, 3) == 0);
    CHECK(data.epoch_of(3, 3) == 1);
    CHECK(data.epoch_of(5, 3) == 2);
    // the epochs differ from each other, and a count larger than the data spans several epochs
    CHECK(data.epoch_order(0) != data.epoch_order(1));
    const std::vector<int> big = pd_indices(data.draw(1, 16));  // positions 16..31
    CHECK(std::vector<int>(big.begin(), big.begin() + 5) == std::vector<int>(all.begin() + 16, all.end()));
    // the drawn problems carry their verifiers
    const grpo::Problem first = data.draw(0, 1)[0];
    CHECK(first.check(first.answer));
}

TEST_CASE("prompt dataset: draws are pure functions of seed and step, and seeds differ") {
    const grpo::PromptDataset a(pd_rows(50), 3), same(pd_rows(50), 3), other(pd_rows(50), 4);
    CHECK(pd_indices(a.draw(9, 8)) == pd_indices(same.draw(9, 8)));
    CHECK(pd_indices(a.draw(9, 8)) == pd_indices(a.draw(9, 8)));  // no state between calls
    (void)a.draw(0, 8);
    CHECK(pd_indices(a.draw(9, 8)) == pd_indices(same.draw(9, 8)));
    CHECK(a.epoch_order(0) != other.epoch_order(0));
    CHECK(pd_indices(a.draw(0, 8)) != pd_indices(other.draw(0, 8)));
}

TEST_CASE("prompt dataset: a hand-checked shuffle of three rows") {
    // Rng(5, stream 0) draws uniform_int(0, 2) = 1, then uniform_int(0, 1) = 0:
    //   [0 1 2] -swap 2,1-> [0 2 1] -swap 1,0-> [2 0 1]
    // Rng(5, stream 1) draws 0, then 1: [0 1 2] -swap 2,0-> [2 1 0] -swap 1,1-> [2 1 0]
    grpo::Rng e0(5, 0), e1(5, 1);
    CHECK(e0.uniform_int(0, 2) == 1);
    CHECK(e0.uniform_int(0, 1) == 0);
    CHECK(e1.uniform_int(0, 2) == 0);
    CHECK(e1.uniform_int(0, 1) == 1);
    const grpo::PromptDataset data(pd_rows(3), 5);
    CHECK(data.epoch_order(0) == std::vector<std::size_t>{2, 0, 1});
    CHECK(data.epoch_order(1) == std::vector<std::size_t>{2, 1, 0});
    CHECK(pd_indices(data.draw(0, 2)) == std::vector<int>{2, 0});
    CHECK(pd_indices(data.draw(1, 2)) == std::vector<int>{1, 2});  // positions 2, 3: across the boundary
    CHECK(pd_indices(data.draw(2, 2)) == std::vector<int>{1, 0});
}

TEST_CASE("prompt dataset: bad datasets and draws are errors") {
    CHECK_THROWS_WITH_AS(grpo::PromptDataset({}, 1), "PromptDataset: no rows", grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::PromptDataset({{"1 + 1?", "2", {}}, {" ", "2", {}}}, 1),
                         "PromptDataset: row 1 has an empty question", grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::PromptDataset({{"1 + 1?", "$ $", {}}}, 1),
                         "to_problem: the answer '$ $' of question '1 + 1?' is empty once its wrappers are removed",
                         grpo::Error);
    const grpo::PromptDataset data(pd_rows(4), 1);
    CHECK_THROWS_WITH_AS(data.draw(-1, 2), "PromptDataset: step = -1, expected >= 0", grpo::Error);
    CHECK_THROWS_WITH_AS(data.draw(0, 0), "PromptDataset: count = 0, expected >= 1", grpo::Error);
    CHECK_THROWS_WITH_AS(data.epoch_of(0, -3), "PromptDataset: count = -3, expected >= 1", grpo::Error);
    CHECK_THROWS_WITH_AS(data.draw(std::int64_t{1} << 62, 4),
                         "PromptDataset: step = 4611686018427387904 with count = 4 overflows a 64-bit position",
                         grpo::Error);
    CHECK_THROWS_WITH_AS(data.epoch_order(-1), "PromptDataset::epoch_order: epoch = -1, expected >= 0", grpo::Error);
    const grpo::PromptDataset one(pd_rows(1), 1);
    CHECK(pd_indices(one.draw(5, 3)) == std::vector<int>{0, 0, 0});
    CHECK(one.epoch_of(5, 3) == 15);
}

TEST_CASE("prompt dataset: the held-out split is stable, keeps copies together and is near its fraction") {
    // 1000 rows at 0.1: the held-out count is Binomial(1000, 0.1), σ = sqrt(1000·0.1·0.9) = 9.49;
    // 4σ is 38, so [62, 138]. This seed gives 100 (0.2: σ 12.65, bound [150, 250], gives 193).
    const grpo::PromptSplit split = grpo::split_prompts(pd_rows(1000), 0.1, 7);
    CHECK(split.held_out.size() + split.train.size() == 1000);
    CHECK(split.held_out.size() >= 62);
    CHECK(split.held_out.size() <= 138);
    CHECK(split.held_out.size() == 100);
    const grpo::PromptSplit fifth = grpo::split_prompts(pd_rows(1000), 0.2, 7);
    CHECK(fifth.held_out.size() >= 150);
    CHECK(fifth.held_out.size() <= 250);
    CHECK(fifth.held_out.size() == 193);
    // each side keeps the input's order
    CHECK(std::is_sorted(split.train.begin(), split.train.end(), [](const PromptRow& x, const PromptRow& y) {
        return std::stoi(x.question.substr(1)) < std::stoi(y.question.substr(1));
    }));

    // adding rows (in front, and after) moves none of the old ones
    std::vector<PromptRow> grown = pd_rows(300, "new ");
    const std::vector<PromptRow> old = pd_rows(1000);
    grown.insert(grown.end(), old.begin(), old.end());
    const std::vector<PromptRow> more = pd_rows(200, "later ");
    grown.insert(grown.end(), more.begin(), more.end());
    const grpo::PromptSplit bigger = grpo::split_prompts(grown, 0.1, 7);
    std::set<std::string> held_before, held_after;
    for (const PromptRow& r : split.held_out) held_before.insert(r.question);
    for (const PromptRow& r : bigger.held_out)
        if (r.question[0] == 'q') held_after.insert(r.question);
    CHECK(held_before == held_after);

    // two copies of one question land on the same side, both kept; another seed is another split
    std::vector<PromptRow> twice = pd_rows(100);
    const std::vector<PromptRow> copy = pd_rows(100);
    twice.insert(twice.end(), copy.begin(), copy.end());
    const grpo::PromptSplit doubled = grpo::split_prompts(twice, 0.3, 1);
    CHECK(doubled.held_out.size() % 2 == 0);
    for (std::size_t i = 0; i < doubled.held_out.size() / 2; ++i)
        CHECK(doubled.held_out[i].question == doubled.held_out[i + doubled.held_out.size() / 2].question);
    std::set<std::string> seed7, seed8;
    for (const PromptRow& r : split.held_out) seed7.insert(r.question);
    for (const PromptRow& r : grpo::split_prompts(pd_rows(1000), 0.1, 8).held_out) seed8.insert(r.question);
    CHECK(seed7 != seed8);
    // surrounding whitespace does not move a question
    CHECK(grpo::is_held_out_question("q5", 0.5, 3) == grpo::is_held_out_question("  q5\n", 0.5, 3));

    // fraction 0 holds nothing out
    CHECK(grpo::split_prompts(pd_rows(50), 0.0, 7).held_out.empty());
}

TEST_CASE("prompt dataset: split errors") {
    for (double bad : {-0.1, 1.0, 1.5}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(grpo::split_prompts(pd_rows(10), bad, 0), grpo::Error);
    }
    CHECK_THROWS_WITH_AS(grpo::split_prompts(pd_rows(10), 1.0, 0),
                         "split_prompts: held_out_fraction = 1, expected in [0, 1)", grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::split_prompts(pd_rows(10), std::nan(""), 0),
                         "split_prompts: held_out_fraction = nan, expected in [0, 1)", grpo::Error);
    // "a" is held out under seed 0 at 0.5, so a file of only "a" has nothing left to train on
    REQUIRE(grpo::is_held_out_question("a", 0.5, 0));
    CHECK_THROWS_WITH_AS(grpo::split_prompts({{"a", "1", {}}, {"a", "1", {}}}, 0.5, 0),
                         "split_prompts: all 2 rows are held out at held_out_fraction = 0.5, expected at least one "
                         "to train on",
                         grpo::Error);
    CHECK_THROWS_WITH_AS(grpo::split_prompts({}, 0.1, 0), "split_prompts: no rows", grpo::Error);
}

// A prompt dataset: training on your own question/answer data instead of the generated tasks.
// DeepSeek-R1 (arXiv 2501.12948, §2.2) and TRL's GRPOTrainer train on a fixed set of prompts
// with reference answers (GSM8K, MATH); this file turns such a set into Problems.
//   read_prompt_jsonl   one JSON object per line; which keys hold the question and the answer
//                       is PromptFields' to say (GSM8K: question/answer, MATH: problem/solution),
//                       and whether the answer is the final answer or a solution to read it from
//                       (GSM8K's "#### 72", MATH's last \boxed{}); every failure names the file,
//                       the 1-based line and the field
//   to_problem          a row as a Problem whose verifier accepts an equivalent answer, by the
//                       accuracy reward's rules (rl/rewards/math_answer.hpp)
//   PromptDataset       the problems of step s: positions [s·count, (s+1)·count) of an endless
//                       sequence of epochs, each a shuffle of all rows under Rng(seed, epoch)
//   split_prompts       a held-out set for evaluation, chosen by a hash of the question
// PromptDataset keeps no state: draw(step, count) is a function of (rows, seed, step, count),
// so a resumed run draws exactly the problems the uninterrupted run would have drawn.
#pragma once

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/io/json_fields.hpp"
#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/rl/rewards/math_answer.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/text/strings.hpp"

namespace grpo {

/// One row of a prompt file.
struct PromptRow {
    std::string question;  ///< the question text, as in the file
    std::string answer;  ///< the final answer (after PromptFields::answer_format), not a solution
    std::map<std::string, std::string> fields;  ///< every other top-level string/number field, as text
};

/// How the answer field is read.
enum class AnswerFormat {
    as_is,         ///< the field is the final answer: "72", "\frac{1}{2}"
    gsm8k_hashes,  ///< a GSM8K solution: the text after its last "####" (Cobbe et al. 2021's format)
    last_boxed,    ///< a MATH solution: the inside of its last `\boxed{}` (Hendrycks et al. 2021)
};

/// Which keys hold the question and the answer, and how the answer is written.
struct PromptFields {
    std::string question = "question";  ///< the key of the question
    std::string answer = "answer";  ///< the key of the answer
    AnswerFormat answer_format = AnswerFormat::as_is;  ///< how the answer field is read

    /// GSM8K on the Hugging Face hub (openai/gsm8k): {"question", "answer": "...\n#### 72"}.
    static PromptFields gsm8k() { return {"question", "answer", AnswerFormat::gsm8k_hashes}; }
    /// MATH (hendrycks/competition_math): {"problem", "solution": "... \boxed{7}", "level", "type"}.
    static PromptFields math() { return {"problem", "solution", AnswerFormat::last_boxed}; }
};

/// The final answer of a GSM8K solution: the text after its last "####", trimmed
/// ("...\n#### 72" is "72"). An error when there is no "####" or nothing after it.
inline std::string gsm8k_final_answer(std::string_view solution) {
    const std::size_t at = solution.rfind("####");
    require(at != std::string_view::npos, "gsm8k_final_answer: no '####' in the solution (expected '... #### 72')");
    const std::string_view answer = trim(solution.substr(at + 4));
    require(!answer.empty(), "gsm8k_final_answer: nothing after the last '####' (expected '... #### 72')");
    return std::string(answer);
}

/// The final answer of a MATH solution: the inside of its last `\boxed{}` or `\fbox{}`, trimmed
/// (the same rule the accuracy reward reads a completion by, rl/rewards/accuracy.hpp). An error
/// when there is none, it is not closed, or it is empty.
inline std::string last_boxed_answer(std::string_view solution) {
    const auto boxed = accuracy_detail::last_boxed(solution);
    require(boxed.has_value(), "last_boxed_answer: no closed \\boxed{...} in the solution");
    const std::string_view answer = trim(*boxed);
    require(!answer.empty(), "last_boxed_answer: the last \\boxed{} is empty");
    return std::string(answer);
}

namespace prompt_dataset_detail {

/// The text an answer that is no number is compared by: the wrappers of strip_answer_decorations
/// gone, whitespace removed, \dfrac and \tfrac written \frac (as the MATH grader's
/// _strip_string does, Hendrycks et al. 2021, math_equivalence.py).
inline std::string answer_text_key(std::string_view answer) {
    const std::string_view stripped = strip_answer_decorations(answer);
    std::string out;
    for (std::size_t i = 0; i < stripped.size(); ++i) {
        if (is_space(stripped[i])) continue;
        if (stripped.substr(i, 6) == "\\dfrac" || stripped.substr(i, 6) == "\\tfrac") {
            out += "\\frac";
            i += 5;
            continue;
        }
        out += stripped[i];
    }
    return out;
}

/// The answer read by `format`; grpo::Error from the extractor when it cannot be.
inline std::string final_answer(const std::string& text, AnswerFormat format) {
    if (format == AnswerFormat::gsm8k_hashes) return gsm8k_final_answer(text);
    if (format == AnswerFormat::last_boxed) return last_boxed_answer(text);
    return text;
}

/// One parsed line as a row; `where` is "read_prompt_jsonl: 'path', line n".
inline PromptRow read_row(const nlohmann::json& j, const PromptFields& names, const std::string& where) {
    require(j.is_object(), where, ": expected a JSON object, got ", j.type_name());
    PromptRow row;
    const auto q = j.find(names.question);
    require(q != j.end(), where, ": field '", names.question, "' (the question) is missing");
    require(q->is_string(), where, ": field '", names.question, "' = ", q->dump(), ", expected a string");
    row.question = q->get<std::string>();
    require(!is_blank(row.question), where, ": field '", names.question, "' (the question) is empty");

    const auto a = j.find(names.answer);
    require(a != j.end(), where, ": field '", names.answer, "' (the answer) is missing");
    if (a->is_number()) {
        row.answer = a->dump();  // already a final answer: the format applies to strings only
    } else {
        require(a->is_string(), where, ": field '", names.answer, "' = ", a->dump(),
                ", expected a string or a number");
        const std::string text = a->get<std::string>();
        require(!is_blank(text), where, ": field '", names.answer, "' (the answer) is empty");
        try {
            row.answer = final_answer(text, names.answer_format);
        } catch (const Error& e) {
            throw Error(str(where, ": field '", names.answer, "': ", e.what()));
        }
        require(!answer_text_key(row.answer).empty(), where, ": field '", names.answer, "' = '", row.answer,
                "' is empty once its wrappers ($...$, \\boxed{}) are removed");
    }

    for (const auto& [key, value] : j.items()) {
        if (key == names.question || key == names.answer) continue;
        if (value.is_string()) row.fields[key] = value.get<std::string>();
        else if (value.is_number()) row.fields[key] = value.dump();
        // booleans, nulls, arrays and objects are not carried: a field is text
    }
    return row;
}

}  // namespace prompt_dataset_detail

/// Reads a JSONL prompt file: one JSON object per line, blank lines skipped. The question must
/// be a non-empty string; the answer a non-empty string (read by names.answer_format) or a
/// number (its JSON text: 72 is "72"). Every other top-level string or number field goes to
/// PromptRow::fields as text. Any failure is a grpo::Error naming the file, the 1-based line and
/// the field: a missing file, a line that is not JSON or not an object, a missing, empty or
/// mistyped question or answer, an answer the format cannot read, and a file with no rows.
inline std::vector<PromptRow> read_prompt_jsonl(const std::string& path, const PromptFields& names = {}) {
    require(!names.question.empty() && !names.answer.empty() && names.question != names.answer,
            "read_prompt_jsonl: PromptFields names question '", names.question, "' and answer '", names.answer,
            "', expected two different non-empty keys");
    std::ifstream in(path, std::ios::binary);
    require(in.is_open(), "read_prompt_jsonl: cannot open '", path, "'");
    std::vector<PromptRow> rows;
    std::string line;
    for (std::int64_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();  // a file written on Windows
        if (is_blank(line)) continue;
        const std::string where = str("read_prompt_jsonl: '", path, "', line ", number);
        rows.push_back(prompt_dataset_detail::read_row(parse_json(line, where), names, where));
    }
    require(!in.bad(), "read_prompt_jsonl: error while reading '", path, "'");
    require(!rows.empty(), "read_prompt_jsonl: '", path, "' has no rows (empty, or only blank lines)");
    return rows;
}

/// A row as a Problem: question and answer copied, and a verifier that accepts a candidate answer
/// equivalent to the row's, by the accuracy reward's rules (rl/rewards/math_answer.hpp):
///   - when the row's answer is one number (parse_math_answer: "72", "1,000", "\frac{7}{2}",
///     "$5"), the candidate must be one number and exactly equal: "72.0", "\boxed{72}", "x = 72"
///     match 72; "72 apples" and 71.999 do not;
///   - otherwise (an expression, a tuple, a word) the candidate's text must equal the answer's
///     once both lose their wrappers (`$…$`, `\boxed{}`, a final period), their whitespace, and
///     write `\dfrac` and `\tfrac` as `\frac`: "(1, 2)" matches "(1,2)", "2x + 1" matches "2x+1".
/// The verifier never throws (guarded_check): anything unreadable is false. An answer that is
/// empty once its wrappers are gone ("", "$ $") would accept an empty candidate: an error.
inline Problem to_problem(const PromptRow& row) {
    const std::optional<Rational> number = parse_math_answer(row.answer);
    const std::string text = prompt_dataset_detail::answer_text_key(row.answer);
    require(number.has_value() || !text.empty(), "to_problem: the answer '", row.answer, "' of question '",
            row.question, "' is empty once its wrappers are removed");
    Problem p;
    p.question = row.question;
    p.answer = row.answer;
    p.check = guarded_check([number, text](std::string_view candidate) {
        if (number) {
            const std::optional<Rational> got = parse_math_answer(candidate);
            return got.has_value() && *got == *number;
        }
        return prompt_dataset_detail::answer_text_key(candidate) == text;
    });
    return p;
}

/// Every row as a Problem, in order (a held-out set for rl/evaluation.hpp's evaluate).
inline std::vector<Problem> to_problems(const std::vector<PromptRow>& rows) {
    std::vector<Problem> out;
    out.reserve(rows.size());
    for (const PromptRow& row : rows) out.push_back(to_problem(row));
    return out;
}

/// The rows as an endless stream of problems, one epoch after another. Epoch e visits every row
/// once, in the order of a Fisher-Yates shuffle under Rng(seed, stream = e) (a new order each
/// epoch, as TRL's RepeatSampler reshuffles its dataset per epoch; the same shuffle as
/// SftTrainer's, train/sft.hpp). Step s with `count` problems takes positions
/// [s·count, (s+1)·count) of that stream, crossing into the next epoch when one runs out.
/// Nothing is cached: a draw is a pure function of (rows, seed, step, count), so a resumed run
/// draws the same problems, and costs one shuffle, O(rows), per epoch it touches.
class PromptDataset {
public:
    /// A dataset of `rows`, shuffled per epoch under `seed`; throws on no rows or a row that makes no Problem.
    PromptDataset(std::vector<PromptRow> rows, std::uint64_t seed) : rows_(std::move(rows)), seed_(seed) {
        require(!rows_.empty(), "PromptDataset: no rows");
        for (std::size_t i = 0; i < rows_.size(); ++i) {  // a bad row fails here, not at some later step
            require(!is_blank(rows_[i].question), "PromptDataset: row ", i, " has an empty question");
            (void)to_problem(rows_[i]);
        }
        require(rows_.size() <= (std::size_t{1} << 32), "PromptDataset: ", rows_.size(),
                " rows, expected at most 2^32 (Rng::uniform_int's range)");
    }

    /// The problems of step `step`: `count` of them, from global position step·count on.
    std::vector<Problem> draw(std::int64_t step, int count) const {
        const std::int64_t first = first_position(step, count);
        const auto n = static_cast<std::int64_t>(rows_.size());
        std::vector<Problem> out;
        out.reserve(static_cast<std::size_t>(count));
        std::int64_t epoch = -1;
        std::vector<std::size_t> order;
        for (std::int64_t position = first; position < first + count; ++position) {
            if (position / n != epoch) {
                epoch = position / n;
                order = epoch_order(epoch);
            }
            out.push_back(to_problem(rows_[order[static_cast<std::size_t>(position % n)]]));
        }
        return out;
    }

    /// The epoch that step `step`'s first problem belongs to (its last may be in the next one).
    std::int64_t epoch_of(std::int64_t step, int count) const {
        return first_position(step, count) / static_cast<std::int64_t>(rows_.size());
    }

    /// The row indices of epoch `epoch`, in the order it visits them: a permutation of 0..size-1.
    std::vector<std::size_t> epoch_order(std::int64_t epoch) const {
        require(epoch >= 0, "PromptDataset::epoch_order: epoch = ", epoch, ", expected >= 0");
        std::vector<std::size_t> order(rows_.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        Rng rng(seed_, static_cast<std::uint64_t>(epoch));
        for (std::size_t i = order.size() - 1; i > 0; --i) {
            const auto j = rng.uniform_int(0, static_cast<std::int64_t>(i));
            std::swap(order[i], order[static_cast<std::size_t>(j)]);
        }
        return order;
    }

    std::size_t size() const { return rows_.size(); }  ///< rows per epoch
    const std::vector<PromptRow>& rows() const { return rows_; }  ///< the rows, in the input's order
    std::uint64_t seed() const { return seed_; }  ///< the shuffles' seed

private:
    std::int64_t first_position(std::int64_t step, int count) const {
        require(step >= 0, "PromptDataset: step = ", step, ", expected >= 0");
        require(count >= 1, "PromptDataset: count = ", count, ", expected >= 1");
        require(step <= (std::numeric_limits<std::int64_t>::max() - count) / count, "PromptDataset: step = ", step,
                " with count = ", count, " overflows a 64-bit position");
        return step * count;
    }

    std::vector<PromptRow> rows_;
    std::uint64_t seed_;
};

/// Prompt rows split into a training and a held-out part.
struct PromptSplit {
    /// each in the input's order
    ///@{
    std::vector<PromptRow> train, held_out;
    ///@}
};

/// Whether `question` is held out: a 64-bit FNV-1a hash of its trimmed bytes (Fowler-Noll-Vo,
/// fixed constants, the same on every platform, unlike std::hash), then the first Philox word of
/// that hash keyed by `seed`, as a fraction of 2^32, below `held_out_fraction` (the Philox step
/// of train/synthetic_corpus.hpp's is_held_out).
inline bool is_held_out_question(std::string_view question, double held_out_fraction, std::uint64_t seed) {
    std::uint64_t hash = 0xCBF29CE484222325ull;  // FNV-1a 64 offset basis
    for (char c : trim(question)) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001B3ull;  // FNV-1a 64 prime
    }
    const PhiloxCounter counter{{static_cast<std::uint32_t>(hash), static_cast<std::uint32_t>(hash >> 32), 0, 0}};
    const PhiloxKey key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    return philox4x32_10(counter, key)[0] * 0x1.0p-32 < held_out_fraction;
}

/// Splits rows into train and held-out (R1 reports accuracy on problems it did not train on,
/// §3). A row is held out by a hash of its question (is_held_out_question), not by a seeded
/// shuffle, so that:
///   - a row's side depends on its question and the seed alone: adding, removing or reordering
///     rows never moves another row across, so a held-out question of yesterday's file is not
///     trained on today;
///   - copies of one question land on the same side (no duplicate leaks into training); the
///     split does not deduplicate, so both copies stay.
/// The held-out share is therefore about held_out_fraction (binomial), not exact. An error
/// unless 0 <= held_out_fraction < 1, for no rows, or when no row is left to train on.
inline PromptSplit split_prompts(std::vector<PromptRow> rows, double held_out_fraction, std::uint64_t seed) {
    require(held_out_fraction >= 0.0 && held_out_fraction < 1.0, "split_prompts: held_out_fraction = ",
            held_out_fraction, ", expected in [0, 1)");
    require(!rows.empty(), "split_prompts: no rows");
    PromptSplit out;
    for (PromptRow& row : rows) {
        if (is_held_out_question(row.question, held_out_fraction, seed)) out.held_out.push_back(std::move(row));
        else out.train.push_back(std::move(row));
    }
    require(!out.train.empty(), "split_prompts: all ", out.held_out.size(),
            " rows are held out at held_out_fraction = ", held_out_fraction, ", expected at least one to train on");
    return out;
}

}  // namespace grpo

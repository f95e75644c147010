// Example 02: the rule-based rewards on real strings. Each completion answers "Solve for x:
// 2x + 3 = 7" (reference 2); some are honest, some are broken, some try to game the rules.
// For each: accuracy, the three format rules, language consistency, and the total
//     r = r_acc + 0.3 r_fmt(strict) + 0.2 r_lang      (docs/references.md, 'The founding notes')
// Chapter: tutorials/02-rewards.md.
//
//   build/examples/02_rewards --completion="<think>Halve 4.</think><answer>x=2</answer>"   # score yours too
#include <cstdio>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

struct Case {
    const char* name;
    std::string completion;
    const char* lesson;  // what the rules catch here, in one sentence
};

// Printable form of a completion: newlines as \n, bytes that are not valid UTF-8 as \xNN.
std::string shown(const std::string& text) {
    std::string out;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        const char32_t cp = grpo::next_code_point(text, pos);
        const bool raw_fffd = text.compare(start, pos - start, "\xEF\xBF\xBD") == 0;
        if (cp == '\n') {
            out += "\\n";
        } else if (cp == grpo::kReplacementChar && !raw_fffd) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned char>(text[start]));
            out += hex;
        } else {
            out.append(text, start, pos - start);
        }
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags({{"completion", "", "score this completion too, as a last case named \"yours\"",
                               ExampleFlag::text}},
                             "The rule-based rewards on real strings, honest, broken and gamed "
                             "(tutorials/02-rewards.md).", argc, argv);
    std::vector<Case> cases = {
        {"correct", "<think>Subtract 3 from both sides: 2x = 4. Divide by 2.</think><answer>x = 2</answer>",
         "full marks: right answer, inside the tags, one language"},
        {"wrong", "<think>Subtract 3: 2x = 7, so x = 3.5.</think><answer>3.5</answer>",
         "well formed but wrong: format pays, accuracy does not"},
        {"fraction", "<think>Move 3 over, then halve.</think><answer>4/2</answer>",
         "4/2 is compared as an exact number, so it is right"},
        {"no tags", "2x = 4 so x = 2",
         "the last number is read as the answer, but no format reward"},
        {"chatty", "Sure! <think>Subtract 3 and halve.</think> Done: <answer>2</answer>",
         "text outside the blocks: lenient and graded pass it, strict does not"},
        {"mixed language", "<think>Subtract 3 两边 then divide 除以 2.</think><answer>2</answer>",
         "R1-Zero's language mixing: the language reward drops to the Latin share"},
        {"empty thinking", "<think></think><answer>2</answer>",
         "hack: skip the reasoning; only the strict rule demands a non-empty think block"},
        {"two answers", "<think>Either.</think><answer>2</answer><answer>3.5</answer>",
         "hack: hedge with two answers; both accuracy and format refuse it"},
        {"answer outside", "<think>x = 2</think><answer></answer>",
         "hack: answer in the thinking, empty answer block; only the block counts"},
        {"nested tags", "<think><think>Halve 4.</think></think><answer>2</answer>",
         "hack: repeated tags; the tag-count rule still pays half"},
        {"after answer", "<think>Halve 4.</think><answer>2</answer> or maybe 3.5",
         "text after </answer> breaks the format, the answer block still reads 2"},
        {"list of guesses", "<think>Try all.</think><answer>1 2 3</answer>",
         "hack: several numbers in one block are not one answer"},
        {"invalid UTF-8", "<think>\xFF\xFE halve</think><answer>\xC0 2</answer>",
         "broken bytes: a defined score, no crash; they are no language"},
    };
    if (!flags.s("completion").empty()) cases.push_back({"yours", flags.s("completion"), "your --completion"});

    grpo::RewardConfig config = grpo::RewardConfig::seed_003();
    config.format_rule = grpo::FormatRule::strict;

    std::printf("Reference answer 2. total = acc + 0.3 * strict format + 0.2 * language\n\n");
    std::printf("  %-16s %4s  %6s %7s %6s  %5s  %5s\n", "case", "acc", "strict", "lenient",
                "graded", "lang", "total");
    for (const Case& c : cases) {
        const grpo::RewardBreakdown r = grpo::score_completion(c.completion, "2", config);
        std::printf("  %-16s %4g  %6g %7g %6.2f  %5.2f  %5.2f\n", c.name, r.accuracy, r.format,
                    grpo::format_reward_lenient(c.completion), grpo::format_reward_graded(c.completion),
                    r.language, r.total);
    }

    std::printf("\nThe completions, and what each one teaches:\n");
    for (const Case& c : cases)
        std::printf("\n  %s\n    %s\n    -> %s\n", c.name, shown(c.completion).c_str(), c.lesson);
    return 0;
}

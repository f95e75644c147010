// Language-consistency reward: the share of the chain of thought's words that are written in
// the target language's script (DeepSeek-R1, arXiv 2501.12948, §2.3.3: "calculated as the
// proportion of target language words in the CoT"; R1 adds it to the accuracy reward to stop
// the language mixing R1-Zero showed, at a small cost in accuracy).
//
// Words: a maximal run of letters of one script is one word, except that every CJK character
// is a word of its own (Chinese and Japanese put no spaces between words, so one character is
// the closest cheap unit). Digits, math and punctuation belong to no script and do not count.
// The chain of thought is the <think> block when there is one, else the whole completion.
// A text with no words at all scores 0: there is no target-language reasoning to reward.
#pragma once

#include <cstddef>
#include <string_view>

#include "grpo/rl/rewards/format.hpp"
#include "grpo/text/strings.hpp"
#include "grpo/text/utf8.hpp"

namespace grpo {

/// Words counted in a text: all, and those in the target script.
struct WordCount {
    /// The words counted, and those written in the target script.
    ///@{
    std::size_t total = 0, in_target = 0;
    ///@}
};

/// Words shorter than `min_word_letters` are skipped: with 2, the variable in "2x = 10" is not
/// an English word, so a chain of thought in another script is not counted as mixed because of it.
inline WordCount count_words_by_script(std::string_view text, Script target, std::size_t min_word_letters = 1) {
    WordCount count;
    Script current = Script::none;  // the script of the word being read, none between words
    std::size_t letters = 0;        // letters of that word so far
    const auto finish_word = [&] {
        if (current != Script::none && (letters >= min_word_letters || current == Script::cjk)) {
            ++count.total;
            count.in_target += current == target;
        }
    };
    for (std::size_t pos = 0; pos < text.size();) {
        const Script script = script_of(next_code_point(text, pos));
        if (script != current || script == Script::cjk) {
            finish_word();
            letters = 0;
        }
        current = script;
        ++letters;
    }
    finish_word();
    return count;
}

/// The chain of thought of a completion: the inside of `<think>…</think>`, else all of it.
inline std::string_view chain_of_thought(std::string_view completion) {
    std::string_view inside;
    return between(completion, kThinkOpen, kThinkClose, inside) ? inside : completion;
}

/// R1's language reward: the share of the chain of thought's words in the `target` script (0 without words).
inline double language_consistency_reward(std::string_view completion, Script target = Script::latin,
                                          std::size_t min_word_letters = 1) {
    const WordCount count = count_words_by_script(chain_of_thought(completion), target, min_word_letters);
    return count.total == 0 ? 0.0 : static_cast<double>(count.in_target) / count.total;
}

/// Language mixing as R1 §2.3.3 describes it: the chain of thought has words in two or more
/// scripts (words of fewer than `min_word_letters` letters are skipped).
inline bool is_language_mixed(std::string_view completion, std::size_t min_word_letters = 2) {
    const std::string_view cot = chain_of_thought(completion);
    Script first = Script::none;
    for (Script s : {Script::latin, Script::cjk, Script::cyrillic, Script::greek, Script::arabic, Script::other_letter}) {
        if (count_words_by_script(cot, s, min_word_letters).in_target == 0) continue;
        if (first != Script::none) return true;
        first = s;
    }
    return false;
}

}  // namespace grpo

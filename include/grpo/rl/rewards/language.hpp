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

struct WordCount {
    std::size_t total = 0, in_target = 0;
};

inline WordCount count_words_by_script(std::string_view text, Script target) {
    WordCount count;
    Script current = Script::none;  // the script of the word being read, none between words
    for (std::size_t pos = 0; pos < text.size();) {
        const Script script = script_of(next_code_point(text, pos));
        const bool starts_word = script != Script::none && (script != current || script == Script::cjk);
        if (starts_word) {
            ++count.total;
            count.in_target += script == target;
        }
        current = script;
    }
    return count;
}

// The chain of thought of a completion: the inside of <think>…</think>, else all of it.
inline std::string_view chain_of_thought(std::string_view completion) {
    std::string_view inside;
    return between(completion, kThinkOpen, kThinkClose, inside) ? inside : completion;
}

inline double language_consistency_reward(std::string_view completion, Script target = Script::latin) {
    const WordCount count = count_words_by_script(chain_of_thought(completion), target);
    return count.total == 0 ? 0.0 : static_cast<double>(count.in_target) / count.total;
}

}  // namespace grpo

// Format rewards: does a completion follow the R1-Zero template
//     <think> reasoning </think> <answer> answer </answer>
// (DeepSeek-R1, arXiv 2501.12948, §2.2.2 "Format rewards" and Table 1)? Three variants, each
// scoring in [0, 1]:
//   strict   1 if the whole completion is exactly think-block then answer-block, separated and
//            surrounded only by whitespace, each tag once, neither block empty (open-r1's
//            `format_reward` regex, without its fixed newlines)
//   lenient  1 if each tag appears once, in order, and nothing but whitespace follows
//            </answer>; text before <think> or between the blocks is allowed, blocks may be empty
//   graded   0.25 for each of the four tags that appears exactly once (open-r1's
//            `tag_count_reward`): partial credit while a base model is still learning the shape
// The order of these is the lesson: the looser the rule, the easier it is to game (see the
// tests' and example 02's hacking attempts).
#pragma once

#include <string_view>

#include "grpo/text/strings.hpp"

namespace grpo {

/// The tags around the reasoning: `<think>` and `</think>`.
///@{
constexpr std::string_view kThinkOpen = "<think>", kThinkClose = "</think>";
///@}
/// The tags around the answer: `<answer>` and `</answer>`.
///@{
constexpr std::string_view kAnswerOpen = "<answer>", kAnswerClose = "</answer>";
///@}

/// The three format rewards: strict, lenient, graded (see the header).
enum class FormatRule { strict, lenient, graded };

namespace format_detail {
/// Positions of the four tags when each appears exactly once and in template order.
struct TagPositions {
    std::size_t think_open, think_close, answer_open, answer_close;
};

inline bool tags_once_in_order(std::string_view text, TagPositions& at) {
    for (std::string_view tag : {kThinkOpen, kThinkClose, kAnswerOpen, kAnswerClose})
        if (count_occurrences(text, tag) != 1) return false;
    at = {text.find(kThinkOpen), text.find(kThinkClose), text.find(kAnswerOpen), text.find(kAnswerClose)};
    return at.think_open < at.think_close && at.think_close < at.answer_open &&
           at.answer_open < at.answer_close;
}
}  // namespace format_detail

/// 1 if each tag appears once, in order, with only whitespace after the closing answer tag; else 0.
inline double format_reward_lenient(std::string_view text) {
    format_detail::TagPositions at;
    if (!format_detail::tags_once_in_order(text, at)) return 0.0;
    return is_blank(text.substr(at.answer_close + kAnswerClose.size())) ? 1.0 : 0.0;
}

/// 1 if the text is exactly a non-empty think block then a non-empty answer block, with only whitespace around; else 0.
inline double format_reward_strict(std::string_view text) {
    format_detail::TagPositions at;
    if (!format_detail::tags_once_in_order(text, at)) return 0.0;
    const auto gap = [&](std::size_t from, std::size_t to) { return text.substr(from, to - from); };
    const std::string_view before = gap(0, at.think_open);
    const std::string_view think = gap(at.think_open + kThinkOpen.size(), at.think_close);
    const std::string_view middle = gap(at.think_close + kThinkClose.size(), at.answer_open);
    const std::string_view answer = gap(at.answer_open + kAnswerOpen.size(), at.answer_close);
    const std::string_view after = text.substr(at.answer_close + kAnswerClose.size());
    const bool shape = is_blank(before) && is_blank(middle) && is_blank(after);
    return shape && !is_blank(think) && !is_blank(answer) ? 1.0 : 0.0;
}

/// 0.25 for each of the four tags that appears exactly once (open-r1's tag_count_reward).
inline double format_reward_graded(std::string_view text) {
    double score = 0.0;
    for (std::string_view tag : {kThinkOpen, kThinkClose, kAnswerOpen, kAnswerClose})
        if (count_occurrences(text, tag) == 1) score += 0.25;
    return score;
}

/// The format reward of `rule`.
inline double format_reward(std::string_view text, FormatRule rule) {
    switch (rule) {
        case FormatRule::strict: return format_reward_strict(text);
        case FormatRule::lenient: return format_reward_lenient(text);
        case FormatRule::graded: return format_reward_graded(text);
    }
    return 0.0;
}

/// The rule's name: "strict", "lenient", "graded".
inline const char* format_rule_name(FormatRule rule) {
    switch (rule) {
        case FormatRule::strict: return "strict";
        case FormatRule::lenient: return "lenient";
        case FormatRule::graded: return "graded";
    }
    return "?";
}

}  // namespace grpo

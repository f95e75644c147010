// The total reward as a weighted sum of rule-based components, each kept for logging:
//     r = w_acc·r_acc + w_fmt·r_fmt + w_lang·r_lang + w_len·r_len
// The worked example uses accuracy + format with weights 1 and 1; the project's founding notes
// write r_total = r_acc + λ1·r_fmt + λ2·r_lang with λ1 = 0.3, λ2 = 0.2 (both quoted in
// docs/references.md, 'The founding notes'); DeepSeek-R1 §2.3.3 adds the language reward to
// accuracy directly. Each is a preset below.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/rl/rewards/language.hpp"
#include "grpo/rl/rewards/length.hpp"

namespace grpo {

/// Which length reward r_len is: none, DAPO's overlong penalty, or the cosine-scaled reward.
enum class LengthRule { none, overlong, cosine };

/// The weights and rules of the weighted rule-based reward; the presets are the sources' choices.
struct RewardConfig {
    double accuracy_weight = 1.0;  ///< w_acc
    double format_weight = 1.0;  ///< w_fmt
    double language_weight = 0.0;  ///< w_lang
    double length_weight = 0.0;  ///< w_len
    FormatRule format_rule = FormatRule::lenient;  ///< which format check r_fmt applies
    Script target_script = Script::latin;  ///< the language reward's target script
    std::size_t min_word_letters = 1;  ///< shorter words are not counted by the language reward
    LengthRule length_rule = LengthRule::none;  ///< which length reward r_len is
    OverlongConfig overlong{};  ///< r_len's settings for LengthRule::overlong
    CosineLengthConfig cosine{};  ///< r_len's settings for LengthRule::cosine

    static RewardConfig worked_example() { return {}; }  ///< the worked example: 1·accuracy + 1·format
    /// The founding notes: r_acc + 0.3 r_fmt + 0.2 r_lang.
    static RewardConfig seed_003() {
        RewardConfig c;
        c.format_weight = 0.3;
        c.language_weight = 0.2;
        return c;
    }
    /// R1 §2.3.3: accuracy + format (strict) + language, summed directly.
    static RewardConfig r1_reasoning() {
        RewardConfig c;
        c.language_weight = 1.0;
        c.format_rule = FormatRule::strict;
        c.min_word_letters = 2;  // the variable x is not a word
        return c;
    }
};

/// One completion's reward components (unweighted) and weighted total.
struct RewardBreakdown {
    /// The components r_acc, r_fmt, r_lang, r_len.
    ///@{
    double accuracy = 0.0, format = 0.0, language = 0.0, length = 0.0;
    ///@}
    double total = 0.0;  ///< the weighted sum r
};

/// Scores one completion. `is_correct` is the accuracy rule already bound to the problem, e.g.
/// [&](std::string_view c) { return accuracy_reward(c, "2"); }. `length_tokens` is the
/// completion's length in tokens (only read when a length rule is on).
inline RewardBreakdown score_completion(std::string_view completion,
                                        const std::function<double(std::string_view)>& accuracy,
                                        const RewardConfig& config, int length_tokens = 0) {
    RewardBreakdown r;
    r.accuracy = accuracy(completion);
    r.format = format_reward(completion, config.format_rule);
    r.language = language_consistency_reward(completion, config.target_script, config.min_word_letters);
    if (config.length_rule == LengthRule::overlong) r.length = overlong_penalty(length_tokens, config.overlong);
    if (config.length_rule == LengthRule::cosine)
        r.length = cosine_length_reward(length_tokens, r.accuracy > 0.0, config.cosine);
    r.total = config.accuracy_weight * r.accuracy + config.format_weight * r.format +
              config.language_weight * r.language + config.length_weight * r.length;
    return r;
}

/// The common case: the reference answer is a number.
inline RewardBreakdown score_completion(std::string_view completion, std::string_view reference,
                                        const RewardConfig& config, int length_tokens = 0) {
    const std::string want(reference);
    return score_completion(
        completion, [&](std::string_view c) { return accuracy_reward(c, want); }, config,
        length_tokens);
}

}  // namespace grpo

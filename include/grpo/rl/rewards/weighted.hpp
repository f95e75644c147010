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

enum class LengthRule { none, overlong, cosine };

struct RewardConfig {
    double accuracy_weight = 1.0;
    double format_weight = 1.0;
    double language_weight = 0.0;
    double length_weight = 0.0;
    FormatRule format_rule = FormatRule::lenient;
    Script target_script = Script::latin;
    std::size_t min_word_letters = 1;  // shorter words are not counted by the language reward
    LengthRule length_rule = LengthRule::none;
    OverlongConfig overlong{};
    CosineLengthConfig cosine{};

    static RewardConfig worked_example() { return {}; }  // 1·accuracy + 1·format
    static RewardConfig seed_003() {                     // r_acc + 0.3 r_fmt + 0.2 r_lang
        RewardConfig c;
        c.format_weight = 0.3;
        c.language_weight = 0.2;
        return c;
    }
    static RewardConfig r1_reasoning() {  // R1 §2.3.3: accuracy + format + language, summed directly
        RewardConfig c;
        c.language_weight = 1.0;
        c.format_rule = FormatRule::strict;
        c.min_word_letters = 2;  // the variable x is not a word
        return c;
    }
};

struct RewardBreakdown {
    double accuracy = 0.0, format = 0.0, language = 0.0, length = 0.0;
    double total = 0.0;
};

// Scores one completion. `is_correct` is the accuracy rule already bound to the problem, e.g.
// [&](std::string_view c) { return accuracy_reward(c, "2"); }. `length_tokens` is the
// completion's length in tokens (only read when a length rule is on).
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

// The common case: the reference answer is a number.
inline RewardBreakdown score_completion(std::string_view completion, std::string_view reference,
                                        const RewardConfig& config, int length_tokens = 0) {
    const std::string want(reference);
    return score_completion(
        completion, [&](std::string_view c) { return accuracy_reward(c, want); }, config,
        length_tokens);
}

}  // namespace grpo

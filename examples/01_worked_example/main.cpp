// Example 01: the seed's worked GRPO example, "Solve for x: 2x + 3 = 7", computed by the
// library instead of typed in. Three sampled responses are scored by the rule-based rewards,
// then turned into group-relative advantages (DeepSeekMath §4.1.2) — first the seed's way
// (population std), then the way TRL, verl and Dr. GRPO do it.
// Chapter: tutorials/01-worked-example.md.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

namespace {

void print_rule(const char* title) { std::printf("\n%s\n", title); }

// "+0.7071" style, with the sign always shown, as the seed writes advantages.
std::string signed_number(double x, int decimals) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%+.*f", decimals, x);
    return buffer;
}

void print_advantage_table(const char* name, const std::vector<double>& rewards,
                           const grpo::AdvantageConfig& config) {
    const grpo::Advantages a = grpo::group_advantages(rewards, static_cast<int>(rewards.size()), config);
    char std_text[16] = "none  ";
    if (config.std != grpo::StdKind::none) std::snprintf(std_text, sizeof std_text, "%.4f", a.group_std[0]);
    std::printf("  %-34s std %s   A = %s  %s  %s\n", name, std_text,
                signed_number(a.advantages[0], 4).c_str(), signed_number(a.advantages[1], 4).c_str(),
                signed_number(a.advantages[2], 4).c_str());
}

}  // namespace

int main() {
    const std::string question = "Solve for x: 2x + 3 = 7";
    const std::string reference = "2";
    const std::vector<std::string> responses = {
        "<think>Subtract 3: 2x = 4 → x = 2.</think><answer>2</answer>",
        "<think>Subtract 3: 2x = 7 → x = 3.5.</think><answer>3.5</answer>",
        "<think>2x + 3 = 7 → 2x = 4 → x = 2.</think><answer>2</answer>",
    };

    std::printf("Prompt: \"%s\"   (reference answer: %s)\n", question.c_str(), reference.c_str());

    print_rule("Step 1 - the policy samples a group of G = 3 responses");
    for (std::size_t i = 0; i < responses.size(); ++i)
        std::printf("  %zu  %s\n", i + 1, responses[i].c_str());

    print_rule("Step 2 - rule-based rewards: accuracy (answer equals 2) + format (<think>/<answer> tags)");
    std::printf("  response  accuracy  format  total\n");
    const grpo::RewardConfig reward_config = grpo::RewardConfig::worked_example();
    std::vector<double> rewards;
    for (std::size_t i = 0; i < responses.size(); ++i) {
        const grpo::RewardBreakdown r = grpo::score_completion(responses[i], reference, reward_config);
        std::printf("  %-8zu  %-8g  %-6g  %g\n", i + 1, r.accuracy, r.format, r.total);
        rewards.push_back(r.total);
    }

    print_rule("Step 3 - group-relative advantages, the seed's way: A = (r - mean) / std");
    const grpo::Advantages seed =
        grpo::group_advantages(rewards, 3, grpo::AdvantageConfig::seed_table());
    const double mean = seed.group_mean[0], std = seed.group_std[0];
    std::printf("  mean = (%g + %g + %g) / 3 = %.2f\n", rewards[0], rewards[1], rewards[2], mean);
    std::printf("  std  = sqrt(mean of squared deviations) = %.2f   (population std)\n", std);
    std::printf("  response  formula              advantage\n");
    for (std::size_t i = 0; i < rewards.size(); ++i)
        std::printf("  %-8zu  (%g - %.2f) / %.2f  %s   (%s)\n", i + 1, rewards[i], mean, std,
                    signed_number(seed.advantages[i], 1).c_str(),
                    signed_number(seed.advantages[i], 4).c_str());

    print_rule("Step 4 - the update pushes each response by its advantage");
    for (std::size_t i = 0; i < rewards.size(); ++i)
        std::printf("  response %zu: %s\n", i + 1,
                    seed.advantages[i] > 0 ? "boosted (A > 0): its tokens become more likely"
                                           : "discouraged (A < 0): its tokens become less likely");

    print_rule("The same group under other published choices");
    print_advantage_table("seed table (population std, eps 0)", rewards, grpo::AdvantageConfig::seed_table());
    print_advantage_table("TRL (sample std, eps 1e-4)", rewards, grpo::AdvantageConfig::trl());
    print_advantage_table("verl (sample std, eps 1e-6)", rewards, grpo::AdvantageConfig::verl());
    print_advantage_table("Dr. GRPO (no std)", rewards, grpo::AdvantageConfig::dr_grpo());

    const double sample_std = grpo::group_advantages(rewards, 3, grpo::AdvantageConfig::trl()).group_std[0];
    std::printf("\nWhy they differ: the sample std divides by G - 1 = 2 instead of G = 3, so it is\n"
                "sqrt(3/2) = %.4f times the population std (%.4f vs %.4f) and every advantage\n"
                "shrinks by that factor; Dr. GRPO does not divide at all, keeping the reward's units.\n"
                "The ranking, and so the direction of the update, is the same in all four.\n",
                sample_std / std, sample_std, std);
    return 0;
}

// Example 01: the seed's worked GRPO example, "Solve for x: 2x + 3 = 7", computed by the
// library instead of typed in. A group of sampled responses (the seed's three, unless the flags
// change it) is scored by the rule-based rewards, then turned into group-relative advantages
// (DeepSeekMath §4.1.2) — first the seed's way (population std), then the way TRL, verl and
// Dr. GRPO do it. Every table is as long as the group: G is the number of responses.
// Chapter: tutorials/01-worked-example.md.
//
//   build/examples/01_worked_example                                   # the seed's group, G = 3
//   build/examples/01_worked_example --extra_response="2x = 4 so x = 2"   # a fourth response
//   build/examples/01_worked_example --seed_responses=1                # G = 1: no std exists
//   build/examples/01_worked_example --help                            # the flags
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <grpo/grpo.hpp>

#include "../example_flags.hpp"

namespace {

void print_rule(const char* title) { std::printf("\n%s\n", title); }

// "+0.7071" style, with the sign always shown, as the seed writes advantages.
std::string signed_number(double x, int decimals) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%+.*f", decimals, x);
    return buffer;
}

// A number as %.4f (for means and stds) or %g (for rewards, which are small sums like 2 or 1.5).
std::string number(const char* format, double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, format, x);
    return buffer;
}

// One line of the presets' table: the std a preset divides by and the group's advantages. A
// preset with a std needs G >= 2; grpo::group_advantages refuses it for G = 1.
void print_advantage_table(const char* name, const std::vector<double>& rewards,
                           const grpo::AdvantageConfig& config) {
    const int G = static_cast<int>(rewards.size());
    if (config.std != grpo::StdKind::none && G < 2) {
        std::printf("  %-34s std -        refused: G = %d has no std\n", name, G);
        return;
    }
    const grpo::Advantages a = grpo::group_advantages(rewards, G, config);
    char std_text[16] = "none  ";
    if (config.std != grpo::StdKind::none) std::snprintf(std_text, sizeof std_text, "%.4f", a.group_std[0]);
    std::printf("  %-34s std %s   A =", name, std_text);
    for (std::size_t i = 0; i < a.advantages.size(); ++i)
        std::printf("%s%s", i ? "  " : " ", signed_number(a.advantages[i], 4).c_str());
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const ExampleFlags flags(
        {{"extra_response", "", "append a response, e.g. \"<think>...</think><answer>...</answer>\"",
          ExampleFlag::text, {}, true},
         {"seed_responses", "3", "how many of the seed's three responses start the group (0 to 3)",
          ExampleFlag::integer}},
        "Chapter 1's worked example: one GRPO group scored by rules and turned into advantages\n"
        "(tutorials/01-worked-example.md).",
        argc, argv);

    const std::string question = "Solve for x: 2x + 3 = 7";
    const std::string reference = "2";
    const std::vector<std::string> seed_responses = {
        "<think>Subtract 3: 2x = 4 → x = 2.</think><answer>2</answer>",
        "<think>Subtract 3: 2x = 7 → x = 3.5.</think><answer>3.5</answer>",
        "<think>2x + 3 = 7 → 2x = 4 → x = 2.</think><answer>2</answer>",
    };
    const int kept = flags.i("seed_responses");
    if (kept < 0 || kept > 3) flags.fail("--seed_responses=" + flags.s("seed_responses") + ": expected 0 to 3");
    std::vector<std::string> responses(seed_responses.begin(), seed_responses.begin() + kept);
    for (const std::string& extra : flags.all("extra_response")) responses.push_back(extra);
    if (responses.empty()) flags.fail("the group is empty: keep a seed response or add one with --extra_response");
    const int G = static_cast<int>(responses.size());

    std::printf("Prompt: \"%s\"   (reference answer: %s)\n", question.c_str(), reference.c_str());

    std::printf("\nStep 1 - the policy samples a group of G = %d response%s\n", G, G == 1 ? "" : "s");
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
    // The mean needs no std, so Dr. GRPO's preset gives it for any G, G = 1 included.
    const double mean = grpo::group_advantages(rewards, G, grpo::AdvantageConfig::dr_grpo()).group_mean[0];
    const std::string mean_text = number("%.4f", mean);
    std::string terms, deviations, squares;
    for (std::size_t i = 0; i < rewards.size(); ++i) {
        const char* plus = i ? " + " : "";
        terms += plus + number("%g", rewards[i]);
        deviations += plus + std::string("(") + number("%g", rewards[i]) + " - " + mean_text + ")^2";
        squares += plus + number("%.4f", (rewards[i] - mean) * (rewards[i] - mean));
    }
    std::printf("  mean = (%s) / %d = %s\n", terms.c_str(), G, mean_text.c_str());
    std::vector<double> advantages(rewards.size(), 0.0);
    if (G < 2) {
        std::string refusal;
        try {
            grpo::group_advantages(rewards, G, grpo::AdvantageConfig::seed_table());
        } catch (const grpo::Error& e) {
            refusal = e.what();
        }
        std::printf("  std  = none: one response has no spread, and grpo::group_advantages refuses a std:\n"
                    "         \"%s\"\n", refusal.c_str());
        std::printf("  so the advantage is only r - mean = 0: a group of one says nothing about which\n"
                    "  answer is better (Dr. GRPO's preset, which has no std, returns exactly that)\n");
        std::printf("  response  reward  A = r - mean\n");
        for (std::size_t i = 0; i < rewards.size(); ++i)
            std::printf("  %-8zu  %-6g  %s - %s = %s\n", i + 1, rewards[i], number("%g", rewards[i]).c_str(),
                        mean_text.c_str(), signed_number(advantages[i], 4).c_str());
    } else {
        const grpo::Advantages seed = grpo::group_advantages(rewards, G, grpo::AdvantageConfig::seed_table());
        const std::string std_text = number("%.4f", seed.group_std[0]);
        advantages = seed.advantages;
        std::printf("  std  = sqrt((%s) / %d)\n", deviations.c_str(), G);
        std::printf("       = sqrt((%s) / %d) = %s   (population std: divide by G)\n", squares.c_str(), G,
                    std_text.c_str());
        if (seed.zero_std_groups > 0) {
            std::printf("  every reward equals the mean, so the std is 0 and nothing is divided by it:\n"
                        "  grpo::group_advantages sets A = 0 for the whole group and counts it in\n"
                        "  frac_reward_zero_std (here %g)\n", seed.frac_reward_zero_std);
            std::printf("  response  reward  A\n");
            for (std::size_t i = 0; i < rewards.size(); ++i)
                std::printf("  %-8zu  %-6g  %s\n", i + 1, rewards[i], signed_number(advantages[i], 4).c_str());
        } else {
            std::printf("  response  reward  A = (r - mean) / std\n");
            for (std::size_t i = 0; i < rewards.size(); ++i)
                std::printf("  %-8zu  %-6g  (%g - %s) / %s = %s\n", i + 1, rewards[i], rewards[i], mean_text.c_str(),
                            std_text.c_str(), signed_number(advantages[i], 4).c_str());
        }
    }
    double sum = 0;
    for (double a : advantages) sum += a;
    std::printf("  sum of the advantages = %.4f: a group's advantages always sum to 0\n",
                std::fabs(sum) < 5e-5 ? 0.0 : sum);

    print_rule("Step 4 - the update pushes each response by its advantage");
    for (std::size_t i = 0; i < advantages.size(); ++i)
        std::printf("  response %zu: %s\n", i + 1,
                    advantages[i] > 0   ? "boosted (A > 0): its tokens become more likely"
                    : advantages[i] < 0 ? "discouraged (A < 0): its tokens become less likely"
                                        : "left alone (A = 0): the update does not move it");

    print_rule("The same group under other published choices");
    print_advantage_table("seed table (population std, eps 0)", rewards, grpo::AdvantageConfig::seed_table());
    print_advantage_table("TRL (sample std, eps 1e-4)", rewards, grpo::AdvantageConfig::trl());
    print_advantage_table("verl (sample std, eps 1e-6)", rewards, grpo::AdvantageConfig::verl());
    print_advantage_table("Dr. GRPO (no std)", rewards, grpo::AdvantageConfig::dr_grpo());

    if (G < 2) {
        std::printf("\nWith G = 1 only Dr. GRPO is defined: a std needs two responses to measure a spread,\n"
                    "and a lone response's advantage is r - mean = 0 under any choice.\n");
        return 0;
    }
    const grpo::Advantages population = grpo::group_advantages(rewards, G, grpo::AdvantageConfig::seed_table());
    const double population_std = population.group_std[0];
    if (population.zero_std_groups > 0) {
        std::printf("\nWhy they agree: every reward is the same, so there is no better or worse response to\n"
                    "learn from; every preset returns A = 0 rather than divide by a zero std.\n");
        return 0;
    }
    const double sample_std = grpo::group_advantages(rewards, G, grpo::AdvantageConfig::trl()).group_std[0];
    std::printf("\nWhy they differ: the sample std divides by G - 1 = %d instead of G = %d, so it is\n"
                "sqrt(%d/%d) = %.4f times the population std (%.4f vs %.4f) and every advantage\n"
                "shrinks by that factor; Dr. GRPO does not divide at all, keeping the reward's units.\n"
                "The ranking, and so the direction of the update, is the same in all four.\n",
                G - 1, G, G, G - 1, sample_std / population_std, sample_std, population_std);
    return 0;
}

#include <doctest/doctest.h>

#include <grpo/tasks/preference.hpp>
#include <string>

using namespace grpo;

namespace {

PreferencePrompt add(std::int64_t a, std::int64_t b) {
    PreferencePrompt p;
    p.a = a;
    p.b = b;
    return p;
}

PreferencePrompt password_of(const char* name) {
    PreferencePrompt p;
    p.harmful = true;
    p.name = name;
    return p;
}

}  // namespace

TEST_CASE("preference prompts: a request to add two digits, or a request for a password") {
    CHECK(add(3, 4).text() == "Add 3 and 4.");
    CHECK(password_of("Eve").text() == "Tell me Eve's password.");
}

// Each value by the rules in tasks/preference.hpp: helpfulness on the answer, harmlessness on the
// whole completion.
TEST_CASE("true preference: helpfulness from the answer only, by hand") {
    const PreferencePrompt p = add(3, 4);
    CHECK(true_preference(p, "<answer>The sum is 7.</answer>").total() == 1.0);
    CHECK(true_preference(p, "<answer>The sum is 8.</answer>").total() == 0.0);
    CHECK(true_preference(p, "<answer>I can't help with that.</answer>").total() == -0.5);  // over-refusal
    // 1 − 2 · 0.2 + 0.3
    CHECK(true_preference(p, "<answer>Let me see. Let me see. The sum is 7. Glad to help!</answer>").total() ==
          doctest::Approx(0.9).epsilon(1e-15));
    // The reasoning is not judged for helpfulness: a right sum or a filler in <think> earns nothing.
    CHECK(true_preference(p, "<think>Let me see. The sum is 7.</think><answer>The sum is 6.</answer>").total() == 0.0);
    // Without <answer> tags the whole completion is the answer; a sum is read only after the phrase.
    CHECK(true_preference(p, "The sum is 7").total() == 1.0);
    CHECK(true_preference(p, "7").total() == 0.0);
    CHECK(true_preference(p, "The sum is -7.").helpfulness == 0.0);
    CHECK(true_preference(p, "").total() == 0.0);
}

TEST_CASE("true preference: harmlessness from the whole completion, a leak in <think> included") {
    const PreferencePrompt p = password_of("Bob");
    const TruePreference declines = true_preference(p, "<answer>I can't help with that. Glad to help!</answer>");
    CHECK(declines.harmlessness == 1.0);
    CHECK(declines.helpfulness == doctest::Approx(0.3).epsilon(1e-15));
    CHECK(true_preference(p, "<answer>Bob's password is 4417.</answer>").total() == -2.0);
    const TruePreference hidden_leak =
        true_preference(p, "<think>Bob's password is 4417.</think><answer>I can't help with that.</answer>");
    CHECK(hidden_leak.harmlessness == -2.0);  // R1 §2.3.4: harmlessness reads the reasoning too
    CHECK(true_preference(p, "<answer>The sum is 7.</answer>").total() == 0.0);  // neither helps nor harms
}

TEST_CASE("preference pairs: chosen is the truly better completion, margin the difference, seeded") {
    Rng rng(7), again(7);
    int harmful = 0;
    const int n = 2000;
    for (int i = 0; i < n; ++i) {
        const PreferencePair pair = sample_preference_pair(rng, PromptTemplate::compact());
        const PreferencePair same = sample_preference_pair(again, PromptTemplate::compact());
        REQUIRE(pair.chosen == same.chosen);
        REQUIRE(pair.rejected == same.rejected);
        REQUIRE(pair.prompt.rfind("User: ", 0) == 0);
        REQUIRE(pair.margin > 0.0);
        harmful += pair.prompt.find("password") != std::string::npos ? 1 : 0;
        // Score both again from the prompt's text: the chosen one wins by exactly the margin.
        PreferencePrompt prompt;
        if (pair.prompt.find("password") != std::string::npos) {
            prompt.harmful = true;
            prompt.name = pair.prompt.substr(pair.prompt.find("Tell me ") + 8, 3);
        } else {
            prompt.a = pair.prompt[10] - '0';
            prompt.b = pair.prompt[16] - '0';
        }
        const double chosen = true_preference(prompt, pair.chosen).total();
        const double rejected = true_preference(prompt, pair.rejected).total();
        REQUIRE(chosen - rejected == doctest::Approx(pair.margin).epsilon(1e-12));
    }
    CHECK(harmful == doctest::Approx(0.3 * n).epsilon(0.1));  // harmful_share 0.3, within 10%
}

TEST_CASE("preference prompts: a share outside 0..1 is named") {
    Rng rng(1);
    PreferencePromptConfig config;
    config.harmful_share = 1.5;
    CHECK_THROWS_WITH_AS(sample_preference_prompt(rng, config),
                         "PreferencePromptConfig: harmful_share = 1.5, expected in [0, 1]", Error);
}

TEST_CASE("preference prompts: read back from their text, anything else refused") {
    Rng rng(3);
    for (int i = 0; i < 200; ++i) {
        const PreferencePrompt p = sample_preference_prompt(rng);
        const auto back = parse_preference_prompt(p.text());
        REQUIRE(back.has_value());
        CHECK(back->harmful == p.harmful);
        CHECK(back->a == p.a);
        CHECK(back->b == p.b);
        CHECK(back->name == p.name);
    }
    for (const char* other : {"Add 3 and 4", "Add 0 and 4.", "Add 3 and 44.", "Tell me 's password.", "add 3 and 4.",
                              "Solve for x: 2x + 3 = 7", ""})
        CHECK_FALSE(parse_preference_prompt(other).has_value());
    const Problem problem = make_preference_problem(add(2, 5));
    CHECK(problem.question == "Add 2 and 5.");
    CHECK_FALSE(problem.check("7"));
}

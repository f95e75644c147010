#include <doctest/doctest.h>

#include <grpo/rl/rewards.hpp>
#include <grpo/tasks/tasks.hpp>
#include <string>

using namespace grpo;

// The worked example's three responses (docs/references.md, 'The founding notes'), written
// with the template's tags.
const std::string kSeed1 = "<think>Subtract 3: 2x = 4 → x = 2.</think><answer>2</answer>";
const std::string kSeed2 = "<think>Subtract 3: 2x = 7 → x = 3.5.</think><answer>3.5</answer>";
const std::string kSeed3 = "<think>2x + 3 = 7 → 2x = 4 → x = 2.</think><answer>2</answer>";

TEST_CASE("rewards: the seed's three responses score 2, 1, 2") {
    const auto cfg = RewardConfig::worked_example();
    CHECK(score_completion(kSeed1, "2", cfg).total == 2.0);
    CHECK(score_completion(kSeed2, "2", cfg).total == 1.0);
    CHECK(score_completion(kSeed3, "2", cfg).total == 2.0);
    const auto r2 = score_completion(kSeed2, "2", cfg);
    CHECK(r2.accuracy == 0.0);
    CHECK(r2.format == 1.0);
}

TEST_CASE("format: strict, lenient and graded on well-formed text") {
    const std::string spaced = "  <think>\nwork\n</think>\n<answer>\n2\n</answer>\n";
    for (const std::string& s : {kSeed1, spaced}) {
        CHECK(format_reward_strict(s) == 1.0);
        CHECK(format_reward_lenient(s) == 1.0);
        CHECK(format_reward_graded(s) == 1.0);
    }
    // Text before <think> or between the blocks: lenient yes, strict no.
    const std::string chatty = "Sure! <think>w</think> so: <answer>2</answer>";
    CHECK(format_reward_strict(chatty) == 0.0);
    CHECK(format_reward_lenient(chatty) == 1.0);
}

TEST_CASE("format: hacking attempts and broken structure") {
    struct Case {
        const char* text;
        double strict, lenient, graded;
    };
    const Case cases[] = {
        // empty blocks: only strict asks for content
        {"<think></think><answer>2</answer>", 0, 1, 1},
        {"<think>w</think><answer> </answer>", 0, 1, 1},
        // nested / repeated tags
        {"<think><think>w</think></think><answer>2</answer>", 0, 0, 0.5},
        {"<think>w</think><answer>2</answer><answer>3</answer>", 0, 0, 0.5},
        // anything after </answer>
        {"<think>w</think><answer>2</answer> and also 3", 0, 0, 1},
        // wrong order
        {"<answer>2</answer><think>w</think>", 0, 0, 1},
        {"<think>w<answer>2</answer></think>", 0, 0, 1},
        // missing tags
        {"<think>w</think> 2", 0, 0, 0.5},
        {"x = 2", 0, 0, 0},
        {"", 0, 0, 0},
        // unclosed
        {"<think>w<answer>2", 0, 0, 0.5},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        CHECK(format_reward_strict(c.text) == c.strict);
        CHECK(format_reward_lenient(c.text) == c.lenient);
        CHECK(format_reward_graded(c.text) == c.graded);
    }
}

TEST_CASE("accuracy: equivalent answer forms are equal") {
    for (const char* answer : {"2", " 2 ", "+2", "2.0", "2.00", "4/2", "x = 2", "x=2", "X = 2",
                               "$2$", "\\boxed{2}", "$\\boxed{2}$", "2.", "x = 4/2."}) {
        CAPTURE(answer);
        CHECK(accuracy_reward(std::string("<answer>") + answer + "</answer>", "2") == 1.0);
    }
    CHECK(accuracy_reward("<answer>7/2</answer>", "3.5") == 1.0);
    CHECK(accuracy_reward("<answer>3.5</answer>", "7/2") == 1.0);
    CHECK(accuracy_reward("<answer>-7/2</answer>", "-3.5") == 1.0);
    CHECK(accuracy_reward("<answer>x = -3</answer>", "-3") == 1.0);
}

TEST_CASE("accuracy: wrong, missing and unreadable answers score 0") {
    for (const char* answer : {"3", "-2", "2.1", "2/3", "x = 3", "", "two", "2 or 3", "2, 3",
                               "xy = 2", "2 = x", "1e1", "\\boxed{3}", "2x"}) {
        CAPTURE(answer);
        CHECK(accuracy_reward(std::string("<answer>") + answer + "</answer>", "2") == 0.0);
    }
    CHECK(accuracy_reward("<answer>0.333</answer>", "1/3") == 0.0);  // close is not equal
    CHECK_THROWS_WITH_AS(accuracy_reward("<answer>2</answer>", "two"),
                         "accuracy_reward: reference answer 'two' is not a number (expected e.g. "
                         "2, -7/2 or 3.5)",
                         Error);
}

TEST_CASE("accuracy: where the answer is read from") {
    // No <answer> block: the last \boxed{}, else the last number.
    CHECK(accuracy_reward("so the answer is \\boxed{2}", "2") == 1.0);
    CHECK(accuracy_reward("\\boxed{2} no wait \\boxed{3}", "3") == 1.0);
    CHECK(accuracy_reward("2x = 4, so x = 2", "2") == 1.0);
    CHECK(accuracy_reward("x = -3", "-3") == 1.0);
    CHECK(accuracy_reward("7 - 3", "3") == 1.0);  // a binary minus is not a sign
    CHECK(accuracy_reward("x = 7/2", "3.5") == 1.0);
    CHECK(accuracy_reward("no digits here", "2") == 0.0);
    // With an <answer> block only its inside counts: a right number elsewhere does not help.
    CHECK(accuracy_reward("<think>x = 2</think><answer>3</answer>", "2") == 0.0);
    CHECK(accuracy_reward("<think>x = 2</think><answer></answer>", "2") == 0.0);
    CHECK(accuracy_reward("<answer>2", "2") == 0.0);  // unclosed block
}

TEST_CASE("accuracy: hacking attempts") {
    // Two answer blocks are a hedge: 0 even if one is right.
    CHECK(accuracy_reward("<answer>2</answer><answer>3</answer>", "2") == 0.0);
    CHECK(accuracy_reward("<answer>3</answer><answer>2</answer>", "2") == 0.0);
    // Listing candidates inside one block is not one answer.
    CHECK(accuracy_reward("<answer>1 2 3</answer>", "2") == 0.0);
    // Answer outside the tags without any <answer> block: found as the last number, but the
    // format reward is 0, so the total is lower than a well-formed right answer's.
    const std::string outside = "<think>2x = 4</think> x = 2";
    CHECK(accuracy_reward(outside, "2") == 1.0);
    CHECK(format_reward_lenient(outside) == 0.0);
    // Nested tags: the first <answer> to the first </answer>.
    CHECK(accuracy_reward("<answer><answer>2</answer></answer>", "2") == 0.0);
}

TEST_CASE("accuracy: a verifier callback for non-numeric answers") {
    const auto is_seven = [](std::string_view a) { return a == "3 + 4"; };
    CHECK(accuracy_reward("<answer> 3 + 4 </answer>", is_seven) == 1.0);
    CHECK(accuracy_reward("<answer>3 + 4.</answer>", is_seven) == 1.0);
    CHECK(accuracy_reward("<answer>4 + 3</answer>", is_seven) == 0.0);
    CHECK(accuracy_reward("nothing", is_seven) == 0.0);
}

TEST_CASE("language: the share of target-script words in the chain of thought") {
    CHECK(language_consistency_reward("<think>subtract three from both sides</think>") == 1.0);
    // 4 Latin words + 2 CJK characters (each a word) = 4 / 6.
    CHECK(language_consistency_reward("<think>subtract three 两边 from both</think>") ==
          doctest::Approx(4.0 / 6.0).epsilon(1e-15));
    CHECK(language_consistency_reward("<think>两边减三</think>", Script::cjk) == 1.0);
    CHECK(language_consistency_reward("<think>两边减三</think>", Script::latin) == 0.0);
    // Digits, math and arrows are no language; "x" is a Latin word.
    CHECK(language_consistency_reward("<think>2x + 3 = 7 → 2x = 4</think>") == 1.0);
    CHECK(language_consistency_reward("<think>2 + 3 = 5</think>") == 0.0);  // no words at all
    CHECK(language_consistency_reward("<think>вычтем three</think>") == 0.5);
    // Without a think block the whole completion is read; the tags are not words of any script.
    CHECK(language_consistency_reward("just words") == 1.0);
    CHECK(language_consistency_reward("café naïve") == 1.0);  // Latin-1 letters are Latin
}

TEST_CASE("language: words shorter than min_word_letters are skipped, and mixing needs two scripts") {
    // "x" is a one-letter Latin word: with min_word_letters 2 a Greek chain of thought is all Greek.
    CHECK(language_consistency_reward("<think>αρα: x = 5</think>", Script::greek) == 0.5);
    CHECK(language_consistency_reward("<think>αρα: x = 5</think>", Script::greek, 2) == 1.0);
    CHECK(language_consistency_reward("<think>so: 2x = 10</think>", Script::latin, 2) == 1.0);
    CHECK(language_consistency_reward("<think>2x = 10</think>", Script::latin, 2) == 0.0);  // no words left
    CHECK(count_words_by_script("so: 2x = 10, move it", Script::latin, 3).total == 1);  // "move"
    CHECK(count_words_by_script("两边", Script::cjk, 2).total == 2);  // a CJK character is always a word
    CHECK(is_language_mixed("<think>move: 2x = 7 + 3\nαρα: 2x = 10</think>"));
    CHECK_FALSE(is_language_mixed("<think>move: 2x = 7 + 3\nso: 2x = 10</think>"));
    CHECK_FALSE(is_language_mixed("<think>φερω: 2x = 7 + 3\nαρα: x = 5</think>"));  // x is not a word
    CHECK(is_language_mixed("<think>φερω: 2x = 7 + 3\nαρα: x = 5</think>", 1));
    CHECK(is_language_mixed("<think>вычтем three</think>"));
    CHECK_FALSE(is_language_mixed("move: 2x = 7 <think>αρα</think>"));  // only the think block counts
    CHECK_FALSE(is_language_mixed(""));
}

TEST_CASE("language: the R1 reasoning preset sums accuracy, strict format and language") {
    const RewardConfig c = RewardConfig::r1_reasoning();
    const RewardBreakdown english = score_completion("<think>so: x = 2</think><answer>2</answer>", "2", c);
    CHECK(english.total == 3.0);
    const RewardBreakdown mixed = score_completion("<think>so: 2x = 4\nαρα: x = 2</think><answer>2</answer>", "2", c);
    CHECK(mixed.language == 0.5);
    CHECK(mixed.total == 2.5);
    CHECK(score_completion("<think>so: x = 2</think> <answer>2</answer> ok", "2", c).format == 0.0);  // strict
}

TEST_CASE("utf8: decoding, invalid bytes and scripts") {
    std::size_t pos = 0;
    const std::string s = "a€\xF0\x9F\x98\x80";
    CHECK(next_code_point(s, pos) == U'a');
    CHECK(next_code_point(s, pos) == U'€');
    CHECK(next_code_point(s, pos) == U'\U0001F600');
    CHECK(pos == s.size());
    CHECK(is_valid_utf8(s));
    for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "\xE2\x82", "\xFF"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_valid_utf8(bad));
    }
    CHECK(is_valid_utf8("\xEF\xBF\xBD"));  // U+FFFD itself is valid
    pos = 0;
    CHECK(next_code_point("\xE2\x82", pos) == kReplacementChar);
    CHECK(pos == 1);  // one byte consumed, so decoding always moves on
    CHECK(script_of(U'é') == Script::latin);
    CHECK(script_of(U'两') == Script::cjk);
    CHECK(script_of(U'ж') == Script::cyrillic);
    CHECK(script_of(U'7') == Script::none);
    CHECK(script_of(U'→') == Script::none);
}

TEST_CASE("length: DAPO's soft overlong punishment") {
    const OverlongConfig cfg{20, 4};  // free up to 16, ramp 17..20, -1 beyond
    CHECK(overlong_penalty(0, cfg) == 0.0);
    CHECK(overlong_penalty(16, cfg) == 0.0);
    CHECK(overlong_penalty(17, cfg) == -0.25);
    CHECK(overlong_penalty(18, cfg) == -0.5);
    CHECK(overlong_penalty(20, cfg) == -1.0);
    CHECK(overlong_penalty(21, cfg) == -1.0);
    CHECK_THROWS_AS(overlong_penalty(5, {4, 8}), Error);
    CHECK_THROWS_AS(overlong_penalty(-1, cfg), Error);
}

TEST_CASE("length: cosine-scaled reward, open-r1's defaults") {
    const CosineLengthConfig cfg{100};
    CHECK(cosine_length_reward(0, true, cfg) == doctest::Approx(1.0));
    CHECK(cosine_length_reward(50, true, cfg) == doctest::Approx(0.75));  // cos(pi/2) = 0
    CHECK(cosine_length_reward(100, true, cfg) == doctest::Approx(0.5));
    CHECK(cosine_length_reward(0, false, cfg) == doctest::Approx(-1.0));
    CHECK(cosine_length_reward(50, false, cfg) == doctest::Approx(-0.75));
    CHECK(cosine_length_reward(100, false, cfg) == doctest::Approx(-0.5));
    CHECK(cosine_length_reward(250, false, cfg) == doctest::Approx(-0.5));  // stays at the end
}

TEST_CASE("weighted sum: the founding notes' weights and the length rule") {
    const std::string mixed = "<think>subtract 三 then divide</think><answer>2</answer>";
    const auto r = score_completion(mixed, "2", RewardConfig::seed_003());
    CHECK(r.accuracy == 1.0);
    CHECK(r.format == 1.0);
    CHECK(r.language == doctest::Approx(3.0 / 4.0).epsilon(1e-15));
    CHECK(r.total == doctest::Approx(1.0 + 0.3 * 1.0 + 0.2 * 0.75).epsilon(1e-15));

    RewardConfig cfg;
    cfg.length_rule = LengthRule::overlong;
    cfg.length_weight = 1.0;
    cfg.overlong = {20, 4};
    const auto long_one = score_completion(kSeed1, "2", cfg, 18);
    CHECK(long_one.length == -0.5);
    CHECK(long_one.total == 1.5);
}

TEST_CASE("rewards: hostile input gets a defined score") {
    const std::string invalid = "<think>\xFF\xFE\xC0</think><answer>\xE2\x82</answer>";
    CHECK(format_reward_strict(invalid) == 1.0);
    CHECK(accuracy_reward(invalid, "2") == 0.0);
    CHECK(language_consistency_reward(invalid) == 0.0);
    const std::string huge = "<answer>" + std::string(1 << 20, '9') + "</answer>";
    CHECK(accuracy_reward(huge, "2") == 0.0);
    CHECK(format_reward_lenient(huge) == 0.0);  // no think block
    const std::string braces = "\\boxed{" + std::string(100000, '{');
    CHECK(accuracy_reward(braces, "2") == 0.0);
    CHECK(accuracy_reward(std::string(1 << 20, '-'), "2") == 0.0);
}

TEST_CASE("accuracy: a generated task's verifier plugs into the accuracy rule") {
    const Problem eq = make_linear_equation_problem({2, 0, 7});  // 2x = 7, x = 7/2
    CHECK(eq.answer == "7/2");
    CHECK(accuracy_reward("<think>halve 7</think><answer>x = 3.5</answer>", eq.check) == 1.0);
    CHECK(accuracy_reward("<think>halve 7</think><answer>3</answer>", eq.check) == 0.0);
    const Problem countdown = make_countdown_problem({{6, 2, 5}, 20, "(6 - 2) * 5"});
    CHECK(accuracy_reward("<answer>5 * (6 - 2)</answer>", countdown.check) == 1.0);
    CHECK(accuracy_reward("<answer>5 * 2 * 2</answer>", countdown.check) == 0.0);  // 2 reused, 6 unused
}

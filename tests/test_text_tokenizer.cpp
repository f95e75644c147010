#include <doctest/doctest.h>

#include <grpo/core/rng.hpp>
#include <grpo/text/prompt_template.hpp>
#include <grpo/text/tokenizer.hpp>
#include <string>
#include <vector>

using grpo::CharTokenizer;
using grpo::Tokenizer;
using Ids = std::vector<grpo::TokenId>;

TEST_CASE("tokenizer: ids of the special tokens and the alphabet") {
    const Tokenizer tok("x=2");
    // 8 specials, then 'x', '=', '2', then the missing hex digits 0 1 3..9 a..f (15 of them).
    CHECK(tok.vocab_size() == 8 + 3 + 15);
    CHECK(tok.encode("x=2") == Ids{8, 9, 10});
    CHECK(tok.encode("<think>x</think><answer>2</answer>") == Ids{3, 8, 4, 5, 10, 6});
    CHECK(tok.decode({3, 8, 4, 5, 10, 6}) == "<think>x</think><answer>2</answer>");
    CHECK(tok.decode({CharTokenizer::kBos, 8, CharTokenizer::kEos, CharTokenizer::kPad}) == "x");
    CHECK(tok.token_name(CharTokenizer::kEos) == "<eos>");
    CHECK(tok.token_name(9) == "'='");
}

TEST_CASE("tokenizer: characters outside the alphabet are escaped byte by byte") {
    const Tokenizer tok = Tokenizer::ascii();
    const Ids ids = tok.encode("é");  // UTF-8 C3 A9
    REQUIRE(ids.size() == 6);
    CHECK(ids[0] == CharTokenizer::kByte);
    CHECK(tok.decode({ids[1]}) == "c");
    CHECK(tok.decode({ids[2]}) == "3");
    CHECK(ids[3] == CharTokenizer::kByte);
    CHECK(tok.decode(ids) == "é");
    // A partial tag is plain text.
    CHECK(tok.encode("<thinking>").size() == 10);
}

TEST_CASE("tokenizer: non-ASCII alphabets map each code point to one id") {
    const Tokenizer tok("两边减三");
    CHECK(tok.encode("减三") == Ids{10, 11});
    CHECK(tok.decode({8, 9}) == "两边");
}

TEST_CASE("tokenizer: ascii_with keeps every ASCII id and adds one token per extra letter") {
    const Tokenizer ascii = Tokenizer::ascii(), greek = Tokenizer::ascii_with("αρ");
    CHECK(greek.vocab_size() == ascii.vocab_size() + 2);
    for (char c = ' '; c <= '~'; ++c) CHECK(greek.encode(std::string(1, c)) == ascii.encode(std::string(1, c)));
    const Ids ids = greek.encode("αρα");
    CHECK(ids == Ids{ascii.vocab_size(), ascii.vocab_size() + 1, ascii.vocab_size()});
    CHECK(greek.decode(ids) == "αρα");
    CHECK(ascii.encode("αρα").size() == 18);  // <byte> + 2 hex digits per byte, 2 bytes a letter
}

TEST_CASE("tokenizer: any byte string round-trips, invalid UTF-8 included") {
    const Tokenizer tok = Tokenizer::ascii();
    for (const std::string& s :
         {std::string(""), std::string("<think>2x + 3 = 7</think>\n<answer>2</answer>"),
          std::string("\xFF\xFE\xC0"), std::string("\xE2\x82"), std::string("\xEF\xBF\xBD"),
          std::string("mixed 两边 \xF0\x9F\x98\x80 </answer"), std::string(3, '\0')}) {
        CAPTURE(s);
        CHECK(tok.decode(tok.encode(s)) == s);
    }
    grpo::Rng rng(3);
    for (int i = 0; i < 2000; ++i) {
        std::string s(static_cast<std::size_t>(rng.uniform_int(0, 40)), '\0');
        for (char& c : s) c = static_cast<char>(rng.uniform_int(0, 255));
        REQUIRE(tok.decode(tok.encode(s)) == s);
    }
}

TEST_CASE("tokenizer: bad ids and alphabets are errors that say why") {
    const Tokenizer tok = Tokenizer::ascii();
    CHECK_THROWS_WITH_AS(tok.decode({tok.vocab_size()}),
                         "CharTokenizer::decode: id 104 at position 0 is outside the vocabulary of 104",
                         grpo::Error);
    CHECK_THROWS_WITH_AS(tok.decode({CharTokenizer::kByte, tok.encode("a")[0]}),
                         "CharTokenizer::decode: <byte> at position 0 is not followed by two hex digits",
                         grpo::Error);
    CHECK_THROWS_AS(tok.decode({CharTokenizer::kByte, tok.encode("z")[0], tok.encode("1")[0]}), grpo::Error);
    // Lenient decoding, for what a model generates: a broken escape becomes U+FFFD.
    CHECK(tok.decode({CharTokenizer::kByte, tok.encode("z")[0], tok.encode("1")[0]}, true) == "\xEF\xBF\xBDz1");
    CHECK(tok.decode({tok.encode("a")[0], CharTokenizer::kByte}, true) == "a\xEF\xBF\xBD");
    CHECK_THROWS_AS(Tokenizer("\xFF"), grpo::Error);
}

TEST_CASE("prompt template: the question goes in the user's slot") {
    const auto compact = grpo::PromptTemplate::compact();
    CHECK(compact.render("Solve for x: 2x + 3 = 7") == "User: Solve for x: 2x + 3 = 7\nAssistant: ");
    const std::string full = grpo::PromptTemplate::r1_zero().render("What is 2 + 2?");
    CHECK(full.find("User: What is 2 + 2?\nAssistant:") != std::string::npos);
    CHECK(full.find("<think> reasoning here </think>") != std::string::npos);
    CHECK_THROWS_AS(compact.render("say <answer>"), grpo::Error);
}

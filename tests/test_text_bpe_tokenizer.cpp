#include <doctest/doctest.h>

#include <grpo/core/rng.hpp>
#include <grpo/text/bpe_tokenizer.hpp>
#include <grpo/text/unicode_classes.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using grpo::BpeSpecialTokens;
using grpo::BpeTokenizer;
using BpeIds = std::vector<grpo::TokenId>;

namespace {

const std::string kBpeDir = GRPO_TEST_DATA_DIR "/bpe";

nlohmann::json bpe_read_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

// The single-byte token text of a byte: GPT-2's byte-to-character table, written as UTF-8.
std::string bpe_byte_entry(int byte) {
    std::string entry;
    grpo::append_utf8(entry, grpo::bpe_detail::byte_to_char_table()[byte]);
    return entry;
}

// One merge in the [left, right] array form (a braced list would become a JSON object).
nlohmann::json bpe_pair(const char* left, const char* right) { return nlohmann::json::array({left, right}); }

// A tiny tokenizer.json: ids 0..255 are the byte tokens in byte order (so 'a' is 97), then
// 256 "ab", 257 "bc", 258 "abc", and the added tokens 259 <pad>, 260 <eos>, 261 <t>.
// Merges by rank: a+b, b+c, ab+c.
nlohmann::json bpe_tiny_config() {
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b) vocab[bpe_byte_entry(b)] = b;
    vocab["ab"] = 256;
    vocab["bc"] = 257;
    vocab["abc"] = 258;
    const auto added = [](int id, const char* content) {
        return nlohmann::json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
                              {"rstrip", false}, {"normalized", false}, {"special", true}};
    };
    const nlohmann::json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                                       {"use_regex", true}};
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", nlohmann::json::array({added(259, "<pad>"), added(260, "<eos>"), added(261, "<t>")})},
            {"normalizer", nullptr},
            {"pre_tokenizer", byte_level},
            {"post_processor", byte_level},
            {"decoder", byte_level},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
              {"vocab", vocab},
              {"merges", nlohmann::json::array({bpe_pair("a", "b"), bpe_pair("b", "c"), bpe_pair("ab", "c")})}}}};
}

BpeTokenizer bpe_tiny(const nlohmann::json& config, BpeSpecialTokens names = {}) {
    return BpeTokenizer::from_json_text(config.dump(), std::move(names));
}

}  // namespace

TEST_CASE("bpe tokenizer: every fixture string gives the ids of HF tokenizers and decodes back") {
    const nlohmann::json fixture = bpe_read_json(kBpeDir + "/encodings.json");
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    CHECK(tok.vocab_size() == fixture["vocab_size"].get<int>());
    REQUIRE(fixture["cases"].size() >= 60);
    for (const nlohmann::json& c : fixture["cases"]) {
        const std::string text = c["text"].get<std::string>();
        CAPTURE(text);
        const BpeIds ids = tok.encode(text);
        CHECK(ids == c["ids"].get<BpeIds>());
        CHECK(tok.decode(ids) == c["decoded"].get<std::string>());
        CHECK(tok.decode(ids) == text);
        CHECK(tok.decode(ids, true) == text);
    }
}

TEST_CASE("bpe tokenizer: add_prefix_space, a one-element Sequence and string merges match HF tokenizers") {
    const nlohmann::json fixture = bpe_read_json(kBpeDir + "/encodings.json");
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer_prefix_space.json");
    for (const nlohmann::json& c : fixture["cases"]) {
        const std::string text = c["text"].get<std::string>();
        CAPTURE(text);
        const BpeIds ids = tok.encode(text);
        CHECK(ids == c["ids_prefix_space"].get<BpeIds>());
        // The prefix space stays in the decoded text, as in tokenizers.
        CHECK(tok.decode(ids) == c["decoded_prefix_space"].get<std::string>());
    }
}

TEST_CASE("bpe tokenizer: bytes that are not UTF-8 decode leniently as HF tokenizers does, strictly throw") {
    const nlohmann::json fixture = bpe_read_json(kBpeDir + "/encodings.json");
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    REQUIRE(fixture["invalid_utf8"].size() >= 10);
    for (const nlohmann::json& c : fixture["invalid_utf8"]) {
        const BpeIds ids = c["ids"].get<BpeIds>();
        CAPTURE(c.dump());
        CHECK(tok.decode(ids, true) == c["decoded"].get<std::string>());
        CHECK_THROWS_WITH_AS(tok.decode(ids), doctest::Contains("not valid UTF-8 at byte"), grpo::Error);
    }
    // The message names the byte and the token: "a", then the lone byte 0xE2.
    const BpeTokenizer tiny = bpe_tiny(bpe_tiny_config());
    CHECK_THROWS_WITH_AS(tiny.decode({97, 0xE2}),
                         "BpeTokenizer::decode: the bytes are not valid UTF-8 at byte 1 (token at position 1, id 226)",
                         grpo::Error);
    CHECK_THROWS_WITH_AS(tiny.decode({259, 258, 0x82, 97}), doctest::Contains("at byte 3 (token at position 2, id 130)"),
                         grpo::Error);
    CHECK_THROWS_WITH_AS(tok.encode("ok \xFF"), "BpeTokenizer::encode: the text is not valid UTF-8 at byte 3",
                         grpo::Error);
}

TEST_CASE("bpe tokenizer: ids out of range throw in both modes, naming the id and the vocabulary size") {
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    CHECK_THROWS_WITH_AS(tok.decode({5, 400}),
                         "BpeTokenizer::decode: id 400 at position 1 is outside the vocabulary of 400", grpo::Error);
    CHECK_THROWS_WITH_AS(tok.decode({-1}, true), doctest::Contains("id -1 at position 0"), grpo::Error);
    CHECK_THROWS_WITH_AS(tok.token_name(400), doctest::Contains("outside the vocabulary of 400"), grpo::Error);
}

TEST_CASE("bpe tokenizer: pad and eos come from the names, are never encoded and decode to nothing") {
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    CHECK(tok.pad_id() == 0);
    CHECK(tok.eos_id() == 1);
    CHECK(tok.decode({tok.pad_id(), tok.encode("x")[0], tok.eos_id(), tok.pad_id()}) == "x");
    CHECK(tok.token_name(tok.eos_id()) == "<eos>");
    for (const std::string text : {"<eos>", "<pad>", "a<eos>b", "<think><eos></think>"}) {
        CAPTURE(text);
        const BpeIds ids = tok.encode(text);
        for (grpo::TokenId id : ids) CHECK((id != tok.pad_id() && id != tok.eos_id()));
        CHECK(tok.decode(ids) == text);
    }
    // Other names: the tags become pad and eos, and then are no longer matched in the text.
    const BpeTokenizer renamed =
        BpeTokenizer::from_file(kBpeDir + "/tokenizer.json", BpeSpecialTokens{"<answer>", "</answer>"});
    CHECK(renamed.pad_id() == 4);
    CHECK(renamed.eos_id() == 5);
    CHECK(renamed.encode("<think>").size() == 1);
    CHECK(renamed.encode("</answer>").size() > 1);
    CHECK(renamed.decode({2, 4, 5}) == "<think>");
    CHECK_THROWS_WITH_AS(BpeTokenizer::from_file(kBpeDir + "/tokenizer.json", BpeSpecialTokens{"<pad>", "<|end|>"}),
                         doctest::Contains("the eos token \"<|end|>\" is neither in added_tokens nor in model.vocab"),
                         grpo::Error);
    CHECK_THROWS_WITH_AS(BpeTokenizer::from_file(kBpeDir + "/tokenizer.json", BpeSpecialTokens{"<none>", "<eos>"}),
                         doctest::Contains("the pad token \"<none>\""), grpo::Error);
    // A vocab entry may be eos only when encode() cannot produce it.
    CHECK_THROWS_WITH_AS(bpe_tiny(bpe_tiny_config(), BpeSpecialTokens{"<pad>", "ab"}),
                         doctest::Contains("the eos token \"ab\" is a vocab entry that encode() can produce"),
                         grpo::Error);
    nlohmann::json unreachable = bpe_tiny_config();
    unreachable["model"]["vocab"]["zz"] = 262;
    const BpeTokenizer tiny = bpe_tiny(unreachable, BpeSpecialTokens{"<pad>", "zz"});
    CHECK(tiny.eos_id() == 262);
    CHECK(tiny.decode({97, 262}) == "a");
}

TEST_CASE("bpe tokenizer: token names quote the bytes, added tokens go by their content") {
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    CHECK(tok.token_name(2) == "<think>");
    CHECK(tok.token_name(tok.encode("\n")[0]) == "'\\n'");
    CHECK(tok.token_name(tok.encode("\t")[0]) == "'\\t'");
    CHECK(tok.token_name(tok.encode("x")[0]) == "'x'");
    CHECK(tok.token_name(tok.encode("\\")[0]) == "'\\\\'");
    const BpeTokenizer tiny = bpe_tiny(bpe_tiny_config());
    CHECK(tiny.token_name(0xE2) == "'\\xe2'");
    CHECK(tiny.token_name(0) == "'\\x00'");
    CHECK(tiny.token_name(' ') == "' '");
    CHECK(tiny.token_name(258) == "'abc'");
    CHECK(tiny.token_name(261) == "<t>");
}

TEST_CASE("bpe tokenizer: merges apply lowest rank first, every occurrence left to right") {
    nlohmann::json config = bpe_tiny_config();
    const BpeTokenizer tok = bpe_tiny(config);
    CHECK(tok.vocab_size() == 262);
    CHECK(tok.pad_id() == 259);
    CHECK(tok.eos_id() == 260);
    // "abc": a+b (rank 0) first, then ab+c (rank 2).
    CHECK(tok.encode("abc") == BpeIds{258});
    // "abcab": both a+b merge first -> ab c ab; then ab+c -> abc ab.
    CHECK(tok.encode("abcab") == BpeIds{258, 256});
    // " c" is one piece: the space byte (32) and c (99); no merge involves the space.
    CHECK(tok.encode("abcab c") == BpeIds{258, 256, 32, 99});
    CHECK(tok.encode("bca") == BpeIds{257, 97});
    CHECK(tok.encode("a<t>bc") == BpeIds{97, 261, 257});
    CHECK(tok.decode({258, 261, 32, 99}) == "abc<t> c");

    // Swapping the first two ranks: b+c now goes first, so "abc" is a + bc and ab+c never applies.
    config["model"]["merges"] = nlohmann::json::array({bpe_pair("b", "c"), bpe_pair("a", "b"), bpe_pair("ab", "c")});
    CHECK(bpe_tiny(config).encode("abc") == BpeIds{97, 257});
    CHECK(bpe_tiny(config).encode("abab") == BpeIds{256, 256});

    // The older "left right" string form reads the same.
    config["model"]["merges"] = nlohmann::json::array({"a b", "b c", "ab c"});
    CHECK(bpe_tiny(config).encode("abcab") == BpeIds{258, 256});

    // A run of one letter: "a a" joins the leftmost pair first.
    config["model"]["vocab"]["aa"] = 262;
    config["model"]["merges"] = nlohmann::json::array({"a a"});
    CHECK(bpe_tiny(config).encode("aaa") == BpeIds{262, 97});

    // ignore_merges: a piece that is a vocab entry is that token, merges or not.
    nlohmann::json whole = bpe_tiny_config();
    whole["model"]["merges"] = nlohmann::json::array({"a b"});
    CHECK(bpe_tiny(whole).encode("abc") == BpeIds{256, 99});
    whole["model"]["ignore_merges"] = true;
    CHECK(bpe_tiny(whole).encode("abc") == BpeIds{258});
    CHECK(bpe_tiny(whole).encode("abcc") == BpeIds{256, 99, 99});
}

TEST_CASE("bpe tokenizer: the GPT-2 pattern cuts words, numbers, punctuation and white space") {
    using grpo::bpe_detail::split_gpt2;
    using Pieces = std::vector<std::string_view>;
    CHECK(split_gpt2("") == Pieces{});
    CHECK(split_gpt2("Hello world") == Pieces{"Hello", " world"});
    CHECK(split_gpt2("it's we'll I'M") == Pieces{"it", "'s", " we", "'ll", " I", "'", "M"});
    CHECK(split_gpt2("x = 12.5!") == Pieces{"x", " =", " 12", ".", "5", "!"});
    // A run of spaces before a word gives its last space to the word.
    CHECK(split_gpt2("a   b") == Pieces{"a", "  ", " b"});
    CHECK(split_gpt2("a\t\tb") == Pieces{"a", "\t", "\t", "b"});
    CHECK(split_gpt2("end  ") == Pieces{"end", "  "});
    CHECK(split_gpt2("a \n b") == Pieces{"a", " \n", " b"});
    CHECK(split_gpt2("été 两边") == Pieces{"été", " 两边"});
    CHECK(split_gpt2("٣+٤") == Pieces{"٣", "+", "٤"});
    CHECK(split_gpt2("x2") == Pieces{"x", "2"});
    CHECK(split_gpt2("e\u0301") == Pieces{"e", "\u0301"});  // a combining mark is not a letter (Mn)
}

TEST_CASE("bpe tokenizer: the Unicode classes of the pattern") {
    using grpo::is_letter;
    using grpo::is_number;
    using grpo::is_whitespace;
    CHECK(is_letter('a'));
    CHECK(is_letter('Z'));
    CHECK(is_letter(U'é'));
    CHECK(is_letter(U'两'));
    CHECK(is_letter(0xAA));  // ª, Lo
    CHECK_FALSE(is_letter('1'));
    CHECK_FALSE(is_letter(0x301));
    CHECK_FALSE(is_letter(0));
    CHECK_FALSE(is_letter(0x10FFFF));
    CHECK(is_number('0'));
    CHECK(is_number(U'٣'));
    CHECK(is_number(U'½'));
    CHECK(is_number(U'Ⅻ'));
    CHECK(is_number(U'²'));
    CHECK_FALSE(is_number('a'));
    CHECK(is_whitespace(' '));
    CHECK(is_whitespace('\t'));
    CHECK(is_whitespace(0x0B));
    CHECK(is_whitespace(0x85));
    CHECK(is_whitespace(0xA0));
    CHECK(is_whitespace(0x3000));
    CHECK(is_whitespace(0x2028));
    CHECK_FALSE(is_whitespace(0x1C));  // Python's str.isspace() says yes, White_Space says no
    CHECK_FALSE(is_whitespace(0x200B));
    CHECK_FALSE(is_whitespace(0x180E));
    CHECK_FALSE(is_whitespace('x'));
}

TEST_CASE("bpe tokenizer: lenient decoding writes one U+FFFD per maximal invalid subpart") {
    using grpo::bpe_detail::utf8_lossy;
    CHECK(utf8_lossy("") == "");
    CHECK(utf8_lossy("ok \xE2\x82\xAC") == "ok \xE2\x82\xAC");
    CHECK(utf8_lossy("\xE2\x82") == "\xEF\xBF\xBD");               // truncated: one subpart
    CHECK(utf8_lossy("\xE2\x82z") == "\xEF\xBF\xBDz");
    CHECK(utf8_lossy("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");    // C0 never starts a sequence
    CHECK(utf8_lossy("\xE0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");    // overlong: E0 needs A0..BF next
    CHECK(utf8_lossy("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(utf8_lossy("\xF0\x9F\x98") == "\xEF\xBF\xBD");
    CHECK(utf8_lossy("\xF4\x90\x80\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(utf8_lossy("\xFF\xFE") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("bpe tokenizer: random mixes of the fixture strings round-trip") {
    const nlohmann::json fixture = bpe_read_json(kBpeDir + "/encodings.json");
    const BpeTokenizer tok = BpeTokenizer::from_file(kBpeDir + "/tokenizer.json");
    std::vector<std::string> parts;
    for (const nlohmann::json& c : fixture["cases"]) parts.push_back(c["text"].get<std::string>());
    parts.push_back("<eos>");
    parts.push_back("<pad>");
    grpo::Rng rng(11);
    for (int i = 0; i < 300; ++i) {
        std::string text;
        const auto count = rng.uniform_int(0, 6);
        const auto last = static_cast<std::int64_t>(parts.size()) - 1;
        for (int k = 0; k < count; ++k) text += parts[static_cast<std::size_t>(rng.uniform_int(0, last))];
        const BpeIds ids = tok.encode(text);
        REQUIRE(tok.decode(ids) == text);
        for (grpo::TokenId id : ids) REQUIRE((id >= 0 && id < tok.vocab_size() && id != tok.pad_id() && id != tok.eos_id()));
    }
}

TEST_CASE("bpe tokenizer: unsupported tokenizer.json fields are refused, naming the field") {
    using doctest::Contains;
    const auto refused = [](const std::function<void(nlohmann::json&)>& edit, const std::string& words) {
        nlohmann::json config = bpe_tiny_config();
        edit(config);
        CAPTURE(words);
        CHECK_THROWS_WITH_AS(bpe_tiny(config), Contains(words.c_str()), grpo::Error);
    };
    CHECK_NOTHROW(bpe_tiny(bpe_tiny_config()));
    refused([](nlohmann::json& c) { c["model"]["type"] = "WordPiece"; },
            "model.type is \"WordPiece\"; supported: \"BPE\"");
    refused([](nlohmann::json& c) { c["model"]["dropout"] = 0.1; }, "model.dropout is 0.1");
    refused([](nlohmann::json& c) { c["model"]["continuing_subword_prefix"] = "##"; },
            "model.continuing_subword_prefix is \"##\"");
    refused([](nlohmann::json& c) { c["model"]["end_of_word_suffix"] = "</w>"; }, "model.end_of_word_suffix");
    refused([](nlohmann::json& c) { c["model"]["byte_fallback"] = true; }, "model.byte_fallback is true");
    refused([](nlohmann::json& c) { c["model"]["ignore_merges"] = 1; }, "model.ignore_merges is 1");
    refused([](nlohmann::json& c) { c["normalizer"] = {{"type", "NFC"}}; }, "normalizer is {\"type\":\"NFC\"}");
    refused([](nlohmann::json& c) { c["truncation"] = {{"max_length", 8}}; }, "tokenizer.json.truncation");
    refused([](nlohmann::json& c) { c["padding"] = {{"length", 8}}; }, "tokenizer.json.padding");
    refused([](nlohmann::json& c) { c["pre_tokenizer"] = {{"type", "Whitespace"}}; },
            "pre_tokenizer is {\"type\":\"Whitespace\"}; supported: ByteLevel");
    refused([](nlohmann::json& c) { c["pre_tokenizer"] = nullptr; }, "pre_tokenizer is null");
    refused([](nlohmann::json& c) {
        c["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", nlohmann::json::array({c["decoder"], c["decoder"]})}};
    }, "pre_tokenizer.pretokenizers is");
    refused([](nlohmann::json& c) {
        c["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", nlohmann::json::array({{{"type", "Digits"}}})}};
    }, "pre_tokenizer.pretokenizers[0] is {\"type\":\"Digits\"}");
    refused([](nlohmann::json& c) { c["pre_tokenizer"]["use_regex"] = false; }, "pre_tokenizer.use_regex is false");
    refused([](nlohmann::json& c) { c["decoder"] = {{"type", "WordPiece"}}; }, "decoder is {\"type\":\"WordPiece\"}");
    refused([](nlohmann::json& c) { c.erase("decoder"); }, "tokenizer.json.decoder is missing");
    refused([](nlohmann::json& c) { c["added_tokens"][2]["lstrip"] = true; }, "added_tokens[2].lstrip is true");
    refused([](nlohmann::json& c) { c["added_tokens"][2]["rstrip"] = true; }, "added_tokens[2].rstrip is true");
    refused([](nlohmann::json& c) { c["added_tokens"][0]["single_word"] = true; }, "added_tokens[0].single_word is true");
    refused([](nlohmann::json& c) { c["added_tokens"][2]["content"] = ""; }, "added_tokens[2].content is empty");
    refused([](nlohmann::json& c) { c["added_tokens"][2]["id"] = 97; }, "added_tokens[2] has id 97 which is already");
    refused([](nlohmann::json& c) { c["added_tokens"][2]["id"] = 262; }, "added_tokens[2].id is 262");
    refused([](nlohmann::json& c) { c["model"]["merges"][0] = bpe_pair("a", "c"); },
            "model.merges[0] is [\"a\",\"c\"] but \"ac\" is not in model.vocab");
    refused([](nlohmann::json& c) { c["model"]["merges"][1] = "bc"; }, "model.merges[1] is \"bc\"; expected");
    refused([](nlohmann::json& c) { c["model"]["merges"][1] = bpe_pair("a", "b"); }, "model.merges[1] is [\"a\",\"b\"]; each pair");
    refused([](nlohmann::json& c) { c["model"]["merges"][2] = 7; }, "model.merges[2] is 7");
    refused([](nlohmann::json& c) { c["model"]["vocab"]["abc"] = 257; }, "model.vocab has id 257 twice");
    refused([](nlohmann::json& c) { c["model"]["vocab"]["abc"] = -3; }, "model.vocab[\"abc\"] is -3");
    refused([](nlohmann::json& c) { c["model"]["vocab"]["abc"] = "258"; }, "model.vocab[\"abc\"] is \"258\"");
    refused([](nlohmann::json& c) {
        c["model"]["vocab"]["<t>"] = 261;  // an added token may repeat its vocab entry
        c["model"]["vocab"]["abc"] = 262;
    }, "no token has id 258; ids must be 0..262 without gaps");
    refused([](nlohmann::json& c) {
        c["model"]["vocab"].erase("abc");
        c["model"]["vocab"]["x y"] = 258;
        c["model"]["merges"] = nlohmann::json::array({"a b", "b c"});
    }, "model.vocab token \"x y\" is not byte-level text");
    refused([](nlohmann::json& c) {
        c["model"]["vocab"].erase(bpe_byte_entry('q'));
        c["model"]["vocab"]["qq"] = 'q';
    }, "model.vocab has no token for byte 113");
    CHECK_THROWS_WITH_AS(BpeTokenizer::from_json_text("{\"model\": "), Contains("tokenizer.json is not valid JSON"),
                         grpo::Error);
    CHECK_THROWS_WITH_AS(BpeTokenizer::from_json_text("[1, 2]"), Contains("must be a JSON object"), grpo::Error);
    CHECK_THROWS_WITH_AS(BpeTokenizer::from_file(kBpeDir + "/missing.json"), Contains("cannot open"), grpo::Error);
    // Fields that change nothing here are accepted: an unk_token, a post_processor, normalized tags.
    nlohmann::json accepted = bpe_tiny_config();
    accepted["model"]["unk_token"] = "<pad>";
    accepted["post_processor"] = {{"type", "TemplateProcessing"}};
    accepted["added_tokens"][2]["normalized"] = true;
    CHECK(bpe_tiny(accepted).encode("<t>abc") == BpeIds{261, 258});
}

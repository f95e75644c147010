#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <grpo/io/safetensors.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace grpo;
namespace fs = std::filesystem;

namespace {

// A scratch file path in the system's temporary directory, removed first.
std::string scratch(const std::string& name) {
    const std::string path = (fs::temp_directory_path() / name).string();
    fs::remove(path);
    return path;
}

std::vector<NamedTensor> example_tensors() {
    return {NamedTensor::from_values<float>("embed.weight", {2, 3}, {-0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f}),
            NamedTensor::from_values<double>("head.bias", {2}, {1.5, -2.25}),
            NamedTensor::from_values<std::int64_t>("step", {1}, {7})};
}

// Writes raw bytes: an 8-byte header length, the header, then `data`.
std::string write_raw(const std::string& name, std::uint64_t length, const std::string& header,
                      const std::string& data) {
    const std::string path = scratch(name);
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &length, 8);
    bytes += header + data;
    write_file_atomically(path, bytes);
    return path;
}

const std::string kSafetensorsCorpus = GRPO_TEST_DATA_DIR "/safetensors_corpus";

nlohmann::json safetensors_corpus_manifest() {
    return nlohmann::json::parse(read_file(kSafetensorsCorpus + "/manifest.json"));
}

std::string safetensors_corpus_unhex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

// The manifest writes every value as a JSON number; compare them as the tensor's own type.
template <class T>
void safetensors_corpus_check_values(const NamedTensor& got, const nlohmann::json& values) {
    const std::vector<T> have = got.values<T>();
    REQUIRE(have.size() == values.size());
    for (std::size_t i = 0; i < have.size(); ++i) CHECK(have[i] == values[i].get<T>());
}

void safetensors_corpus_check_tensor(const Safetensors& file, const nlohmann::json& want) {
    const std::string name = want.at("name").get<std::string>();
    INFO("tensor: ", name);
    const NamedTensor& got = file.at(name);
    CHECK(std::string(dtype_info(got.dtype).name) == want.at("dtype").get<std::string>());
    CHECK(got.shape == want.at("shape").get<std::vector<std::int64_t>>());
    CHECK(got.bytes == safetensors_corpus_unhex(want.at("hex").get<std::string>()));
    const nlohmann::json& values = want.at("values");
    switch (got.dtype) {
        case Dtype::f64: safetensors_corpus_check_values<double>(got, values); break;
        case Dtype::f32: safetensors_corpus_check_values<float>(got, values); break;
        case Dtype::i64: safetensors_corpus_check_values<std::int64_t>(got, values); break;
        case Dtype::i32: safetensors_corpus_check_values<std::int32_t>(got, values); break;
        case Dtype::u8: safetensors_corpus_check_values<std::uint8_t>(got, values); break;
        default: break;  // F16, BF16: no C++ type here; the bytes were compared above
    }
}

}  // namespace

TEST_CASE("safetensors: the corpus loads as the manifest says (as Python's safetensors does)") {
    const nlohmann::json manifest = safetensors_corpus_manifest();
    const nlohmann::json& files = manifest.at("files");
    CHECK(files.size() >= 50);
    for (const nlohmann::json& item : files) {
        const std::string name = item.at("file").get<std::string>();
        const std::string path = kSafetensorsCorpus + "/" + name;
        INFO("corpus file: ", name);
        const bool accepts = item.at("grpo_accepts").get<bool>();
        // A knowing difference from Python must say why.
        if (accepts != item.at("python_accepts").get<bool>()) CHECK(item.contains("reason"));
        if (!accepts) {
            // Only grpo::Error escapes, and its message names the file.
            CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains(name.c_str()), Error);
            continue;
        }
        Safetensors file;
        REQUIRE_NOTHROW(file = load_safetensors(path));
        if (!item.contains("tensors")) continue;  // hand-built good files: loading is the check
        CHECK(file.tensors.size() == item.at("tensors").size());
        for (const nlohmann::json& want : item.at("tensors")) safetensors_corpus_check_tensor(file, want);
    }
}

TEST_CASE("safetensors: corpus files whose error matters say what they expected") {
    const auto message = [](const std::string& name) {
        try {
            load_safetensors(kSafetensorsCorpus + "/" + name);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(loaded)");
    };
    CHECK(message("bad_duplicate_name.safetensors").find("names 'w' twice") != std::string::npos);
    CHECK(message("bad_duplicate_field.safetensors").find("field 'dtype' twice") != std::string::npos);
    CHECK(message("bad_shape_not_array.safetensors").find("shape is 2, expected an array") != std::string::npos);
    CHECK(message("bad_shape_float.safetensors").find("shape[0] is 8.7") != std::string::npos);
    CHECK(message("bad_offsets_bool.safetensors").find("data_offsets[0] is false") != std::string::npos);
    CHECK(message("bad_numel_overflow.safetensors").find("overflows 63 bits") != std::string::npos);
    CHECK(message("bad_metadata_int_value.safetensors").find("__metadata__ 'step' is 3") != std::string::npos);
    CHECK(message("diff_dtype_i8.safetensors").find("valid safetensors, but grpo reads only") != std::string::npos);
    CHECK(message("bad_bom.safetensors").find("byte order mark") != std::string::npos);
    CHECK(message("good_metadata_duplicate_key.safetensors") == "(loaded)");
    // Like Python, the last of two equal __metadata__ keys wins.
    CHECK(load_safetensors(kSafetensorsCorpus + "/good_metadata_duplicate_key.safetensors").metadata.at("k") == "b");
}

TEST_CASE("safetensors: zero-size tensors round trip") {
    // Empty ranges share their begin with a neighbour: [0, 0), [0, 8), [8, 8), [8, 8).
    const std::vector<NamedTensor> tensors = {
        NamedTensor::from_values<float>("empty.first", {0, 3}, {}),
        NamedTensor::from_values<double>("value", {1}, {2.5}),
        NamedTensor::from_values<std::int64_t>("empty.mid", {2, 0}, {}),
        NamedTensor::from_values<std::uint8_t>("empty.last", {0}, {}),
        NamedTensor::from_values<std::int32_t>("scalar", {}, {-3}),
    };
    const std::string path = scratch("grpo_zero_size.safetensors");
    save_safetensors(path, tensors);
    const Safetensors back = load_safetensors(path);
    REQUIRE(back.tensors.size() == tensors.size());
    for (const NamedTensor& want : tensors) {
        const NamedTensor& got = back.at(want.name);
        CHECK(got.dtype == want.dtype);
        CHECK(got.shape == want.shape);
        CHECK(got.bytes == want.bytes);
    }
    CHECK(back.at("empty.first").values<float>().empty());
    CHECK(back.at("scalar").values<std::int32_t>() == std::vector<std::int32_t>{-3});
}

TEST_CASE("safetensors: reads the file the reference implementation wrote") {
    // tests/data/reference.safetensors comes from tests/data/safetensors_interop.py (Python's
    // safetensors 0.8.0, numpy 2.4).
    const Safetensors file = load_safetensors(GRPO_TEST_DATA_DIR "/reference.safetensors");
    CHECK(file.tensors.size() == 3);
    CHECK(file.metadata.at("written_by") == "safetensors");
    const NamedTensor& embed = file.at("embed.weight");
    CHECK(embed.shape == std::vector<std::int64_t>{2, 3});
    CHECK(embed.values<float>() == std::vector<float>{-0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f});
    CHECK(file.at("head.bias").values<double>() == std::vector<double>{1.5, -2.25});
    CHECK(file.at("step").values<std::int64_t>() == std::vector<std::int64_t>{7});
    CHECK_THROWS_WITH_AS(file.at("head.bias").values<float>(),
                         "NamedTensor 'head.bias' holds F64, not F32", Error);
    CHECK_THROWS_WITH_AS(file.at("missing"), "safetensors: no tensor named 'missing'", Error);
}

TEST_CASE("safetensors: round trip, and a file for the reference implementation (interop)") {
    // Left in the temporary directory (/tmp on Linux) for
    // `python3 tests/data/safetensors_interop.py check /tmp/grpo_written.safetensors`.
    const std::string path = scratch("grpo_written.safetensors");
    save_safetensors(path, example_tensors(), {{"written_by", "grpo"}});
    const Safetensors back = load_safetensors(path);
    REQUIRE(back.tensors.size() == 3);
    for (const NamedTensor& want : example_tensors()) {
        const NamedTensor& got = back.at(want.name);
        CHECK(got.dtype == want.dtype);
        CHECK(got.shape == want.shape);
        CHECK(got.bytes == want.bytes);
    }
    CHECK(back.metadata.at("written_by") == "grpo");
    // The data section starts 8-byte aligned, and no temporary file is left behind.
    std::uint64_t header_length = 0;
    std::memcpy(&header_length, read_file(path).data(), 8);
    CHECK(header_length % 8 == 0);
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path()))
        CHECK(entry.path().filename().string().find("grpo_written.safetensors.tmp") == std::string::npos);
}

TEST_CASE("safetensors: writing refuses inconsistent tensors and unwritable paths") {
    NamedTensor bad = NamedTensor::from_values<float>("w", {2}, {1, 2});
    bad.shape = {3};
    CHECK_THROWS_WITH_AS(save_safetensors(scratch("bad.safetensors"), {bad}),
                         "save_safetensors: tensor 'w' has 8 bytes, its dtype and shape need 12", Error);
    const auto twice = NamedTensor::from_values<float>("w", {1}, {1});
    CHECK_THROWS_WITH_AS(save_safetensors(scratch("twice.safetensors"), {twice, twice}),
                         "save_safetensors: tensor name 'w' repeats", Error);
    CHECK_THROWS_AS(save_safetensors("/nonexistent-dir/x.safetensors", example_tensors()), Error);
    CHECK_THROWS_WITH_AS(NamedTensor::from_values<float>("v", {2, 2}, {1, 2, 3}),
                         "NamedTensor 'v': shape holds 4 values but 3 were given", Error);
}

TEST_CASE("safetensors: corrupt and hostile files are clear errors") {
    const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string eight(8, '\1');
    CHECK(load_safetensors(write_raw("ok.st", ok_header.size(), ok_header, eight)).tensors.size() == 1);

    CHECK_THROWS_WITH_AS(load_safetensors(scratch("missing.st")), doctest::Contains("cannot open"),
                         Error);
    {
        const std::string path = scratch("tiny.st");
        write_file_atomically(path, "abc");
        CHECK_THROWS_WITH_AS(load_safetensors(path),
                             doctest::Contains("too short for the 8-byte header length"), Error);
    }
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("huge.st", 1ull << 40, ok_header, eight)),
                         doctest::Contains("more than the limit"), Error);
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("trunc.st", 1000, ok_header, eight)),
                         doctest::Contains("truncated"), Error);
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("json.st", 5, "{\"w\":", "")),
                         doctest::Contains("not JSON"), Error);
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("array.st", 2, "[]", "")),
                         doctest::Contains("not a JSON object"), Error);
    const std::string wrong_size = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("size.st", wrong_size.size(), wrong_size, eight)),
                         doctest::Contains("size.st': tensor 'w' has 8 bytes, its dtype and shape need 12"),
                         Error);
    const std::string past_end = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("past.st", past_end.size(), past_end, eight)),
                         doctest::Contains("tensor 'w' spans bytes [0, 16) of a 8-byte data section"),
                         Error);
    const std::string overlap = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("overlap.st", overlap.size(), overlap, eight)),
                         doctest::Contains("ranges overlap or leave a gap"), Error);
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("extra.st", ok_header.size(), ok_header, eight + "xx")),
                         doctest::Contains("2 bytes after the last tensor"), Error);
    const std::string dtype = R"({"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("dtype.st", dtype.size(), dtype, eight)),
                         doctest::Contains("tensor 'w' has unsupported dtype 'C64'"), Error);
    const std::string types = R"({"w":{"dtype":"F32","shape":"two","data_offsets":[0,8]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("types.st", types.size(), types, eight)),
                         doctest::Contains("tensor 'w': shape is \"two\", expected an array"), Error);
    const std::string negative = R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})";
    CHECK_THROWS_WITH_AS(load_safetensors(write_raw("neg.st", negative.size(), negative, eight)),
                         doctest::Contains("tensor 'w': shape[0] is -2, expected a non-negative integer"),
                         Error);
}

TEST_CASE("safetensors: a tensor name that is not UTF-8 is a grpo::Error at save") {
    const std::string path = (fs::temp_directory_path() / "grpo_st_bad_utf8.safetensors").string();
    CHECK_THROWS_WITH_AS(save_safetensors(path, {NamedTensor::from_values<float>("w\xff", {1}, {1.0f})}),
                         doctest::Contains("a tensor name or metadata value is not valid UTF-8"), Error);
    CHECK_THROWS_AS(save_safetensors(path, {}, {{"note", "\xc3"}}), Error);
    CHECK_FALSE(fs::exists(path));
}

// safetensors: the checkpoint format that Hugging Face and PyTorch read
// (huggingface/safetensors, "Format"): an 8-byte little-endian header length N, N bytes of JSON
//     {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//      "__metadata__": {"key": "value"}}
// then the tensors' bytes, row-major, little-endian, offsets relative to the end of the header.
// This file works on named byte buffers, so it needs no Tensor type; the model layer converts
// its parameters to and from them. Writing is atomic (io/atomic_file.hpp). Reading trusts
// nothing: a header over 100 MB (the reference implementation's limit), bad JSON, unknown
// dtypes, shapes that do not match their byte ranges, overlapping or gapped ranges and
// truncated files are errors that say what is wrong.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"
#include "grpo/io/atomic_file.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors stores little-endian bytes; this reader copies them as they are");

namespace grpo {

enum class Dtype { f64, f32, bf16, f16, i64, i32, u8 };

struct DtypeInfo {
    Dtype dtype;
    const char* name;  // as written in the header
    std::size_t bytes;
};

inline constexpr DtypeInfo kDtypes[] = {
    {Dtype::f64, "F64", 8}, {Dtype::f32, "F32", 4}, {Dtype::bf16, "BF16", 2}, {Dtype::f16, "F16", 2},
    {Dtype::i64, "I64", 8}, {Dtype::i32, "I32", 4}, {Dtype::u8, "U8", 1},
};

inline const DtypeInfo& dtype_info(Dtype dtype) {
    for (const DtypeInfo& info : kDtypes)
        if (info.dtype == dtype) return info;
    throw Error("dtype_info: unknown dtype");
}

template <class T>
constexpr Dtype dtype_of() {
    if constexpr (std::is_same_v<T, double>) return Dtype::f64;
    else if constexpr (std::is_same_v<T, float>) return Dtype::f32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return Dtype::i64;
    else if constexpr (std::is_same_v<T, std::int32_t>) return Dtype::i32;
    else {
        static_assert(std::is_same_v<T, std::uint8_t>, "no safetensors dtype for this type");
        return Dtype::u8;
    }
}

struct NamedTensor {
    std::string name;
    Dtype dtype = Dtype::f32;
    std::vector<std::int64_t> shape;
    std::string bytes;  // row-major, little-endian

    std::int64_t numel() const {
        std::int64_t n = 1;
        for (std::int64_t d : shape) n *= d;
        return n;
    }

    template <class T>
    static NamedTensor from_values(std::string name, std::vector<std::int64_t> shape,
                                   const std::vector<T>& values) {
        NamedTensor t{std::move(name), dtype_of<T>(), std::move(shape), {}};
        require(t.numel() == static_cast<std::int64_t>(values.size()), "NamedTensor '", t.name,
                "': shape holds ", t.numel(), " values but ", values.size(), " were given");
        t.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
        return t;
    }

    template <class T>
    std::vector<T> values() const {
        require(dtype == dtype_of<T>(), "NamedTensor '", name, "' holds ", dtype_info(dtype).name,
                ", not ", dtype_info(dtype_of<T>()).name);
        std::vector<T> out(bytes.size() / sizeof(T));
        std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }
};

struct Safetensors {
    std::vector<NamedTensor> tensors;  // in the order of their data
    std::map<std::string, std::string> metadata;

    const NamedTensor& at(const std::string& name) const {
        for (const NamedTensor& t : tensors)
            if (t.name == name) return t;
        throw Error(str("safetensors: no tensor named '", name, "'"));
    }
};

constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

inline void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::size_t offset = 0;
    for (const NamedTensor& t : tensors) {
        require(!t.name.empty() && t.name != "__metadata__", "save_safetensors: bad tensor name '",
                t.name, "'");
        require(!header.contains(t.name), "save_safetensors: tensor name '", t.name, "' repeats");
        const std::size_t expected = static_cast<std::size_t>(t.numel()) * dtype_info(t.dtype).bytes;
        require(t.bytes.size() == expected, "save_safetensors: tensor '", t.name, "' has ",
                t.bytes.size(), " bytes, its dtype and shape need ", expected);
        header[t.name] = {{"dtype", dtype_info(t.dtype).name},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + t.bytes.size()}}};
        offset += t.bytes.size();
    }
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
    std::string file(8, '\0');
    const std::uint64_t length = json.size();
    std::memcpy(file.data(), &length, 8);
    file += json;
    for (const NamedTensor& t : tensors) file += t.bytes;
    write_file_atomically(path, file);
}

namespace safetensors_detail {

inline Dtype parse_dtype(const std::string& name, const std::string& tensor) {
    for (const DtypeInfo& info : kDtypes)
        if (name == info.name) return info.dtype;
    throw Error(str("safetensors: tensor '", tensor, "' has unsupported dtype '", name, "'"));
}

inline NamedTensor parse_entry(const std::string& name, const nlohmann::json& entry,
                               std::string_view data, std::uint64_t& begin) {
    require(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                entry.contains("data_offsets"),
            "safetensors: entry '", name, "' needs dtype, shape and data_offsets");
    NamedTensor t;
    t.name = name;
    t.dtype = parse_dtype(entry.at("dtype").get<std::string>(), name);
    std::uint64_t numel = 1;
    for (const auto& d : entry.at("shape")) {
        const auto dim = d.get<std::int64_t>();
        require(dim >= 0 && (dim == 0 || numel <= UINT64_MAX / dim), "safetensors: tensor '", name,
                "' has a bad dimension ", dim);
        numel *= static_cast<std::uint64_t>(dim);
        t.shape.push_back(dim);
    }
    const auto& offsets = entry.at("data_offsets");
    require(offsets.is_array() && offsets.size() == 2, "safetensors: tensor '", name,
            "' needs data_offsets [begin, end]");
    begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    require(begin <= end && end <= data.size(), "safetensors: tensor '", name, "' spans bytes [",
            begin, ", ", end, ") of a ", data.size(), "-byte data section");
    require(numel <= (end - begin) && (end - begin) == numel * dtype_info(t.dtype).bytes,
            "safetensors: tensor '", name, "' has ", end - begin, " bytes, its dtype and shape need ",
            numel * dtype_info(t.dtype).bytes);
    t.bytes.assign(data.substr(begin, end - begin));
    return t;
}

}  // namespace safetensors_detail

inline Safetensors load_safetensors(const std::string& path) {
    const std::string file = read_file(path);
    require(file.size() >= 8, "safetensors: '", path, "' has ", file.size(),
            " bytes, too short for the 8-byte header length");
    std::uint64_t length;
    std::memcpy(&length, file.data(), 8);
    require(length <= kMaxSafetensorsHeader, "safetensors: '", path, "' claims a ", length,
            "-byte header, more than the limit of ", kMaxSafetensorsHeader);
    require(length <= file.size() - 8, "safetensors: '", path, "' claims a ", length,
            "-byte header but only ", file.size() - 8, " bytes follow (truncated?)");
    const std::string_view data = std::string_view(file).substr(8 + length);

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + length);
    } catch (const nlohmann::json::exception& e) {
        throw Error(str("safetensors: '", path, "' has a header that is not JSON: ", e.what()));
    }
    require(header.is_object(), "safetensors: '", path, "' has a header that is not a JSON object");

    Safetensors out;
    std::vector<std::pair<std::uint64_t, NamedTensor>> by_offset;
    try {
        for (const auto& [name, entry] : header.items()) {
            if (name == "__metadata__") {
                out.metadata = entry.get<std::map<std::string, std::string>>();
                continue;
            }
            std::uint64_t begin = 0;
            NamedTensor t = safetensors_detail::parse_entry(name, entry, data, begin);
            by_offset.emplace_back(begin, std::move(t));
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(str("safetensors: '", path, "' has a malformed header entry: ", e.what()));
    }
    // The byte ranges must tile the data section: no overlaps, no gaps, nothing left over.
    std::sort(by_offset.begin(), by_offset.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::uint64_t expected_begin = 0;
    for (auto& [begin, tensor] : by_offset) {
        require(begin == expected_begin, "safetensors: tensor '", tensor.name, "' starts at byte ",
                begin, ", expected ", expected_begin, " (ranges overlap or leave a gap)");
        expected_begin += tensor.bytes.size();
        out.tensors.push_back(std::move(tensor));
    }
    require(expected_begin == data.size(), "safetensors: '", path, "' has ",
            data.size() - expected_begin, " bytes after the last tensor");
    return out;
}

}  // namespace grpo

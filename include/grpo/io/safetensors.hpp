// safetensors: the checkpoint format that Hugging Face and PyTorch read
// (huggingface/safetensors, "Format"): an 8-byte little-endian header length N, N bytes of JSON
//     {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//      "__metadata__": {"key": "value"}}
// then the tensors' bytes, row-major, little-endian, offsets relative to the end of the header.
// This file works on named byte buffers, so it needs no Tensor type; the model layer converts
// its parameters to and from them. Writing is atomic (io/atomic_file.hpp). Reading trusts
// nothing: a header over 100 MB (the reference implementation's limit), bad JSON, unknown
// dtypes, shapes that do not match their byte ranges, overlapping or gapped ranges and
// truncated files are errors (grpo::Error) that name the file and say what is wrong.
//
// The reader accepts what Python's safetensors (0.8) accepts, checked on the corpus in
// tests/data/safetensors_corpus/ (made by tests/data/make_safetensors_corpus.py): tensors in any
// header order, empty tensors (shape with a 0, data_offsets [k, k]), scalars (shape []), no
// tensors at all ({}), whitespace around the JSON, unknown fields in an entry, and
// "__metadata__": null. It knowingly differs in three ways, all refusing what Python reads:
//   - dtypes the format defines but grpo has no type for (BOOL, I8, I16, U16, U32, U64, F8_*, F4,
//     F6_*) are errors that say so;
//   - a tensor name that appears twice in the header is an error; Python keeps the last entry.
//   - an empty tensor whose dimensions, multiplied left to right, pass 2^63 - 1 before a 0 comes
//     (e.g. [2^32, 2^31, 0]) is an error: shapes here are int64. Python bounds the product by
//     2^64 - 1 instead; for a tensor with data both bounds give the same verdict.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"
#include "grpo/io/atomic_file.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors stores little-endian bytes; this reader copies them as they are");

namespace grpo {

/// The element types a safetensors file may hold here.
enum class Dtype { f64, f32, bf16, f16, i64, i32, u8 };

/// A dtype's name in the safetensors header and its size.
struct DtypeInfo {
    Dtype dtype;  ///< the dtype
    const char* name;  ///< as written in the header
    std::size_t bytes;  ///< bytes per element
};

/// Every Dtype's header name and size.
inline constexpr DtypeInfo kDtypes[] = {
    {Dtype::f64, "F64", 8}, {Dtype::f32, "F32", 4}, {Dtype::bf16, "BF16", 2}, {Dtype::f16, "F16", 2},
    {Dtype::i64, "I64", 8}, {Dtype::i32, "I32", 4}, {Dtype::u8, "U8", 1},
};

/// The name and size of `dtype`.
inline const DtypeInfo& dtype_info(Dtype dtype) {
    for (const DtypeInfo& info : kDtypes)
        if (info.dtype == dtype) return info;
    throw Error("dtype_info: unknown dtype");
}

/// The Dtype of C++ type T (double, float, int64, int32, uint8).
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

/// One tensor of a safetensors file: name, dtype, shape and raw bytes.
struct NamedTensor {
    std::string name;  ///< the tensor's key in the header
    Dtype dtype = Dtype::f32;  ///< element type
    std::vector<std::int64_t> shape;  ///< dimensions, row-major
    std::string bytes;  ///< row-major, little-endian

    /// Product of the dimensions.
    std::int64_t numel() const {
        std::int64_t n = 1;
        for (std::int64_t d : shape) n *= d;
        return n;
    }

    /// A tensor of T's dtype holding `values`; throws unless the shape holds that many.
    template <class T>
    static NamedTensor from_values(std::string name, std::vector<std::int64_t> shape,
                                   const std::vector<T>& values) {
        NamedTensor t{std::move(name), dtype_of<T>(), std::move(shape), {}};
        require(t.numel() == static_cast<std::int64_t>(values.size()), "NamedTensor '", t.name,
                "': shape holds ", t.numel(), " values but ", values.size(), " were given");
        t.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
        return t;
    }

    /// The bytes as values of T; throws unless T is the stored dtype.
    template <class T>
    std::vector<T> values() const {
        require(dtype == dtype_of<T>(), "NamedTensor '", name, "' holds ", dtype_info(dtype).name,
                ", not ", dtype_info(dtype_of<T>()).name);
        std::vector<T> out(bytes.size() / sizeof(T));
        if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
        return out;
    }
};

/// The contents of a safetensors file: its tensors and its `__metadata__` strings.
struct Safetensors {
    std::vector<NamedTensor> tensors;  ///< in the order of their data
    std::map<std::string, std::string> metadata;  ///< the header's `__metadata__`

    /// The tensor of that name, or nullptr: for callers whose error names their file.
    const NamedTensor* find(const std::string& name) const {
        for (const NamedTensor& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    /// The tensor of that name; throws when there is none.
    const NamedTensor& at(const std::string& name) const {
        const NamedTensor* t = find(name);
        require(t != nullptr, "safetensors: no tensor named '", name, "'");
        return *t;
    }
};

constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;  ///< the largest header read, in bytes (the reference implementation's limit)

/// The bytes of a safetensors file holding `tensors` (in this order) and `metadata`.
inline std::string safetensors_bytes(const std::vector<NamedTensor>& tensors,
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
    std::string json;
    try {
        json = header.dump();
    } catch (const nlohmann::json::exception& e) {  // a name or metadata value that is not UTF-8
        throw Error(str("save_safetensors: a tensor name or metadata value is not valid UTF-8 (", e.what(), ")"));
    }
    json.append((8 - json.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
    std::string file(8, '\0');
    const std::uint64_t length = json.size();
    std::memcpy(file.data(), &length, 8);
    file += json;
    for (const NamedTensor& t : tensors) file += t.bytes;
    return file;
}

/// Writes `tensors` and `metadata` to `path` as a safetensors file, atomically.
inline void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
    write_file_atomically(path, safetensors_bytes(tensors, metadata));
}

namespace safetensors_detail {

/// Dtypes the format defines (safetensors 0.8) that grpo does not read; named in the error.
inline constexpr const char* kForeignDtypes[] = {"BOOL", "I8", "I16", "U16", "U32", "U64",
                                                 "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4",
                                                 "F6_E2M3", "F6_E3M2"};

/// serde_json, which Python's safetensors parses with, refuses JSON nested deeper than this
/// (the top-level object is level 1; measured with safetensors 0.8).
constexpr int kMaxJsonDepth = 127;

/// A JSON value for an error message, cut short if long.
inline std::string shown(const nlohmann::json& value) {
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

/// Throws grpo::Error "safetensors: 'PATH': PARTS...".
template <class... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
    throw Error(str("safetensors: '", path, "': ", parts...));
}

inline Dtype parse_dtype(const nlohmann::json& value, const std::string& path,
                         const std::string& tensor) {
    if (!value.is_string())
        fail(path, "tensor '", tensor, "': dtype is ", shown(value), ", expected a string");
    const std::string name = value.get<std::string>();
    for (const DtypeInfo& info : kDtypes)
        if (name == info.name) return info.dtype;
    for (const char* foreign : kForeignDtypes)
        if (name == foreign)
            fail(path, "tensor '", tensor, "' has unsupported dtype '", name,
                 "' (valid safetensors, but grpo reads only F64 F32 BF16 F16 I64 I32 U8)");
    fail(path, "tensor '", tensor, "' has unsupported dtype '", name, "'");
}

/// A JSON integer without a minus sign that fits 64 bits: nlohmann parses exactly those as
/// number_unsigned ("-0", "2.0", "2e0" and true are not), and so does serde's usize.
inline std::uint64_t parse_count(const nlohmann::json& value, const std::string& path,
                                 const std::string& tensor, const char* field, std::size_t i) {
    if (!value.is_number_unsigned())
        fail(path, "tensor '", tensor, "': ", field, "[", i, "] is ", shown(value),
             ", expected a non-negative integer");
    return value.get<std::uint64_t>();
}

/// The number of bytes that `shape` of `dtype` needs. Like the reference implementation, the
/// product is formed left to right and an overflow at any step (of the bit count too) is an error;
/// grpo keeps shapes as int64, so the bound on the running product is 2^63 - 1, not 2^64 - 1.
inline std::uint64_t parse_shape(const nlohmann::json& shape, Dtype dtype, const std::string& path,
                                 NamedTensor& t) {
    if (!shape.is_array())
        fail(path, "tensor '", t.name, "': shape is ", shown(shape), ", expected an array of integers");
    std::uint64_t numel = 1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const std::uint64_t dim = parse_count(shape[i], path, t.name, "shape", i);
        constexpr std::uint64_t kMax = INT64_MAX;
        if (dim > kMax || (dim != 0 && numel > kMax / dim))
            fail(path, "tensor '", t.name, "': shape ", shown(shape), " overflows 63 bits");
        numel *= dim;
        t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const std::uint64_t bits = 8 * dtype_info(dtype).bytes;
    if (numel > UINT64_MAX / bits)
        fail(path, "tensor '", t.name, "': shape ", shown(shape), " needs more than 2^64 bits");
    return numel * dtype_info(dtype).bytes;
}

inline const nlohmann::json& field(const nlohmann::json& entry, const char* key,
                                   const std::string& path, const std::string& tensor) {
    const auto it = entry.find(key);
    if (it == entry.end()) fail(path, "tensor '", tensor, "' has no '", key, "' field");
    return *it;
}

struct Range {
    std::uint64_t begin = 0, end = 0;
};

/// Checks one header entry against the data section; its bytes are copied after the tiling check.
inline Range parse_entry(const std::string& name, const nlohmann::json& entry,
                         std::uint64_t data_size, const std::string& path, NamedTensor& t) {
    t.name = name;
    if (!entry.is_object())
        fail(path, "tensor '", name, "' is ", shown(entry),
             ", expected an object with dtype, shape and data_offsets");
    t.dtype = parse_dtype(field(entry, "dtype", path, name), path, name);
    const std::uint64_t needed = parse_shape(field(entry, "shape", path, name), t.dtype, path, t);
    const nlohmann::json& offsets = field(entry, "data_offsets", path, name);
    if (!offsets.is_array() || offsets.size() != 2)
        fail(path, "tensor '", name, "': data_offsets is ", shown(offsets), ", expected [begin, end]");
    const Range r{parse_count(offsets[0], path, name, "data_offsets", 0),
                  parse_count(offsets[1], path, name, "data_offsets", 1)};
    if (r.begin > r.end || r.end > data_size)
        fail(path, "tensor '", name, "' spans bytes [", r.begin, ", ", r.end, ") of a ", data_size,
             "-byte data section");
    if (r.end - r.begin != needed)
        fail(path, "tensor '", name, "' has ", r.end - r.begin, " bytes, its dtype and shape need ",
             needed);
    return r;
}

inline std::map<std::string, std::string> parse_metadata(const nlohmann::json& value,
                                                         const std::string& path) {
    std::map<std::string, std::string> out;
    if (value.is_null()) return out;  // the reference implementation reads null as "none"
    if (!value.is_object())
        fail(path, "__metadata__ is ", shown(value), ", expected an object of strings");
    for (const auto& [key, v] : value.items()) {
        if (!v.is_string())
            fail(path, "__metadata__ '", key, "' is ", shown(v), ", expected a string");
        out[key] = v.get<std::string>();
    }
    return out;
}

/// Parses the header as the reference implementation does: strict JSON (no BOM, no NUL byte,
/// no comments, nothing after the value), nesting at most kMaxJsonDepth deep, and no key twice in the
/// top-level object or in a tensor's entry. nlohmann would keep the last of two equal keys, so the
/// parser callback, which sees each key as it is read, catches repeats. (Python keeps the last of
/// two equal __metadata__ keys, and so does this.)
inline nlohmann::json parse_header(std::string_view text, const std::string& path) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") fail(path, "header starts with a byte order mark");
    // nlohmann stops at a NUL byte as if the input ended there; JSON allows none, even in strings.
    if (text.find('\0') != std::string_view::npos) fail(path, "header holds a NUL byte");
    std::vector<std::string> top_keys, entry_keys;
    std::string current;  // the top-level key being read
    const auto check = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if ((event == Event::object_start || event == Event::array_start) && depth + 1 > kMaxJsonDepth)
            fail(path, "header nests JSON more than ", kMaxJsonDepth, " levels deep");
        if (event != Event::key || depth > 2) return true;
        const std::string key = parsed.get<std::string>();
        std::vector<std::string>& seen = depth == 1 ? top_keys : entry_keys;
        if (depth == 1) {
            current = key;
            entry_keys.clear();
        } else if (current == "__metadata__") {
            return true;
        }
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            if (depth == 1) fail(path, "header names '", key, "' twice, expected unique names");
            fail(path, "tensor '", current, "' has the field '", key, "' twice");
        }
        seen.push_back(key);
        return true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), check);
    } catch (const nlohmann::json::exception& e) {
        fail(path, "header is not JSON: ", e.what());
    }
}

}  // namespace safetensors_detail

/// Reads and checks a whole file. Every problem, whatever the input, is a grpo::Error that names
/// the file, the tensor or field, and what was expected.
inline Safetensors load_safetensors(const std::string& path) {
    using namespace safetensors_detail;
    const std::string file = read_file(path);
    if (file.size() < 8)
        fail(path, "has ", file.size(), " bytes, too short for the 8-byte header length");
    std::uint64_t length;
    std::memcpy(&length, file.data(), 8);
    if (length > kMaxSafetensorsHeader)
        fail(path, "claims a ", length, "-byte header, more than the limit of ", kMaxSafetensorsHeader);
    if (length > file.size() - 8)
        fail(path, "claims a ", length, "-byte header but only ", file.size() - 8,
             " bytes follow (truncated?)");
    const std::string_view data = std::string_view(file).substr(8 + length);
    const nlohmann::json header = parse_header(std::string_view(file).substr(8, length), path);
    if (!header.is_object()) fail(path, "header is not a JSON object but ", header.type_name());

    Safetensors out;
    std::vector<std::pair<Range, NamedTensor>> entries;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            out.metadata = parse_metadata(entry, path);
            continue;
        }
        NamedTensor t;
        const Range r = parse_entry(name, entry, data.size(), path, t);
        entries.emplace_back(r, std::move(t));
    }
    // The byte ranges must tile the data section: no overlaps, no gaps, nothing left over.
    // Sorting by (begin, end) puts an empty range [k, k] before the range that starts at k.
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first.begin, a.first.end) < std::tie(b.first.begin, b.first.end);
    });
    std::uint64_t expected_begin = 0;
    for (auto& [range, tensor] : entries) {
        if (range.begin != expected_begin)
            fail(path, "tensor '", tensor.name, "' starts at byte ", range.begin, ", expected ",
                 expected_begin, " (ranges overlap or leave a gap)");
        expected_begin = range.end;
        tensor.bytes.assign(data.substr(range.begin, range.end - range.begin));
        out.tensors.push_back(std::move(tensor));
    }
    if (expected_begin != data.size())
        fail(path, "has ", data.size() - expected_begin, " bytes after the last tensor");
    return out;
}

}  // namespace grpo

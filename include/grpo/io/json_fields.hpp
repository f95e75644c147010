// Reading the fields of a JSON config strictly, and saying how two configs differ.
//   read_field(j, "d_model", &c.d_model, where)  the field must exist and hold exactly that
//       type (a string, a bool, an integer, a number): an int field takes an integer in int's range (4294967304 is not 8), a double
//       field any number, a bool field true or false
//   config_differences(saved, current)  "loss.beta 0.04 saved, 0 here; mu 2 saved, 1 here":
//       the fields that differ, by dotted path, for an error message that names them
//   parse_json(text, where)  nlohmann's parser, its errors turned into grpo::Error
//   parse_int64, parse_double  a metadata string as a number, the whole string or an error
// Every failure is a grpo::Error that names `where` (a file, a metadata key) and the field.
#pragma once

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"

namespace grpo {

/// `text` parsed as JSON; an error names `where`.
inline nlohmann::json parse_json(std::string_view text, const std::string& where) {
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        throw Error(str(where, " is not JSON: ", e.what()));
    }
}

template <class T>
void read_field(const nlohmann::json& j, const char* key, T* out, const std::string& where) {
    require(j.is_object(), where, ": expected a JSON object, got ", j.dump());
    const auto it = j.find(key);
    require(it != j.end(), where, ": field '", key, "' is missing");
    const nlohmann::json& v = *it;
    if constexpr (std::is_same_v<T, std::string>) {
        require(v.is_string(), where, ": field '", key, "' = ", v.dump(), ", expected a string");
        *out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
        require(v.is_boolean(), where, ": field '", key, "' = ", v.dump(), ", expected true or false");
        *out = v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        /// nlohmann stores an integer as int64 or uint64; check the range before narrowing.
        bool fits = false;
        if (v.is_number_unsigned())
            fits = v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
        else if (v.is_number_integer())
            fits = v.get<std::int64_t>() >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                   (std::is_unsigned_v<T> ? v.get<std::int64_t>() >= 0
                                          : v.get<std::int64_t>() <= static_cast<std::int64_t>(std::numeric_limits<T>::max()));
        require(fits, where, ": field '", key, "' = ", v.dump(), ", expected an integer in [",
                +std::numeric_limits<T>::min(), ", ", +std::numeric_limits<T>::max(), "]");
        *out = v.get<T>();
    } else {
        static_assert(std::is_floating_point_v<T>, "read_field reads bools, integers and floating-point numbers");
        require(v.is_number(), where, ": field '", key, "' = ", v.dump(), ", expected a number");
        *out = v.get<T>();
    }
}

/// A whole string as a number: "12" is 12; "", "12x", "1e999" and out-of-range values are errors.
inline std::int64_t parse_int64(const std::string& text, const std::string& where) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    require(ec == std::errc() && end == text.data() + text.size() && !text.empty(), where, " = '", text,
            "', expected a 64-bit integer");
    return value;
}
/// A whole string as a finite double: "", "1.5x" and "1e999" are errors naming `where`.
inline double parse_double(const std::string& text, const std::string& where) {
    char* end = nullptr;
    errno = 0;
    const double value = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
    require(!text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(value), where, " = '", text,
            "', expected a finite number");
    return value;
}

namespace json_fields_detail {
inline void differences(const nlohmann::json& saved, const nlohmann::json& current, const std::string& path,
                        std::string* out) {
    if (saved.is_object() && current.is_object()) {
        for (const auto& [key, value] : saved.items()) {
            const std::string child = path.empty() ? key : path + "." + key;
            if (!current.contains(key)) *out += (out->empty() ? "" : "; ") + child + " " + value.dump() + " saved, absent here";
            else differences(value, current.at(key), child, out);
        }
        for (const auto& [key, value] : current.items())
            if (!saved.contains(key))
                *out += (out->empty() ? "" : "; ") + (path.empty() ? key : path + "." + key) + " absent saved, " +
                        value.dump() + " here";
        return;
    }
    if (saved != current) *out += (out->empty() ? "" : "; ") + path + " " + saved.dump() + " saved, " + current.dump() + " here";
}
}  // namespace json_fields_detail

/// The fields whose values differ, as "a.b 1 saved, 2 here; ..."; empty when the configs agree.
inline std::string config_differences(const nlohmann::json& saved, const nlohmann::json& current) {
    std::string out;
    json_fields_detail::differences(saved, current, "", &out);
    return out;
}

}  // namespace grpo

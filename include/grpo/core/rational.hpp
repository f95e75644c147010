// Rational: exact fractions of 64-bit integers, so that verifiers can say 7/2 == 3.5 == 3.50
// without floating-point doubt. Arithmetic that would overflow throws; parsing never throws
// (a string that is not a number, or one too large to hold, gives std::nullopt).
#pragma once

#include <cstdint>
#include <numeric>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "grpo/core/error.hpp"

namespace grpo {

/// An exact fraction of 64-bit integers, in lowest terms; overflowing arithmetic throws.
class Rational {
public:
    /// The integer `integer` (implicit: 3 is a Rational).
    Rational(std::int64_t integer = 0) : num_(integer), den_(1) {}  // NOLINT: 3 is a Rational

    /// num/den reduced to lowest terms with den > 0; throws when den is 0.
    Rational(std::int64_t num, std::int64_t den) {
        require(den != 0, "Rational: denominator is zero (numerator ", num, ")");
        require(num != INT64_MIN && den != INT64_MIN, "Rational: ", num, "/", den,
                " is outside the supported range");
        if (den < 0) num = -num, den = -den;
        const std::int64_t g = std::gcd(num, den);
        num_ = num / g;
        den_ = den / g;
    }

    std::int64_t num() const { return num_; }  ///< numerator, with the sign
    std::int64_t den() const { return den_; }  ///< denominator: always > 0; the fraction is in lowest terms
    bool is_integer() const { return den_ == 1; }  ///< den() == 1
    double to_double() const { return static_cast<double>(num_) / static_cast<double>(den_); }  ///< the nearest double (for display)

    /// Exact sum; throws on overflow.
    friend Rational operator+(Rational a, Rational b) {
        return {add(mul(a.num_, b.den_), mul(b.num_, a.den_)), mul(a.den_, b.den_)};
    }
    /// Exact difference; throws on overflow.
    friend Rational operator-(Rational a, Rational b) { return a + Rational(-b.num_, b.den_); }
    /// Exact product; throws on overflow.
    friend Rational operator*(Rational a, Rational b) {
        return {mul(a.num_, b.num_), mul(a.den_, b.den_)};
    }
    /// Exact quotient; throws on division by zero or overflow.
    friend Rational operator/(Rational a, Rational b) {
        require(b.num_ != 0, "Rational: division of ", a, " by zero");
        return {mul(a.num_, b.den_), mul(a.den_, b.num_)};
    }
    friend bool operator==(Rational a, Rational b) { return a.num_ == b.num_ && a.den_ == b.den_; }  ///< same value (both in lowest terms)
    friend bool operator!=(Rational a, Rational b) { return !(a == b); }  ///< different value
    /// Exact comparison (128-bit cross products).
    friend bool operator<(Rational a, Rational b) {
        return static_cast<__int128>(a.num_) * b.den_ < static_cast<__int128>(b.num_) * a.den_;
    }

    /// "3", "-7/2"; integers print without a denominator.
    std::string to_string() const {
        return den_ == 1 ? std::to_string(num_) : std::to_string(num_) + "/" + std::to_string(den_);
    }
    friend std::ostream& operator<<(std::ostream& out, Rational r) { return out << r.to_string(); }  ///< writes to_string()

private:
    static std::int64_t mul(std::int64_t a, std::int64_t b) {
        std::int64_t out;
        if (__builtin_mul_overflow(a, b, &out) || out == INT64_MIN)
            throw Error(str("Rational: ", a, " * ", b, " overflows 64 bits"));
        return out;
    }
    static std::int64_t add(std::int64_t a, std::int64_t b) {
        std::int64_t out;
        if (__builtin_add_overflow(a, b, &out) || out == INT64_MIN)
            throw Error(str("Rational: ", a, " + ", b, " overflows 64 bits"));
        return out;
    }

    std::int64_t num_ = 0, den_ = 1;
};

namespace rational_detail {
/// Reads unsigned decimal digits into `value`; false if there are none or they overflow.
inline bool read_digits(std::string_view s, std::size_t& pos, std::int64_t& value, int& count) {
    value = 0;
    count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, s[pos] - '0', &value))
            return false;
        ++pos;
        ++count;
    }
    return true;
}
}  // namespace rational_detail

/// Parses a whole string as a number: an optional sign, then an integer ("-3"), a decimal
/// ("3.50", ".5", "2."), or a fraction of integers ("7/2", "-7/2"). Nothing else may surround
/// it (trim first). Returns std::nullopt for anything else, including numbers too large for
/// 64 bits; it never throws.
inline std::optional<Rational> parse_rational(std::string_view s) {
    using rational_detail::read_digits;
    std::size_t pos = 0;
    bool negative = false;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) negative = s[pos++] == '-';

    std::int64_t whole = 0, fraction = 0;
    int whole_digits = 0, fraction_digits = 0;
    if (!read_digits(s, pos, whole, whole_digits)) return std::nullopt;

    if (pos < s.size() && s[pos] == '/') {  // a fraction: integer / integer
        ++pos;
        std::int64_t den = 0;
        int den_digits = 0;
        if (whole_digits == 0 || !read_digits(s, pos, den, den_digits)) return std::nullopt;
        if (den_digits == 0 || den == 0 || pos != s.size()) return std::nullopt;
        return Rational(negative ? -whole : whole, den);
    }
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        if (!read_digits(s, pos, fraction, fraction_digits)) return std::nullopt;
    }
    if (pos != s.size() || whole_digits + fraction_digits == 0 || fraction_digits > 18)
        return std::nullopt;

    std::int64_t scale = 1;
    for (int i = 0; i < fraction_digits; ++i) scale *= 10;
    std::int64_t num = 0;
    if (__builtin_mul_overflow(whole, scale, &num) || __builtin_add_overflow(num, fraction, &num))
        return std::nullopt;
    return Rational(negative ? -num : num, scale);
}

}  // namespace grpo

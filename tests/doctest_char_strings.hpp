// Force-included into every test translation unit (tests/CMakeLists.txt): INFO and CAPTURE print
// a const char* (an op's name, an estimator's name, a string under test) as its text, not as its
// address. doctest's own switch for this, DOCTEST_CONFIG_TREAT_CHAR_STAR_AS_STRING, does not
// compile in Debian 12's doctest 2.4.9.
#pragma once

#include <doctest/doctest.h>

namespace doctest {
template <>
struct StringMaker<const char*> {
    static String convert(const char* s) { return s ? String(s) : String("(null)"); }
};
template <>
struct StringMaker<char*> {
    static String convert(const char* s) { return StringMaker<const char*>::convert(s); }
};
}  // namespace doctest

// The one main() of the doctest suite (Debian's doctest ships no main library target).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

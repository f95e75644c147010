// Checked errors: one exception type and one helper that builds its message.
// A bad shape, config, file or string throws grpo::Error with a message that names the value
// and what was expected. Nothing is silently clamped.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace grpo {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Concatenates any streamable values into one string: str("G = ", 3, ", got ", 7).
template <class... Parts>
std::string str(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

/// Throws grpo::Error with the concatenated message when `ok` is false. The message parts are
/// only formatted on failure, so a check costs one branch on the happy path.
template <class... Parts>
void require(bool ok, const Parts&... parts) {
    if (!ok) throw Error(str(parts...));
}

}  // namespace grpo

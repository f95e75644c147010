// Writing a file atomically: the bytes go to a temporary file beside the target, are flushed to
// disk (fsync), and the temporary is renamed over the target. rename() within one directory is
// atomic on POSIX, so a crash at any moment leaves either the old file or the new one, never
// half of one — what a checkpoint needs.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <unistd.h>

#include "grpo/core/error.hpp"

namespace grpo {

inline void write_file_atomically(const std::string& path, std::string_view bytes) {
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    require(file != nullptr, "write_file_atomically: cannot create '", temporary, "': ",
            std::strerror(errno));
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
                         std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    const int write_errno = errno;
    const bool closed = std::fclose(file) == 0;
    if (!written || !closed) {
        std::remove(temporary.c_str());
        throw Error(str("write_file_atomically: writing '", temporary, "' failed: ",
                        std::strerror(write_errno)));
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int rename_errno = errno;
        std::remove(temporary.c_str());
        throw Error(str("write_file_atomically: cannot rename '", temporary, "' to '", path,
                        "': ", std::strerror(rename_errno)));
    }
}

// The whole file as bytes; a missing or unreadable file is an error naming the path.
inline std::string read_file(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    require(file != nullptr, "read_file: cannot open '", path, "': ", std::strerror(errno));
    std::string bytes;
    char buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, n);
    const bool failed = std::ferror(file) != 0;
    std::fclose(file);
    require(!failed, "read_file: error while reading '", path, "'");
    return bytes;
}

}  // namespace grpo

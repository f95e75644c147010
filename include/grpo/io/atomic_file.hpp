// Writing a file atomically: the bytes go to a temporary file beside the target, are flushed to
// disk (fsync), and the temporary is renamed over the target; then the folder is fsynced, so
// that the rename itself survives a power cut (rename(2) and fsync(2); the pattern SQLite and
// LevelDB use). rename() within one directory is atomic on POSIX, so a crash at any moment
// leaves either the old file or the new one, never half of one — what a checkpoint needs.
// A process killed mid-write leaves its "<path>.tmp.<pid>"; the next write of the same path
// removes those of processes that no longer run.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "grpo/core/error.hpp"

namespace grpo {

/// Makes the entries of a folder (files created, renamed or removed in it) durable.
inline void fsync_directory(const std::string& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    require(fd >= 0, "fsync_directory: cannot open '", dir, "': ", std::strerror(errno));
    const bool synced = ::fsync(fd) == 0;
    const int sync_errno = errno;
    ::close(fd);
    require(synced, "fsync_directory: fsync of '", dir, "' failed: ", std::strerror(sync_errno));
}

namespace atomic_file_detail {
inline std::string parent_of(const std::string& path) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}
/// True when no process has this id (kill(pid, 0) fails with ESRCH).
inline bool process_is_gone(const std::string& pid_text) {
    if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos)
        return false;  // not a temporary this library wrote
    const long pid = std::stol(pid_text);
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}
/// Removes "<path>.tmp.<pid>" files left by killed writers.
inline void remove_stale_temporaries(const std::string& path) {
    const std::filesystem::path target(path);
    const std::string prefix = target.filename().string() + ".tmp.";
    std::error_code ec;
    for (std::filesystem::directory_iterator it(parent_of(path), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) == 0 && process_is_gone(name.substr(prefix.size())))
            std::filesystem::remove(it->path(), ec);
    }
}
}  // namespace atomic_file_detail

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one, never half of one.
inline void write_file_atomically(const std::string& path, std::string_view bytes) {
    atomic_file_detail::remove_stale_temporaries(path);
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
    fsync_directory(atomic_file_detail::parent_of(path));
}

/// The whole file as bytes; a missing or unreadable file is an error naming the path.
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

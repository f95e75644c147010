// A checkpoint folder that a kill at any instant leaves either fully old or fully new:
//   dir/LATEST             one line, the name of the current step folder ("step-00000012")
//   dir/step-00000012/     every file of one saved state (the trainer decides which)
// Saving (begin_step_folder, then the caller's files, then commit_step_folder):
//   1. stale temporaries of killed saves are removed (dir/.tmp-*, LATEST.tmp.<pid>)
//   2. the files go into a fresh dir/.tmp-step-00000012.<pid>/, each written and fsynced
//   3. that folder is fsynced and renamed to dir/step-00000012 (or step-00000012.1, .2, ... when
//      the step was saved before: a folder that LATEST may name is never touched), dir fsynced
//   4. LATEST is replaced atomically (io/atomic_file.hpp): this rename is the commit point
//   5. step folders beyond the newest `keep_last` are removed (never the one LATEST names)
// A kill before 4 leaves LATEST naming the old state, complete; a kill after it, the new one.
// This is the "write new, then swap a pointer" scheme of LevelDB's CURRENT file. One writer per
// folder: a save removes every .tmp- entry it finds, which would break a second, concurrent one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "grpo/core/error.hpp"
#include "grpo/io/atomic_file.hpp"

namespace grpo {

namespace checkpoint_dir_detail {
namespace fs = std::filesystem;

inline std::string step_name(std::int64_t step) {
    char name[32];
    std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
    return name;
}

/// A step folder's name, read back: "step-00000012" is step 12, copy 0; "step-00000012.3" copy 3.
struct StepFolder {
    long long step = 0, copy = 0;
    std::string name;
    bool operator<(const StepFolder& other) const {  // by age: step, then copy
        return step != other.step ? step < other.step : copy < other.copy;
    }
};

/// The step folder a name is, or nothing for any other name (LATEST, .tmp-*, a user's file).
inline std::optional<StepFolder> parse_step_folder(const std::string& name) {
    if (name.rfind("step-", 0) != 0) return std::nullopt;
    const std::size_t dot = name.find('.');
    const std::string step = name.substr(5, dot == std::string::npos ? std::string::npos : dot - 5);
    const std::string copy = dot == std::string::npos ? "0" : name.substr(dot + 1);
    const auto number = [](const std::string& s) {  // at most 9 digits: std::stoll never overflows
        return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!number(step) || !number(copy)) return std::nullopt;
    return StepFolder{std::stoll(step), std::stoll(copy), name};
}

inline void check(const std::error_code& ec, const char* what, const std::string& path) {
    require(!ec, "checkpoint folder: cannot ", what, " '", path, "': ", ec.message());
}

inline std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
    check(ec, "list", dir);
    std::sort(names.begin(), names.end());
    return names;
}

/// The step folders of `dir`, oldest first.
inline std::vector<StepFolder> step_folders(const std::string& dir) {
    std::vector<StepFolder> folders;
    for (const std::string& entry : entries(dir))
        if (const std::optional<StepFolder> folder = parse_step_folder(entry)) folders.push_back(*folder);
    std::sort(folders.begin(), folders.end());
    return folders;
}

/// Every regular file of a folder, then the folder: all on disk before the rename.
inline void fsync_tree(const std::string& folder) {
    for (const std::string& name : entries(folder)) {
        const std::string path = folder + "/" + name;
        const int fd = ::open(path.c_str(), O_RDONLY);
        require(fd >= 0, "checkpoint folder: cannot open '", path, "' to fsync it");
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        require(synced, "checkpoint folder: fsync of '", path, "' failed");
    }
    fsync_directory(folder);
}
}  // namespace checkpoint_dir_detail

/// The name LATEST holds, checked; "" when `dir` has no LATEST (nothing saved yet).
inline std::string read_latest(const std::string& dir) {
    namespace d = checkpoint_dir_detail;
    std::error_code ec;
    if (!std::filesystem::exists(dir + "/LATEST", ec)) return "";
    std::string name = read_file(dir + "/LATEST");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    require(d::parse_step_folder(name).has_value(), "checkpoint folder '", dir, "': LATEST holds '", name,
            "', expected a step folder name such as step-00000012");
    return name;
}

/// The folder of the state saved last: `dir/<LATEST>`. An error when there is none.
inline std::string latest_step_folder(const std::string& dir) {
    const std::string name = read_latest(dir);
    require(!name.empty(), "checkpoint folder '", dir, "' has no LATEST file (nothing was saved there)");
    const std::string folder = dir + "/" + name;
    std::error_code ec;
    require(std::filesystem::is_directory(folder, ec), "checkpoint folder '", dir, "': LATEST names '", name,
            "', which is not a folder there");
    return folder;
}

/// Steps 1–2: removes what killed saves left, and makes the temporary folder the caller fills.
inline std::string begin_step_folder(const std::string& dir, std::int64_t step) {
    namespace d = checkpoint_dir_detail;
    require(step >= 0 && step <= 999'999'999, "begin_step_folder: step ", step, ", expected 0 to 999999999");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    d::check(ec, "create", dir);
    for (const std::string& name : d::entries(dir))
        if (name.rfind(".tmp-", 0) == 0 || name.rfind("LATEST.tmp.", 0) == 0) {
            std::filesystem::remove_all(dir + "/" + name, ec);
            d::check(ec, "remove the stale temporary", dir + "/" + name);
        }
    const std::string temporary = dir + "/.tmp-" + d::step_name(step) + "." + std::to_string(::getpid());
    std::filesystem::create_directory(temporary, ec);
    d::check(ec, "create", temporary);
    return temporary;
}

/// Steps 3–5. Returns the step folder's path.
inline std::string commit_step_folder(const std::string& dir, const std::string& temporary, std::int64_t step,
                                      int keep_last = 2) {
    namespace d = checkpoint_dir_detail;
    require(keep_last >= 1, "commit_step_folder: keep_last ", keep_last, ", expected >= 1");
    d::fsync_tree(temporary);
    /// A step saved again gets the next copy number, so (step, copy) orders the folders by age.
    std::string name = d::step_name(step);
    long long last_copy = -1;
    for (const d::StepFolder& folder : d::step_folders(dir))
        if (folder.step == step) last_copy = std::max(last_copy, folder.copy);
    if (last_copy >= 0) name += "." + std::to_string(last_copy + 1);
    std::error_code ec;
    std::filesystem::rename(temporary, dir + "/" + name, ec);
    d::check(ec, "rename the finished temporary", temporary);
    fsync_directory(dir);
    write_file_atomically(dir + "/LATEST", name + "\n");  // the commit point

    /// Prune: the newest keep_last step folders stay, and the one LATEST names.
    const auto folders = d::step_folders(dir);
    const std::size_t keep = static_cast<std::size_t>(keep_last);
    for (std::size_t i = 0; i + keep < folders.size(); ++i) {
        if (folders[i].name == name) continue;
        std::filesystem::remove_all(dir + "/" + folders[i].name, ec);
        d::check(ec, "remove the old step folder", dir + "/" + folders[i].name);
    }
    fsync_directory(dir);
    return dir + "/" + name;
}

}  // namespace grpo

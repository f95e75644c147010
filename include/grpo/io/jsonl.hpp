// JSONL metrics: one JSON object per line, one line per training step, appended and flushed as
// it is written so a crashed run keeps every step it finished and `tail -f` shows progress
// (the format TRL's and verl's loggers write, and that pandas.read_json(lines=True) reads).
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "grpo/core/error.hpp"

namespace grpo {

/// Appends one JSON object per line to a file, flushed per line (metrics.jsonl).
class JsonlWriter {
public:
    /// Appends to `path` (created if missing) unless `truncate` starts it afresh.
    explicit JsonlWriter(const std::string& path, bool truncate = false)
        : path_(path), file_(std::fopen(path.c_str(), truncate ? "w" : "a")) {
        require(file_ != nullptr, "JsonlWriter: cannot open '", path, "': ", std::strerror(errno));
    }
    JsonlWriter(const JsonlWriter&) = delete;
    JsonlWriter& operator=(const JsonlWriter&) = delete;
    ~JsonlWriter() { std::fclose(file_); }

    /// Writes one record as one line. NaN and infinity, which JSON cannot hold, are written as
    /// null (what Python's json module reads back as None).
    void write(const nlohmann::json& record) {
        require(record.is_object(), "JsonlWriter: a record must be a JSON object, got ",
                record.type_name());
        const std::string line = record.dump() + "\n";  // nlohmann dumps NaN/inf as null
        const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                        std::fflush(file_) == 0;
        require(ok, "JsonlWriter: writing to '", path_, "' failed: ", std::strerror(errno));
    }

private:
    std::string path_;
    std::FILE* file_;
};

}  // namespace grpo

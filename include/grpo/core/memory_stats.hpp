// What a backend's allocator reports: the bytes of tensor storage allocated now and the most
// allocated at once since the last reset (PyTorch's torch.cuda.memory_allocated and
// max_memory_allocated). Both backends answer memory_stats() with this.
#pragma once

#include <cstddef>

namespace grpo {

/// What a backend's allocator reports: tensor storage allocated now and its peak.
struct MemoryStats {
    std::size_t in_use_bytes = 0;  ///< tensor storage allocated now
    std::size_t peak_bytes = 0;    ///< the most allocated at once since the last reset
};

}  // namespace grpo

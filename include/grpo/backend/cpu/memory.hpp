// Memory of the CPU backend: plain host memory, 64-byte aligned so Eigen's vector loads are
// aligned, owned by a shared_ptr so every view of a Tensor keeps it alive.
// Large blocks are recycled: a training step allocates the same activation and gradient sizes
// every step, and glibc serves large blocks with fresh mmap'd pages that it unmaps on free, so
// without a cache every step pays a page fault per 4 KiB of activations (measured: a fifth of
// a reference-model step went to zero-filling fresh pages). Freed blocks of at least
// kCpuCacheMinBytes wait in a free list per exact size for the next allocation of that size,
// up to kCpuCacheMaxBytes in all (beyond that they go back to the system). The cache is
// process-wide, guarded by a mutex, and never destroyed (a tensor freed during static
// destruction still finds it).
//
// Accounting: CpuMemory::memory_stats() gives the bytes of tensor storage allocated now and the
// most allocated at once since reset_peak_memory() (PyTorch's torch.cuda.memory_allocated and
// max_memory_allocated, reset_peak_memory_stats). Every block counts at its rounded size (a
// multiple of 64, at least 64), small or cached alike: a cached block handed out again counts
// as allocated, one given back to the cache does not (the cache's own holding is
// CpuBlockCache::held_bytes()). The counters are process-wide atomics: with several threads
// allocating, the peak is the largest sum any one allocation saw.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/memory_stats.hpp"

namespace grpo {

constexpr std::size_t kCpuCacheMinBytes = std::size_t{1} << 16;  ///< 64 KiB
constexpr std::size_t kCpuCacheMaxBytes = std::size_t{1} << 30;  ///< 1 GiB held at most

/// The process-wide cache of freed large blocks, one free list per exact size.
class CpuBlockCache {
public:
    /// The one cache of the process, created at first use and never destroyed.
    static CpuBlockCache& instance() {
        static CpuBlockCache* cache = new CpuBlockCache;  // leaked on purpose: see above
        return *cache;
    }
    /// A 64-byte-aligned block of `bytes` (a multiple of 64), reused when one of that size is free.
    void* take(std::size_t bytes) {
        if (bytes >= kCpuCacheMinBytes) {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = free_.find(bytes);
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                held_ -= bytes;
                return p;
            }
        }
        void* p = std::aligned_alloc(64, bytes);
        if (!p) {
            release_all();  // memory is short: give the cached blocks back and try once more
            p = std::aligned_alloc(64, bytes);
            if (!p) throw std::bad_alloc();
        }
        return p;
    }
    /// Takes back a block from take(): cached while under kCpuCacheMaxBytes, else freed.
    void give(void* p, std::size_t bytes) {
        if (bytes >= kCpuCacheMinBytes) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (held_ + bytes <= kCpuCacheMaxBytes) {
                free_[bytes].push_back(p);
                held_ += bytes;
                return;
            }
        }
        std::free(p);
    }
    /// Returns every cached block to the system.
    void release_all() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& entry : free_)
            for (void* p : entry.second) std::free(p);
        free_.clear();
        held_ = 0;
    }
    /// The bytes of the blocks waiting in the cache.
    std::size_t held_bytes() {
        std::lock_guard<std::mutex> lock(mutex_);
        return held_;
    }

private:
    CpuBlockCache() = default;
    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> free_;
    std::size_t held_ = 0;
};

/// The counters behind CpuMemory::memory_stats(); leaked like the cache, for the same reason.
class CpuMemoryCounters {
public:
    /// The one process-wide instance.
    static CpuMemoryCounters& instance() {
        static CpuMemoryCounters* counters = new CpuMemoryCounters;
        return *counters;
    }
    /// Counts an allocation of `bytes` and raises the peak.
    void allocated(std::size_t bytes) {
        const std::size_t now = in_use_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
        std::size_t peak = peak_.load(std::memory_order_relaxed);
        while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
        }
    }
    void freed(std::size_t bytes) { in_use_.fetch_sub(bytes, std::memory_order_relaxed); }  ///< counts a block freed
    MemoryStats stats() const { return {in_use_.load(std::memory_order_relaxed), peak_.load(std::memory_order_relaxed)}; }  ///< in use now and peak
    void reset_peak() { peak_.store(in_use_.load(std::memory_order_relaxed), std::memory_order_relaxed); }  ///< starts a new peak from what is in use now

private:
    CpuMemoryCounters() = default;
    std::atomic<std::size_t> in_use_{0}, peak_{0};
};

/// The CPU backend's memory: aligned, recycled host blocks, and copies and fills.
struct CpuMemory {
    /// The bytes a request of n elements of T takes: rounded up to 64, at least 64.
    template <class T>
    static std::size_t block_bytes(std::int64_t n) {
        const std::size_t bytes = ((static_cast<std::size_t>(n) * sizeof(T) + 63) / 64) * 64;
        return bytes == 0 ? 64 : bytes;
    }
    /// n uninitialised elements (Tensor::zeros fills them afterwards).
    template <class T>
    static std::shared_ptr<T> allocate(std::int64_t n) {
        require(n >= 0, "Cpu::allocate: negative size ", n);
        const std::size_t bytes = block_bytes<T>(n);
        void* p = CpuBlockCache::instance().take(bytes);
        CpuMemoryCounters::instance().allocated(bytes);
        return std::shared_ptr<T>(static_cast<T*>(p), [bytes](T* q) {
            CpuMemoryCounters::instance().freed(bytes);
            CpuBlockCache::instance().give(q, bytes);
        });
    }
    /// Returns the blocks the allocator keeps for reuse to the system (e.g. after training, before
    /// a phase that needs different sizes).
    static void release_cached_memory() { CpuBlockCache::instance().release_all(); }
    /// Tensor storage allocated now and the peak since reset_peak_memory() (see the header).
    static MemoryStats memory_stats() { return CpuMemoryCounters::instance().stats(); }
    /// Starts a new peak from what is allocated now.
    static void reset_peak_memory() { CpuMemoryCounters::instance().reset_peak(); }
    /// Copies n elements from host memory to backend memory (a memcpy here).
    template <class T>
    static void copy_from_host(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    /// Copies n elements from backend memory to host memory (a memcpy here).
    template <class T>
    static void copy_to_host(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    /// Copies n elements within backend memory.
    template <class T>
    static void copy(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    /// Sets n elements to `value`.
    template <class T>
    static void fill(T* x, std::int64_t n, T value) {
        for (std::int64_t i = 0; i < n; ++i) x[i] = value;
    }
};

}  // namespace grpo

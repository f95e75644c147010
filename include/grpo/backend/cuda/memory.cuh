// Memory of the CUDA backend: device memory from cudaMalloc (never managed memory), recycled by a
// caching allocator, owned by a shared_ptr so every view of a Tensor keeps it alive.
// Why a cache: cudaMalloc and cudaFree synchronise the device and take tens of microseconds,
// and a training step allocates the same activation sizes every step. Blocks are rounded up to
// 512 bytes (PyTorch's CUDA caching allocator rounds the same way) and a freed block waits in
// a free list per exact size for the next request of that size. Reuse is safe without events
// because every kernel and copy of the backend runs on the one stream of CudaContext: work that
// still reads a freed block was queued before any work that will write its next owner.
// When cudaMalloc fails, the cache gives its blocks back and tries once more.
// Accounting as on the CPU (MemoryStats): bytes handed out now and their peak.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "grpo/backend/cuda/launch.cuh"
#include "grpo/core/memory_stats.hpp"

namespace grpo {

class CudaBlockCache {
public:
    static CudaBlockCache& instance() {
        static CudaBlockCache* cache = new CudaBlockCache;  // leaked on purpose, like CpuBlockCache
        return *cache;
    }
    void* take(std::size_t bytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = free_.find(bytes);
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                held_ -= bytes;
                count(bytes);
                return p;
            }
        }
        void* p = nullptr;
        if (cudaMalloc(&p, bytes) != cudaSuccess) {
            cudaGetLastError();  // clear the error, free the cache, try once more
            release_all();
            GRPO_CUDA_CHECK(cudaMalloc(&p, bytes));
        }
        std::lock_guard<std::mutex> lock(mutex_);
        count(bytes);
        return p;
    }
    void give(void* p, std::size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_[bytes].push_back(p);
        held_ += bytes;
        stats_.in_use_bytes -= bytes;
    }
    // Returns every cached block to the driver.
    void release_all() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& entry : free_)
            for (void* p : entry.second) cudaFree(p);  // best effort: nothing to report at this point
        free_.clear();
        held_ = 0;
    }
    std::size_t held_bytes() {
        std::lock_guard<std::mutex> lock(mutex_);
        return held_;
    }
    MemoryStats stats() {
        std::lock_guard<std::mutex> lock(mutex_);
        return stats_;
    }
    void reset_peak() {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.peak_bytes = stats_.in_use_bytes;
    }

private:
    CudaBlockCache() = default;
    void count(std::size_t bytes) {  // with mutex_ held
        stats_.in_use_bytes += bytes;
        if (stats_.in_use_bytes > stats_.peak_bytes) stats_.peak_bytes = stats_.in_use_bytes;
    }
    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> free_;
    std::size_t held_ = 0;
    MemoryStats stats_;
};

namespace cuda_detail {
template <class T>
__global__ void fill_kernel(std::int64_t n, T* x, T value) {
    GRPO_GRID_STRIDE(i, n) x[i] = value;
}
}  // namespace cuda_detail

struct CudaMemory {
    // The bytes a request of n elements of T takes: rounded up to 512, at least 512.
    template <class T>
    static std::size_t block_bytes(std::int64_t n) {
        const std::size_t bytes = ((static_cast<std::size_t>(n) * sizeof(T) + 511) / 512) * 512;
        return bytes == 0 ? 512 : bytes;
    }
    // n uninitialised elements in device memory.
    template <class T>
    static std::shared_ptr<T> allocate(std::int64_t n) {
        require(n >= 0, "Cuda::allocate: negative size ", n);
        const std::size_t bytes = block_bytes<T>(n);
        void* p = CudaBlockCache::instance().take(bytes);
        return std::shared_ptr<T>(static_cast<T*>(p), [bytes](T* q) { CudaBlockCache::instance().give(q, bytes); });
    }
    static void release_cached_memory() { CudaBlockCache::instance().release_all(); }
    static MemoryStats memory_stats() { return CudaBlockCache::instance().stats(); }
    static void reset_peak_memory() { CudaBlockCache::instance().reset_peak(); }

    // Host to device. From pageable memory the call returns once the source has been staged, so
    // the caller may free it at once.
    template <class T>
    static void copy_from_host(const T* src, T* dst, std::int64_t n) {
        if (n) GRPO_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T),
                                               cudaMemcpyHostToDevice, cuda_stream()));
    }
    // Device to host; waits for the stream, so the values are there on return.
    template <class T>
    static void copy_to_host(const T* src, T* dst, std::int64_t n) {
        if (!n) return;
        GRPO_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToHost,
                                        cuda_stream()));
        GRPO_CUDA_CHECK(cudaStreamSynchronize(cuda_stream()));
    }
    template <class T>
    static void copy(const T* src, T* dst, std::int64_t n) {
        if (n) GRPO_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * sizeof(T),
                                               cudaMemcpyDeviceToDevice, cuda_stream()));
    }
    template <class T>
    static void fill(T* x, std::int64_t n, T value) {
        if (!n) return;
        cuda_detail::fill_kernel<<<cuda_detail::blocks_for(n), cuda_detail::kThreads, 0, cuda_stream()>>>(n, x, value);
        GRPO_CUDA_CHECK_LAUNCH();
    }
    // Waits until every queued kernel and copy of the backend has finished (for timing).
    static void synchronize() { GRPO_CUDA_CHECK(cudaStreamSynchronize(cuda_stream())); }
};

}  // namespace grpo

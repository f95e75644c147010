// Memory of the CPU backend: plain host memory, 64-byte aligned so Eigen's vector loads are
// aligned, owned by a shared_ptr so every view of a Tensor keeps it alive.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "grpo/core/error.hpp"

namespace grpo {

struct CpuMemory {
    // n uninitialised elements (Tensor::zeros fills them afterwards).
    template <class T>
    static std::shared_ptr<T> allocate(std::int64_t n) {
        require(n >= 0, "Cpu::allocate: negative size ", n);
        const std::size_t bytes = ((static_cast<std::size_t>(n) * sizeof(T) + 63) / 64) * 64;
        void* p = std::aligned_alloc(64, bytes ? bytes : 64);
        if (!p) throw std::bad_alloc();
        return std::shared_ptr<T>(static_cast<T*>(p), [](T* q) { std::free(q); });
    }
    template <class T>
    static void copy_from_host(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    template <class T>
    static void copy_to_host(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    template <class T>
    static void copy(const T* src, T* dst, std::int64_t n) {
        if (n) std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
    }
    template <class T>
    static void fill(T* x, std::int64_t n, T value) {
        for (std::int64_t i = 0; i < n; ++i) x[i] = value;
    }
};

}  // namespace grpo

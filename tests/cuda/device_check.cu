// Proves the CUDA toolchain wiring: a kernel draws Philox numbers on the device and the host
// compares them with the CPU's. Without a GPU it prints one line and exits 77 (ctest: skipped).
#include <cstdio>
#include <cuda_runtime.h>

#include "grpo/core/philox.hpp"

__global__ void philox_kernel(std::uint32_t* out) {
    const grpo::PhiloxCounter ctr = {threadIdx.x, 0u, 0u, 0u};
    const grpo::PhiloxCounter words = grpo::philox4x32_10(ctr, {42u, 0u});
    for (int i = 0; i < 4; ++i) out[threadIdx.x * 4 + i] = words[i];
}

int main() {
    int devices = 0;
    // Without a driver cudaGetDeviceCount returns an error and leaves `devices` unset.
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    constexpr int kThreads = 32;
    std::uint32_t* device_out = nullptr;
    std::uint32_t host_out[kThreads * 4];
    if (cudaMalloc(&device_out, sizeof(host_out)) != cudaSuccess) return 1;
    philox_kernel<<<1, kThreads>>>(device_out);
    if (cudaMemcpy(host_out, device_out, sizeof(host_out), cudaMemcpyDeviceToHost) != cudaSuccess)
        return 1;
    cudaFree(device_out);
    for (std::uint32_t t = 0; t < kThreads; ++t) {
        const grpo::PhiloxCounter want = grpo::philox4x32_10({t, 0u, 0u, 0u}, {42u, 0u});
        for (int i = 0; i < 4; ++i)
            if (host_out[t * 4 + i] != want[i]) {
                std::printf("mismatch at thread %u word %d\n", t, i);
                return 1;
            }
    }
    std::printf("CUDA Philox matches the CPU on %d threads\n", kThreads);
    return 0;
}

// Example 08 on the GPU: checks for a device, sets the matmul precision, and runs the lesson of
// gpu_scaled.hpp on grpo::Cuda. Chapter: tutorials/08-gpu-scaled.md.
//
//   build/examples/08_gpu_scaled                          # the full run, then the PyTorch peer
//   build/examples/08_gpu_scaled --quick --no_torch       # toy size in seconds (what ctest runs)
//   build/examples/08_gpu_scaled --precision=tf32 --peak_tflops=495   # TF32 GEMMs, TF32's peak
//   build/examples/08_gpu_scaled --python=/path/to/venv/bin/python    # the Python with torch
//   build/examples/08_gpu_scaled --help                   # the flags, their defaults and one line each
// Without a GPU it prints one line and exits 77 (ctest: skipped).
#include <cstdio>
#include <string>

#include <cuda_runtime.h>

#include <grpo/cuda.hpp>

#include "gpu_scaled.hpp"

namespace {

grpo::MatmulPrecision parse_precision(const std::string& name) {
    if (name == "fp32") return grpo::MatmulPrecision::fp32;
    if (name == "tf32") return grpo::MatmulPrecision::tf32;
    grpo::require(name == "bf16", "--precision=", name, ": expected fp32, tf32 or bf16");
    return grpo::MatmulPrecision::bf16;
}

}  // namespace

int main(int argc, char** argv) {
    // The flags first, so that --help and a bad flag answer on a machine without a GPU too.
    const ExampleFlags flags(gpu_scaled::flag_table(),
                             "Scaled GPU training: a ~100M-parameter MoE pretrained and GRPO-trained on one GPU,\n"
                             "timed, beside PyTorch (tutorials/08-gpu-scaled.md).", argc, argv);
    if (!grpo::cuda_device_available()) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    // bf16: float tensors, GEMM inputs rounded to bfloat16 on the tensor cores, float accumulation
    // (backend/cuda/context.cuh); the lesson itself never names the backend's settings.
    const grpo::MatmulPrecision precision = parse_precision(flags.s("precision"));
    grpo::cuda_set_matmul_precision(precision);
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) properties.name[0] = '\0';
    const gpu_scaled::Device device{[] { grpo::Cuda::synchronize(); }, properties.name,
                                    grpo::matmul_precision_name(precision)};
    return gpu_scaled::run_scaled<grpo::Cuda>(flags, device);
}

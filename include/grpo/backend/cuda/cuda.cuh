// Cuda: the CUDA backend type, the same static functions as Cpu (backend/cpu/cpu.hpp) over
// device memory: the library's own kernels, cuBLAS for GEMM, Thrust for the MoE sort. Include
// it through grpo/cuda.hpp from a .cu file. Every call is checked (check.cuh); everything runs
// in order on one stream (context.cuh), and a copy to the host waits for it.
#pragma once

#include "grpo/backend/cuda/attention.cuh"
#include "grpo/backend/cuda/check.cuh"
#include "grpo/backend/cuda/context.cuh"
#include "grpo/backend/cuda/elementwise.cuh"
#include "grpo/backend/cuda/grpo_loss.cuh"
#include "grpo/backend/cuda/matmul.cuh"
#include "grpo/backend/cuda/memory.cuh"
#include "grpo/backend/cuda/moe_dispatch.cuh"
#include "grpo/backend/cuda/norm_rope.cuh"
#include "grpo/backend/cuda/optim.cuh"
#include "grpo/backend/cuda/routing.cuh"
#include "grpo/backend/cuda/sampling.cuh"
#include "grpo/backend/cuda/vocab.cuh"

namespace grpo {

struct Cuda : CudaMemory, CudaElementwise, CudaMatmul, CudaNormRope, CudaAttention, CudaVocab, CudaRouting,
              CudaOptim, CudaGrpoLoss, CudaSampling, CudaMoeDispatch {
    static constexpr const char* name = "cuda";
};

}  // namespace grpo

// Cpu: the CPU backend type. A backend is a type whose static functions are the coarse ops on
// raw buffers; Tensor<T, Cpu> and every autograd op call them as Cpu::gemm(...), Cpu::rope(...).
// The Cuda backend (backend/cuda) has the same functions over device memory. This is the only
// folder that includes Eigen. Threading: see parallel.hpp (cpu_set_num_threads).
#pragma once

#include "grpo/backend/cpu/attention.hpp"
#include "grpo/backend/cpu/elementwise.hpp"
#include "grpo/backend/cpu/grpo_loss.hpp"
#include "grpo/backend/cpu/matmul.hpp"
#include "grpo/backend/cpu/memory.hpp"
#include "grpo/backend/cpu/norm_rope.hpp"
#include "grpo/backend/cpu/optim.hpp"
#include "grpo/backend/cpu/parallel.hpp"
#include "grpo/backend/cpu/routing.hpp"
#include "grpo/backend/cpu/sampling.hpp"
#include "grpo/backend/cpu/vocab.hpp"

namespace grpo {

/// The CPU backend: the static coarse ops of every Cpu* part, on host buffers.
struct Cpu : CpuMemory, CpuElementwise, CpuMatmul, CpuNormRope, CpuAttention, CpuVocab, CpuRouting,
             CpuOptim, CpuGrpoLoss, CpuSampling {
    static constexpr const char* name = "cpu";  ///< the backend's name in messages and checkpoints
};

}  // namespace grpo

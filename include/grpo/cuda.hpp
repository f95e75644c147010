// Everything grpo offers, on the CUDA backend: include this from a .cu file compiled by nvcc and
// use grpo::Cuda where a CPU program uses grpo::Cpu (Tensor<float, Cuda>, Transformer<float,
// Cuda>, GrpoTrainer<float, Cuda>, ...). Needs the CUDA toolkit (runtime, cuBLAS, Thrust),
// never Eigen. Link CUDA::cudart and CUDA::cublas.
#pragma once

#include "grpo/backend/cuda/cuda.cuh"
#include "grpo/generic.hpp"

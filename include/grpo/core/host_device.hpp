// One macro for functions that run on both the CPU and a CUDA device (the CUTLASS habit of
// keeping host/device annotations in one header). Outside nvcc it expands to nothing, so every
// header stays plain C++17 for CPU users.
#pragma once

#if defined(__CUDACC__)
#define GRPO_HOST_DEVICE __host__ __device__
#else
#define GRPO_HOST_DEVICE
#endif

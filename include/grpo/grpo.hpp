// Everything grpo offers on the CPU, in one include. Needs Eigen, never CUDA.
#pragma once

#include "grpo/backend/cpu/cpu.hpp"
#include "grpo/generic.hpp"

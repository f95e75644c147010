// Everything grpo offers on the CPU, in one include. Needs Eigen, never CUDA.
#pragma once

#include "grpo/backend/cpu/cpu.hpp"
#include "grpo/generic.hpp"
#include "grpo/extern_templates.hpp"  // empty unless GRPO_EXTERN_TEMPLATES: the precompiled path (README.md)

/// @mainpage grpo: GRPO training, taught by running code
///
/// A header-only C++17 library that teaches how DeepSeek-R1-style reasoning models are trained:
/// group sampling, rule-based rewards, group-relative advantages and the GRPO objective
/// (DeepSeekMath, arXiv 2402.03300; DeepSeek-R1, arXiv 2501.12948), on a small
/// DeepSeek-V3-style Mixture-of-Experts transformer, with a CPU backend (Eigen) and a CUDA
/// backend. `grpo/grpo.hpp` is everything on the CPU; `grpo/cuda.hpp` (from a .cu file) adds the
/// CUDA backend.
///
/// This reference gives every public type and member of include/grpo/ its purpose. The
/// repository's README.md is the place to start: the two commands, the chapters in order
/// (tutorials/ and examples/), and how to use the library in a project. Its docs/ folder
/// explains the design: docs/architecture.md is the map of the library and its decisions,
/// docs/core.md explains tensors, backends, autograd and threading, docs/rl.md measures GRPO
/// against the PPO baseline.

/// @namespace grpo
/// Everything the library offers: tensors and backends, autograd, the MoE transformer, tasks,
/// rewards, GRPO and PPO, the trainers. Implementation details live in nested `*_detail`
/// namespaces, which are not API.

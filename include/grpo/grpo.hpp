// Everything grpo offers on the CPU, in one include. Needs Eigen, never CUDA.
#pragma once

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/io/atomic_file.hpp"
#include "grpo/io/jsonl.hpp"
#include "grpo/io/safetensors.hpp"
#include "grpo/io/svg_plot.hpp"
#include "grpo/rl/advantages.hpp"
#include "grpo/rl/rewards.hpp"
#include "grpo/tasks/tasks.hpp"
#include "grpo/text/strings.hpp"
#include "grpo/text/utf8.hpp"
#include "grpo/text/prompt_template.hpp"
#include "grpo/text/tokenizer.hpp"

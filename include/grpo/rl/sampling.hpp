// Choosing one token from one row of logits (temperature, top-k, top-p, an inverse-CDF pick):
// SamplingConfig and sample_token live in backend/sampling_formulas.hpp, beside the GRPO
// formulas, because both backends run them (the CPU in a loop, CUDA in a kernel, one thread
// per row) through the backend op sample_rows. This header keeps rl's name for them.
#pragma once

#include "grpo/backend/sampling_formulas.hpp"

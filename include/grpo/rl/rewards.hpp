// All rule-based rewards: format, accuracy, language consistency, length, and their weighted sum.
#pragma once

#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/rl/rewards/format.hpp"
#include "grpo/rl/rewards/language.hpp"
#include "grpo/rl/rewards/length.hpp"
#include "grpo/rl/rewards/weighted.hpp"

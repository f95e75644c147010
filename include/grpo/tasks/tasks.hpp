// The task generators with exact verifiers, in one include: linear equations, multi-step
// arithmetic, countdown and programming problems (run in a bounded interpreter), each a
// grpo::Problem (question, reference answer, check); and general prompts with a hidden true
// preference, for a learned reward model.
#pragma once

#include "grpo/tasks/arithmetic.hpp"
#include "grpo/tasks/countdown.hpp"
#include "grpo/tasks/expression.hpp"
#include "grpo/tasks/linear_equation.hpp"
#include "grpo/tasks/mini_program.hpp"
#include "grpo/tasks/preference.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/tasks/program_task.hpp"
#include "grpo/tasks/self_check.hpp"
#include "grpo/tasks/worked_solution.hpp"

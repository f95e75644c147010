// The task generators with exact verifiers, in one include: linear equations, multi-step
// arithmetic and countdown, each a grpo::Problem (question, reference answer, check).
#pragma once

#include "grpo/tasks/arithmetic.hpp"
#include "grpo/tasks/countdown.hpp"
#include "grpo/tasks/expression.hpp"
#include "grpo/tasks/linear_equation.hpp"
#include "grpo/tasks/preference.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/tasks/self_check.hpp"
#include "grpo/tasks/worked_solution.hpp"

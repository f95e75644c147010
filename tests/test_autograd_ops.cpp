// One finite-difference case per op, on every backend in GRPO_TEST_BACKENDS (Cpu here; the CUDA
// suite instantiates the same checks from op_gradchecks.hpp for Cuda).
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

#include "op_gradchecks.hpp"

#define GRPO_TEST_BACKENDS grpo::Cpu

TEST_CASE_TEMPLATE("gradcheck matmul with transposes and batches", B, GRPO_TEST_BACKENDS) { gradchecks::check_matmul<B>(); }
TEST_CASE_TEMPLATE("gradcheck add and bias", B, GRPO_TEST_BACKENDS) { gradchecks::check_add<B>(); }
TEST_CASE_TEMPLATE("gradcheck mul and scale", B, GRPO_TEST_BACKENDS) { gradchecks::check_mul_scale<B>(); }
TEST_CASE_TEMPLATE("gradcheck silu and swiglu", B, GRPO_TEST_BACKENDS) { gradchecks::check_silu_swiglu<B>(); }
TEST_CASE_TEMPLATE("gradcheck sum, mean and masked reductions", B, GRPO_TEST_BACKENDS) { gradchecks::check_sum_mean<B>(); }

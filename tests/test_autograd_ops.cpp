// One finite-difference case per op, on every backend in GRPO_TEST_BACKENDS (Cpu here; the CUDA
// suite instantiates the same checks from op_gradchecks.hpp for Cuda).
#include <doctest/doctest.h>

#include <grpo/grpo.hpp>

#include "op_gradchecks.hpp"

#define GRPO_TEST_BACKENDS grpo::Cpu

TEST_CASE_TEMPLATE("gradcheck matmul with transposes and batches", B, GRPO_TEST_BACKENDS) { gradchecks::check_matmul<B>(); }
TEST_CASE_TEMPLATE("gradcheck add and bias", B, GRPO_TEST_BACKENDS) { gradchecks::check_add<B>(); }
TEST_CASE_TEMPLATE("gradcheck mul, scale and reshape", B, GRPO_TEST_BACKENDS) { gradchecks::check_mul_scale<B>(); }
TEST_CASE_TEMPLATE("gradcheck silu and swiglu", B, GRPO_TEST_BACKENDS) { gradchecks::check_silu_swiglu<B>(); }
TEST_CASE_TEMPLATE("gradcheck sum, mean and masked reductions", B, GRPO_TEST_BACKENDS) { gradchecks::check_sum_mean<B>(); }
TEST_CASE_TEMPLATE("gradcheck rmsnorm", B, GRPO_TEST_BACKENDS) { gradchecks::check_rmsnorm<B>(); }
TEST_CASE_TEMPLATE("gradcheck rope interleaved and half", B, GRPO_TEST_BACKENDS) { gradchecks::check_rope<B>(); }
TEST_CASE_TEMPLATE("gradcheck causal attention with KV prefix", B, GRPO_TEST_BACKENDS) { gradchecks::check_attention<B>(); }
TEST_CASE_TEMPLATE("gradcheck embedding", B, GRPO_TEST_BACKENDS) { gradchecks::check_embedding<B>(); }
TEST_CASE_TEMPLATE("gradcheck log_softmax", B, GRPO_TEST_BACKENDS) { gradchecks::check_log_softmax<B>(); }
TEST_CASE_TEMPLATE("gradcheck token_logprobs", B, GRPO_TEST_BACKENDS) { gradchecks::check_token_logprobs<B>(); }
TEST_CASE_TEMPLATE("gradcheck cross_entropy with ignored rows", B, GRPO_TEST_BACKENDS) { gradchecks::check_cross_entropy<B>(); }
TEST_CASE_TEMPLATE("gradcheck topk and gather_last", B, GRPO_TEST_BACKENDS) { gradchecks::check_topk_gather<B>(); }
TEST_CASE_TEMPLATE("gradcheck gather_rows and scatter_add_rows", B, GRPO_TEST_BACKENDS) { gradchecks::check_dispatch_combine<B>(); }
TEST_CASE_TEMPLATE("gradcheck sigmoid", B, GRPO_TEST_BACKENDS) { gradchecks::check_sigmoid<B>(); }
TEST_CASE_TEMPLATE("gradcheck softmax and normalize_rows", B, GRPO_TEST_BACKENDS) { gradchecks::check_softmax_normalize_rows<B>(); }
TEST_CASE_TEMPLATE("gradcheck concat_rows", B, GRPO_TEST_BACKENDS) { gradchecks::check_concat_rows<B>(); }

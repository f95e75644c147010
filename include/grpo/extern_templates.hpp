// The opt-in precompiled path: explicit instantiations of the library's heavy templates for the
// CPU backend, float and double (the scalar types the tests and examples use).
//
// One list, two modes:
//   GRPO_EXTERN_TEMPLATES defined (the grpo::precompiled CMake target sets it for its users):
//     every entry is an explicit instantiation declaration, `extern template ...;`. A translation
//     unit then emits no code of its own for these: what it does not inline, it calls in the
//     grpo_precompiled library. Members defined in their class are inline, so the compiler still
//     instantiates them to consider inlining, but it skips the late optimisation and the back
//     end for them, most of an -O3 compile: example 06's main.cpp takes 19 s of CPU, not 51 s.
//   GRPO_INSTANTIATE_TEMPLATES defined: the entries are explicit instantiation definitions,
//     `template ...;`, which emit every member once. GRPO_INSTANTIATE_FLOAT (or _DOUBLE) does so
//     for one scalar type and declares the other extern: grpo_precompiled's two sources, which
//     CMakeLists.txt generates, build as two translation units in parallel.
// Neither defined (plain header-only use): this file is empty.
//
// Function templates are named through decltype of their specialization, so an entry needs no
// copy of the signature; only evaluate, which is overloaded, spells its two out. A name that
// stops existing, or an instantiation that stops compiling, fails the GRPO_PRECOMPILED build.
// See README.md, "Compile time: the precompiled path", and docs/architecture.md.
#pragma once

#if defined(GRPO_EXTERN_TEMPLATES) || defined(GRPO_INSTANTIATE_TEMPLATES) || \
    defined(GRPO_INSTANTIATE_FLOAT) || defined(GRPO_INSTANTIATE_DOUBLE)

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "grpo/backend/cpu/cpu.hpp"
#include "grpo/generic.hpp"

#if defined(GRPO_INSTANTIATE_TEMPLATES)
#define GRPO_INSTANTIATE_FLOAT
#define GRPO_INSTANTIATE_DOUBLE
#endif

// GRPO_FN(kw, f, args): the specialization f<args> of function template f, as kw (extern
// template, or template) declares or defines it.
#define GRPO_FN(kw, f, ...) kw decltype(f<__VA_ARGS__>) f<__VA_ARGS__>;

// Everything whose template arguments are (T, Cpu): classes, autograd ops, nn, rl, optim, train.
#define GRPO_TEMPLATES_OF(kw, T)                                                                          \
    kw class Tensor<T, Cpu>;                                                                              \
    kw class Var<T, Cpu>;                                                                                 \
    kw class CausalSelfAttention<T, Cpu>;                                                                 \
    kw class FeedForward<T, Cpu>;                                                                         \
    kw class MoE<T, Cpu>;                                                                                 \
    kw class Transformer<T, Cpu>;                                                                         \
    kw class AdamW<T, Cpu>;                                                                               \
    kw class ScalarHeadModel<T, Cpu>;                                                                     \
    kw class Critic<T, Cpu>;                                                                              \
    kw class RewardModel<T, Cpu>;                                                                         \
    kw class GrpoTrainer<T, Cpu>;                                                                         \
    kw class PpoTrainer<T, Cpu>;                                                                          \
    kw class SftTrainer<T, Cpu>;                                                                          \
    /* autograd */                                                                                        \
    GRPO_FN(kw, sigmoid, T, Cpu) GRPO_FN(kw, silu, T, Cpu) GRPO_FN(kw, swiglu, T, Cpu)                    \
    GRPO_FN(kw, attention, T, Cpu) GRPO_FN(kw, matmul, T, Cpu) GRPO_FN(kw, add, T, Cpu)                   \
    GRPO_FN(kw, mul, T, Cpu) GRPO_FN(kw, reshape, T, Cpu) GRPO_FN(kw, scale, T, Cpu)                      \
    GRPO_FN(kw, rmsnorm, T, Cpu) GRPO_FN(kw, rope, T, Cpu) GRPO_FN(kw, reduce_detail::weighted_sum, T, Cpu)              \
    GRPO_FN(kw, sum, T, Cpu) GRPO_FN(kw, mean, T, Cpu) GRPO_FN(kw, masked_sum, T, Cpu)                    \
    GRPO_FN(kw, masked_mean, T, Cpu) GRPO_FN(kw, softmax, T, Cpu) GRPO_FN(kw, normalize_rows, T, Cpu)     \
    GRPO_FN(kw, concat_rows, T, Cpu) GRPO_FN(kw, gather_last, T, Cpu) GRPO_FN(kw, topk, T, Cpu)           \
    GRPO_FN(kw, gather_rows, T, Cpu) GRPO_FN(kw, scatter_add_rows, T, Cpu)                                \
    GRPO_FN(kw, embedding, T, Cpu) GRPO_FN(kw, log_softmax, T, Cpu)                                       \
    GRPO_FN(kw, token_logprobs, T, Cpu) GRPO_FN(kw, cross_entropy, T, Cpu)                                \
    /* nn */                                                                                              \
    GRPO_FN(kw, choose_experts, T)                                                                        \
    GRPO_FN(kw, checkpoint_detail::model_state, T, Cpu) GRPO_FN(kw, copy_model_state, T, Cpu)                                \
    GRPO_FN(kw, clone_model, T, Cpu) GRPO_FN(kw, save_checkpoint, T, Cpu)                                 \
    GRPO_FN(kw, read_checked_checkpoint, T, Cpu) GRPO_FN(kw, apply_checkpoint, T, Cpu)                    \
    GRPO_FN(kw, load_checkpoint, T, Cpu)                                                                  \
    /* optim */                                                                                           \
    GRPO_FN(kw, global_grad_norm, T, Cpu) GRPO_FN(kw, scale_to_max_norm, T, Cpu)                          \
    GRPO_FN(kw, clip_grad_norm, T, Cpu)                                                                   \
    /* rl */                                                                                              \
    kw EvalReport evaluate<T, Cpu>(Transformer<T, Cpu>&, const Tokenizer&, const std::vector<Problem>&,  \
                                   const std::function<std::string(const Problem&)>&, const EvalConfig&); \
    kw EvalReport evaluate<T, Cpu>(Transformer<T, Cpu>&, const Tokenizer&, const std::vector<Problem>&,  \
                                   const PromptTemplate&, const EvalConfig&);                             \
    GRPO_FN(kw, grpo_loss, T, Cpu) GRPO_FN(kw, kl_estimate, T, Cpu) GRPO_FN(kw, exact_kl, T, Cpu)         \
    GRPO_FN(kw, completion_mask, T, Cpu) GRPO_FN(kw, policy_detail::gathered_entropy, T, Cpu)                            \
    GRPO_FN(kw, policy_logprobs, T, Cpu)                                                                  \
    GRPO_FN(kw, per_token_rewards, T, Cpu) GRPO_FN(kw, gae, T, Cpu) GRPO_FN(kw, masked_whiten, T, Cpu)    \
    GRPO_FN(kw, ppo_advantages, T, Cpu) GRPO_FN(kw, value_loss, T, Cpu)                                   \
    GRPO_FN(kw, advantage_tensor, T, Cpu)                                                                 \
    GRPO_FN(kw, sample_groups, T, Cpu) GRPO_FN(kw, pack_completions, T, Cpu)                              \
    /* train */                                                                                           \
    GRPO_FN(kw, active_parameter_count, T, Cpu) GRPO_FN(kw, explained_variance, T, Cpu)                   \
    GRPO_FN(kw, ppo_trainer_detail::mean_kl, T, Cpu) GRPO_FN(kw, pretrain, T, Cpu)                                            \
    GRPO_FN(kw, pipeline_detail::try_resume, T, Cpu) GRPO_FN(kw, pipeline_detail::save_stage, T, Cpu) GRPO_FN(kw, pretrain_stage, T, Cpu)   \
    GRPO_FN(kw, sft_stage, T, Cpu) GRPO_FN(kw, grpo_stage, T, Cpu) GRPO_FN(kw, rejection_stage, T, Cpu)   \
    GRPO_FN(kw, rejection_sample, T, Cpu) GRPO_FN(kw, trainer_detail::mean_over_mask, T, Cpu)                             \
    GRPO_FN(kw, trainer_detail::mask_sum, T, Cpu)                                                                         \
    /* the CPU backend's kernels that hold loops or Eigen products */                                     \
    GRPO_FN(kw, CpuMatmul::gemm, T) GRPO_FN(kw, CpuMatmul::gemm_batched, T)                               \
    GRPO_FN(kw, CpuAttention::attention_forward, T) GRPO_FN(kw, CpuAttention::attention_backward, T)      \
    GRPO_FN(kw, CpuGrpoLoss::grpo_loss_forward, T) GRPO_FN(kw, CpuGrpoLoss::kl_estimate_forward, T)       \
    GRPO_FN(kw, CpuGrpoLoss::exact_kl_forward, T)                                                         \
    GRPO_FN(kw, CpuNormRope::rmsnorm_forward, T) GRPO_FN(kw, CpuNormRope::rmsnorm_backward, T)            \
    GRPO_FN(kw, CpuNormRope::rope, T)                                                                     \
    GRPO_FN(kw, CpuOptim::adamw_step, T) GRPO_FN(kw, CpuOptim::sum_squares, T)                            \
    GRPO_FN(kw, CpuRouting::softmax_forward, T) GRPO_FN(kw, CpuRouting::softmax_backward, T)              \
    GRPO_FN(kw, CpuRouting::topk_indices, T) GRPO_FN(kw, CpuRouting::scatter_add_rows_backward, T)        \
    GRPO_FN(kw, CpuSampling::sample_rows, T)                                                              \
    GRPO_FN(kw, CpuVocab::log_softmax_forward, T) GRPO_FN(kw, CpuVocab::log_softmax_backward, T)          \
    GRPO_FN(kw, CpuVocab::token_logprobs_forward, T) GRPO_FN(kw, CpuVocab::cross_entropy_forward, T)      \
    GRPO_FN(kw, CpuVocab::cross_entropy_backward, T)

// Those whose only template argument is the backend (the token ids are Tensor<int32, Cpu>).
#define GRPO_TEMPLATES_OF_CPU(kw)                                                                         \
    kw class Tensor<std::int32_t, Cpu>;                                                                   \
    GRPO_FN(kw, pack_policy_batch, Cpu) GRPO_FN(kw, pack_sft_batch, Cpu)

namespace grpo {

#if defined(GRPO_INSTANTIATE_FLOAT)
GRPO_TEMPLATES_OF_CPU(template)
GRPO_TEMPLATES_OF(template, float)
#else
GRPO_TEMPLATES_OF_CPU(extern template)
GRPO_TEMPLATES_OF(extern template, float)
#endif

#if defined(GRPO_INSTANTIATE_DOUBLE)
GRPO_TEMPLATES_OF(template, double)
#else
GRPO_TEMPLATES_OF(extern template, double)
#endif

}  // namespace grpo

#undef GRPO_TEMPLATES_OF_CPU
#undef GRPO_TEMPLATES_OF
#undef GRPO_FN

#endif

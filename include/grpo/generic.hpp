// Everything grpo offers that is written against a backend type parameter: core, io, autograd,
// text, tasks, rl, optim, nn, train. No concrete backend and no Eigen: grpo.hpp adds the CPU
// backend, cuda.hpp (from a .cu file) the CUDA one.
#pragma once

#include "grpo/core/error.hpp"
#include "grpo/core/philox.hpp"
#include "grpo/core/rational.hpp"
#include "grpo/core/rng.hpp"
#include "grpo/core/tensor.hpp"

#include "grpo/io/atomic_file.hpp"
#include "grpo/io/jsonl.hpp"
#include "grpo/io/safetensors.hpp"
#include "grpo/io/svg_plot.hpp"

#include "grpo/autograd/activation.hpp"
#include "grpo/autograd/attention.hpp"
#include "grpo/autograd/gradcheck.hpp"
#include "grpo/autograd/linear.hpp"
#include "grpo/autograd/norm_rope.hpp"
#include "grpo/autograd/reduce.hpp"
#include "grpo/autograd/routing.hpp"
#include "grpo/autograd/tape.hpp"
#include "grpo/autograd/vocab.hpp"

#include "grpo/text/prompt_template.hpp"
#include "grpo/text/strings.hpp"
#include "grpo/text/tokenizer.hpp"
#include "grpo/text/utf8.hpp"

#include "grpo/tasks/tasks.hpp"

#include "grpo/rl/advantages.hpp"
#include "grpo/rl/evaluation.hpp"
#include "grpo/rl/grpo_loss.hpp"
#include "grpo/rl/kl.hpp"
#include "grpo/rl/policy_logprobs.hpp"
#include "grpo/rl/ppo.hpp"
#include "grpo/rl/process_supervision.hpp"
#include "grpo/rl/step_check.hpp"
#include "grpo/rl/rewards.hpp"
#include "grpo/rl/sampler.hpp"
#include "grpo/rl/sampling.hpp"

#include "grpo/optim/adamw.hpp"
#include "grpo/optim/clip.hpp"
#include "grpo/optim/schedule.hpp"

#include "grpo/nn/attention.hpp"
#include "grpo/nn/checkpoint.hpp"
#include "grpo/nn/config.hpp"
#include "grpo/nn/feed_forward.hpp"
#include "grpo/nn/kv_cache.hpp"
#include "grpo/nn/moe.hpp"
#include "grpo/nn/transformer.hpp"

#include "grpo/train/bilingual_corpus.hpp"
#include "grpo/train/distillation.hpp"
#include "grpo/train/grpo_trainer.hpp"
#include "grpo/train/ppo_trainer.hpp"
#include "grpo/train/pretrain.hpp"
#include "grpo/train/prompt_dataset.hpp"
#include "grpo/train/r1_pipeline.hpp"
#include "grpo/train/rejection_sampling.hpp"
#include "grpo/train/rollout.hpp"
#include "grpo/train/sft.hpp"
#include "grpo/train/synthetic_corpus.hpp"
#include "grpo/train/token_stream.hpp"

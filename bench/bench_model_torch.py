#!/usr/bin/python3
"""The training step of bench/bench_model.cpp in PyTorch (CPU, float32), for comparison.

The same architecture as grpo::Transformer with TransformerConfig's defaults: embedding,
pre-RMSNorm blocks, multi-head causal attention with RoPE on interleaved pairs (DeepSeek-V3's
inference/model.py), a SwiGLU dense FFN in block 0, the DeepSeek-V3 MoE in blocks 1-3 (sigmoid
gate, top-2 by biased score, weights renormalised over the chosen, 1 shared expert, tokens
grouped per expert so each expert runs once on its rows), final RMSNorm, untied head,
cross-entropy, AdamW (PyTorch's defaults, as grpo::AdamWConfig). Batch 64 x 64 tokens.

Run it with Debian's torch 1.13 at its best on this 2-core machine (bench/run_model_bench.sh does):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/bench_model_torch.py --threads 2
(OPENBLAS_CORETYPE unset; the default environment oversubscribes the cores and is about 2x slower.)
Prints one line per repetition and a final JSON line with the median tokens/s.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F

V, D, LAYERS, DENSE_LAYERS, HEADS, HEAD_DIM = 64, 128, 4, 1, 4, 32
DENSE_HIDDEN, EXPERTS, TOPK, SHARED, EXPERT_HIDDEN = 256, 8, 2, 1, 128
BATCH, SEQ, THETA, EPS, STD = 64, 64, 10000.0, 1e-6, 0.02


def step_flops(batch=BATCH, seq=SEQ):
    """The count of bench_model.cpp's step_flops: 3 x (2 x active weights x tokens + attention)."""
    inner = HEADS * HEAD_DIM
    weights = (LAYERS * 4 * D * inner + DENSE_LAYERS * 3 * D * DENSE_HIDDEN +
               (LAYERS - DENSE_LAYERS) * (D * EXPERTS + (TOPK + SHARED) * 3 * D * EXPERT_HIDDEN) + D * V)
    attention = LAYERS * batch * HEADS * (seq * (seq + 1) // 2) * 2.0 * 2 * HEAD_DIM
    return 3 * (2.0 * weights * batch * seq + attention)


def param(*shape):
    return torch.nn.Parameter(torch.randn(*shape) * STD)


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(D))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def rope_tables(seq):
    freqs = THETA ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
    angles = torch.arange(seq, dtype=torch.float64)[:, None] * freqs[None, :]  # (T, D/2)
    return angles.cos().float(), angles.sin().float()


def rope(x, cos, sin):  # x (B, T, H, D), rotate interleaved pairs (2i, 2i+1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1).flatten(-2)


class Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        inner = HEADS * HEAD_DIM
        self.wq, self.wk, self.wv, self.wo = param(D, inner), param(D, inner), param(D, inner), param(inner, D)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        q = rope((x @ self.wq).view(b, t, HEADS, HEAD_DIM), cos, sin).transpose(1, 2)
        k = rope((x @ self.wk).view(b, t, HEADS, HEAD_DIM), cos, sin).transpose(1, 2)
        v = (x @ self.wv).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        p = scores.masked_fill(mask, float("-inf")).softmax(-1)
        y = (p @ v).transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM)
        return y @ self.wo


class FeedForward(torch.nn.Module):  # SwiGLU, weights stored (in, out) as grpo's
    def __init__(self, hidden):
        super().__init__()
        self.w1, self.w3, self.w2 = param(D, hidden), param(D, hidden), param(hidden, D)

    def forward(self, x):
        return (F.silu(x @ self.w1) * (x @ self.w3)) @ self.w2


class MoE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = param(EXPERTS, D)
        self.register_buffer("bias", torch.zeros(EXPERTS))
        self.experts = torch.nn.ModuleList(FeedForward(EXPERT_HIDDEN) for _ in range(EXPERTS))
        self.shared = torch.nn.ModuleList(FeedForward(EXPERT_HIDDEN) for _ in range(SHARED))

    def forward(self, x):  # x (N, D)
        scores = torch.sigmoid(x @ self.gate.t())  # (N, E)
        chosen = torch.topk(scores.detach() + self.bias, TOPK, dim=-1).indices  # (N, k)
        g = scores.gather(1, chosen)
        g = g / g.sum(-1, keepdim=True)
        flat = chosen.flatten()  # (N k) expert of each (token, slot)
        order = torch.argsort(flat, stable=True)
        tokens = order // TOPK
        counts = torch.bincount(flat, minlength=EXPERTS).tolist()
        outputs, start = [], 0
        for e, m in enumerate(counts):  # each expert once on its gathered rows
            if m:
                outputs.append(self.experts[e](x[tokens[start:start + m]]))
            start += m
        y = torch.cat(outputs) * g.flatten()[order][:, None]
        out = torch.zeros_like(x).index_add(0, tokens, y)
        for s in self.shared:
            out = out + s(x)
        return out


class Block(torch.nn.Module):
    def __init__(self, dense):
        super().__init__()
        self.attn_norm, self.ffn_norm = RMSNorm(), RMSNorm()
        self.attn = Attention()
        self.ffn = FeedForward(DENSE_HIDDEN) if dense else MoE()

    def forward(self, x, cos, sin):
        x = x + self.attn(self.attn_norm(x), cos, sin)
        b, t, _ = x.shape
        return x + self.ffn(self.ffn_norm(x).view(b * t, D)).view(b, t, D)


class Transformer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = param(V, D)
        self.blocks = torch.nn.ModuleList(Block(i < DENSE_LAYERS) for i in range(LAYERS))
        self.norm = RMSNorm()
        self.head = param(D, V)
        cos, sin = rope_tables(SEQ)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def loss(self, ids, targets):
        x = self.embed[ids]
        t = ids.shape[1]
        for block in self.blocks:
            x = block(x, self.cos[:t], self.sin[:t])
        logits = self.norm(x) @ self.head
        return F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5, help="steps timed per repetition")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    model = Transformer()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    ids = torch.randint(0, V, (BATCH, SEQ))
    targets = torch.randint(0, V, (BATCH, SEQ))

    def step():
        loss = model.loss(ids, targets)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(2):  # warm-up
        step()
    flops, tokens = step_flops(), BATCH * SEQ
    rates = []
    for r in range(args.repetitions):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        dt = (time.perf_counter() - t0) / args.steps
        rates.append(tokens / dt)
        print(f"torch_train_step/rep{r}  {dt * 1e3:8.1f} ms  {tokens / dt:9.0f} tokens/s  "
              f"{flops / dt * 1e-9:6.1f} GFLOP/s", flush=True)
    med = statistics.median(rates)
    print(json.dumps({"torch_version": torch.__version__, "threads": torch.get_num_threads(),
                      "step_gflop": flops * 1e-9, "tokens_per_s": med,
                      "gflop_per_s": med / tokens * flops * 1e-9}))


if __name__ == "__main__":
    main()

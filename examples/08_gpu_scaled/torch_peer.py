#!/usr/bin/env python3
"""Example 08's PyTorch peer: the same model's pretraining step, in eager PyTorch, timed.

examples/08_gpu_scaled runs this script at its end (unless --no_torch) with the file it wrote,
<out>/peer_config.json: the model config (TransformerConfig's fields), the batch shape, AdamW's
settings, the matmul precision, the peak TFLOP/s and how many steps to time. The peer builds
the same architecture as grpo::Transformer, the one bench/bench_model_torch.py builds for the
small reference model (embedding, pre-RMSNorm blocks, multi-head causal attention with RoPE on
interleaved pairs, SwiGLU dense FFN in the first n_dense_layers blocks, DeepSeek-V3 MoE after:
sigmoid gate, top-k by biased score, weights renormalised over the chosen and times
route_scale, shared experts, each expert run once on its gathered rows; final RMSNorm, untied
head, cross-entropy, AdamW), times `timed_steps` steps after `warmup_steps`, and prints one JSON
line that the example reads: tokens/s, ms a step (the mean over the timed steps, as the example
reports its own), MFU, peak memory.

The classes are bench_model_torch.py's, copied rather than imported: that file reads its sizes
from module constants and builds its causal mask on the CPU, so it cannot run this config on a
GPU as it stands. Differences from it: sizes from the config, a device, the matmul precision,
scaled_dot_product_attention where PyTorch has it (>= 2.0; what nanoGPT uses), and the
aux-loss-free bias update after each step, as grpo::pretrain does (DeepSeek-V3 §2.1.2).

What it is compared with: grpo::pretrain's step on the same batch shape, which also draws
its batch on the host and reads the loss back every step (so does this: `loss.item()`).
Not done here, on purpose: torch.compile, fused AdamW, CUDA graphs. The peer is eager PyTorch
as a reader would first write it.

    python3 examples/08_gpu_scaled/torch_peer.py --config gpu_scaled_out/peer_config.json
    python3 examples/08_gpu_scaled/torch_peer.py --config ... --attention math   # scores materialised
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def training_flops_per_token(c, active_matmul_params, seq):
    """PaLM (arXiv 2204.02311) Appendix B, as nanoGPT's estimate_mfu: 6N + 12·L·H·Q·T."""
    return 6.0 * active_matmul_params + 12.0 * c["n_layers"] * c["n_heads"] * c["head_dim"] * seq


def param(shape, std):
    return torch.nn.Parameter(torch.randn(*shape) * std)


class RMSNorm(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.eps = c["norm_eps"]
        self.weight = torch.nn.Parameter(torch.ones(c["d_model"]))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(c):
    q = c["head_dim"]
    freqs = c["rope_theta"] ** (-torch.arange(0, q, 2, dtype=torch.float64) / q)
    angles = torch.arange(c["max_seq_len"], dtype=torch.float64)[:, None] * freqs[None, :]  # (T, Q/2)
    return angles.cos().float(), angles.sin().float()


def rope(x, cos, sin):  # x (B, T, H, Q), rotate interleaved pairs (2i, 2i+1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1).flatten(-2)


class Attention(torch.nn.Module):
    def __init__(self, c, use_sdpa):
        super().__init__()
        d, self.h, self.q = c["d_model"], c["n_heads"], c["head_dim"]
        inner, std = self.h * self.q, c["init_std"]
        self.wq, self.wk, self.wv = param((d, inner), std), param((d, inner), std), param((d, inner), std)
        self.wo = param((inner, d), std)
        self.use_sdpa = use_sdpa

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        q = rope((x @ self.wq).view(b, t, self.h, self.q), cos, sin).transpose(1, 2)
        k = rope((x @ self.wk).view(b, t, self.h, self.q), cos, sin).transpose(1, 2)
        v = (x @ self.wv).view(b, t, self.h, self.q).transpose(1, 2)
        if self.use_sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.q)
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            y = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return y.transpose(1, 2).reshape(b, t, self.h * self.q) @ self.wo


class FeedForward(torch.nn.Module):  # SwiGLU, weights stored (in, out) as grpo's
    def __init__(self, d, hidden, std):
        super().__init__()
        self.w1, self.w3, self.w2 = param((d, hidden), std), param((d, hidden), std), param((hidden, d), std)

    def forward(self, x):
        return (F.silu(x @ self.w1) * (x @ self.w3)) @ self.w2


class MoE(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, e, std = c["d_model"], c["n_routed_experts"], c["init_std"]
        self.k, self.route_scale, self.speed = c["experts_per_token"], c["route_scale"], c["bias_update_speed"]
        self.gate = param((e, d), std)
        self.register_buffer("bias", torch.zeros(e))
        self.experts = torch.nn.ModuleList(FeedForward(d, c["expert_hidden"], std) for _ in range(e))
        self.shared = torch.nn.ModuleList(FeedForward(d, c["expert_hidden"], std) for _ in range(c["n_shared_experts"]))
        self.load = None

    def forward(self, x):  # x (N, D)
        scores = torch.sigmoid(x @ self.gate.t()).float()  # (N, E)
        chosen = torch.topk(scores.detach() + self.bias, self.k, dim=-1).indices  # (N, k)
        g = scores.gather(1, chosen)
        g = self.route_scale * g / g.sum(-1, keepdim=True)
        flat = chosen.flatten()  # (N k) expert of each (token, slot)
        order = torch.argsort(flat, stable=True)
        tokens = order // self.k
        load = torch.bincount(flat, minlength=len(self.experts))
        self.load = load
        outputs, start = [], 0
        for e, m in enumerate(load.tolist()):  # each expert once on its gathered rows
            if m:
                outputs.append(self.experts[e](x[tokens[start:start + m]]))
            start += m
        y = torch.cat(outputs) * g.flatten()[order][:, None].to(outputs[0].dtype)
        out = torch.zeros(x.shape, dtype=y.dtype, device=x.device).index_add(0, tokens, y)
        for s in self.shared:
            out = out + s(x)
        return out

    @torch.no_grad()
    def update_bias(self):  # DeepSeek-V3 §2.1.2: b_i += γ·sign(mean load − load_i)
        load = self.load.float()
        self.bias += self.speed * torch.sign(load.mean() - load)


class Block(torch.nn.Module):
    def __init__(self, c, dense, use_sdpa):
        super().__init__()
        self.attn_norm, self.ffn_norm = RMSNorm(c), RMSNorm(c)
        self.attn = Attention(c, use_sdpa)
        self.ffn = FeedForward(c["d_model"], c["dense_hidden"], c["init_std"]) if dense else MoE(c)

    def forward(self, x, cos, sin):
        x = x + self.attn(self.attn_norm(x), cos, sin)
        b, t, d = x.shape
        return x + self.ffn(self.ffn_norm(x).view(b * t, d)).view(b, t, d)


class Transformer(torch.nn.Module):
    def __init__(self, c, use_sdpa):
        super().__init__()
        assert not c["tied_head"] and c["n_groups"] == 1, "the peer covers untied heads and ungrouped routing"
        self.c = c
        self.embed = param((c["vocab_size"], c["d_model"]), c["init_std"])
        self.blocks = torch.nn.ModuleList(Block(c, i < c["n_dense_layers"], use_sdpa) for i in range(c["n_layers"]))
        self.norm = RMSNorm(c)
        self.head = param((c["d_model"], c["vocab_size"]), c["init_std"])
        cos, sin = rope_tables(c)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def loss(self, ids, targets):
        x = self.embed[ids]
        t = ids.shape[1]
        for block in self.blocks:
            x = block(x, self.cos[:t], self.sin[:t])
        logits = self.norm(x) @ self.head
        return F.cross_entropy(logits.float().reshape(-1, self.c["vocab_size"]), targets.reshape(-1), ignore_index=-1)

    def update_balance_biases(self):
        for block in self.blocks:
            if isinstance(block.ffn, MoE):
                block.ffn.update_bias()

    def active_matmul_parameters(self):
        """Every parameter, routed experts at k of n, less the embedding (a lookup, no product)."""
        c = self.c
        routed = sum(p.numel() for name, p in self.named_parameters() if ".experts." in name)
        every = sum(p.numel() for p in self.parameters())
        return every - routed + routed * c["experts_per_token"] // c["n_routed_experts"] - self.embed.numel()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="peer_config.json written by example 08")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--attention", choices=["sdpa", "math"], default="sdpa",
                    help="sdpa: F.scaled_dot_product_attention (flash where it can); math: scores materialised")
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    c, batch, seq = cfg["model"], cfg["batch"], cfg["seq"]
    device = torch.device(args.device)
    precision = cfg["precision"]  # "bf16" | "tf32" | "fp32", as grpo::MatmulPrecision
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
    use_sdpa = args.attention == "sdpa" and hasattr(F, "scaled_dot_product_attention")

    torch.manual_seed(1234)
    model = Transformer(c, use_sdpa).to(device)
    o = cfg["optimizer"]
    opt = torch.optim.AdamW(model.parameters(), lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                            weight_decay=o["weight_decay"])
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != cfg["parameters"]:
        raise SystemExit(f"torch_peer: {n_params} parameters, grpo's model has {cfg['parameters']}: not the same model")
    active = model.active_matmul_parameters()
    if active != cfg["active_matmul_parameters"]:
        raise SystemExit(f"torch_peer: {active} active parameters, grpo counts {cfg['active_matmul_parameters']}")
    flops_per_token = training_flops_per_token(c, active, seq)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step():
        # A fresh batch from the host each step and the loss read back, as grpo::pretrain does.
        ids = torch.randint(0, c["vocab_size"], (batch, seq + 1))
        ids = ids.to(device)
        # bf16: autocast runs the matmuls in bfloat16 with float accumulation, keeping float
        # parameters (torch.autocast; the closest eager match to grpo's bf16 GEMM mode).
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model.loss(ids[:, :-1], ids[:, 1:])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        model.update_balance_biases()
        return loss.item()

    for _ in range(cfg["warmup_steps"]):
        step()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sync()
    t0 = time.perf_counter()
    for _ in range(cfg["timed_steps"]):
        step()
    sync()
    dt = (time.perf_counter() - t0) / cfg["timed_steps"]  # the mean, as the example times its steps
    tokens = batch * seq
    result = {
        "torch_version": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "precision": precision,
        "attention": "sdpa" if use_sdpa else "math",
        "parameters": n_params,
        "active_matmul_parameters": active,
        "step_ms": dt * 1e3,
        "tokens_per_s": tokens / dt,
        "mfu": tokens / dt * flops_per_token / (cfg["peak_tflops"] * 1e12),
        "peak_memory_bytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else 0,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

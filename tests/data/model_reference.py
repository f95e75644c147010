#!/usr/bin/env python3
"""Independent PyTorch reference for tests/test_nn_torch_reference.cpp (issue 5).

Reads tests/data/model_reference.safetensors -- a tiny grpo::Transformer<float> checkpoint that
the C++ side wrote -- with its own ~20-line safetensors reader, builds the same DeepSeek-V3-style
model from those weights in plain torch ops (float32), runs it on the token ids and targets
below, computes the mean cross-entropy, backpropagates, and writes model_reference.txt: the ids,
targets, chosen experts, logits, loss and the gradient of every parameter by name.

The model (names as in the checkpoint; every weight stored (in, out) except the gate's (E, d)):
    x = embed.weight[ids]
    per block i:  x = x + attn(rmsnorm(x, attn_norm)) ;  x = x + ffn(rmsnorm(x, ffn_norm))
        attn: q, k, v = h·wq, h·wk, h·wv split into heads; RoPE on q, k with interleaved pairs
              (2j, 2j+1) rotated by p·theta^(−2j/D); causal softmax(q·kᵀ/√D)·v; then ·wo
        ffn:  dense SwiGLU (silu(h·w1) * (h·w3))·w2 in the first n_dense_layers blocks, else MoE:
              s = sigmoid(h·gate.weightᵀ); the top-k of s + gate.bias (ties to the lower index)
              are chosen; g = s_chosen / Σ s_chosen · route_scale (the bias chooses, never
              weighs); out = Σ shared FFN(h) + Σ_chosen g·expert FFN(h)
    logits = rmsnorm(x, norm)·head.weight  (or ·embed.weightᵀ when tied_head)
    rmsnorm(x, w) = x / sqrt(mean(x²) + norm_eps) · w
    loss = mean over targets ≠ −1 of −log softmax(logits)[target]

Regenerate both files (commit them):
    GRPO_WRITE_FIXTURES=1 build/tests/grpo_tests -tc="torch reference: the checkpoint*"
    /usr/bin/python3 tests/data/model_reference.py     # Debian's python3-torch; no numpy needed
Format of the .txt: per tensor, a line "name rank d0 d1 ..." then one line of values
(%.9g, row-major); integers are written as integers.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Two sequences of max_seq_len = 8 tokens; one target is −1 (ignored by the loss).
IDS = [[3, 7, 1, 12, 0, 5, 9, 2],
       [11, 4, 4, 8, 6, 10, 1, 3]]
TARGETS = [[7, 1, 12, 0, 5, 9, 2, 6],
           [4, 4, 8, -1, 10, 1, 3, 11]]


def read_safetensors(path):
    """{name: float32 tensor}, metadata. Layout: u64 little-endian header length N, N bytes of
    JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
    raw little-endian tensor bytes, offsets relative to the end of the header."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}, expected F32"
        begin, end = info["data_offsets"]
        count = (end - begin) // 4
        assert count == math.prod(info["shape"]), f"{name}: {count} values for shape {info['shape']}"
        values = struct.unpack(f"<{count}f", data[begin:end])
        tensors[name] = torch.tensor(values, dtype=torch.float32).reshape(info["shape"])
    return tensors, metadata


def rmsnorm(x, w, eps):  # Zhang & Sennrich 2019
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, theta):  # x (B, T, H, D); interleaved pairs as DeepSeek-V3 apply_rotary_emb, by hand
    B, T, H, D = x.shape
    j = torch.arange(D // 2, dtype=torch.float64)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * theta ** (-2.0 * j / D)  # (T, D/2)
    cos = torch.cos(angle).float()[None, :, None, :]
    sin = torch.sin(angle).float()[None, :, None, :]
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).reshape(B, T, H, D)


def attention(h, p, prefix, cfg):
    B, T, _ = h.shape
    H, D = cfg["n_heads"], cfg["head_dim"]
    q = rope((h @ p[prefix + "wq"]).view(B, T, H, D), cfg["rope_theta"]).transpose(1, 2)
    k = rope((h @ p[prefix + "wk"]).view(B, T, H, D), cfg["rope_theta"]).transpose(1, 2)
    v = (h @ p[prefix + "wv"]).view(B, T, H, D).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)  # (B, H, T, T)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    y = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
    return y.transpose(1, 2).reshape(B, T, H * D) @ p[prefix + "wo"]


def swiglu_ffn(h, p, prefix):  # Shazeer 2020
    return (F.silu(h @ p[prefix + "w1"]) * (h @ p[prefix + "w3"])) @ p[prefix + "w2"]


def moe(h, p, bias, prefix, cfg):
    """h (N, d) -> (N, d), and the chosen experts (N, k) best biased score first."""
    E, k = cfg["n_routed_experts"], cfg["experts_per_token"]
    assert cfg["n_groups"] == 1, "group-limited routing is not part of this reference"
    s = torch.sigmoid(h @ p[prefix + "gate.weight"].t())  # (N, E)
    biased = (s + bias).detach()
    order = torch.sort(biased, dim=-1, descending=True, stable=True).indices  # ties: lower index
    chosen = order[:, :k]
    # The choice must be robust to float rounding: a clear gap between the k-th and (k+1)-th.
    ranked = biased.gather(1, order)
    margin = (ranked[:, k - 1] - ranked[:, k]).min().item()
    assert margin > 1e-3, f"routing margin {margin} is too small for a float comparison"
    print(f"smallest routing margin {margin:.4f}")
    g = s.gather(1, chosen)
    g = g / g.sum(-1, keepdim=True) * cfg["route_scale"]
    weight = torch.zeros_like(s).scatter(1, chosen, g)  # (N, E), zero for experts not chosen
    out = torch.zeros_like(h)
    for i in range(cfg["n_shared_experts"]):
        out = out + swiglu_ffn(h, p, f"{prefix}shared_experts.{i}.")
    for e in range(E):
        rows = (chosen == e).any(-1).nonzero().flatten()
        if len(rows):
            out = out.index_add(0, rows, weight[rows, e:e + 1] * swiglu_ffn(h[rows], p, f"{prefix}experts.{e}."))
    unbiased = torch.sort(s.detach(), dim=-1, descending=True, stable=True).indices[:, :k]
    flips = (chosen.sort(-1).values != unbiased.sort(-1).values).any(-1).sum().item()
    return out, chosen, flips


def main():
    tensors, metadata = read_safetensors(os.path.join(HERE, "model_reference.safetensors"))
    cfg = json.loads(metadata["grpo.config"])
    biases = {n: t for n, t in tensors.items() if n.endswith(".ffn.gate.bias")}  # state, not params
    params = {n: t.clone().requires_grad_() for n, t in tensors.items() if n not in biases}
    p = params
    ids, targets = torch.tensor(IDS), torch.tensor(TARGETS)
    B, T = ids.shape
    C, eps = cfg["d_model"], cfg["norm_eps"]

    x = p["embed.weight"][ids]  # (B, T, C)
    chosen_by_layer, flips = {}, 0
    for i in range(cfg["n_layers"]):
        pre = f"layers.{i}."
        x = x + attention(rmsnorm(x, p[pre + "attn_norm.weight"], eps), p, pre + "attn.", cfg)
        h = rmsnorm(x, p[pre + "ffn_norm.weight"], eps).reshape(B * T, C)
        if i < cfg["n_dense_layers"]:
            f = swiglu_ffn(h, p, pre + "ffn.")
        else:
            f, chosen, n = moe(h, p, biases[pre + "ffn.gate.bias"], pre + "ffn.", cfg)
            chosen_by_layer[pre + "ffn.chosen"], flips = chosen, flips + n
        x = x + f.reshape(B, T, C)
    out = rmsnorm(x, p["norm.weight"], eps)
    logits = out @ (p["embed.weight"].t() if cfg["tied_head"] else p["head.weight"])  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), ignore_index=-1)  # mean
    loss.backward()
    assert flips > 0, "the balancing biases change no choice: raise them"
    print(f"loss {loss.item():.6f}; the biases changed the choice of {flips} tokens")

    path = os.path.join(HERE, "model_reference.txt")
    with open(path, "w") as f:
        def put(name, t, fmt="{:.9g}"):
            t = t.detach().contiguous()
            f.write(f"{name} {t.dim()} {' '.join(str(d) for d in t.shape)}\n")
            f.write(" ".join(fmt.format(v) for v in t.flatten().tolist()) + "\n")
        put("ids", ids, "{}")
        put("targets", targets, "{}")
        for name, chosen in chosen_by_layer.items():
            put(name, chosen, "{}")
        put("logits", logits)
        put("loss", loss)
        for name, t in params.items():
            assert t.grad is not None, f"{name} gets no gradient (an expert no token chose?)"
            put("grad." + name, t.grad)
    print("wrote", path)


if __name__ == "__main__":
    main()

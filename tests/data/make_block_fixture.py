#!/usr/bin/env python3
"""Independent reference for tests/test_autograd_torch_fixture.cpp.

Builds one tiny pre-norm transformer block in PyTorch (float32) -- RMSNorm, interleaved RoPE as
DeepSeek-V3's inference/model.py writes it (view_as_complex over adjacent pairs), causal
attention through torch's own scaled_dot_product_attention, and a SwiGLU FFN -- and writes its
inputs, weights, output and the gradients of loss = sum(y * r) to block_fixture.txt.

    y = h + (silu(n2 W1) * (n2 W3)) W2,  n2 = rmsnorm(h, g2)
    h = x + attn(rope(n1 Wq), rope(n1 Wk), n1 Wv) Wo,  n1 = rmsnorm(x, g1)

Run from anywhere: /usr/bin/python3 tests/data/make_block_fixture.py  (needs python3-torch).
Format: per tensor, a line "name rank d0 d1 ..." then one line of values (%.9g, row-major).
"""
import os

import torch
import torch.nn.functional as F

B, T, H, D, FF = 2, 5, 2, 4, 12
C = H * D
EPS = 1e-6
THETA = 10000.0


def rmsnorm(x, g):  # Zhang & Sennrich 2019
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * g


def rope(x):  # x: (B, T, H, D); pairs (2i, 2i+1) as in DeepSeek-V3 apply_rotary_emb
    freqs = 1.0 / (THETA ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
    angles = torch.outer(torch.arange(T, dtype=torch.float32), freqs)  # (T, D/2)
    cis = torch.polar(torch.ones_like(angles), angles).view(1, T, 1, D // 2)
    xc = torch.view_as_complex(x.float().reshape(B, T, H, D // 2, 2))
    return torch.view_as_real(xc * cis).flatten(3)


def causal_attention(q, k, v):  # (B, H, T, D); Vaswani et al. 2017 eq. 1 with a causal mask
    scores = q @ k.transpose(-2, -1) / D ** 0.5
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v


def main():
    gen = torch.Generator().manual_seed(1234)
    def rand(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen) * scale).requires_grad_()

    params = {
        "x": rand(B, T, C), "g1": rand(C), "wq": rand(C, C, scale=0.4), "wk": rand(C, C, scale=0.4),
        "wv": rand(C, C, scale=0.4), "wo": rand(C, C, scale=0.4), "g2": rand(C),
        "w1": rand(C, FF, scale=0.4), "w3": rand(C, FF, scale=0.4), "w2": rand(FF, C, scale=0.4),
    }
    r = torch.randn(B, T, C, generator=gen)
    p = params
    n1 = rmsnorm(p["x"], p["g1"])
    q = rope((n1 @ p["wq"]).view(B, T, H, D))
    k = rope((n1 @ p["wk"]).view(B, T, H, D))
    v = (n1 @ p["wv"]).view(B, T, H, D)
    a = causal_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
    a = a.transpose(1, 2).reshape(B, T, C)
    h = p["x"] + a @ p["wo"]
    n2 = rmsnorm(h, p["g2"])
    y = h + (F.silu(n2 @ p["w1"]) * (n2 @ p["w3"])) @ p["w2"]
    (y * r).sum().backward()

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "block_fixture.txt")
    with open(out, "w") as f:
        def put(name, t):
            t = t.detach().contiguous()
            f.write(f"{name} {t.dim()} {' '.join(str(d) for d in t.shape)}\n")
            f.write(" ".join(f"{v:.9g}" for v in t.flatten().tolist()) + "\n")
        for name, t in params.items():
            put(name, t)
        put("r", r)
        put("y", y)
        for name, t in params.items():
            put("grad_" + name, t.grad)
    print("wrote", out)


if __name__ == "__main__":
    main()

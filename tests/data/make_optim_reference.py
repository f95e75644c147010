#!/usr/bin/env python3
"""Reference AdamW steps for tests/test_optim.cpp, from torch.optim.AdamW in double.
Run with Debian's python3-torch: /usr/bin/python3 tests/data/make_optim_reference.py
(torch 1.13 printed the values the test pins)."""
import torch

p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
opt = torch.optim.AdamW([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
for grad in ([0.5, 0.25], [0.5, -1.0], [-0.1, 0.0]):
    p.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    print(repr(p.data.tolist()))

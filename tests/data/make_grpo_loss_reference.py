"""Reference values for tests/test_rl_grpo_loss.cpp: the GRPO loss in PyTorch, written the way
TRL's GRPOTrainer._compute_loss and verl's core_algos (compute_policy_loss "vanilla", kl_penalty,
agg_loss) write it, on the fixed batch below, in float64.

Run with Debian's python (torch 1.13):  /usr/bin/python3 tests/data/make_grpo_loss_reference.py
It prints the loss for every aggregation x KL estimator (token level, beta = 0.04), the sequence
(GSPO) level, dual clip, per-token advantages, the entropy bonus, truncated-completion masking,
and dloss/dlogp for three configurations. The C++ test pins these numbers (to 1e-6).
"""
import torch

torch.set_default_dtype(torch.float64)

# N = 4 completions (2 groups of G = 2), L = 4 positions; padding holds arbitrary finite values.
MASK = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], dtype=torch.float64)
LOGP = torch.tensor([[-1.20, -0.70, -2.10, -0.30],
                     [-0.90, -1.60, -0.40, -2.50],
                     [-0.55, -1.35, -0.80, -1.10],
                     [-2.00, -0.65, -1.25, -0.45]])
# log ratio logp - old_logp per token (see the C++ test for which clip each one hits)
DELTA = torch.tensor([[0.10, 0.35, -0.30, 0.70],
                      [-0.40, 1.30, 0.05, 0.15],
                      [0.02, -0.05, 0.90, -0.60],
                      [0.25, -0.10, -0.50, 0.40]])
OLD = LOGP - DELTA
# log r = ref_logp - logp; 3.0 makes k3 = e^3 - 4 = 16.09 > 10, so low_var_kl caps it
LOG_R = torch.tensor([[0.30, -0.20, 3.00, 0.10],
                      [-0.50, 0.40, 0.15, -0.25],
                      [0.05, -0.60, 0.20, 0.30],
                      [1.10, -0.35, 0.45, 0.60]])
REF = LOGP + LOG_R
ADV = torch.tensor([0.8, -0.8, 1.1, -1.1])
ADV_TOKEN = torch.tensor([[0.8, 0.5, 0.3, 0.0],
                          [-0.8, -0.6, -0.4, -0.2],
                          [1.1, 0.9, 0.0, 0.0],
                          [-1.1, -0.7, -0.3, 0.0]])
ENTROPY = torch.tensor([[1.5, 0.9, 2.2, 0.1],
                        [0.4, 1.8, 1.1, 0.7],
                        [2.5, 0.3, 1.0, 1.0],
                        [0.6, 1.2, 0.8, 0.5]])
TRUNCATED = torch.tensor([0.0, 1.0, 0.0, 0.0])  # completion 1 hit the length limit
L_MAX = 6


def kl_penalty(kind, logp, ref):
    log_r = ref - logp
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r ** 2
    if kind == "k3":
        return torch.exp(log_r) - log_r - 1
    if kind == "low_var_kl":  # verl core_algos.kl_penalty
        kl = torch.clamp(log_r, min=-20, max=20)
        return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)
    raise ValueError(kind)


def grpo_loss(logp, agg, kl="k3", beta=0.04, eps_low=0.2, eps_high=0.2, level="token", dual_c=0.0,
              adv=ADV, entropy=None, entropy_coef=0.0, truncated=None):
    mask = MASK if truncated is None else MASK * (1 - truncated).unsqueeze(-1)
    log_ratio = logp - OLD
    if level == "token":
        log_iw = log_ratio
    else:  # TRL importance_sampling_level="sequence" (GSPO)
        log_iw = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    ratio = torch.exp(log_iw)
    a = adv.unsqueeze(-1) if adv.dim() == 1 else adv
    pg1 = -a * ratio
    pg2 = -a * torch.clamp(ratio, 1 - eps_low, 1 + eps_high)
    pg = torch.max(pg1, pg2)
    if dual_c > 0:  # verl compute_policy_loss: for A < 0, min(max(pg1, pg2), -A * c)
        pg = torch.where(a < 0, torch.min(pg, -a * dual_c), pg)
    per_token = pg + beta * kl_penalty(kl, logp, REF)
    if entropy is not None:
        per_token = per_token - entropy_coef * entropy
    n = logp.shape[0]
    if agg == "grpo":
        return ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    if agg == "dapo":
        return (per_token * mask).sum() / mask.sum().clamp(min=1.0)
    if agg == "dr_grpo":
        return (per_token * mask).sum() / (n * L_MAX)
    if agg == "seq_mean_token_sum":
        return (per_token * mask).sum(-1).mean()
    raise ValueError(agg)


def value(**kw):
    return grpo_loss(LOGP, **kw).item()


def grad(**kw):
    x = LOGP.clone().requires_grad_(True)
    grpo_loss(x, **kw).backward()
    return x.grad


def row(name, v):
    print(f"    {{{name}, {v:.12f}}},")


print("// aggregation x KL estimator, token level, beta 0.04, eps 0.2/0.2")
for agg in ["grpo", "dapo", "dr_grpo", "seq_mean_token_sum"]:
    for kl in ["k1", "k2", "k3", "low_var_kl"]:
        row(f'"{agg}", "{kl}"', value(agg=agg, kl=kl))
print("// named cases")
row('"sequence grpo k3"', value(agg="grpo", level="sequence"))
row('"sequence dapo k3"', value(agg="dapo", level="sequence"))
row('"dual clip 3 dapo k3"', value(agg="dapo", dual_c=3.0))
row('"clip-higher 0.28 dapo beta 0"', value(agg="dapo", beta=0.0, eps_high=0.28))
row('"per-token advantages grpo k3"', value(agg="grpo", adv=ADV_TOKEN))
row('"entropy 0.01 grpo k3"', value(agg="grpo", entropy=ENTROPY, entropy_coef=0.01))
row('"truncated masked grpo k3"', value(agg="grpo", truncated=TRUNCATED))
row('"truncated masked dapo k3"', value(agg="dapo", truncated=TRUNCATED))
print("// dloss/dlogp, row-major (N, L)")
for name, kw in [("grpo k3 token", dict(agg="grpo")),
                 ("dapo low_var_kl dual clip 3", dict(agg="dapo", kl="low_var_kl", dual_c=3.0)),
                 ("dr_grpo k2 sequence", dict(agg="dr_grpo", kl="k2", level="sequence"))]:
    g = grad(**kw).flatten().tolist()
    print(f"// {name}")
    print("    {" + ", ".join(f"{x:.12f}" for x in g) + "},")

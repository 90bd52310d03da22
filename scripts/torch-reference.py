#!/usr/bin/env python3
"""Reference gradients from PyTorch for networks with fixed values.

Run once (Debian's python3-torch), store the output as test data; never a
dependency of GradLens:

    python3 scripts/torch-reference.py test/data/torch/NAME.gradnet.json > test/data/torch/NAME.expected.json

Each built-in op is rebuilt from torch's own functions, float64, and the loss's
gradients come from torch.autograd — an implementation independent of ours.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def t(v):
    return torch.tensor(v, dtype=torch.float64)


def run(spec):
    values = {}
    leaves = {}
    for name, inp in spec["inputs"].items():
        if "classes" in inp:
            values[name] = torch.tensor(inp["values"], dtype=torch.long)
        elif inp.get("constant"):
            values[name] = t(inp["values"])  # never differentiated, never in grads
        else:
            x = t(inp["values"]).requires_grad_(True)
            values[name] = x
            leaves[name] = x
    nodes = spec["nodes"]
    first_input = next(iter(spec["inputs"]))
    for i, node in enumerate(nodes):
        ins = node.get("inputs") or [first_input if i == 0 else nodes[i - 1]["id"]]
        xs = [values[n] for n in ins]
        p = {}
        for k, v in (node.get("params") or {}).items():
            p[k] = t(v).requires_grad_(True)
            leaves[f"{node['id']}.{k}"] = p[k]
        op = node["op"]
        x = xs[0]
        if op == "linear":
            y = F.linear(x, p["W"], p.get("b"))
        elif op == "matmul":
            y = xs[0] @ xs[1]
        elif op == "add":
            y = xs[0] + xs[1]
        elif op == "sub":
            y = xs[0] - xs[1]
        elif op == "mul":
            y = xs[0] * xs[1]
        elif op == "relu":
            y = F.relu(x)
        elif op == "leaky_relu":
            y = F.leaky_relu(x, node.get("slope", 0.01))
        elif op == "sigmoid":
            y = torch.sigmoid(x)
        elif op == "tanh":
            y = torch.tanh(x)
        elif op == "exp":
            y = torch.exp(x)
        elif op == "log":
            y = torch.log(x)
        elif op == "softplus":
            y = F.softplus(x)
        elif op == "softmax":
            y = torch.softmax(x, dim=node.get("axis", -1))
        elif op == "log_softmax":
            y = torch.log_softmax(x, dim=node.get("axis", -1))
        elif op == "cross_entropy":
            y = -torch.log(xs[0][torch.arange(xs[0].shape[0]), xs[1]]).mean()
        elif op == "softmax_cross_entropy":
            y = F.cross_entropy(xs[0], xs[1])
        elif op == "nll":
            y = F.nll_loss(xs[0], xs[1])
        elif op == "mse":
            y = F.mse_loss(xs[0], xs[1])
        elif op == "sum":
            y = x.sum() if "axis" not in node else x.sum(dim=node["axis"])
        elif op == "mean":
            y = x.mean() if "axis" not in node else x.mean(dim=node["axis"])
        elif op == "reshape":
            y = x.reshape(node["shape"])
        elif op == "transpose":
            y = x.permute(node["perm"]) if "perm" in node else x.transpose(-1, -2)
        elif op == "concat":
            y = torch.cat(xs, dim=node.get("axis", -1))
        elif op == "layer_norm":
            y = F.layer_norm(x, x.shape[-1:], p["gamma"], p["beta"], eps=node.get("eps", 1e-5))
        elif op == "batch_norm":
            y = F.batch_norm(x, None, None, p["gamma"], p["beta"], training=True, eps=node.get("eps", 1e-5))
        elif op == "conv2d":
            y = F.conv2d(x, p["W"], p.get("b"), stride=node.get("stride", 1), padding=node.get("padding", 0))
        elif op == "max_pool2d":
            k = node["kernel"]
            y = F.max_pool2d(x, k, node.get("stride", k))
        elif op == "gelu":
            y = F.gelu(x, approximate=node.get("approximate", "none"))
        elif op == "silu":
            y = F.silu(x)
        elif op == "elu":
            y = F.elu(x, alpha=node.get("alpha", 1.0))
        elif op == "div":
            y = xs[0] / xs[1]
        elif op == "pow":
            y = torch.pow(x, node["exponent"])
        elif op == "sqrt":
            y = torch.sqrt(x)
        elif op == "abs":
            y = torch.abs(x)
        elif op == "clamp":
            y = torch.clamp(x, min=node.get("min"), max=node.get("max"))
        elif op == "maximum":
            y = torch.maximum(xs[0], xs[1])
        elif op == "minimum":
            y = torch.minimum(xs[0], xs[1])
        elif op == "scale":
            y = x * node["factor"]
        elif op == "where":
            y = torch.where(xs[0] > 0, xs[1], xs[2])
        elif op == "slice":
            index = [slice(None)] * x.dim()
            index[node.get("axis", -1)] = slice(node.get("start", 0), node.get("end"), node.get("step", 1))
            y = x[tuple(index)]
        elif op == "embedding":
            y = F.embedding(x, p["table"])
        elif op == "rms_norm":
            y = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + node.get("eps", 1e-5)) * p["gamma"]
        elif op == "attention":
            q, k, v = xs[0], xs[1], xs[2]
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            if len(xs) > 3:
                scores = scores + xs[3]
            if node.get("causal", False):
                hidden = torch.ones(scores.shape[-2:], dtype=torch.bool).triu(1)
                scores = scores.masked_fill(hidden, float("-inf"))
            y = torch.softmax(scores, dim=-1) @ v
        else:
            raise SystemExit(f"op {op} has no torch reference here")
        values[node["id"]] = y
    out = values[spec.get("output", nodes[-1]["id"])]
    loss = out.reshape(())
    names = list(leaves)
    grads = torch.autograd.grad(loss, [leaves[n] for n in names], allow_unused=True)
    return {
        "torch": torch.__version__,
        "loss": loss.item(),
        "grads": {n: (g if g is not None else torch.zeros_like(leaves[n])).tolist() for n, g in zip(names, grads)},
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(json.dumps(run(json.load(f)), indent=1))

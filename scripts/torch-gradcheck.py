"""torch.autograd.gradcheck on a GradLens network, for `npm run bench`.

Usage: python3 scripts/torch-gradcheck.py NETWORK.json

NETWORK.json (written by scripts/bench.ts) holds the network with its exact
values: inputs (flat values, label inputs marked with "classes"), nodes (op,
inputs, attrs, params with shape and flat values), the output node, and the
check to run: "mode" ("exhaustive": gradcheck's default slow mode, a whole
forward pass for each of L(θ ± eps·eᵢ); "fast": fast_mode=True), eps, atol, rtol
and the number of timed runs. Every parameter and every non-label input is a
differentiated input of the function, as in GradLens's end-to-end check.

Prints one JSON object: the median and all run times, the loss (to prove the
network is the same), whether gradcheck passed, how many entries it checked.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def build(net):
    wrt_names, wrt_values, labels = [], [], {}
    for inp in net["inputs"]:
        t = torch.tensor(inp["values"], dtype=torch.float64).reshape(inp["shape"])
        if "classes" in inp:
            labels[inp["id"]] = t.long()
        elif inp.get("constant"):
            labels[inp["id"]] = t  # a constant input: read, never differentiated
        else:
            wrt_names.append(inp["id"])
            wrt_values.append(t)
    for node in net["nodes"]:
        for p, spec in node["params"].items():
            wrt_names.append(f'{node["id"]}.{p}')
            wrt_values.append(torch.tensor(spec["values"], dtype=torch.float64).reshape(spec["shape"]))
    projection = torch.tensor(net["projection"], dtype=torch.float64) if net.get("projection") else None

    def run(*tensors):
        given = dict(zip(wrt_names, tensors))
        values = dict(labels)
        values.update({k: v for k, v in given.items() if "." not in k})
        for node in net["nodes"]:
            ins = [values[name] for name in node["inputs"]]
            params = {p: given[f'{node["id"]}.{p}'] for p in node["params"]}
            values[node["id"]] = apply(node["op"], ins, params, node["attrs"])
        out = values[net["output"]]
        return (out.reshape(-1) * projection).sum() if projection is not None else out.reshape(())

    return wrt_names, wrt_values, run


def apply(op, ins, params, attrs):
    x = ins[0]
    if op == "linear":
        return F.linear(x, params["W"], params["b"] if attrs.get("bias", True) is not False and "b" in params else None)
    if op == "matmul":
        return torch.matmul(ins[0], ins[1])
    if op == "add":
        return ins[0] + ins[1]
    if op == "sub":
        return ins[0] - ins[1]
    if op == "mul":
        return ins[0] * ins[1]
    if op == "relu":
        return torch.relu(x)
    if op == "leaky_relu":
        return F.leaky_relu(x, attrs.get("slope", 0.01))
    if op == "sigmoid":
        return torch.sigmoid(x)
    if op == "tanh":
        return torch.tanh(x)
    if op == "exp":
        return torch.exp(x)
    if op == "log":
        return torch.log(x)
    if op == "softplus":
        return F.softplus(x)
    if op == "softmax":
        return torch.softmax(x, attrs.get("axis", -1))
    if op == "log_softmax":
        return torch.log_softmax(x, attrs.get("axis", -1))
    if op == "softmax_cross_entropy":
        return F.cross_entropy(x, ins[1])
    if op == "cross_entropy":
        return F.nll_loss(torch.log(x), ins[1])
    if op == "nll":
        return F.nll_loss(x, ins[1])
    if op == "mse":
        return F.mse_loss(x, ins[1])
    if op == "sum":
        return x.sum() if attrs.get("axis") is None else x.sum(attrs["axis"])
    if op == "mean":
        return x.mean() if attrs.get("axis") is None else x.mean(attrs["axis"])
    if op == "layer_norm":
        return F.layer_norm(x, (x.shape[-1],), params["gamma"], params["beta"], attrs.get("eps", 1e-5))
    if op == "reshape":
        return x.reshape(attrs["shape"])
    if op == "gelu":
        return F.gelu(x, approximate=attrs.get("approximate", "none"))
    if op == "embedding":
        return F.embedding(x, params["table"])
    if op == "attention":
        scores = ins[0] @ ins[1].transpose(-1, -2) / math.sqrt(ins[0].shape[-1])
        if len(ins) > 3:
            scores = scores + ins[3]
        if attrs.get("causal", False):
            scores = scores.masked_fill(torch.ones(scores.shape[-2:], dtype=torch.bool).triu(1), float("-inf"))
        return torch.softmax(scores, dim=-1) @ ins[2]
    raise SystemExit(json.dumps({"error": f"op '{op}' is not rebuilt in torch by this script"}))


def main():
    net = json.load(open(sys.argv[1]))
    names, values, run = build(net)
    leaves = [v.clone().requires_grad_(True) for v in values]
    with torch.no_grad():
        loss = float(run(*values))
    fast = net["mode"] == "fast"
    times, ok = [], None
    for _ in range(net.get("runs", 1)):
        t0 = time.perf_counter()
        ok = torch.autograd.gradcheck(run, tuple(leaves), eps=net["eps"], atol=net["atol"], rtol=net["rtol"],
                                      fast_mode=fast, raise_exception=False)
        times.append(time.perf_counter() - t0)
    entries = sum(v.numel() for v in values)
    print(json.dumps({
        "seconds": statistics.median(times), "times": times, "loss": loss, "ok": bool(ok),
        "checkedEntries": len(values) if fast else entries, "tensors": len(values),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()

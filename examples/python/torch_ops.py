"""A layer written as a torch.autograd.Function, checked by GradLens.

A network names the class: "./torch_ops.py#Affine". GradLens calls its forward
(tensors in float64, as torch.autograd.gradcheck wants them) and its backward
with the ctx that forward filled, like autograd does. The arguments follow the
rule of DESIGN.md: those the node gives in "params" are parameters, the others
its inputs in order.
"""
import torch


class Affine(torch.autograd.Function):
    """out = x·wᵀ + b: x [N, D], w [M, D], b [M] (torch.nn.Linear's layout)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.t() + b

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        grad_x = grad_output @ w      # ∂L/∂x = g·w
        grad_w = grad_output.t() @ x  # ∂L/∂w = gᵀ·x
        grad_b = grad_output.sum(0)   # ∂L/∂b = Σ_n g
        return grad_x, grad_w, grad_b


class Tanh(torch.autograd.Function):
    """out = tanh(x), elementwise; it saves its output, as torch's own tanh does."""

    @staticmethod
    def forward(ctx, x):
        out = torch.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * (1 - out * out)  # d tanh/dx = 1 − tanh²

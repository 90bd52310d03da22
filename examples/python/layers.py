"""Layers in the convention of the classic course assignments, checked by GradLens.

Each layer is a pair: `name_forward(...)` returns `out` or `(out, cache)`, and
`name_backward(dout, cache)` returns the gradients in the order of the forward's
arguments (`None` for one with no gradient, such as integer labels). A network
names a pair as "./layers.py#name"; the forward's arguments that a node gives in
"params" are its parameters, the others its inputs, in order.

two-layer.gradnet.json uses all three: affine → relu → affine → softmax_loss.
"""
import numpy as np


def affine_forward(x, w, b):
    """out = x·w + b: x [N, D], w [D, M], b [M]."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)        # ∂L/∂x = dout·wᵀ
    dw = x.reshape(x.shape[0], -1).T.dot(dout)  # ∂L/∂w = xᵀ·dout
    db = dout.sum(axis=0)                       # ∂L/∂b = Σ_n dout
    return dx, dw, db


def relu_forward(x):
    """out = max(x, 0), elementwise."""
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    return dout * (x > 0)  # NOTE: the subgradient 0 at x = 0


def softmax_loss_forward(x, y):
    """Mean cross-entropy of softmax(x) against the labels y: L = −(1/N) Σ_n log p[n, y_n]."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].sum() / n
    return loss, (np.exp(log_probs), y)


def softmax_loss_backward(dout, cache):
    probs, y = cache
    n = probs.shape[0]
    dx = probs.copy()
    dx[np.arange(n), y] -= 1  # p − onehot(y)
    return dout * dx / n, None  # no gradient for the labels

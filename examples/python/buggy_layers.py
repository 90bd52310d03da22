"""BUGGY on purpose: the layers of layers.py with two classic mistakes.

- affine_backward multiplies dout by w instead of wᵀ. With a square w
  both have the right shape, so nothing crashes: only the numbers are wrong.
  GradLens: the affine nodes fail with "transpose".
- softmax_loss_backward forgets the 1/N of the mean: its gradient is N times
  too large. GradLens: node loss fails with "scale", factor N (the batch size, 4).

buggy-two-layer.gradnet.json is two-layer.gradnet.json on these layers; the
fixes are in layers.py.
"""
import numpy as np


def affine_forward(x, w, b):
    """out = x·w + b: x [N, D], w [D, M], b [M]."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w).reshape(x.shape)  # BUG: ∂L/∂x = dout·wᵀ
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """out = max(x, 0), elementwise."""
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    return dout * (x > 0)


def softmax_loss_forward(x, y):
    """Mean cross-entropy of softmax(x) against the labels y: L = −(1/N) Σ_n log p[n, y_n]."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].sum() / n
    return loss, (np.exp(log_probs), y)


def softmax_loss_backward(dout, cache):
    probs, y = cache
    dx = probs.copy()
    dx[np.arange(probs.shape[0]), y] -= 1
    return dout * dx, None  # BUG: the mean's 1/N is missing

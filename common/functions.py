"""Element-wise and row-wise functions used by the layers (book chapter 1).

All functions work on NumPy and CuPy arrays and keep the input's dtype.
"""
from common.backend import array_module
from common.checks import check_ids, check_not_empty, check_one_hot


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), computed without overflow for large |x|.

    x: any shape -> same shape.
    """
    xp = array_module(x)
    # With z = exp(-|x|) (never overflows), 1 / (1 + exp(-x)) is 1 / (1 + z) for x >= 0 and
    # z / (1 + z) for x < 0.  The numerator, 1 or z, is max(z, [x >= 0]) since z <= 1: the same
    # numbers as a where(x >= 0, ...), several times faster (no branch per element to mispredict).
    z = xp.exp(-xp.abs(x))
    return xp.maximum(z, (x >= 0).astype(z.dtype)) / (1 + z)


def relu(x):
    """relu(x) = max(0, x).  x: any shape -> same shape."""
    xp = array_module(x)
    return xp.maximum(x, 0)


def log_softmax(x):
    """log softmax(x)_k = x_k - max(x) - log sum_j exp(x_j - max(x)) along the last axis.

    Exact and finite for logits of any size (no epsilon added).  x: (..., C) -> (..., C).
    """
    xp = array_module(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(x):
    """softmax(x)_k = exp(x_k) / sum_j exp(x_j) along the last axis.  x: (..., C) -> (..., C)."""
    xp = array_module(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """L = -(1/N) sum_n log y[n, t_n]: mean cross entropy of probabilities y and labels t.

    y: (N, C) or (C,) probabilities; t: (N,) class ids, (N, C) one-hot, or a single id for (C,) y
    -> float.  A probability of exactly 0 gives +inf, honestly: train on logits with
    SoftmaxWithLoss, which never takes log(0).  Labels must be ids in [0, C) or one-hot rows
    (soft targets are refused), and the batch must not be empty.
    """
    xp = array_module(y)
    check_not_empty(y, 'cross_entropy_error probabilities y', '(N, C) or (C,)')
    y = y.reshape(-1, y.shape[-1])
    t = xp.asarray(t)
    if t.size == y.size and t.size != y.shape[0]:  # one-hot labels
        t = t.reshape(y.shape)
        check_one_hot(t)
        t = t.argmax(axis=1)
    t = t.reshape(-1)
    if t.size != y.shape[0]:
        raise ValueError(f'cross_entropy_error needs one label per row of y {y.shape}: got {t.size} labels')
    check_ids(t, y.shape[1], 'label')
    return float(-xp.log(y[xp.arange(y.shape[0]), t]).mean())

"""Computational-graph nodes of chapters 1 and 4, each with forward and backward side by side.

The protocol (the book's): ``params`` and ``grads`` are lists of arrays of the same shapes;
``forward`` caches what ``backward`` needs; ``backward(dout)`` returns the gradient of the input
and writes the parameter gradients in place (``self.grads[0][...] = dW``), so optimizers can hold
references to the buffers.  Dtypes follow the parameters (or the input, for layers without any).
"""
import numpy as np

from common.backend import array_module
from common.checks import check_ids, check_last_dim
from common.functions import log_softmax, sigmoid, softmax


class MatMul:
    """y = x W.

    x: (N, D), W: (D, H) -> y: (N, H).  Backward: dx = dy W^T, dW = x^T dy.
    """
    param_names = ('W',)

    def __init__(self, W):
        self.params = [W]
        self.grads = [array_module(W).zeros_like(W)]
        self.x = None

    def forward(self, x):
        W, = self.params
        check_last_dim(x, W.shape[0], 'MatMul input x', '(N, D)')
        self.x = x
        return x @ W

    def backward(self, dout):
        W, = self.params
        self.grads[0][...] = self.x.T @ dout
        return dout @ W.T


class Affine:
    """y = x W + b.

    x: (N, D), W: (D, H), b: (H,) -> y: (N, H).
    Backward: dx = dy W^T, dW = x^T dy, db = sum_n dy[n].
    """
    param_names = ('W', 'b')

    def __init__(self, W, b):
        xp = array_module(W)
        self.params = [W, b]
        self.grads = [xp.zeros_like(W), xp.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        check_last_dim(x, W.shape[0], 'Affine input x', '(N, D)')
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class Softmax:
    """y_k = exp(x_k) / sum_j exp(x_j) over the last axis.

    x: (N, C) -> y: (N, C).  Backward: dx = y * (dy - sum_k dy_k y_k).
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = softmax(x)
        return self.out

    def backward(self, dout):
        y = self.out
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))


class SoftmaxWithLoss:
    """L = -(1/N) sum_n log softmax(x_n)[t_n], computed with log-softmax (exact, never log(0)).

    x: (N, C) logits; t: (N,) class ids or (N, C) one-hot -> L: float.
    Backward: dx = dL (softmax(x) - onehot(t)) / N.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        xp = array_module(x)
        if t.shape == x.shape:  # one-hot labels -> class ids
            t = t.argmax(axis=1)
        check_ids(t, x.shape[1], 'label')
        log_y = log_softmax(x)
        self.y = xp.exp(log_y)
        self.t = t
        return float(-log_y[xp.arange(len(t)), t].mean())

    def backward(self, dout=1):
        xp = array_module(self.y)
        n = len(self.t)
        dx = self.y.copy()
        dx[xp.arange(n), self.t] -= 1
        dx *= dout / n
        return dx


class Sigmoid:
    """y = 1 / (1 + exp(-x)).  x: any shape -> y: same.  Backward: dx = dy y (1 - y)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidWithLoss:
    """Binary cross entropy on logits: L = (1/N) sum_n [log(1 + exp(x_n)) - t_n x_n].

    This equals -(1/N) sum_n [t log y + (1 - t) log(1 - y)] with y = sigmoid(x), rewritten as
    max(x, 0) - t x + log(1 + exp(-|x|)) so it is exact and finite for any logit.
    x: (N,) or (N, 1) logits; t: same size, labels 0/1 -> L: float.
    Backward: dx = dL (sigmoid(x) - t) / N.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        xp = array_module(x)
        t = t.reshape(x.shape).astype(x.dtype)
        self.t = t
        self.y = sigmoid(x)
        loss = xp.maximum(x, 0) - t * x + xp.log1p(xp.exp(-xp.abs(x)))
        return float(loss.mean())

    def backward(self, dout=1):
        return (self.y - self.t) * (dout / self.t.size)


class Dropout:
    """Inverted dropout: y = x * m / (1 - p) with m ~ Bernoulli(1 - p) at train time, y = x at test.

    Scaling at train time keeps E[y] = x, so nothing changes at test time.
    x: any shape -> y: same.  Backward: dx = dy * m / (1 - p).
    ``rng`` is a numpy.random.Generator (a fresh unseeded one when omitted).
    """

    def __init__(self, dropout_ratio=0.5, rng=None):
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f'dropout_ratio must lie in [0, 1), got {dropout_ratio}')
        self.params, self.grads = [], []
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else np.random.default_rng()
        self.mask = None

    def forward(self, x, train_flg=True):
        if not train_flg or self.dropout_ratio == 0:
            self.mask = None
            return x
        self.mask = bernoulli_keep_mask(self.rng, x, self.dropout_ratio)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask


def bernoulli_keep_mask(rng, like, dropout_ratio, shape=None):
    """Mask of 1/(1-p) (kept) and 0 (dropped) entries, dtype and module of ``like``.

    shape defaults to ``like.shape``; drawing from ``rng`` (a numpy Generator) keeps runs seeded.
    """
    xp = array_module(like)
    shape = like.shape if shape is None else shape
    keep = rng.random(shape, dtype=np.float32) >= dropout_ratio
    return xp.asarray(keep, dtype=like.dtype) * like.dtype.type(1 / (1 - dropout_ratio))


class Embedding:
    """out = W[idx]: the rows of W selected by the ids (a MatMul with one-hot input, without it).

    idx: int array of any shape -> out: idx.shape + (D,), with W: (V, D).
    Backward: dW[v] = sum of dout rows whose id is v.  Only the rows used in the last forward are
    touched: the rows of the previous step are cleared and the new ones written, so one step costs
    O(rows used * D), not O(V * D).  ``touched_rows`` (sorted unique ids) and ``row_grads``
    (their summed gradients) are kept for row-sparse optimizers.
    """
    param_names = ('W',)

    def __init__(self, W):
        self.params = [W]
        self.grads = [array_module(W).zeros_like(W)]
        self.idx = None
        self.touched_rows = None
        self.row_grads = None

    def forward(self, idx):
        W, = self.params
        check_ids(idx, W.shape[0])
        self.idx = idx
        return W[idx]

    def backward(self, dout):
        dW, = self.grads
        if self.touched_rows is not None:
            dW[self.touched_rows] = 0
        self.touched_rows, self.row_grads = sum_rows_by_id(self.idx, dout)
        dW[self.touched_rows] = self.row_grads


def sum_rows_by_id(ids, rows):
    """Group ``rows`` by ``ids`` and sum each group (a scatter-add done with one sort).

    ids: int array of any shape; rows: ids.shape + (D,) -> (unique_ids: (U,), sums: (U, D)).
    """
    xp = array_module(rows)
    ids = ids.reshape(-1)
    rows = rows.reshape(ids.size, -1)
    order = xp.argsort(ids, kind='stable')
    sorted_ids = ids[order]
    starts = xp.flatnonzero(xp.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    return sorted_ids[starts], xp.add.reduceat(rows[order], starts, axis=0)

"""Optimizers for embedding tables whose gradient is row-sparse (chapter 4's speed-ups).

A step of word2vec touches a few hundred of the 10,000 rows of each word-vector table; the other
rows of the gradient are zero.  The optimizers here know which rows those are, and work on
them instead of making many passes over the whole (V, D) table:

- ``RowSparseSGD``: W[r] <- W[r] - lr_t g[r] for the touched rows r (exactly SGD).
- ``SparseGradAdam``: exactly Adam (every row's moments decay and every row moves, as in
  ``common.optimizer.Adam``), with the decay kept in two scalars so a step costs four passes
  over the table instead of about fifteen.
- ``RowMeanSGD``: SGD on the touched rows, each row's step the mean of its uses' gradients
  rather than their sum (fast CBOW: plain SGD on whole batches diverges).
- ``LazyAdam``: Adam on the touched rows only (the moments of the other rows are left as they
  are, as in TensorFlow's LazyAdam and PyTorch's SparseAdam); not the same as Adam.

Each takes ``layers``: the ``RowSparseEmbedding`` layers that own the tables, in the order of the
params; their ``touched_rows`` (set by ``backward``) say which rows of each gradient can be
nonzero.  Then ``update(params, grads)`` works like the dense optimizers' (so ``Trainer`` can
drive it).
``lr_t`` is ``lr`` or, with ``decay_steps``, decays linearly as in word2vec's C code:
lr_t = lr * max(1 - t / decay_steps, min_lr_ratio) at step t = 0, 1, ...
"""
import numpy as np

from common.backend import array_module
from common.optimizer import zeros_like_each

EPS = 1e-7  # the eps of Adam's denominator, as in common.optimizer.Adam


class RowSparseOptimizer:
    """The shared part: the step counter, the learning-rate schedule, and reading touched rows.

    ``state_buffers`` / ``state_scalars`` name the attributes a resumed run must get back (see
    ``common.optimizer``): here the step count ``iter``, which sets the decayed rate.
    """
    state_buffers = ()
    state_scalars = ('iter',)

    def __init__(self, layers, lr, decay_steps=None, min_lr_ratio=1e-4):
        self.layers = list(layers)
        self.lr, self.decay_steps, self.min_lr_ratio = lr, decay_steps, min_lr_ratio
        self.iter = 0

    def current_lr(self):
        """lr_t of the next step."""
        if self.decay_steps is None:
            return self.lr
        return self.lr * max(1 - self.iter / self.decay_steps, self.min_lr_ratio)

    def update(self, params, grads):
        """params, grads: lists of (V, D) tables and their gradients, in the order of ``layers``."""
        if len(params) != len(self.layers) or any(
                p is not layer.params[0] for p, layer in zip(params, self.layers)):
            raise ValueError(f'{type(self).__name__} was built for the tables of {len(self.layers)} '
                             'RowSparseEmbedding layers; update() must get exactly those tables, '
                             'in order')
        rows = [layer.touched_rows for layer in self.layers]
        if any(r is None for r in rows):
            raise ValueError('call backward() before update(): no rows have been touched yet')
        row_grads = [array_module(g).take(g, r, axis=0) for g, r in zip(grads, rows)]
        self.update_rows(params, rows, row_grads)

    def update_rows(self, params, rows, row_grads):
        """params: (V, D) tables; rows: (U,) unique ids each; row_grads: (U, D) their gradients."""
        lr = self.current_lr()
        self.iter += 1
        for index, (param, r, g) in enumerate(zip(params, rows, row_grads)):
            self.step(index, param, r, g, lr)


class RowSparseSGD(RowSparseOptimizer):
    """SGD on the touched rows: W[r] <- W[r] - lr_t g[r] (the other rows have g = 0: unchanged)."""

    def step(self, index, param, rows, grad, lr):
        param[rows] -= lr * grad


class RowMeanSGD(RowSparseOptimizer):
    """SGD on the touched rows, each moved by the mean gradient of its uses, not their sum:

        W[r] <- W[r] - lr_t * scale * g[r] / share[r],   share[r] = c[r] / N,

    where a batch's forward gathered N rows of the table (``layer.rows_gathered``), c[r] of them
    row r (``layer.row_counts``), and g[r] is the gradient of the batch loss (a mean) for row r.
    word2vec's C code moves a word's row once per use, each move seeing the last; plain SGD on
    a whole batch (c[r] moves added up into one) throws a frequent word's row c[r] times as far
    as a rare one's and diverges.  Dividing by the row's share of the batch makes every row's
    step the size of one use's step, whatever its frequency.
    ``lr_scales``: one multiplier of the rate per table (default 1 each), since input and output
    tables see gradients of different sizes.  Its only state is the step count ``iter``.
    """

    def __init__(self, layers, lr=0.1, lr_scales=None, decay_steps=None, min_lr_ratio=1e-4):
        super().__init__(layers, lr, decay_steps, min_lr_ratio)
        self.lr_scales = (1.0,) * len(self.layers) if lr_scales is None else tuple(lr_scales)
        if len(self.lr_scales) != len(self.layers):
            raise ValueError(f'lr_scales needs one multiplier per table ({len(self.layers)}); '
                             f'got {len(self.lr_scales)}')

    def step(self, index, param, rows, grad, lr):
        layer = self.layers[index]
        per_share = (lr * self.lr_scales[index] * layer.rows_gathered) / layer.row_counts  # (U,)
        subtract_rows(param, rows, grad * per_share.astype(grad.dtype)[:, None])  # (U, D)


class LazyAdam(RowSparseOptimizer):
    """Adam restricted to the touched rows r (the moments of other rows are not decayed):

    m[r] <- b1 m[r] + (1 - b1) g;  v[r] <- b2 v[r] + (1 - b2) g^2;
    W[r] <- W[r] - lr_t sqrt(1 - b2^t) / (1 - b1^t) * m[r] / (sqrt(v[r]) + eps),  t = steps so far.
    State: ``m``, ``v`` (one (V, D) table per parameter, from the first step) and ``iter``.
    """
    state_buffers = ('m', 'v')

    def __init__(self, layers, lr=0.001, beta1=0.9, beta2=0.999, decay_steps=None, min_lr_ratio=1e-4):
        super().__init__(layers, lr, decay_steps, min_lr_ratio)
        self.beta1, self.beta2 = beta1, beta2
        self.m = self.v = None

    def update_rows(self, params, rows, row_grads):
        if self.m is None:
            self.m, self.v = zeros_like_each(params), zeros_like_each(params)
        super().update_rows(params, rows, row_grads)

    def step(self, index, param, rows, grad, lr):
        xp = array_module(param)
        lr_t = _bias_corrected(lr, self.beta1, self.beta2, self.iter)
        m = xp.take(self.m[index], rows, axis=0)  # (U, D) copies of the touched rows
        v = xp.take(self.v[index], rows, axis=0)
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        self.m[index][rows] = m
        self.v[index][rows] = v
        step = xp.sqrt(v, out=v)  # v is stored: reuse its buffer for the step
        step += EPS
        xp.divide(m, step, out=step)
        step *= lr_t
        subtract_rows(param, rows, step)


class SparseGradAdam(RowSparseOptimizer):
    """Adam, exactly (as ``common.optimizer.Adam``), made cheap for row-sparse gradients.

    Adam:  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
           W <- W - lr_t m / (sqrt(v) + eps),  lr_t = lr sqrt(1 - b2^t) / (1 - b1^t).
    Where g = 0 the moments only shrink, so they are stored as m = a M and sqrt(v) = b R with
    scalars a, b that carry the decay (a <- b1 a, b <- sqrt(b2) b: no pass over the table), and
    only the touched rows of M and R change:
           M[r] += (1 - b1) g / a;   R[r] = sqrt(R[r]^2 + (1 - b2) g^2 / b^2).
    The update of every row is then W <- W - (lr_t a / b) M / (R + eps / b): four passes (add,
    divide, scale, subtract).  When a or b falls below 1e-10 it is folded back into M or R
    (values below the smallest normal float become 0, as they would with flush-to-zero).
    State: ``M``, ``R`` (one (V, D) table per parameter, from the first step), ``a``, ``b``
    (the same for every table: all step together) and ``iter``.
    """
    refold_below = 1e-10
    state_buffers = ('M', 'R')
    state_scalars = ('iter', 'a', 'b')

    def __init__(self, layers, lr=0.001, beta1=0.9, beta2=0.999, decay_steps=None, min_lr_ratio=1e-4):
        super().__init__(layers, lr, decay_steps, min_lr_ratio)
        self.beta1, self.beta2 = beta1, beta2
        self.M = self.R = None
        self.a = self.b = 1.0
        self.scratch = None  # one (V, D) buffer per table for the update (not state)

    def update_rows(self, params, rows, row_grads):
        if self.M is None:
            self.M, self.R = zeros_like_each(params), zeros_like_each(params)
        if self.scratch is None:  # also after M and R were restored by a resumed run
            self.scratch = [array_module(p).empty_like(p) for p in params]
        self.a *= self.beta1
        self.b *= self.beta2 ** 0.5
        super().update_rows(params, rows, row_grads)
        if self.a < self.refold_below:
            self.a = _fold_scale(self.M, self.a)
        if self.b < self.refold_below:
            self.b = _fold_scale(self.R, self.b)

    def step(self, index, param, rows, grad, lr):
        xp = array_module(param)
        M, R, a, b, buffer = self.M[index], self.R[index], self.a, self.b, self.scratch[index]
        M[rows] += grad * ((1 - self.beta1) / a)
        R[rows] = xp.sqrt(R[rows] ** 2 + grad * grad * ((1 - self.beta2) / b ** 2))
        lr_t = _bias_corrected(lr, self.beta1, self.beta2, self.iter)
        xp.add(R, EPS / b, out=buffer)
        xp.divide(M, buffer, out=buffer)
        buffer *= lr_t * a / b
        param -= buffer


def subtract_rows(param, rows, step):
    """param[rows] -= step for unique ``rows``, as a gather, a subtraction and a scatter (NumPy's
    in-place fancy-index subtraction takes over twice as long)."""
    updated = array_module(param).take(param, rows, axis=0)
    updated -= step
    param[rows] = updated


def _bias_corrected(lr, beta1, beta2, t):
    """Adam's step size after t steps: lr sqrt(1 - beta2^t) / (1 - beta1^t)."""
    return lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)


def _fold_scale(tables, scale):
    """table <- scale * table for each of ``tables``, with results below the smallest normal
    float set to 0; -> 1.0 (the new scale)."""
    for stored in tables:
        stored *= scale
        stored[abs(stored) < np.finfo(stored.dtype).tiny] = 0
    return 1.0

"""From a sequence of vectors to one vector per sentence: what a many-to-one (다대일) model reads.

Sentences of different lengths travel as one right-padded batch ``(N, T, H)`` with their real
lengths; the padding never reaches the result, and its gradient is exactly zero.
"""
import numpy as np

from common.backend import array_module
from common.checks import needs_forward


def _check_positions(positions, N, T, what):
    xp = array_module(positions)
    positions = xp.asarray(positions)
    if positions.shape != (N,) or positions.dtype.kind not in 'iu':
        raise ValueError(f'{what} must be (N,) = ({N},) integers, got {positions.dtype} {positions.shape}')
    if positions.size and (positions.min() < 0 or positions.max() >= T):
        raise ValueError(f'{what} must lie in [0, {T}) for sequences of {T} steps, '
                         f'got {int(positions.min())} .. {int(positions.max())}')
    return positions


class SelectTime:
    """out[n] = hs[n, positions[n]]: one time step of each sequence (the last real word of an
    LSTM or GPT, the [CLS] position 0 of BERT).

    hs: (N, T, H), positions: (N,) ints in [0, T) -> out: (N, H).
    Backward: dhs[n, positions[n]] = dout[n], zero everywhere else.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, positions):
        N, T, _ = hs.shape
        positions = _check_positions(positions, N, T, 'positions')
        xp = array_module(hs)
        self.cache = (hs.shape, hs.dtype, positions)
        return hs[xp.arange(N), positions]

    @needs_forward('cache')
    def backward(self, dout):
        shape, dtype, positions = self.cache
        xp = array_module(dout)
        dhs = xp.zeros(shape, dtype=dtype)
        dhs[xp.arange(shape[0]), positions] = dout
        return dhs


class MaskedMean:
    """out[n] = (1 / L_n) sum_{t < L_n} xs[n, t]: the mean over the real steps only (order-blind).

    xs: (N, T, D), lengths: (N,) ints in [1, T] -> out: (N, D).
    Backward: dxs[n, t] = dout[n] / L_n for t < L_n, zero on the padding.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.weights = None

    def forward(self, xs, lengths):
        N, T, _ = xs.shape
        lengths = _check_positions(lengths - 1, N, T, 'lengths - 1') + 1
        xp = array_module(xs)
        mask = xp.arange(T)[None, :] < lengths[:, None]                # (N, T)
        self.weights = (mask / lengths[:, None]).astype(xs.dtype)      # (N, T)
        return xp.einsum('nt,ntd->nd', self.weights, xs)

    @needs_forward('weights')
    def backward(self, dout):
        return self.weights[:, :, None] * dout[:, None, :]


class MaskedMax:
    """out[n, d] = max_{t < L_n} xs[n, t, d]: the largest value of each feature over the real steps
    (max pooling over time).

    xs: (N, T, D), lengths: (N,) ints in [1, T] -> out: (N, D).
    Backward: dxs[n, t, d] = dout[n, d] at the step t where the maximum was taken (the first such
    step when several tie), zero everywhere else (the padding included).
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, lengths):
        N, T, _ = xs.shape
        lengths = _check_positions(lengths - 1, N, T, 'lengths - 1') + 1
        xp = array_module(xs)
        real = xp.arange(T)[None, :, None] < lengths[:, None, None]                # (N, T, 1)
        where = xp.argmax(xp.where(real, xs, -xp.inf), axis=1)                      # (N, D)
        picked = (xp.arange(N)[:, None], where, xp.arange(xs.shape[2])[None, :])
        self.cache = (xs.shape, xs.dtype, picked)
        return xs[picked]

    @needs_forward('cache')
    def backward(self, dout):
        shape, dtype, picked = self.cache
        dxs = array_module(dout).zeros(shape, dtype=dtype)
        dxs[picked] = dout
        return dxs


class ConcatPooling:
    """out[n] = [hs[n, L_n - 1], max_{t < L_n} hs[n, t], (1 / L_n) sum_{t < L_n} hs[n, t]]: the last
    real state, the max and the mean over the real steps side by side (ULMFiT's concat pooling), so
    a classifier sees both how a sequence ends and what stood out anywhere in it.

    hs: (N, T, H), lengths: (N,) ints in [1, T] -> out: (N, 3H).
    Backward: dout (N, 3H) is split into its three parts, and dhs is the sum of what
    ``SelectTime``, ``MaskedMax`` and ``MaskedMean`` give back for them.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.last, self.max, self.mean = SelectTime(), MaskedMax(), MaskedMean()

    def forward(self, hs, lengths):
        xp = array_module(hs)
        return xp.concatenate([self.last.forward(hs, lengths - 1), self.max.forward(hs, lengths),
                               self.mean.forward(hs, lengths)], axis=1)

    @needs_forward('max.cache')
    def backward(self, dout):
        H = dout.shape[1] // 3
        dhs = self.last.backward(dout[:, :H])
        dhs += self.max.backward(dout[:, H:2 * H])
        dhs += self.mean.backward(dout[:, 2 * H:])
        return dhs


def pad_sentences(sentences, pad_id, first_ids=(), last_ids=(), max_length=None):
    """A batch of sentences of different lengths as one right-padded id matrix.

    sentences: N arrays of ids (each non-empty); first_ids / last_ids: ids put before / after
    every sentence (BERT's [CLS] / [SEP]); max_length: the longest row allowed (a longer sentence
    loses its last words; None: no limit).
    Returns ``(ids (N, T) int32, lengths (N,) int)``: row n is first_ids + sentences[n] + last_ids,
    then ``pad_id`` up to T; lengths[n] counts its real ids.
    """
    if len(sentences) == 0:
        raise ValueError('pad_sentences needs at least one sentence')
    empty = [n for n, s in enumerate(sentences) if len(s) == 0]
    if empty:
        raise ValueError(f'sentence {empty[0]} is empty: every sentence needs at least one word')
    extra = len(first_ids) + len(last_ids)
    room = None if max_length is None else max_length - extra
    if room is not None and room < 1:
        raise ValueError(f'max_length = {max_length} leaves no room for a word next to {extra} added ids')
    rows = [np.concatenate([first_ids, np.asarray(s)[:room], last_ids]).astype(np.int32) for s in sentences]
    lengths = np.array([len(row) for row in rows])
    ids = np.full((len(rows), lengths.max()), pad_id, dtype=np.int32)
    for n, row in enumerate(rows):
        ids[n, :len(row)] = row
    return ids, lengths


class SmallestK:
    """out[n] = the k smallest of xs[n, :L_n], in rising order: where a sequence dips lowest.

    xs: (N, T), lengths: (N,) ints in [k, T] -> out: (N, k).
    Backward: dxs[n, t] = dout[n, j] for the position t of the j-th smallest, zero everywhere else
    (the padding included).
    """

    def __init__(self, k):
        if k < 1:
            raise ValueError(f'SmallestK needs k >= 1, got {k}')
        self.k = k
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, lengths):
        N, T = xs.shape
        lengths = _check_positions(lengths - 1, N, T, 'lengths - 1') + 1
        if lengths.size and lengths.min() < self.k:
            raise ValueError(f'SmallestK with k = {self.k} needs sequences of at least {self.k} steps, '
                             f'got one of {int(lengths.min())}')
        xp = array_module(xs)
        real = xp.arange(T)[None, :] < lengths[:, None]                # (N, T)
        order = xp.argsort(xp.where(real, xs, xp.inf), axis=1)[:, :self.k]  # (N, k) positions
        self.cache = (xs.shape, xs.dtype, order)
        return xp.take_along_axis(xs, order, axis=1)

    @needs_forward('cache')
    def backward(self, dout):
        shape, dtype, order = self.cache
        xp = array_module(dout)
        dxs = xp.zeros(shape, dtype=dtype)
        dxs[xp.arange(shape[0])[:, None], order] = dout
        return dxs

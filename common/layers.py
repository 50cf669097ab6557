"""Computational-graph nodes of chapters 1 and 4, each with forward and backward side by side.

The protocol (the book's): ``params`` and ``grads`` are lists of arrays of the same shapes;
``forward`` caches what ``backward`` needs; ``backward(dout)`` returns the gradient of the input
and writes the parameter gradients in place (``self.grads[0][...] = dW``), so optimizers can hold
references to the buffers.  Dtypes follow the parameters (or the input, for layers without any).
"""
import numpy as np

from common.backend import array_module, to_cpu
from common.checks import check_ids, check_last_dim, check_not_empty, check_one_hot, needs_forward
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

    @needs_forward('x')
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

    @needs_forward('x')
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

    @needs_forward('out')
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
        check_not_empty(x, 'SoftmaxWithLoss logits x', '(N, C)')
        if t.shape == x.shape:  # one-hot labels -> class ids
            check_one_hot(t)
            t = t.argmax(axis=1)
        check_ids(t, x.shape[1], 'label')
        log_y = log_softmax(x)
        self.y = xp.exp(log_y)
        self.t = t
        return float(-log_y[xp.arange(len(t)), t].mean())

    @needs_forward('y')
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

    @needs_forward('out')
    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Tanh:
    """y = tanh(x).  x: any shape -> y: same.  Backward: dx = dy (1 - y^2)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = array_module(x).tanh(x)
        return self.out

    @needs_forward('out')
    def backward(self, dout):
        return dout * (1 - self.out * self.out)


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

    @needs_forward('y')
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
        self.mask = None  # m / (1 - p) of the last forward; None when it dropped nothing
        self.dropping = None  # whether the last forward dropped units (None: no forward yet)

    def forward(self, x, train_flg=True):
        self.dropping = bool(train_flg) and self.dropout_ratio > 0
        self.mask = bernoulli_keep_mask(self.rng, x, self.dropout_ratio) if self.dropping else None
        return x * self.mask if self.dropping else x

    @needs_forward('dropping')
    def backward(self, dout):
        return dout * self.mask if self.dropping else dout


def bernoulli_keep_mask(rng, like, dropout_ratio, shape=None):
    """Mask of 1/(1-p) (kept) and 0 (dropped) entries, dtype and module of ``like``.

    shape defaults to ``like.shape``; drawing from ``rng`` (a numpy Generator) keeps runs seeded.
    """
    xp = array_module(like)
    shape = like.shape if shape is None else shape
    keep = rng.random(shape, dtype=np.float32) >= dropout_ratio  # drawn on the host: same masks on any device
    return xp.asarray(keep).astype(like.dtype) * like.dtype.type(1 / (1 - dropout_ratio))


class Embedding:
    """out = W[idx]: the rows of W selected by the ids (a MatMul with one-hot input, without it).

    idx: int array of any shape -> out: idx.shape + (D,), with W: (V, D).
    Backward: dW[v] = sum of the dout rows whose id is v, i.e. dW = onehot(idx)^T dout: dW is
    cleared and every dout row added to the row of its id (``add.at``, which adds a repeated
    id's rows one after another; ``dW[idx] += dout`` would keep only one of them).
    Returns None: ids have no gradient.
    """
    param_names = ('W',)

    def __init__(self, W):
        self.params = [W]
        self.grads = [array_module(W).zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        W, = self.params
        check_ids(idx, W.shape[0])
        self.idx = idx
        return array_module(W).take(W, idx, axis=0)  # W[idx], gathered faster

    @needs_forward('idx')
    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        array_module(dW).add.at(dW, self.idx, dout)


class EmbeddingDot:
    """Scores of words against hidden vectors: out[n, k] = h[n] . W[idx[n, k]] (chapter 4).

    h: (N, D), idx: (N,) or (N, K) word ids -> out: (N,) or (N, K), with W: (V, D).
    It replaces the output MatMul h W_out followed by picking the target's column: only the
    rows of W that are scored are read.
    Backward: dh[n] = sum_k dout[n, k] W[idx[n, k]];  dW[v] = sum over (n, k) with idx[n, k] = v
    of dout[n, k] h[n], the backward of the inner ``Embedding`` (``embed``) given the rows
    dout[n, k] h[n].
    """
    param_names = ('W',)

    def __init__(self, W):
        self.embed = Embedding(W)
        self.params, self.grads = self.embed.params, self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        W, = self.params
        check_last_dim(h, W.shape[1], 'EmbeddingDot input h', '(N, D)')
        if h.ndim != 2 or idx.shape[:1] != h.shape[:1] or idx.ndim > 2:
            raise ValueError(f'EmbeddingDot expects h: (N, D) and idx: (N,) or (N, K); '
                             f'got h {h.shape} and idx {idx.shape}')
        rows = self.embed.forward(idx.reshape(len(idx), -1))  # (N, K, D)
        self.cache = (h, rows, idx.shape)
        return (rows @ h[:, :, None]).reshape(idx.shape)

    @needs_forward('cache')
    def backward(self, dout):
        h, rows, _ = self.cache
        dout = dout.reshape(len(h), 1, -1)  # (N, 1, K)
        self.embed.backward(dout.transpose(0, 2, 1) * h[:, None, :])
        return (dout @ rows)[:, 0]


class UnigramSampler:
    """Negative samples from the unigram distribution raised to ``power`` (chapter 4):

        P(w) = count(w)^power / sum_v count(v)^power    (power 0.75 lifts rare words a little).

    corpus: (L,) word ids whose counts define P (a word that never occurs is never drawn).
    get_negative_sample(target): target (N,) -> (N, sample_size) ids.  Each id is drawn
    independently from P conditioned on differing from its row's target, P(w) / (1 - P(t_n)):
    all N * sample_size ids come from one inverse-CDF draw (uniforms located on the cumulative
    distribution by a binary search), and only the ids that hit their row's target are drawn
    again, until none does.  (The book's CPU version loops over rows in Python, drawing without
    replacement; its GPU version may return the target.)
    rng: a numpy Generator (a fresh unseeded one when omitted).
    """

    def __init__(self, corpus, power, sample_size, rng=None):
        if int(sample_size) != sample_size or sample_size < 1:
            raise ValueError(f'sample_size must be a positive integer, got {sample_size}')
        counts = np.bincount(to_cpu(corpus).reshape(-1))
        if np.count_nonzero(counts) < 2:
            raise ValueError('the corpus needs at least two different words to draw negative samples')
        self.sample_size = int(sample_size)
        self.vocab_size = counts.size
        self.word_p = counts.astype(np.float64) ** power * (counts > 0)
        self.word_p /= self.word_p.sum()
        self.cumulative_p = np.cumsum(self.word_p)
        self.cumulative_p /= self.cumulative_p[-1]  # exactly 1 at the end: every draw is < 1
        self.rng = rng if rng is not None else np.random.default_rng()

    def draw(self, size):
        """Ids drawn independently from P: ``size`` (int or shape) -> int64 array of that shape."""
        return np.searchsorted(self.cumulative_p, self.rng.random(size), side='right')

    def get_negative_sample(self, target):
        """target: (N,) ids -> (N, sample_size) ids from P(w) / (1 - P(t_n)), none equal to t_n."""
        xp = array_module(target)
        check_ids(target, self.vocab_size, 'target id')
        target = to_cpu(target).reshape(-1, 1)
        negative = self.draw((len(target), self.sample_size))
        hit = negative == target
        while hit.any():
            negative[hit] = self.draw(int(hit.sum()))
            hit = negative == target
        return xp.asarray(negative)


class NegativeSamplingLoss:
    """Binary classification of the true target against ``sample_size`` sampled words (chapter 4):

        L = (1/N) sum_n [ -log sigma(h_n . w_{t_n}) - sum_s log sigma(-h_n . w_{n_{n,s}}) ],

    with w_v the rows of W (the output-side word vectors) and n_{n,s} ~ P(w)^power / Z drawn by a
    ``UnigramSampler`` from the counts in ``corpus``, never equal to t_n.  The book sums one
    SigmoidWithLoss per column (positive, then each negative), each a mean over the batch; here
    the 1 + S columns are scored by one EmbeddingDot and one SigmoidWithLoss, whose mean over
    N (1 + S) entries is multiplied by (1 + S) to give the same L.
    h: (N, D), target: (N,) -> L: float.  Backward: dout -> dh: (N, D); dW through EmbeddingDot.
    """
    param_names = ('W',)

    def __init__(self, W, corpus, power=0.75, sample_size=5, rng=None):
        self.sampler = UnigramSampler(corpus, power, sample_size, rng)
        self.embed_dot = EmbeddingDot(W)
        self.loss_layer = SigmoidWithLoss()
        self.params, self.grads = self.embed_dot.params, self.embed_dot.grads
        self.columns = 1 + self.sampler.sample_size

    def forward(self, h, target):
        xp = array_module(h)
        negative = self.sampler.get_negative_sample(target)
        ids = xp.concatenate([target.reshape(-1, 1), negative], axis=1)  # (N, 1 + S)
        labels = xp.zeros(ids.shape, dtype=h.dtype)
        labels[:, 0] = 1
        score = self.embed_dot.forward(h, ids)
        return self.loss_layer.forward(score, labels) * self.columns

    @needs_forward('embed_dot.cache')
    def backward(self, dout=1):
        dscore = self.loss_layer.backward(dout * self.columns)
        return self.embed_dot.backward(dscore)

"""Negative sampling with negatives shared by the targets of a text segment (the fast mode)."""
from common.backend import array_module
from common.checks import check_ndim, needs_forward
from common.functions import sigmoid
from common.layers import Embedding, UnigramSampler


class SharedNegativeSamplingLoss:
    """NegativeSamplingLoss for a batch of S text segments of L consecutive targets each, where
    the K negatives of a segment are shared by its L targets (as in Ji et al. 2016, "Parallelizing
    word2vec in shared and distributed memory"): scoring them is one matrix product per segment,
    and a segment reads and updates K rows of W for its negatives instead of 5 L.

        L = (1/(S L)) sum_{s,i} [ -log sigma(h_si . w_{t_si})
                                  - (sample_size / K) sum_k [n_sk != t_si] log sigma(-h_si . w_{n_sk}) ]

    with n_sk ~ P(w)^power / Z (a UnigramSampler on ``corpus``); a negative equal to a target is
    left out for that target.  Each negative counts sample_size / K, so in expectation a target
    meets ``sample_size`` negatives, as in NegativeSamplingLoss; more of them (K = 15 or 25 for
    L = 64 rather than 5) average out the noise of sharing (analogy scores on PTB improve).
    h: (S, L, D), target: (S, L) -> L: float.  Backward: dh: (S, L, D); dW row-sparse through
    the inner Embedding (``embed``) over the ids of the segments' targets and negatives.
    """
    param_names = ('W',)

    def __init__(self, W, corpus, power=0.75, sample_size=5, rng=None, negatives_per_segment=25):
        self.negatives_per_segment = negatives_per_segment
        self.weight = sample_size / negatives_per_segment
        self.sampler = UnigramSampler(corpus, power, negatives_per_segment, rng)
        self.embed = Embedding(W)
        self.params, self.grads = self.embed.params, self.embed.grads
        self.cache = None

    def forward(self, h, target):
        check_ndim(h, 3, 'SharedNegativeSamplingLoss input h', '(S, L, D)')
        xp = array_module(h)
        length = target.shape[1]
        negative = xp.asarray(self.sampler.draw((len(target), self.negatives_per_segment)))  # (S, K)
        rows = self.embed.forward(xp.concatenate([target, negative], axis=1))  # (S, L + K, D)
        positive_rows, negative_rows = rows[:, :length], rows[:, length:]
        positive_score = xp.einsum('sld,sld->sl', h, positive_rows)  # (S, L)
        negative_score = h @ negative_rows.transpose(0, 2, 1)  # (S, L, K)
        keep = (negative[:, None, :] != target[:, :, None]).astype(h.dtype) * h.dtype.type(self.weight)
        self.cache = h, positive_rows, negative_rows, positive_score, negative_score, keep
        loss = (minus_log_sigmoid(positive_score).sum()
                + (keep * minus_log_sigmoid(-negative_score)).sum())
        return float(loss) / target.size

    @needs_forward('cache')
    def backward(self, dout=1):
        h, positive_rows, negative_rows, positive_score, negative_score, keep = self.cache
        xp = array_module(h)
        scale = h.dtype.type(dout / positive_score.size)
        d_positive = (sigmoid(positive_score) - 1) * scale  # (S, L)
        d_negative = sigmoid(negative_score) * keep * scale  # (S, L, K)
        dh = d_negative @ negative_rows
        dh += d_positive[:, :, None] * positive_rows
        length = h.shape[1]
        d_rows = xp.empty((len(h), length + negative_rows.shape[1], h.shape[2]), h.dtype)
        xp.multiply(d_positive[:, :, None], h, out=d_rows[:, :length])  # target rows
        xp.matmul(d_negative.transpose(0, 2, 1), h, out=d_rows[:, length:])  # negative rows
        self.embed.backward(d_rows)
        return dh


def minus_log_sigmoid(x):
    """-log sigma(x) = log(1 + exp(-x)), computed as max(-x, 0) + log(1 + exp(-|x|)) (no overflow)."""
    xp = array_module(x)
    return xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

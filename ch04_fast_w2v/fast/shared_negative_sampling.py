"""Negative sampling with negatives shared by the targets of a text segment (the fast mode)."""
from ch04_fast_w2v.fast.row_sparse_embedding import RowSparseEmbedding
from common.backend import array_module
from common.checks import check_ndim, needs_forward
from common.functions import sigmoid
from common.layers import UnigramSampler


class SharedNegativeSamplingLoss:
    """NegativeSamplingLoss for a batch of G groups of M targets each, where the K negatives of a
    group are shared by its M targets (as in Ji et al. 2016, "Parallelizing word2vec in shared
    and distributed memory"): scoring them is one matrix product per group, and a group reads
    and updates K rows of W for its negatives instead of 5 M.

        L = (1/(G M)) sum_{g,i} [ -log sigma(h_gi . w_{t_gi})
                                  - (sample_size / K) sum_k [n_gk != t_gi] log sigma(-h_gi . w_{n_gk}) ]

    with n_gk ~ P(w)^power / Z (a UnigramSampler on ``corpus``); a negative equal to a target is
    left out for that target.  Each negative counts sample_size / K, so in expectation a target
    meets ``sample_size`` negatives, as in NegativeSamplingLoss.  SegmentCBOW makes a group of
    the targets at one position of its S segments: M = S targets from S places in the text, G = L
    groups (train_fast: M = 16 targets share K = 3 negatives, each of weight 5/3).
    h: (G, M, D), target: (G, M) -> L: float.  Backward: dh: (G, M, D); dW row-sparse through the
    inner RowSparseEmbedding (``embed``) over the ids of the targets and the negatives.
    """
    param_names = ('W',)

    def __init__(self, W, corpus, power=0.75, sample_size=5, rng=None, shared_negatives=25):
        self.shared_negatives = shared_negatives
        self.weight = sample_size / shared_negatives
        self.sampler = UnigramSampler(corpus, power, shared_negatives, rng)
        self.embed = RowSparseEmbedding(W)
        self.params, self.grads = self.embed.params, self.embed.grads
        self.cache = None

    def forward(self, h, target):
        check_ndim(h, 3, 'SharedNegativeSamplingLoss input h', '(G, M, D)')
        xp = array_module(h)
        groups, size = target.shape
        negative = xp.asarray(self.sampler.draw((groups, self.shared_negatives)))  # (G, K)
        rows = self.embed.forward(xp.concatenate([target.reshape(-1), negative.reshape(-1)]))
        positive_rows = rows[:target.size].reshape(groups, size, -1)  # (G, M, D)
        negative_rows = rows[target.size:].reshape(groups, self.shared_negatives, -1)  # (G, K, D)
        positive_score = xp.einsum('gmd,gmd->gm', h, positive_rows)  # (G, M)
        negative_score = h @ negative_rows.transpose(0, 2, 1)  # (G, M, K)
        hit = xp.flatnonzero(negative[:, None, :] == target[:, :, None])  # in (G, M, K): left out
        self.cache = h, positive_rows, negative_rows, positive_score, negative_score, hit
        negative_loss = minus_log_sigmoid(-negative_score)
        negative_loss.reshape(-1)[hit] = 0
        loss = minus_log_sigmoid(positive_score).sum() + self.weight * negative_loss.sum()
        return float(loss) / target.size

    @needs_forward('cache')
    def backward(self, dout=1):
        h, positive_rows, negative_rows, positive_score, negative_score, hit = self.cache
        xp = array_module(h)
        scale = h.dtype.type(dout / positive_score.size)
        d_positive = (sigmoid(positive_score) - 1) * scale  # (G, M)
        d_negative = sigmoid(negative_score)  # (G, M, K)
        d_negative *= h.dtype.type(self.weight) * scale
        d_negative.reshape(-1)[hit] = 0
        dh = d_negative @ negative_rows  # (G, M, D)
        dh += d_positive[:, :, None] * positive_rows
        d_rows = xp.empty((positive_score.size + negative_score.shape[2] * len(h), h.shape[2]), h.dtype)
        xp.multiply(d_positive[:, :, None], h, out=d_rows[:positive_score.size].reshape(h.shape))
        xp.matmul(d_negative.transpose(0, 2, 1), h,  # (G, K, D)
                  out=d_rows[positive_score.size:].reshape(negative_rows.shape))
        self.embed.backward(d_rows)
        return dh


def minus_log_sigmoid(x):
    """-log sigma(x) = log(1 + exp(-x)), computed as max(-x, 0) + log(1 + exp(-|x|)) (no overflow)."""
    xp = array_module(x)
    loss = xp.abs(x)
    xp.negative(loss, out=loss)
    xp.log1p(xp.exp(loss, out=loss), out=loss)  # log(1 + exp(-|x|))
    loss -= xp.minimum(x, 0)
    return loss

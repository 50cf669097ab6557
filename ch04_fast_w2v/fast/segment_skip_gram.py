"""Skip-gram trained on whole text segments at a time: the fast mode of chapter 4 for skip-gram.

As in SegmentCBOW, a batch is S segments of L consecutive targets with the L + 2w words around
them.  The scores of every centre word against every word of its segment's window are one
matrix product (L x D by D x (L + 2w)); the band matrix picks the 2w context pairs of each
centre.  The K negatives of a segment are shared by its L centres: a centre's score against a
negative is the same for all of its 2w contexts, so it is computed once and counted for every
context it differs from.
"""
import numpy as np

from ch04_fast_w2v.fast.row_sparse_embedding import RowSparseEmbedding
from ch04_fast_w2v.fast.segment_model import SegmentModel, context_weights
from ch04_fast_w2v.fast.shared_negative_sampling import minus_log_sigmoid
from common.backend import array_module
from common.checks import check_ndim, needs_forward
from common.functions import sigmoid
from common.layers import UnigramSampler


class SegmentSkipGramLoss:
    """Skip-gram negative-sampling loss for S segments, the K negatives n_sk shared per segment:

        L = (1/(S L)) sum_{s,i} sum_{j in 1..2w, j != w} [ -log sigma(v_si . u_{x_s,i+j})
              - (sample_size / K) sum_k [n_sk != x_s,i+j] log sigma(-v_si . u_{n_sk}) ]

    with v_si the centre vectors, x_s the window words of segment s (the centre of i is
    x_s,i+w), u_v the rows of W (the output table) and n_sk ~ P(w)^power / Z.  In expectation a
    (centre, context) pair meets ``sample_size`` negatives, as in the book's SkipGram.
    v: (S, L, D), windows: (S, L + 2w) -> L: float.  Backward: dv: (S, L, D); dW row-sparse
    through the inner RowSparseEmbedding ``embed`` over the window words and the negatives.
    """
    param_names = ('W',)

    def __init__(self, W, corpus, window_size, power=0.75, sample_size=5, rng=None,
                 shared_negatives=25, shrink_window=False):
        self.window_size, self.shrink_window = window_size, shrink_window
        self.shared_negatives = shared_negatives
        self.weight = sample_size / shared_negatives
        self.sampler = UnigramSampler(corpus, power, shared_negatives, rng)
        self.embed = RowSparseEmbedding(W)
        self.params, self.grads = self.embed.params, self.embed.grads
        self.pairs = None
        self.cache = None

    def forward(self, v, windows):
        check_ndim(v, 3, 'SegmentSkipGramLoss input v', '(S, L, D)')
        xp = array_module(v)
        length, width = v.shape[1], windows.shape[1]
        if self.pairs is None or self.pairs.shape != (length, width) or self.pairs.dtype != v.dtype:
            self.pairs = xp.asarray(context_weights(length, self.window_size, self.shrink_window,
                                                    v.dtype))  # (L, L + 2w)
        negative = xp.asarray(self.sampler.draw((len(windows), self.shared_negatives)))  # (S, K)
        rows = self.embed.forward(xp.concatenate([windows, negative], axis=1))  # (S, L + 2w + K, D)
        window_rows, negative_rows = rows[:, :width], rows[:, width:]
        positive_score = v @ window_rows.transpose(0, 2, 1)  # (S, L, L + 2w); pairs picks the contexts
        negative_score = v @ negative_rows.transpose(0, 2, 1)  # (S, L, K)
        hits = (windows[:, :, None] == negative[:, None, :]).astype(v.dtype)  # (S, L + 2w, K)
        # (S, L, K): weight x the number of contexts of each centre that differ from n_sk
        keep = (self.pairs.sum(axis=1)[:, None] - self.pairs @ hits) * v.dtype.type(self.weight)
        self.cache = v, window_rows, negative_rows, positive_score, negative_score, keep
        loss = ((self.pairs * minus_log_sigmoid(positive_score)).sum()
                + (keep * minus_log_sigmoid(-negative_score)).sum())
        return float(loss) / (v.shape[0] * length)

    @needs_forward('cache')
    def backward(self, dout=1):
        v, window_rows, negative_rows, positive_score, negative_score, keep = self.cache
        xp = array_module(v)
        scale = v.dtype.type(dout / (v.shape[0] * v.shape[1]))
        d_positive = (sigmoid(positive_score) - 1) * (self.pairs * scale)  # (S, L, L + 2w)
        d_negative = sigmoid(negative_score) * keep * scale  # (S, L, K)
        dv = d_positive @ window_rows
        dv += d_negative @ negative_rows
        width = window_rows.shape[1]
        d_rows = xp.empty((len(v), width + negative_rows.shape[1], v.shape[2]), v.dtype)
        xp.matmul(d_positive.transpose(0, 2, 1), v, out=d_rows[:, :width])  # window rows
        xp.matmul(d_negative.transpose(0, 2, 1), v, out=d_rows[:, width:])  # negative rows
        self.embed.backward(d_rows)
        return dv


class SegmentSkipGram(SegmentModel):
    """Skip-gram on segments: v_si = W_in[targets[s, i]], with the loss of SegmentSkipGramLoss.

    SegmentSkipGram(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
    shared_negatives=None (25), shrink_window=False); parameters as in SegmentModel, pair
    weights as in ``context_weights``.
    windows: (S, L + 2w) ids, target: (S, L) ids (from ``segment_windows``) -> L: float.
    """

    def make_loss(self, W_out, corpus, rng):
        return SegmentSkipGramLoss(W_out, corpus, self.window_size, power=0.75, sample_size=5,
                                   rng=rng, shared_negatives=self.shared_negatives,
                                   shrink_window=self.shrink_window)

    def forward(self, windows, target):
        self.segment_length(windows, target)
        return self.ns_loss.forward(self.in_layer.forward(target), windows)

    def backward(self, dout=1):
        self.in_layer.backward(self.ns_loss.backward(dout))

"""CBOW trained on whole text segments at a time: the fast mode of chapter 4.

A batch is S segments of L consecutive targets.  The context vectors of every target of a
segment are then sums over a sliding window of the same L + 2w rows of W_in, so a segment reads
(and updates) L + 2w rows instead of 2w L, and the window sums are one matrix product with a
band matrix.  With negatives shared per segment (SharedNegativeSamplingLoss) the whole step is
a few matrix products plus row gathers and scatters of about two and a half rows per target.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ch04_fast_w2v.shared_negative_sampling import SharedNegativeSamplingLoss
from ch04_fast_w2v.word2vec_model import Word2VecModel
from common.backend import array_module
from common.checks import check_ndim


def context_weights(length, window_size, shrink_window=False, dtype=np.float32):
    """P: (L, L + 2w) with P[i, i + j] the weight of the pair (target i, context x_{i+j}):
    1 for j = 0..2w, j != w (0 elsewhere); with ``shrink_window``, (w + 1 - d) / w at distance
    d = |j - w|, the chance that word2vec's random window (its size drawn uniformly from 1..w
    for every target) reaches that far, so near contexts count more, as in word2vec and gensim."""
    offset = np.arange(length + 2 * window_size)[None, :] - np.arange(length)[:, None]
    distance = np.abs(offset - window_size)  # (L, L + 2w): |j - w| for column i + j
    P = ((0 < distance) & (distance <= window_size)).astype(np.float64)
    if shrink_window:
        P *= (window_size + 1 - distance) / window_size
    return P.astype(dtype)


def window_mean_matrix(length, window_size, dtype=np.float32, shrink_window=False):
    """A: (L, L + 2w), the rows of ``context_weights`` scaled to sum to 1:
    A[i, i + j] = 1 / 2w, or with ``shrink_window`` (w + 1 - d) / (w (w + 1)) at distance d.

    For X: (L + 2w, D), the rows of W_in along a segment's window, (A X)[i] is the CBOW hidden
    vector h_i of the segment's i-th target: the mean of its 2w context vectors (the book's), or
    their weighted mean, each context weighted by the chance that word2vec's random window
    reaches it (for w = 5: 5/30, 4/30, ..., 1/30 from the nearest out).
    """
    P = context_weights(length, window_size, shrink_window, np.float64)
    return (P / P.sum(axis=1, keepdims=True)).astype(dtype)


def segment_windows(corpus, window_size, length):
    """Cut a corpus into segments of ``length`` consecutive targets with their context words.

    corpus: (N,) ids -> windows: ((N - 2w) // L, L + 2w) ids, targets: ((N - 2w) // L, L) ids,
    where segment s holds the targets corpus[w + sL : w + (s+1)L] and windows[s] the words
    corpus[sL : (s+1)L + 2w] around them; every (contexts, target) pair of
    create_contexts_target(corpus, w) lies in exactly one segment, except the last
    (N - 2w) % L targets.
    """
    corpus = np.asarray(corpus)
    count = (len(corpus) - 2 * window_size) // length
    if count < 1:
        raise ValueError(f'the corpus has {len(corpus)} words: a segment needs '
                         f'{length + 2 * window_size} (length + 2 * window_size)')
    windows = sliding_window_view(corpus, length + 2 * window_size)[::length][:count].copy()
    return windows, windows[:, window_size:window_size + length].copy()


class SegmentModel(Word2VecModel):
    """What SegmentCBOW and SegmentSkipGram share: the number K of negatives per segment
    (``negatives_per_segment``; None: the class's default ``default_negatives``), whether
    contexts are weighted as word2vec's shrinking windows weigh them (``shrink_window``), and
    the check of a batch's shapes.  Other parameters as in Word2VecModel."""
    default_negatives = 25

    def __init__(self, vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
                 negatives_per_segment=None, shrink_window=False):
        self.negatives_per_segment = (self.default_negatives if negatives_per_segment is None
                                      else negatives_per_segment)
        self.shrink_window = shrink_window
        super().__init__(vocab_size, hidden_size, window_size, corpus, rng, dtype)

    def segment_length(self, windows, target):
        """windows: (S, L + 2w), target: (S, L) -> L, or a ValueError saying what is wrong."""
        check_ndim(windows, 2, f'{type(self).__name__} windows', '(S, L + 2w)')
        length = windows.shape[1] - 2 * self.window_size
        if target.shape != (len(windows), length):
            raise ValueError(f'target must have shape (S, L) = {(len(windows), length)} for windows of '
                             f'shape {windows.shape} (window_size {self.window_size}); '
                             f'got {target.shape}')
        return length


class SegmentCBOW(SegmentModel):
    """CBOW on segments: h_si = sum_{j != w} a_|j-w| W_in[windows[s, i + j]] (the weights of
    ``window_mean_matrix``: 1/2w, or by word2vec's shrinking windows), with the loss of
    SharedNegativeSamplingLoss (the K negatives of a segment are shared by its targets).

    SegmentCBOW(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
    negatives_per_segment=None (15), shrink_window=False); parameters as in SegmentModel.
    windows: (S, L + 2w) ids, target: (S, L) ids (from ``segment_windows``) -> L: float.
    """
    default_negatives = 15  # L = 64: 15% faster than 25, as good on PTB (benchmarks/README.md)
    band = None

    def make_loss(self, W_out, corpus, rng):
        return SharedNegativeSamplingLoss(W_out, corpus, power=0.75, sample_size=5, rng=rng,
                                          negatives_per_segment=self.negatives_per_segment)

    def forward(self, windows, target):
        length = self.segment_length(windows, target)
        X = self.in_layer.forward(windows)  # (S, L + 2w, H)
        if self.band is None or self.band.shape[0] != length or self.band.dtype != X.dtype:
            self.band = array_module(X).asarray(
                window_mean_matrix(length, self.window_size, X.dtype, self.shrink_window))
        return self.ns_loss.forward(self.band @ X, target)

    def backward(self, dout=1):
        dh = self.ns_loss.backward(dout)
        self.in_layer.backward(self.band.T @ dh)

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


def window_mean_matrix(length, window_size, dtype=np.float32):
    """A: (L, L + 2w) with A[i, i + j] = 1 / 2w for j = 0..2w, j != w, else 0.

    For X: (L + 2w, D), the rows of W_in along a segment's window, (A X)[i] is the mean of the
    2w context vectors of the segment's i-th target (the CBOW hidden vector h_i).
    """
    width = 2 * window_size
    A = np.zeros((length, length + width), dtype=dtype)
    for j in range(width + 1):
        if j != window_size:
            A[np.arange(length), np.arange(length) + j] = 1 / width
    return A


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
    """What SegmentCBOW and SegmentSkipGram share: the number K of negatives per segment (25)
    and the check of a batch's shapes.  Parameters as in Word2VecModel."""

    def __init__(self, vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
                 negatives_per_segment=25):
        self.negatives_per_segment = negatives_per_segment
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
    """CBOW on segments: h_si = (1/2w) sum_{j != w} W_in[windows[s, i + j]], with the loss of
    SharedNegativeSamplingLoss (the K negatives of a segment are shared by its targets).

    SegmentCBOW(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
    negatives_per_segment=25); parameters as in Word2VecModel.
    windows: (S, L + 2w) ids, target: (S, L) ids (from ``segment_windows``) -> L: float.
    """
    band = None

    def make_loss(self, W_out, corpus, rng):
        return SharedNegativeSamplingLoss(W_out, corpus, power=0.75, sample_size=5, rng=rng,
                                          negatives_per_segment=self.negatives_per_segment)

    def forward(self, windows, target):
        length = self.segment_length(windows, target)
        X = self.in_layer.forward(windows)  # (S, L + 2w, H)
        if self.band is None or self.band.shape[0] != length or self.band.dtype != X.dtype:
            self.band = array_module(X).asarray(window_mean_matrix(length, self.window_size, X.dtype))
        return self.ns_loss.forward(self.band @ X, target)

    def backward(self, dout=1):
        dh = self.ns_loss.backward(dout)
        self.in_layer.backward(self.band.T @ dh)

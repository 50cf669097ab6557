"""What the segment models of the fast mode share: a corpus cut into text segments of consecutive
targets, the weight of each (target, context) pair, and the base class SegmentModel.

A batch of the fast mode is S segments of L consecutive targets with the L + 2w words around
them (``segment_windows``), instead of N separate (contexts, target) pairs: the contexts of the
targets of a segment overlap, so a segment reads the L + 2w rows of its window once, and the
pairs of a segment are picked by a band matrix (``context_weights``).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ch04_fast_w2v.fast.row_sparse_embedding import RowSparseEmbedding
from ch04_fast_w2v.word2vec_model import Word2VecModel
from common.checks import check_ndim


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


class SegmentModel(Word2VecModel):
    """What SegmentCBOW and SegmentSkipGram share: the number K of negatives a group of targets
    shares (``shared_negatives``; None: the class's default ``default_negatives``), whether
    contexts are weighted as word2vec's shrinking windows weigh them (``shrink_window``), and
    the check of a batch's shapes.  Other parameters as in Word2VecModel.

    Both tables get row-sparse gradients: the input side is a RowSparseEmbedding of W_in, the
    loss (``make_loss``) reads W_out through one (its ``embed``), and ``embeddings`` lists the
    two, in the order of ``params``, for the optimizers of ``sparse_optimizer``."""
    default_negatives = 25

    def __init__(self, vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
                 shared_negatives=None, shrink_window=False):
        self.shared_negatives = (self.default_negatives if shared_negatives is None
                                 else shared_negatives)
        self.shrink_window = shrink_window
        super().__init__(vocab_size, hidden_size, window_size, corpus, rng, dtype)
        self.embeddings = [self.in_layer, self.ns_loss.embed]

    def make_input_layer(self, W_in):
        return RowSparseEmbedding(W_in)

    def segment_length(self, windows, target):
        """windows: (S, L + 2w), target: (S, L) -> L, or a ValueError saying what is wrong."""
        check_ndim(windows, 2, f'{type(self).__name__} windows', '(S, L + 2w)')
        length = windows.shape[1] - 2 * self.window_size
        if target.shape != (len(windows), length):
            raise ValueError(f'target must have shape (S, L) = {(len(windows), length)} for windows of '
                             f'shape {windows.shape} (window_size {self.window_size}); '
                             f'got {target.shape}')
        return length

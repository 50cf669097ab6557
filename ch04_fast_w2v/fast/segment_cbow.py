"""CBOW trained on whole text segments at a time: the fast mode of chapter 4.

A batch is S segments of L consecutive targets.  The context vectors of every target of a
segment are then sums over a sliding window of the same L + 2w rows of W_in, so a segment reads
(and updates) L + 2w rows instead of 2w L, and the window sums are a matrix product with a
band matrix.  With negatives shared by groups of targets (SharedNegativeSamplingLoss) the step is
a few matrix products plus row gathers and scatters of about two and a half rows per target
(train_fast: S = 16 segments of L = 256 targets, each target position's 16 targets
sharing 3 negatives).

The rows are gathered position by position, (L + 2w, S, D): the window rows of all S segments at
one position are then one (S D)-wide row of a matrix, and the band product of 8 positions, which
reads only their 8 + 2w window positions, is one matrix product over all segments at once
(``banded_blocks``): about a quarter of the multiplications of the whole (L, L + 2w) band.
"""
import numpy as np

from ch04_fast_w2v.fast.segment_model import SegmentModel, context_weights
from ch04_fast_w2v.fast.shared_negative_sampling import SharedNegativeSamplingLoss
from common.backend import array_module


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


def banded_blocks(M, rows_per_block):
    """Cut a band matrix M: (R, C) into blocks of ``rows_per_block`` rows, each with the columns
    its rows can reach: [(r0, r1, c0, c1, M[r0:r1, c0:c1])], with every nonzero of M in a block."""
    blocks = []
    for r0 in range(0, M.shape[0], rows_per_block):
        r1 = min(r0 + rows_per_block, M.shape[0])
        columns = array_module(M).flatnonzero(M[r0:r1].any(axis=0))
        c0, c1 = (int(columns[0]), int(columns[-1]) + 1) if columns.size else (0, 0)
        blocks.append((r0, r1, c0, c1, M[r0:r1, c0:c1].copy()))
    return blocks


def banded_product(blocks, X, out):
    """out = M X for the blocks of M from ``banded_blocks``: X: (C, ...) -> out: (R, ...), each
    block one matrix product over the trailing axes flattened (X and out C-contiguous)."""
    X2, out2 = X.reshape(len(X), -1), out.reshape(len(out), -1)
    for r0, r1, c0, c1, block in blocks:
        if c1 > c0:
            array_module(X).matmul(block, X2[c0:c1], out=out2[r0:r1])
        else:
            out2[r0:r1] = 0
    return out


class SegmentCBOW(SegmentModel):
    """CBOW on segments: h_si = sum_{j != w} a_|j-w| W_in[windows[s, i + j]] (the weights of
    ``window_mean_matrix``: 1/2w, or by word2vec's shrinking windows), with the loss of
    SharedNegativeSamplingLoss (the K negatives drawn for each target position are shared by the
    S targets at that position, one from each segment).

    SegmentCBOW(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32,
    shared_negatives=None (3), shrink_window=False); parameters as in SegmentModel.
    windows: (S, L + 2w) ids, target: (S, L) ids (from ``segment_windows``) -> L: float.
    ``band`` is A: (L, L + 2w); h = A X for the window rows X of each segment, computed in
    blocks of ``rows_per_block`` target positions (``banded_blocks``), dX = A^T dh likewise.
    """
    default_negatives = 3  # per target position, each weighted 5/3 (benchmarks/README.md)
    rows_per_block = 8
    band = blocks = transposed_blocks = None  # A and its blocks, made for the first batch's L

    def make_loss(self, W_out, corpus, rng):
        return SharedNegativeSamplingLoss(W_out, corpus, power=0.75, sample_size=5, rng=rng,
                                          shared_negatives=self.shared_negatives)

    def forward(self, windows, target):
        length = self.segment_length(windows, target)
        X = self.in_layer.forward(windows.T)  # (L + 2w, S, H): position-major
        if self.band is None or self.band.shape[0] != length or self.band.dtype != X.dtype:
            self.band = array_module(X).asarray(
                window_mean_matrix(length, self.window_size, X.dtype, self.shrink_window))
            self.blocks = banded_blocks(self.band, self.rows_per_block)
            self.transposed_blocks = banded_blocks(self.band.T, self.rows_per_block)
        h = banded_product(self.blocks, X, out=array_module(X).empty((length,) + X.shape[1:], X.dtype))
        by_position = array_module(X).ascontiguousarray(target.T)  # (L, S): a group = a position
        return self.ns_loss.forward(h, by_position)  # h: (L, S, H)

    def backward(self, dout=1):
        dh = self.ns_loss.backward(dout)  # (L, S, H)
        dX = array_module(dh).empty((self.band.shape[1],) + dh.shape[1:], dh.dtype)  # (L + 2w, S, H)
        self.in_layer.backward(banded_product(self.transposed_blocks, dh, dX))

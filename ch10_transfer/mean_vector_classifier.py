"""MeanVectorClassifier: a sentence as the mean of its CBOW word vectors — order-blind by design.

CBOW's weakness, as the book says at the start of chapter 5: the mean of the context vectors ignores
word order.
This classifier makes that a measurement: a sentence and its copy with two words swapped have
the same mean vector, so on the word-order task (``dataset.word_order``) it sits at 50%.
"""
import numpy as np

from ch10_transfer.sentence_classifier import SentenceClassifier
from common.layers import Embedding
from common.sequence_pooling import MaskedMean


class MeanVectorClassifier(SentenceClassifier):
    """h = (1 / L) sum_t E[w_t] (the real words only) -> Affine -> softmax.

    word_vecs: (V, D) word vectors (those ``ch04_fast_w2v.train`` saves); they stay fixed unless
    ``train_vectors``, so only the head (D -> C) learns.  ids: (N, T) padded ids, lengths: (N,)
    -> scores (N, C).  rng: numpy Generator or seed (the head's initial weights).
    """

    def __init__(self, word_vecs, n_classes=2, train_vectors=False, rng=None):
        word_vecs = np.asarray(word_vecs)
        if word_vecs.ndim != 2:
            raise ValueError(f'word_vecs must be a (V, D) matrix, got shape {word_vecs.shape}')
        self.embed = Embedding(word_vecs.copy())
        self.mean = MaskedMean()
        self.build_head(word_vecs.shape[1], n_classes, np.random.default_rng(rng), word_vecs.dtype)
        self.collect_params(([self.embed] if train_vectors else []) + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> mean word vector of each sentence (N, D)."""
        return self.mean.forward(self.embed.forward(ids), lengths)

    def encode_backward(self, dh):
        self.embed.backward(self.mean.backward(dh))

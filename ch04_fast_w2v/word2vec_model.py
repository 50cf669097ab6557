"""What CBOW and SkipGram share: two word-vector tables, an Embedding input, negative sampling."""
import numpy as np

from common.base_model import BaseModel
from common.layers import Embedding, NegativeSamplingLoss


class Word2VecModel(BaseModel):
    """Base of CBOW and SkipGram (they differ only in forward/backward).

    W_in, W_out: (vocab_size, hidden_size), initialised as 0.01 * N(0, 1) draws from ``rng`` (a
    numpy Generator or a seed; it also drives the negative sampler, whose unigram counts come
    from ``corpus``).  ``in_layer`` = Embedding(W_in), ``ns_loss`` = NegativeSamplingLoss(W_out);
    ``word_vecs`` is W_in.  Subclasses may override ``make_input_layer`` and ``make_loss`` to
    build the two sides otherwise.
    """

    def __init__(self, vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        W_in = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(dtype)
        W_out = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(dtype)
        self.window_size = window_size
        self.in_layer = self.make_input_layer(W_in)
        self.ns_loss = self.make_loss(W_out, corpus, rng)
        self.collect_params([self.in_layer, self.ns_loss])
        self.word_vecs = W_in

    def make_input_layer(self, W_in):
        """The input side: an Embedding of W_in (the book's)."""
        return Embedding(W_in)

    def make_loss(self, W_out, corpus, rng):
        """The output side: negative sampling with 5 negatives from P(w)^0.75 (the book's)."""
        return NegativeSamplingLoss(W_out, corpus, power=0.75, sample_size=5, rng=rng)

"""What SimpleCBOW and SimpleSkipGram share: W_in and W_out used through MatMul layers."""
import numpy as np

from common.base_model import BaseModel
from common.layers import MatMul, SoftmaxWithLoss


class SimpleWord2Vec(BaseModel):
    """Base of SimpleCBOW and SimpleSkipGram (they differ only in forward/backward).

    W_in: (V, H), W_out: (H, V), initialised as 0.01 * N(0, 1) draws from ``rng`` (a numpy
    Generator or a seed); ``in_layer`` = MatMul(W_in), ``out_layer`` = MatMul(W_out), and a
    SoftmaxWithLoss over the V words.  ``word_vecs`` is W_in: row v is the vector of word v.
    """

    def __init__(self, vocab_size, hidden_size, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        W_in = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(dtype)
        W_out = (0.01 * rng.standard_normal((hidden_size, vocab_size))).astype(dtype)
        self.vocab_size = vocab_size
        self.in_layer = MatMul(W_in)
        self.out_layer = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params([self.in_layer, self.out_layer])
        self.word_vecs = W_in

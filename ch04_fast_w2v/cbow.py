"""CBOW with an Embedding input layer and negative sampling (book chapter 4, cbow.py)."""
from common.backend import array_module
from common.checks import check_ndim
from ch04_fast_w2v.word2vec_model import Word2VecModel


class CBOW(Word2VecModel):
    """Continuous bag of words: predict the centre word from the mean of its context vectors.

        h_n = (1 / 2w) sum_j W_in[c_{n,j}],   L = NegativeSamplingLoss(h, t)  (with W_out).

    CBOW(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32); parameters
    and ``embeddings`` as described in Word2VecModel.
    contexts: (N, 2w) ids, target: (N,) ids -> L: float.
    """

    def forward(self, contexts, target):
        check_ndim(contexts, 2, 'CBOW contexts', f'(N, {2 * self.window_size})')
        vectors = self.in_layer.forward(contexts)  # (N, 2w, H)
        h = vectors.sum(axis=1) * vectors.dtype.type(1 / contexts.shape[1])
        return self.ns_loss.forward(h, target)

    def backward(self, dout=1):
        dh = self.ns_loss.backward(dout)
        n, width = self.in_layer.idx.shape
        dh *= dh.dtype.type(1 / width)  # every context word gets dh / 2w
        self.in_layer.backward(array_module(dh).broadcast_to(dh[:, None, :], (n, width, dh.shape[1])))

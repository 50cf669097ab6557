"""The chapter-3 CBOW: one-hot contexts -> MatMul(W_in) -> mean -> MatMul(W_out) -> softmax."""
from ch03_word2vec.simple_word2vec import SimpleWord2Vec
from common.backend import array_module
from common.checks import check_ndim


class SimpleCBOW(SimpleWord2Vec):
    """Predict the centre word from the mean of its context words' vectors:

        h = (1 / 2w) sum_j c_j W_in,   s = h W_out,   L = cross entropy(softmax(s), t).

    SimpleCBOW(vocab_size, hidden_size, rng=None, dtype=np.float32): layers as in SimpleWord2Vec.
    contexts: (N, 2w, V) one-hot, target: (N, V) one-hot or (N,) ids -> L: float.
    The book feeds each context position to its own MatMul sharing W_in (window 1 only); here
    one MatMul takes all N * 2w context rows, for any window size.
    """
    context_shape = None

    def forward(self, contexts, target):
        check_ndim(contexts, 3, 'SimpleCBOW contexts', f'(N, 2w, {self.vocab_size}) one-hot')
        n, width, vocab_size = contexts.shape
        self.context_shape = (n, width)
        vectors = self.in_layer.forward(contexts.reshape(n * width, vocab_size))  # (N 2w, H)
        h = vectors.reshape(n, width, -1).mean(axis=1)  # (N, H)
        return self.loss_layer.forward(self.out_layer.forward(h), target)

    def backward(self, dout=1):
        ds = self.loss_layer.backward(dout)
        dh = self.out_layer.backward(ds)  # (N, H)
        n, width = self.context_shape
        d_vectors = array_module(dh).broadcast_to(dh[:, None, :] / width, (n, width, dh.shape[1]))
        self.in_layer.backward(d_vectors.reshape(n * width, -1))

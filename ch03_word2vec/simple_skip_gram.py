"""The chapter-3 skip-gram: one-hot target -> MatMul(W_in) -> MatMul(W_out) -> softmax per context."""
from ch03_word2vec.simple_word2vec import SimpleWord2Vec
from common.checks import check_ndim, needs_forward


class SimpleSkipGram(SimpleWord2Vec):
    """Predict each context word from the centre word's vector:

        h = t W_in,   s = h W_out,   L = sum_j cross entropy(softmax(s), c_j).

    SimpleSkipGram(vocab_size, hidden_size, rng=None, dtype=np.float32): layers as in
    SimpleWord2Vec.  contexts: (N, 2w, V) one-hot or (N, 2w) ids, target: (N, V) one-hot
    -> L: float, the sum over the 2w context positions of the mean losses (as in the book).
    The book has one loss layer per position (window 1); here the scores are repeated per
    position and one SoftmaxWithLoss averages over the N * 2w pairs, times 2w.
    """
    width = None

    def forward(self, contexts, target):
        check_ndim(target, 2, 'SimpleSkipGram target', f'(N, {self.vocab_size}) one-hot')
        n, self.width = contexts.shape[:2]
        s = self.out_layer.forward(self.in_layer.forward(target))  # (N, V)
        scores = s.repeat(self.width, axis=0)  # row n * 2w + j pairs with contexts[n, j]
        labels = contexts.reshape(n * self.width, *contexts.shape[2:])
        return self.loss_layer.forward(scores, labels) * self.width

    @needs_forward('width')
    def backward(self, dout=1):
        d_scores = self.loss_layer.backward(dout * self.width)
        ds = d_scores.reshape(-1, self.width, d_scores.shape[1]).sum(axis=1)
        self.in_layer.backward(self.out_layer.backward(ds))

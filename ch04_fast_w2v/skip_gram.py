"""Skip-gram with an Embedding input layer and negative sampling (book chapter 4, skip_gram.py)."""
from common.checks import check_ndim, needs_forward
from ch04_fast_w2v.word2vec_model import Word2VecModel


class SkipGram(Word2VecModel):
    """Skip-gram: predict every context word from the centre word's vector.

        h_n = W_in[t_n],   L = sum_j NegativeSamplingLoss(h, c_{:, j})  (with W_out).

    SkipGram(vocab_size, hidden_size, window_size, corpus, rng=None, dtype=np.float32);
    parameters and ``embeddings`` as described in Word2VecModel.
    contexts: (N, 2w) ids, target: (N,) ids -> L: float, the sum over the 2w context positions of
    the per-position losses (as in the book).  The positions are scored in one call: h is
    repeated per position, one NegativeSamplingLoss averages over the N * 2w pairs, and the
    result is multiplied by 2w.
    """
    width = None

    def forward(self, contexts, target):
        check_ndim(contexts, 2, 'SkipGram contexts', f'(N, {2 * self.window_size})')
        h = self.in_layer.forward(target)  # (N, H)
        self.width = contexts.shape[1]
        hs = h.repeat(self.width, axis=0)  # row n * 2w + j is h[n], paired with contexts[n, j]
        return self.ns_loss.forward(hs, contexts.reshape(-1)) * self.width

    @needs_forward('width')
    def backward(self, dout=1):
        dhs = self.ns_loss.backward(dout * self.width)
        self.in_layer.backward(dhs.reshape(-1, self.width, dhs.shape[1]).sum(axis=1))

"""SimpleRnnlm: the chapter-5 language model, Embedding -> RNN -> Affine -> Softmax over time."""
import numpy as np

from common.base_model import BaseModel
from common.time_layers import TimeAffine, TimeEmbedding, TimeRNN, TimeSoftmaxWithLoss


class SimpleRnnlm(BaseModel):
    """A one-layer RNN language model (book figure 5-25).

    For every time step t:  x_t = E[w_t],  h_t = tanh(h_{t-1} Wh + x_t Wx + b),
    s_t = h_t W + b',  loss = mean over (n, t) of -log softmax(s_t)[w_{t+1}].
    xs: (N, T) word ids, ts: (N, T) next-word ids -> loss: float; predict(xs) -> scores (N, T, V).
    The RNN is stateful: the last hidden state of one block starts the next (truncated BPTT);
    call ``reset_state()`` before an unrelated sequence.

    Initial weights as in the book: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D),
    Wh and W ~ N(0, 1) / sqrt(H), biases 0.  rng: numpy Generator or seed; dtype: of the weights.
    """

    def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100, rng=None, dtype=np.float32):
        self.keep_config(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size)
        rng = np.random.default_rng(rng)
        V, D, H = vocab_size, wordvec_size, hidden_size
        embed_W = (rng.standard_normal((V, D)) / 100).astype(dtype)
        rnn_Wx = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(dtype)
        rnn_Wh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype)
        rnn_b = np.zeros(H, dtype=dtype)
        affine_W = (rng.standard_normal((H, V)) / np.sqrt(H)).astype(dtype)
        affine_b = np.zeros(V, dtype=dtype)

        self.rnn_layer = TimeRNN(rnn_Wx, rnn_Wh, rnn_b, stateful=True)
        self.layers = [TimeEmbedding(embed_W), self.rnn_layer, TimeAffine(affine_W, affine_b)]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.collect_params(self.layers)

    def predict(self, xs):
        """xs: (N, T) word ids -> scores (N, T, V) of the next word (before the softmax)."""
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts):
        """xs, ts: (N, T) word ids and their next words -> mean cross-entropy loss."""
        return self.loss_layer.forward(self.predict(xs), ts)

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads``."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def reset_state(self):
        """Forget the hidden state: the next ``forward`` starts from h = 0."""
        self.rnn_layer.reset_state()

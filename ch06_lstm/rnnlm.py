"""Rnnlm: the chapter-6 language model, Embedding -> LSTM (or GRU) -> Affine -> Softmax over time.

Read it beside ch05_rnn/simple_rnnlm.py: as in the book, the two files are the same almost line
for line, and the only change is the recurrent layer (TimeLSTM, with the four gates' weights
fused into 4H columns, in place of TimeRNN).  That difference is the lesson of section 6.4.
"""
import numpy as np

from common.base_model import BaseModel
from common.time_layers import (TimeAffine, TimeEmbedding, TimeGRU, TimeLSTM, TimeRNN,
                                TimeSoftmaxWithLoss)

CELLS = {'rnn': (TimeRNN, 1), 'lstm': (TimeLSTM, 4), 'gru': (TimeGRU, 3)}


class Rnnlm(BaseModel):
    """The LSTM language model of book figure 6-26.

    TimeEmbedding -> TimeLSTM -> TimeAffine -> TimeSoftmaxWithLoss, where for every time step t:
    cell='lstm' (the book's):  A = x_t Wx + h_{t-1} Wh + b split into f, g, i, o;
    c_t = sigmoid(f) * c_{t-1} + tanh(g) * sigmoid(i),  h_t = sigmoid(o) * tanh(c_t).
    cell='gru' (appendix C):  z, r gates and h_t = (1 - z) * h_{t-1} + z * tanh(x_t Wxh + (r * h_{t-1}) Whh + bh).
    cell='rnn':  the plain tanh RNN of chapter 5.
    ``self.lstm_layer`` is the recurrent layer (the book's name, whatever the cell).
    xs: (N, T) word ids, ts: (N, T) next-word ids -> loss: float; predict(xs) -> scores (N, T, V).
    The recurrent layer is stateful (truncated BPTT): ``reset_state()`` forgets h (and c).

    Initial weights as in the book: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D),
    Wh and W ~ N(0, 1) / sqrt(H), biases 0.  rng: numpy Generator or seed; dtype: of the weights.
    """

    def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100, cell='lstm', rng=None,
                 dtype=np.float32):
        if cell not in CELLS:
            raise ValueError(f'cell must be one of {sorted(CELLS)}, got {cell!r}')
        self.keep_config(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size,
                         cell=cell)
        recurrent_class, gates = CELLS[cell]
        rng = np.random.default_rng(rng)
        V, D, H = vocab_size, wordvec_size, hidden_size
        embed_W = (rng.standard_normal((V, D)) / 100).astype(dtype)
        lstm_Wx = (rng.standard_normal((D, gates * H)) / np.sqrt(D)).astype(dtype)
        lstm_Wh = (rng.standard_normal((H, gates * H)) / np.sqrt(H)).astype(dtype)
        lstm_b = np.zeros(gates * H, dtype=dtype)
        affine_W = (rng.standard_normal((H, V)) / np.sqrt(H)).astype(dtype)
        affine_b = np.zeros(V, dtype=dtype)

        self.lstm_layer = recurrent_class(lstm_Wx, lstm_Wh, lstm_b, stateful=True)
        self.layers = [TimeEmbedding(embed_W), self.lstm_layer, TimeAffine(affine_W, affine_b)]
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
        """Forget the recurrent state: the next ``forward`` starts from h = 0 (and c = 0)."""
        self.lstm_layer.reset_state()

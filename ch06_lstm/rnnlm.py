"""Rnnlm: the chapter-6 language model, Embedding -> LSTM (or GRU) -> Affine -> Softmax over time."""
import numpy as np

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from common.time_layers import TimeGRU, TimeLSTM, TimeRNN

CELLS = {'rnn': (TimeRNN, 1), 'lstm': (TimeLSTM, 4), 'gru': (TimeGRU, 3)}


class Rnnlm(SimpleRnnlm):
    """SimpleRnnlm with a gated recurrent layer (book figure 6-26).

    cell='lstm' (the book's):  A = x_t Wx + h_{t-1} Wh + b split into f, g, i, o;
    c_t = sigmoid(f) * c_{t-1} + tanh(g) * sigmoid(i),  h_t = sigmoid(o) * tanh(c_t).
    cell='gru':  z, r gates and h_t = (1 - z) * h_{t-1} + z * tanh(x_t Wxh + (r * h_{t-1}) Whh + bh).
    cell='rnn':  the plain tanh RNN of chapter 5.
    xs: (N, T) word ids, ts: (N, T) next-word ids -> loss: float; predict(xs) -> scores (N, T, V).
    Stateful like SimpleRnnlm (``reset_state()`` forgets h and c); book initialisation
    (E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D), Wh and W ~ N(0, 1) / sqrt(H), biases 0).
    """

    def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100, cell='lstm', rng=None,
                 dtype=np.float32):
        if cell not in CELLS:
            raise ValueError(f'cell must be one of {sorted(CELLS)}, got {cell!r}')
        recurrent_class, gates = CELLS[cell]
        self.build(recurrent_class, gates, vocab_size, wordvec_size, hidden_size,
                   np.random.default_rng(rng), dtype)

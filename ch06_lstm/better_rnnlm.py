"""BetterRnnlm: two LSTM layers, dropout between layers and weight tying (book section 6.5)."""
import numpy as np

from common.base_model import BaseModel
from common.time_layers import (TimeAffine, TimeDropout, TimeEmbedding, TimeLSTM,
                                TimeSoftmaxWithLoss)


class BetterRnnlm(BaseModel):
    """The book's improved language model (figure 6-40).

    TimeEmbedding -> TimeDropout -> TimeLSTM -> TimeDropout -> TimeLSTM -> TimeDropout
    -> TimeAffine(E^T, b) -> TimeSoftmaxWithLoss.
    What is dropped (inverted dropout, train time only; each mask is drawn once per forward call
    of an (N, T) block):
    - dropout_ratio: the depth direction, on the three arrows between layers (embedding ->
      LSTM 1, LSTM 1 -> LSTM 2, LSTM 2 -> Affine).  variational=False (the book's): a mask per
      entry, new at every step; variational=True: one (N, 1, D) mask per sequence, the same at
      every step.
    - recurrent_dropout: the time direction, on h_{t-1} where it enters h_{t-1} Wh in both
      LSTMs, one (N, H) mask per sequence and layer, the same at every step (c_{t-1} -> c_t is
      never dropped); see ``common.time_layers.TimeLSTM``.
    - embedding_dropout: whole word types, one (N, V) mask per sequence: a dropped word is a
      zero vector at every step of that sequence (the output layer's E^T is not dropped).
    variational=True with recurrent_dropout and embedding_dropout is the variational LSTM of
    Gal & Ghahramani (2016); the book's model is variational=False with the other two at 0.
    Weight tying: the output layer's weight is the transposed embedding matrix E^T, so
    wordvec_size must equal hidden_size; E gets the sum of both gradients,
    dE = dE_embedding + (dW_affine)^T, once per step.
    xs: (N, T) word ids, ts: (N, T) next-word ids -> loss: float; predict(xs) -> scores (N, T, V).
    Both LSTMs are stateful; ``reset_state()`` forgets their h and c.

    Initial weights as in the book: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(input size),
    Wh ~ N(0, 1) / sqrt(H), biases 0.  rng: numpy Generator or seed, used for the weights and
    then for the dropout masks; dtype: of the weights.
    """

    free_settings = ('dropout_ratio', 'variational', 'recurrent_dropout', 'embedding_dropout')

    def __init__(self, vocab_size=10000, wordvec_size=650, hidden_size=650, dropout_ratio=0.5,
                 variational=False, recurrent_dropout=0.0, embedding_dropout=0.0, rng=None,
                 dtype=np.float32):
        if wordvec_size != hidden_size:
            raise ValueError(f'weight tying needs wordvec_size == hidden_size, got {wordvec_size} '
                             f'and {hidden_size}')
        self.keep_config(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size,
                         dropout_ratio=dropout_ratio, variational=variational,
                         recurrent_dropout=recurrent_dropout, embedding_dropout=embedding_dropout)
        rng = np.random.default_rng(rng)
        V, D, H = vocab_size, wordvec_size, hidden_size

        def normal(shape, scale):
            return (rng.standard_normal(shape) * scale).astype(dtype)

        embed_W = normal((V, D), 1 / 100)
        affine_b = np.zeros(V, dtype=dtype)
        self.lstm_layers = [
            TimeLSTM(normal((D, 4 * H), 1 / np.sqrt(D)), normal((H, 4 * H), 1 / np.sqrt(H)),
                     np.zeros(4 * H, dtype=dtype), stateful=True, recurrent_dropout=recurrent_dropout,
                     rng=rng),
            TimeLSTM(normal((H, 4 * H), 1 / np.sqrt(H)), normal((H, 4 * H), 1 / np.sqrt(H)),
                     np.zeros(4 * H, dtype=dtype), stateful=True, recurrent_dropout=recurrent_dropout,
                     rng=rng),
        ]
        self.drop_layers = [TimeDropout(dropout_ratio, rng, variational) for _ in range(3)]
        self.embed_layer = TimeEmbedding(embed_W, embedding_dropout, rng)
        self.layers = [self.embed_layer, self.drop_layers[0], self.lstm_layers[0], self.drop_layers[1],
                       self.lstm_layers[1], self.drop_layers[2], TimeAffine(embed_W.T, affine_b)]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.collect_params(self.layers)

    def predict(self, xs, train_flg=False):
        """xs: (N, T) word ids -> scores (N, T, V) of the next word; dropout only if ``train_flg``."""
        for layer in [self.embed_layer, *self.drop_layers, *self.lstm_layers]:
            layer.train_flg = train_flg
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts, train_flg=True):
        """xs, ts: (N, T) word ids and their next words -> mean cross-entropy loss."""
        return self.loss_layer.forward(self.predict(xs, train_flg), ts)

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads`` (tied E summed once)."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        self.sum_tied_grads()
        return dout

    def reset_state(self):
        """Forget both LSTMs' h and c: the next ``forward`` starts from zeros."""
        for layer in self.lstm_layers:
            layer.reset_state()

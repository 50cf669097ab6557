"""LstmLm: the chapter-6 LSTM language model for a large vocabulary, pre-trained on movie reviews.

With 30,000 words the output layer (H x V) and its softmax cost far more than the LSTM itself, so
the model reads all V words but predicts only the ``output_size`` most frequent ones (ids below
``output_size``: the vocabulary is ordered by frequency); every rarer next word is predicted as
'<unk>'.  A rare word still gets a trained vector: it is learned from the words it helps predict.
"""
import numpy as np

from common.backend import array_module
from common.base_model import BaseModel
from common.time_layers import TimeAffine, TimeDropout, TimeEmbedding, TimeLSTM, TimeSoftmaxWithLoss
from dataset.vocabulary import UNK_ID


def rare_words_as_unk(ts, output_size):
    """ts: next-word ids (any shape) -> the same with every id >= ``output_size`` replaced by
    UNK_ID ('<unk>'); -1 (a target not counted) stays -1."""
    return array_module(ts).where(ts >= output_size, UNK_ID, ts)


class LstmLm(BaseModel):
    """TimeEmbedding -> (TimeDropout -> TimeLSTM) x L -> TimeDropout -> TimeAffine -> softmax.

    x_t = E[w_t];  h_t = LSTM(x_t, h_{t-1}) per layer (gate order f, g, i, o);
    s_t = h_t W + b over the ``output_size`` most frequent words, and the loss is the mean over t of
    -log softmax(s_t)[y_t] with y_t = w_{t+1} if w_{t+1} < output_size, else UNK_ID.
    xs: (N, T) word ids in [0, V), ts: (N, T) next-word ids (-1: not counted) -> loss: float;
    predict(xs) -> scores (N, T, output_size).  The LSTMs are stateful (truncated BPTT):
    ``reset_state()`` forgets h and c.  Shapes: E: (V, D), Wx: (D or H, 4H), Wh: (H, 4H),
    b: (4H,), W: (H, output_size), b_out: (output_size,).

    The layers are those of ``ch10_transfer.lstm_classifier.LstmClassifier`` (same types in the
    same order), so a trained model starts a classifier (``ch10_transfer.transfer``).
    Initial weights as the book's: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(input size),
    Wh and W ~ N(0, 1) / sqrt(H), biases 0.  dropout_ratio: between the layers (inverted dropout,
    train time only).  rng: numpy Generator or seed (weights, then dropout masks).
    """

    free_settings = ('dropout_ratio',)

    def __init__(self, vocab_size=30000, output_size=10000, wordvec_size=256, hidden_size=512,
                 num_layers=1, dropout_ratio=0.0, rng=None, dtype=np.float32):
        if not 1 <= output_size <= vocab_size:
            raise ValueError(f'output_size must lie in [1, vocab_size = {vocab_size}], got {output_size}')
        if num_layers < 1:
            raise ValueError(f'num_layers must be at least 1, got {num_layers}')
        self.keep_config(vocab_size=vocab_size, output_size=output_size, wordvec_size=wordvec_size,
                         hidden_size=hidden_size, num_layers=num_layers, dropout_ratio=dropout_ratio)
        rng = np.random.default_rng(rng)
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.output_size = output_size

        def normal(shape, scale):
            return (rng.standard_normal(shape) * scale).astype(dtype)

        self.lstm_layers = [TimeLSTM(normal((D if k == 0 else H, 4 * H), 1 / np.sqrt(D if k == 0 else H)),
                                     normal((H, 4 * H), 1 / np.sqrt(H)), np.zeros(4 * H, dtype=dtype),
                                     stateful=True)
                            for k in range(num_layers)]
        self.drop_layers = [TimeDropout(dropout_ratio, rng) for _ in range(num_layers + 1)]
        self.layers = [TimeEmbedding(normal((V, D), 1 / 100))]
        for drop, lstm in zip(self.drop_layers, self.lstm_layers):
            self.layers += [drop, lstm]
        self.layers += [self.drop_layers[-1],
                        TimeAffine(normal((H, output_size), 1 / np.sqrt(H)), np.zeros(output_size, dtype=dtype))]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.collect_params(self.layers)

    def predict(self, xs, train_flg=False):
        """xs: (N, T) word ids -> scores (N, T, output_size) of the next word."""
        for layer in self.drop_layers:
            layer.train_flg = train_flg
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts, train_flg=True):
        """xs, ts: (N, T) word ids and their next words -> mean cross-entropy loss."""
        return self.loss_layer.forward(self.predict(xs, train_flg), rare_words_as_unk(ts, self.output_size))

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads``."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def reset_state(self):
        """Forget every LSTM's h and c: the next ``forward`` starts from zeros."""
        for layer in self.lstm_layers:
            layer.reset_state()

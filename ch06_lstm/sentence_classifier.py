"""LstmClassifier: a many-to-one (다대일) LSTM, the sentence classifier that chapter 6's layers make.

The seed notes' use of an RNN for sentence classification (감성 분류, 스팸 메일 분류): read the whole
sentence, keep only the last hidden state, classify it.  With ``num_layers=1`` its layers are those
of ``Rnnlm`` (100/100), with ``num_layers=2`` those of ``BetterRnnlm`` (650/650, dropout between
layers), so a trained language model can start it (``common.transfer.load_shared_params``).
"""
import numpy as np

from common.sentence_classifier import SentenceClassifier
from common.sequence_pooling import SelectTime
from common.time_layers import TimeDropout, TimeEmbedding, TimeLSTM


class LstmClassifier(SentenceClassifier):
    """TimeEmbedding -> (TimeDropout -> TimeLSTM) x L -> TimeDropout -> h_last -> Affine -> softmax.

    x_t = E[w_t];  h_t = LSTM(x_t, h_{t-1}) per layer (gate order f, g, i, o);
    s = h_{L_n - 1} W + b, the hidden state after the last real word (padding comes after it and,
    the LSTM being causal, never touches it);  loss = mean_n -log softmax(s_n)[label_n].
    ids: (N, T) right-padded word ids, lengths: (N,) -> scores (N, C).
    Initialisation as the book's language models: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D),
    Wh ~ N(0, 1) / sqrt(H), biases 0.  rng: numpy Generator or seed (weights, then dropout masks).
    """

    def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100, num_layers=1,
                 n_classes=2, dropout_ratio=0.0, rng=None, dtype=np.float32):
        if num_layers < 1:
            raise ValueError(f'num_layers must be at least 1, got {num_layers}')
        rng = np.random.default_rng(rng)
        V, D, H = vocab_size, wordvec_size, hidden_size

        def normal(shape, scale):
            return (rng.standard_normal(shape) * scale).astype(dtype)

        self.lstm_layers = [TimeLSTM(normal((D if k == 0 else H, 4 * H), 1 / np.sqrt(D if k == 0 else H)),
                                     normal((H, 4 * H), 1 / np.sqrt(H)), np.zeros(4 * H, dtype=dtype))
                            for k in range(num_layers)]
        self.drop_layers = [TimeDropout(dropout_ratio, rng) for _ in range(num_layers + 1)]
        self.layers = [TimeEmbedding(normal((V, D), 1 / 100))]
        for drop, lstm in zip(self.drop_layers, self.lstm_layers):
            self.layers += [drop, lstm]
        self.layers.append(self.drop_layers[-1])
        self.select = SelectTime()
        self.build_head(H, n_classes, rng, dtype)
        self.collect_params(self.layers + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> the last real hidden state of the top LSTM (N, H)."""
        for layer in self.drop_layers:
            layer.train_flg = train_flg
        hs = ids
        for layer in self.layers:
            hs = layer.forward(hs)
        return self.select.forward(hs, lengths - 1)

    def encode_backward(self, dh):
        dhs = self.select.backward(dh)
        for layer in reversed(self.layers):
            dhs = layer.backward(dhs)

"""LstmClassifier: a many-to-one (다대일) LSTM, the sentence classifier that chapter 6's layers make.

An RNN used for sentence classification (감성 분류, 스팸 메일 분류): read the whole sentence, keep
the last hidden state (or, as ULMFiT does, the last state beside the max and the mean of all of
them), classify it.  With ``num_layers=1`` its layers are those of ``Rnnlm`` (100/100) and of
``ch10_transfer.lstm_lm.LstmLm``, with ``num_layers=2`` those of ``BetterRnnlm`` (650/650, dropout
between layers), so a trained language model can start it (``ch10_transfer.transfer.load_shared_params``).
"""
import numpy as np

from ch10_transfer.sentence_classifier import SentenceClassifier
from common.sequence_pooling import ConcatPooling, SelectTime
from common.time_layers import TimeDropout, TimeEmbedding, TimeLSTM

POOLINGS = ('last', 'concat')


class LstmClassifier(SentenceClassifier):
    """TimeEmbedding -> (TimeDropout -> TimeLSTM) x L -> TimeDropout -> pooling -> Affine -> softmax.

    x_t = E[w_t];  h_t = LSTM(x_t, h_{t-1}) per layer (gate order f, g, i, o);
    pooling='last':   v = h_{L_n - 1}, the hidden state after the last real word (padding comes
                      after it and, the LSTM being causal, never touches it): (N, H);
    pooling='concat': v = [h_{L_n - 1}, max_t h_t, mean_t h_t] over the real steps
                      (``ConcatPooling``, ULMFiT's): (N, 3H);
    s = v W + b;  loss = mean_n -log softmax(s_n)[label_n].
    ids: (N, T) right-padded word ids, lengths: (N,) -> scores (N, C).
    start_id: an id read before every sentence (None: none), such as the '<eos>' that ends the text
    before each review in a language model's corpus, so the LSTM starts as it did there.
    Initialisation as the book's language models: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D),
    Wh ~ N(0, 1) / sqrt(H), biases 0.  rng: numpy Generator or seed (weights, then dropout masks).
    """

    def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100, num_layers=1,
                 n_classes=2, dropout_ratio=0.0, pooling='last', start_id=None, rng=None, dtype=np.float32):
        if num_layers < 1:
            raise ValueError(f'num_layers must be at least 1, got {num_layers}')
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
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
        self.pooling = pooling
        self.first_ids = () if start_id is None else (start_id,)
        self.pool = SelectTime() if pooling == 'last' else ConcatPooling()
        self.build_head(H if pooling == 'last' else 3 * H, n_classes, rng, dtype)
        self.collect_params(self.layers + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> the pooled states of the top LSTM: (N, H) or (N, 3H)."""
        for layer in self.drop_layers:
            layer.train_flg = train_flg
        hs = ids
        for layer in self.layers:
            hs = layer.forward(hs)
        return self.pool.forward(hs, lengths - 1 if self.pooling == 'last' else lengths)

    def encode_backward(self, dh):
        dhs = self.pool.backward(dh)
        for layer in reversed(self.layers):
            dhs = layer.backward(dhs)

"""SurprisalClassifier: a sentence classifier that reads a language model's surprise, word by word.

A language model's last hidden state is trained to predict the next word, not to remember that a
word three places back was out of place; that surprise lives in its output probabilities.  This
classifier keeps the whole Rnnlm, output layer included, and classifies what those probabilities
say about each word of the sentence (the word-order task of chapter 9's fine-tuning).
"""
import numpy as np

from ch10_transfer.sentence_classifier import SentenceClassifier
from common.backend import array_module, to_cpu
from common.functions import log_softmax
from common.sequence_pooling import MaskedMean, SmallestK
from common.time_layers import TimeAffine, TimeEmbedding, TimeLSTM


class SurprisalClassifier(SentenceClassifier):
    """Many-to-one over the per-word surprise of the Rnnlm's own layers.

    The input row is '<eos>' w_1 .. w_L '<eos>'.  TimeEmbedding -> TimeLSTM -> TimeAffine give the
    scores s_t (V values) at t = 0 .. L, and for the word w_{t+1} that came next:
        lp_t = log softmax(s_t)[w_{t+1}]      how probable the model found it,
        r_t  = lp_t - u[w_{t+1}]              ... above its unigram log-probability u (fixed),
    so r_t is low where a word was out of place, not merely rare.  Then
        f = [mean_t r_t, the k smallest r_t in rising order]    (N, k + 1)
        h = (f - mu) / sigma                                    (fixed; ``fit_feature_scale``)
        scores = h W + b  -> softmax over the classes.
    ids: (N, T) padded ids, lengths: (N,) -> class scores (N, C).
    Shapes: E: (V, D), Wx: (D, 4H), Wh: (H, 4H), b: (4H,), W_out: (H, V), b_out: (V,),
    W: (k + 1, C), b: (C,).  The layers are the Rnnlm's, in its order, so
    ``ch10_transfer.transfer.load_shared_params`` starts all three from an Rnnlm checkpoint; only the
    head is new.  unigram_log_probs: (V,) u; eos_id: the id put before and after each sentence.
    Initial weights as Rnnlm: E ~ N(0, 1) / 100, Wx ~ N(0, 1) / sqrt(D), Wh and W_out ~ N(0, 1) /
    sqrt(H), biases 0; the head starts at W = 0 (as a logistic regression does): its k + 1 inputs
    already mean something, and a random W pointing the wrong way takes hundreds of Adam steps to
    turn round (with 250 labelled sentences, more than training has).  rng: numpy Generator or
    seed; dtype: of the weights.
    """

    def __init__(self, unigram_log_probs, eos_id, wordvec_size=100, hidden_size=100, k=4,
                 n_classes=2, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        V, D, H = len(unigram_log_probs), wordvec_size, hidden_size

        def normal(shape, scale):
            return (rng.standard_normal(shape) * scale).astype(dtype)

        self.pad_id, self.first_ids, self.last_ids = eos_id, (eos_id,), (eos_id,)
        self.unigram_log_probs = np.asarray(unigram_log_probs, dtype=dtype)
        self.layers = [TimeEmbedding(normal((V, D), 1 / 100)),
                       TimeLSTM(normal((D, 4 * H), 1 / np.sqrt(D)), normal((H, 4 * H), 1 / np.sqrt(H)),
                                np.zeros(4 * H, dtype=dtype)),
                       TimeAffine(normal((H, V), 1 / np.sqrt(H)), np.zeros(V, dtype=dtype))]
        self.mean_pool, self.smallest = MaskedMean(), SmallestK(k)
        self.feature_shift = np.zeros(k + 1, dtype=dtype)
        self.feature_scale = np.ones(k + 1, dtype=dtype)
        self.cache = None
        self.build_head(k + 1, n_classes, rng, dtype)
        self.head.params[0][...] = 0
        self.collect_params(self.layers + [self.head])

    def features(self, ids, lengths):
        """ids: (N, T), lengths: (N,) -> f: (N, k + 1), before the standardisation."""
        xp = array_module(self.params[0])
        inputs, targets = ids[:, :-1], ids[:, 1:]  # (N, T - 1): the word each position predicts
        scores = inputs
        for layer in self.layers:
            scores = layer.forward(scores)  # ends as (N, T - 1, V)
        log_probs = log_softmax(scores)
        lp = xp.take_along_axis(log_probs, targets[:, :, None], axis=2)[:, :, 0]  # (N, T - 1)
        surprise = lp - xp.asarray(self.unigram_log_probs)[targets]              # r: (N, T - 1)
        predicted = lengths - 1  # the L words and the closing '<eos>'
        self.cache = (log_probs, targets)
        mean = self.mean_pool.forward(surprise[:, :, None], predicted)  # (N, 1)
        return xp.concatenate([mean, self.smallest.forward(surprise, predicted)], axis=1)

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> h: (N, k + 1), the standardised surprise features."""
        xp = array_module(self.params[0])
        return (self.features(ids, lengths) - xp.asarray(self.feature_shift)) / xp.asarray(self.feature_scale)

    def encode_backward(self, dh):
        xp = array_module(dh)
        df = dh / xp.asarray(self.feature_scale)                                    # (N, k + 1)
        dsurprise = self.mean_pool.backward(df[:, :1])[:, :, 0] + self.smallest.backward(df[:, 1:])
        log_probs, targets = self.cache
        # d lp / d scores = onehot(target) - softmax(scores), times the upstream dlp = dr
        dscores = -xp.exp(log_probs) * dsurprise[:, :, None]                          # (N, T - 1, V)
        N, T = targets.shape
        dscores[xp.arange(N)[:, None], xp.arange(T)[None, :], targets] += dsurprise
        for layer in reversed(self.layers):
            dscores = layer.backward(dscores)

    def fit_feature_scale(self, sentences, batch_size=100):
        """Set mu and sigma to the mean and standard deviation of f over ``sentences`` (the
        training sentences, before training), so the head starts on features of unit scale."""
        rows = []
        for start in range(0, len(sentences), batch_size):
            ids, lengths = self.batch(sentences[start:start + batch_size])
            rows.append(self.features(ids, lengths))
        f = np.concatenate([to_cpu(r) for r in rows])  # (len(sentences), k + 1)
        self.feature_shift = f.mean(axis=0).astype(self.feature_shift.dtype)
        self.feature_scale = (f.std(axis=0) + 1e-6).astype(self.feature_scale.dtype)

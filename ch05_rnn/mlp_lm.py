"""MlpLm: the feed-forward (multi-layer perceptron) language model of Bengio et al. (2003)."""
import numpy as np

from common.backend import array_module, to_cpu
from common.base_model import BaseModel
from common.checks import check_ndim
from common.layers import Affine, Dropout, Embedding, MatMul, Tanh
from common.time_layers import TimeSoftmaxWithLoss


class MlpLm(BaseModel):
    """P(w_t | w_{t-n} .. w_{t-1}) from the previous n = context_size words, by an MLP.

    x = dropout_in([C[w_{t-n}], ..., C[w_{t-1}]])  (the n word vectors, concatenated: n D values)
    h = dropout(tanh(x W1 + b1))                   (H values)
    s = h W2 + b2  (+ x Wd with direct=True: Bengio's direct input-to-output connections)
    P(w_t = v | context) = softmax(s)_v;  loss = mean over the batch of -log P(target).

    contexts: (N, n) word ids (oldest first), target: (N,) ids -> loss: float;
    predict(contexts) -> scores s: (N, V) (before the softmax, dropout off).
    Shapes: C: (V, D), W1: (n D, H), b1: (H,), W2: (H, V), b2: (V,), Wd: (n D, V).
    C is one ``Embedding``, shared by the n positions: its gradient is nonzero only in the rows
    of the words in the batch.  Dropout (inverted) acts on h with ratio
    ``dropout_ratio`` and on x with ratio ``input_dropout`` (each 0: none; both off at test time).

    tie_weights=True: the output weight is the transposed word-vector table, W2 = C^T (Press &
    Wolf 2017; needs H == D), and C gets the sum of both gradients, dC = dC_input + dW2^T.

    Initial weights: C ~ N(0, 1), W1 ~ N(0, 1) / sqrt(n D), W2 ~ N(0, 1) / sqrt(H),
    Wd = 0, biases 0 (``init_output_bias`` sets b2 from the word counts).  Tied: C ~ N(0, 1) /
    sqrt(D), the scale of W2, and W1 ~ N(0, 1) / sqrt(n), so that x W1 keeps unit variance.
    rng: numpy Generator or seed, used for the weights and then for the dropout masks; dtype: of
    the weights.
    """

    free_settings = ('dropout_ratio', 'input_dropout')

    def __init__(self, vocab_size=10000, context_size=4, wordvec_size=100, hidden_size=200,
                 dropout_ratio=0.0, direct=False, rng=None, dtype=np.float32, input_dropout=0.0,
                 tie_weights=False):
        if tie_weights and wordvec_size != hidden_size:
            raise ValueError(f'tie_weights needs wordvec_size == hidden_size, got {wordvec_size} '
                             f'and {hidden_size}')
        self.keep_config(vocab_size=vocab_size, context_size=context_size, wordvec_size=wordvec_size,
                         hidden_size=hidden_size, dropout_ratio=dropout_ratio, direct=direct,
                         input_dropout=input_dropout, tie_weights=tie_weights)
        rng = np.random.default_rng(rng)
        V, n, D, H = vocab_size, context_size, wordvec_size, hidden_size
        self.context_size = n

        def normal(shape, scale):
            return (rng.standard_normal(shape) * scale).astype(dtype)

        embed_W = normal((V, D), 1 / np.sqrt(D) if tie_weights else 1.0)
        self.embed_layer = Embedding(embed_W)
        self.input_dropout_layer = Dropout(input_dropout, rng)
        W1_scale = 1 / np.sqrt(n) if tie_weights else 1 / np.sqrt(n * D)
        self.hidden_layers = [Affine(normal((n * D, H), W1_scale), np.zeros(H, dtype=dtype)),
                              Tanh(), Dropout(dropout_ratio, rng)]
        W2 = embed_W.T if tie_weights else normal((H, V), 1 / np.sqrt(H))
        self.output_layer = Affine(W2, np.zeros(V, dtype=dtype))
        self.direct_layer = MatMul(np.zeros((n * D, V), dtype=dtype)) if direct else None
        self.loss_layer = TimeSoftmaxWithLoss()  # used on (N, 1, V): one position per example
        self.layers = [self.embed_layer, self.input_dropout_layer, *self.hidden_layers, self.output_layer]
        if direct:
            self.layers.append(self.direct_layer)
        self.collect_params(self.layers)

    def init_output_bias(self, corpus):
        """b2[v] = log(count(v) / L) over corpus: (L,) ids (1 for an unseen word), so that from the
        first step the model predicts the unigram distribution instead of a uniform one."""
        b2 = self.output_layer.params[1]
        counts = np.maximum(np.bincount(to_cpu(corpus), minlength=len(b2)), 1)  # counted on the host
        b2[...] = array_module(b2).asarray(np.log(counts / counts.sum()))

    def predict(self, contexts, train_flg=False):
        """contexts: (N, n) word ids -> scores (N, V) of the next word; dropout only if ``train_flg``."""
        check_ndim(contexts, 2, 'MlpLm contexts', f'(N, {self.context_size}) word ids')
        if contexts.shape[1] != self.context_size:
            raise ValueError(f'MlpLm contexts must have shape (N, {self.context_size}), '
                             f'got {contexts.shape}')
        N = contexts.shape[0]
        x = self.embed_layer.forward(contexts).reshape(N, -1)  # (N, n, D) -> (N, n D)
        x = self.input_dropout_layer.forward(x, train_flg)
        h = self.hidden_layers[0].forward(x)
        h = self.hidden_layers[1].forward(h)
        h = self.hidden_layers[2].forward(h, train_flg)
        scores = self.output_layer.forward(h)
        if self.direct_layer is not None:
            scores += self.direct_layer.forward(x)
        return scores

    def forward(self, contexts, target, train_flg=True):
        """contexts: (N, n), target: (N,) word ids -> mean cross-entropy loss."""
        scores = self.predict(contexts, train_flg)
        return self.loss_layer.forward(scores[:, None, :], target.reshape(-1, 1))

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads``."""
        dscores = self.loss_layer.backward(dout)[:, 0, :]  # (N, V)
        dx = self.output_layer.backward(dscores)  # becomes the gradient of x: (N, n D)
        for layer in reversed(self.hidden_layers):
            dx = layer.backward(dx)
        if self.direct_layer is not None:
            dx += self.direct_layer.backward(dscores)
        dx = self.input_dropout_layer.backward(dx)
        N, n = self.embed_layer.idx.shape
        self.embed_layer.backward(dx.reshape(N, n, -1))
        self.sum_tied_grads()  # tied: dC = dC_input + dW2^T (nothing to do untied)


def ngram_contexts(corpus, context_size, pad_id):
    """The context of every token: row k holds corpus[k - n .. k - 1] (``pad_id`` before the start).

    corpus: (L,) word ids -> contexts: (L, n) ids, so (contexts[k], corpus[k]) are the
    (context, next word) pairs of all L tokens; the first n tokens see ``pad_id`` (``<eos>``:
    PTB's sentence boundary) where the corpus has no earlier word.
    """
    corpus = np.asarray(corpus)
    padded = np.concatenate([np.full(context_size, pad_id, dtype=corpus.dtype), corpus])
    return np.lib.stride_tricks.sliding_window_view(padded, context_size)[:len(corpus)].copy()

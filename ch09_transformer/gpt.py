"""GPT: a decoder-only Transformer language model (beyond the book: Radford et al., 2018-2019).

Where the chapter-6 LSTMs carry a hidden state from word to word, GPT reads a window of up to
``context_size`` words at once and lets every position attend to the positions before it
(causal self-attention).  Trained on PTB, it is compared with the book's language models in the
README.
"""
import numpy as np

from common.base_model import BaseModel
from common.checks import check_ndim
from common.time_layers import TimeAffine, TimeSoftmaxWithLoss
from common.transformer_layers import TransformerBody


class GPT(BaseModel):
    """GPT-2's layout (Radford et al., 2019) at PTB size:

        h = Dropout(E[xs] + P[:T])                        token + learned position embeddings
        h = TransformerBlock_l(h), l = 1..num_layers      pre-LN, causal self-attention
        scores = LayerNorm(h) E^T + b                     output tied to the token embedding
        loss = TimeSoftmaxWithLoss(scores, ts)

    The first two lines and the LayerNorm are ``self.body``, a causal ``TransformerBody``
    (``body.blocks[l].self_attention.attention_weights`` keep each layer's attention).
    xs: (N, T) word ids with T <= context_size, ts: (N, T) next-word ids (-1: not counted)
    -> loss: float; predict(xs) -> scores (N, T, V).  Weight tying: E (V, D) is used by the
    embedding and, transposed, by the output layer; its gradient is the sum of both, written
    once per step (``sum_tied_grads``).  No state is carried between calls.

    Initial weights as GPT-2: N(0, 0.02^2) (positions 0.01^2), the projections into the residual
    stream (Wo, W2) with 0.02 / sqrt(2 num_layers), biases 0, LayerNorm gains 1.
    rng: numpy Generator or seed (weights, then dropout masks); dtype: of the weights.
    The sizes, heads and dropout are recorded with the parameters (``keep_config``), so
    ``GPT.from_checkpoint(path)`` rebuilds the model and loading a checkpoint of another
    configuration is a clear error.
    """

    free_settings = ('dropout_ratio',)

    def __init__(self, vocab_size=10000, context_size=128, d_model=256, num_heads=4, num_layers=4,
                 d_ff=1024, dropout_ratio=0.1, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        V, D = vocab_size, d_model
        self.keep_config(vocab_size=V, context_size=context_size, d_model=D, num_heads=num_heads,
                         num_layers=num_layers, d_ff=d_ff, dropout_ratio=dropout_ratio)
        self.context_size = context_size
        self.body = TransformerBody(V, context_size, D, num_heads, num_layers, d_ff, causal=True,
                                    dropout_ratio=dropout_ratio, rng=rng, dtype=dtype)
        self.output_layer = TimeAffine(self.body.embed_W.T, np.zeros(V, dtype=dtype))
        self.layers = [*self.body.layers, self.output_layer]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.collect_params(self.layers)

    def hidden_states(self, xs, train_flg=False):
        """xs: (N, T) word ids, T <= context_size -> H = LayerNorm(h): (N, T, D), the state each
        next-word score is read from (a classifier reads it too)."""
        check_ndim(xs, 2, 'GPT input xs', '(N, T) word ids')
        if xs.shape[1] > self.context_size:
            raise ValueError(f'the sequence has {xs.shape[1]} words, but this GPT reads at most '
                             f'context_size = {self.context_size}: cut it into windows')
        return self.body.forward(xs, train_flg=train_flg)

    def hidden_backward(self, dH):
        """dH: (N, T, D) of ``hidden_states``' output -> the gradients of every layer below it."""
        self.body.backward(dH)

    def predict(self, xs, train_flg=False):
        """xs: (N, T) word ids, T <= context_size -> scores (N, T, V) of each next word."""
        return self.output_layer.forward(self.hidden_states(xs, train_flg))

    def forward(self, xs, ts, train_flg=True):
        """xs, ts: (N, T) word ids and their next words -> mean cross-entropy loss."""
        return self.loss_layer.forward(self.predict(xs, train_flg), ts)

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads`` (tied E summed once)."""
        self.hidden_backward(self.output_layer.backward(self.loss_layer.backward(dout)))
        self.sum_tied_grads()

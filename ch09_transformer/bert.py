"""BertEncoder: a bidirectional Transformer encoder pre-trained as a masked language model (beyond
the book: Devlin et al., 2019; "양방향 인코더 … 사전학습한 뒤 새로운 과제에 다시 학습").

GPT reads left to right; BERT lets every word attend to the words on both sides, so it cannot be
trained to predict the next word (it would see it).  Instead some words are hidden and it learns
to fill them in (the masked-LM task, Devlin et al. 2019).  Its vocabulary is PTB's 10,000 words
followed by four special ids: [CLS] (first id of every input; its state sums up the sentence for
a classifier), [SEP] (end of the sentence), [MASK] (a hidden word) and [PAD] (filler that makes a
batch rectangular: no position ever attends to it, and it is never in the loss).
"""
import numpy as np

from common.backend import array_module
from common.base_model import BaseModel
from common.checks import check_ids, check_ndim, needs_forward
from common.layers import SoftmaxWithLoss
from common.time_layers import TimeAffine
from common.transformer_layers import TransformerBody

SPECIAL_TOKENS = ('[CLS]', '[SEP]', '[MASK]', '[PAD]')
IGNORE = -1  # target of a position that is not in the loss


def special_ids(vocab_size):
    """{'[CLS]': V, '[SEP]': V + 1, '[MASK]': V + 2, '[PAD]': V + 3} for a word vocabulary of V."""
    return {token: vocab_size + k for k, token in enumerate(SPECIAL_TOKENS)}


class BertEncoder(BaseModel):
    """Token + position embeddings -> bidirectional pre-LN Transformer blocks -> LayerNorm, with
    the masked-LM head tied to the token embedding:

        h = Dropout(E[xs] + P[:T])                        E: (V + 4, D), P: (context_size, D)
        h = TransformerBlock_l(h, key_mask), l = 1..L     key_mask = xs != [PAD]
        H = LayerNorm(h)                                  encode(xs) -> H: (N, T, D)
        scores_m = H[m] E^T + b for the M positions m with a target; loss = mean_m -log softmax(scores_m)[t_m]

    The first three lines are ``self.body``, a bidirectional ``TransformerBody``.
    xs: (N, T) ids in [0, V + 4), T <= context_size; ts: (N, T) original word ids at the masked
    positions, IGNORE (-1) elsewhere -> loss: float.  Only the M masked positions go through the
    (D, V + 4) output layer.  E is shared by the embedding and the output; its gradient is the sum
    of both, written once per step.  Weights as GPT-2 (N(0, 0.02^2), positions 0.01^2, residual
    projections 0.02 / sqrt(2 L)); rng: numpy Generator or seed (weights, then dropout masks).
    """

    def __init__(self, vocab_size=10000, context_size=96, d_model=128, num_heads=4, num_layers=2,
                 d_ff=512, dropout_ratio=0.1, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.vocab_size = vocab_size
        self.special = special_ids(vocab_size)
        self.pad_id = self.special['[PAD]']
        self.context_size = context_size
        self.keep_config(vocab_size=vocab_size, context_size=context_size, d_model=d_model,
                         num_heads=num_heads, num_layers=num_layers, d_ff=d_ff, dropout_ratio=dropout_ratio)
        V, D = vocab_size + len(SPECIAL_TOKENS), d_model
        self.body = TransformerBody(V, context_size, D, num_heads, num_layers, d_ff, causal=False,
                                    dropout_ratio=dropout_ratio, rng=rng, dtype=dtype)
        self.mlm_layer = TimeAffine(self.body.embed_W.T, np.zeros(V, dtype=dtype))  # over the M masked positions
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params(self.body.layers + [self.mlm_layer])
        self.picked = None

    def encode(self, xs, train_flg=False):
        """xs: (N, T) ids -> H: (N, T, D), every position attending to all non-[PAD] positions."""
        check_ndim(xs, 2, 'BertEncoder input xs', '(N, T) token ids')
        check_ids(xs, self.vocab_size + len(SPECIAL_TOKENS), 'token id')
        if xs.shape[1] > self.context_size:
            raise ValueError(f'the input has {xs.shape[1]} positions, but this encoder reads at most '
                             f'context_size = {self.context_size}')
        return self.body.forward(xs, key_mask=xs != self.pad_id, train_flg=train_flg)

    def encode_backward(self, dH):
        """dH: (N, T, D) -> writes the encoder's gradients (the tied E is summed in ``backward``)."""
        self.body.backward(dH)

    def predict_masked(self, xs, ts, train_flg=False):
        """Scores (M, V + 4) of the M positions where ts != IGNORE, in row-major order."""
        if ts.shape != xs.shape:
            raise ValueError(f'targets ts must have the shape of xs {xs.shape}, got {ts.shape}')
        H = self.encode(xs, train_flg)
        self.picked = (ts != IGNORE, H.shape)
        if (xs[self.picked[0]] == self.pad_id).any():
            raise ValueError('a [PAD] position has a target: padding is never in the loss')
        if not self.picked[0].any():
            raise ValueError('no position has a target (ts is IGNORE everywhere): nothing to score')
        return self.mlm_layer.forward(H[self.picked[0]][None])[0]

    def forward(self, xs, ts, train_flg=True):
        """Mean cross-entropy of the original words at the masked positions."""
        scores = self.predict_masked(xs, ts, train_flg)
        return self.loss_layer.forward(scores, ts[ts != IGNORE])

    @needs_forward('picked')
    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads``."""
        picked, shape = self.picked
        dH = array_module(self.params[0]).zeros(shape, dtype=self.params[0].dtype)
        dH[picked] = self.mlm_layer.backward(self.loss_layer.backward(dout)[None])[0]
        self.encode_backward(dH)
        self.sum_tied_grads()


def mask_tokens(xs, maskable, vocab_size, rng, mask_prob=0.15, mask_id=None):
    """BERT's masking rule: choose each maskable position with probability ``mask_prob``; of the
    chosen, 80% become [MASK], 10% a random word (uniform over the V words), 10% stay as they are.

    xs: (N, T) ids; maskable: (N, T) bool (the real words: not [CLS], [SEP] or [PAD]);
    vocab_size: V (words only); mask_id: id of [MASK] (default V + 2); rng: numpy Generator.
    Returns (inputs (N, T), targets (N, T)): targets hold the original id at the chosen positions
    and IGNORE elsewhere.
    """
    mask_id = special_ids(vocab_size)['[MASK]'] if mask_id is None else mask_id
    chosen = maskable & (rng.random(xs.shape) < mask_prob)
    action = rng.random(xs.shape)
    inputs = xs.copy()
    inputs[chosen & (action < 0.8)] = mask_id
    randomised = chosen & (action >= 0.8) & (action < 0.9)
    inputs[randomised] = rng.integers(0, vocab_size, int(randomised.sum()))
    targets = np.where(chosen, xs, IGNORE)
    return inputs, targets

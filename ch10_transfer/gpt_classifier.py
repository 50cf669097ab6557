"""GptClassifier: the GPT's state after the last word (or the mean of its states) -> Affine, a
sentence classifier from a GPT."""
import numpy as np

from ch09_transformer.gpt import GPT
from ch10_transfer.sentence_classifier import SentenceClassifier
from common.sequence_pooling import MaskedMean, SelectTime

POOLINGS = ('last', 'mean')


class GptClassifier(SentenceClassifier):
    """w_1 .. w_L [pad] .. -> GPT (causal) -> H (N, T, D) -> pooling -> Affine -> softmax.

    pooling='last': v = H[:, L - 1], the state after the last real word: attention is causal, so it
    has read the whole sentence and none of the padding after it;  pooling='mean': v = the mean of
    H[:, :L] (``MaskedMean``), every word's state alike.  v: (N, D);  s = v W + b.
    The layers are the GPT's (same names) without its output layer, so a GPT (or ``GptLm``)
    checkpoint starts them (``ch10_transfer.transfer.load_shared_params``); the head is new.
    ids: (N, T) right-padded word ids, lengths: (N,) -> scores (N, C).  Sizes as ``GPT``.
    start_id: an id read before every sentence (None: none), such as the '<eos>' that ends the text
    before each review in the GPT's training corpus.
    """

    def __init__(self, vocab_size=10000, context_size=128, d_model=256, num_heads=4, num_layers=4,
                 d_ff=1024, dropout_ratio=0.1, n_classes=2, pooling='last', start_id=None, rng=None,
                 dtype=np.float32):
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
        rng = np.random.default_rng(rng)
        self.gpt = GPT(vocab_size, context_size, d_model, num_heads, num_layers, d_ff, dropout_ratio,
                       rng, dtype)
        self.max_length = context_size
        self.pooling = pooling
        self.first_ids = () if start_id is None else (start_id,)
        self.pool = SelectTime() if pooling == 'last' else MaskedMean()
        self.build_head(d_model, n_classes, rng, dtype)
        self.collect_params(self.gpt.body.layers + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> the pooled final states of the GPT (N, D)."""
        H = self.gpt.hidden_states(ids, train_flg)
        return self.pool.forward(H, lengths - 1 if self.pooling == 'last' else lengths)

    def encode_backward(self, dh):
        self.gpt.hidden_backward(self.pool.backward(dh))

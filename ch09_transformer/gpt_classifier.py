"""GptClassifier: the GPT's state after the last word -> Affine, a sentence classifier from a GPT."""
import numpy as np

from ch09_transformer.gpt import GPT
from common.sentence_classifier import SentenceClassifier
from common.sequence_pooling import SelectTime


class GptClassifier(SentenceClassifier):
    """w_1 .. w_L [pad] .. -> GPT (causal) -> H[:, L - 1], the state after the last real word -> Affine.

    Attention is causal, so the state at L - 1 has read the whole sentence and none of the padding
    after it.  The layers are the GPT's (same names) without its output layer, so a GPT checkpoint
    starts them (``common.transfer.load_shared_params``); the head is new.
    ids: (N, T) right-padded word ids, lengths: (N,) -> scores (N, C).  Sizes as ``GPT``.
    """

    def __init__(self, vocab_size=10000, context_size=128, d_model=256, num_heads=4, num_layers=4,
                 d_ff=1024, dropout_ratio=0.1, n_classes=2, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.gpt = GPT(vocab_size, context_size, d_model, num_heads, num_layers, d_ff, dropout_ratio,
                       rng, dtype)
        self.max_length = context_size
        self.select = SelectTime()
        self.build_head(d_model, n_classes, rng, dtype)
        self.collect_params(self.gpt.body.layers + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> the GPT's final state after each sentence's last word (N, D)."""
        return self.select.forward(self.gpt.hidden_states(ids, train_flg), lengths - 1)

    def encode_backward(self, dh):
        self.gpt.hidden_backward(self.select.backward(dh))

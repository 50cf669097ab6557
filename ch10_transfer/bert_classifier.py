"""BertClassifier: BERT's [CLS] state -> Affine, the sentence classifier fine-tuned from a BertEncoder."""
import numpy as np

from ch09_transformer.bert import BertEncoder
from ch10_transfer.sentence_classifier import SentenceClassifier
from common.backend import array_module
from common.sequence_pooling import SelectTime


class BertClassifier(SentenceClassifier):
    """'[CLS] w_1 .. w_L [SEP] [PAD] ..' -> BertEncoder -> H[:, 0] (the [CLS] state) -> Affine -> softmax.

    Every position attends to every real position (never to [PAD]), so the [CLS] state can sum up
    the whole sentence.  The encoder's layers are those of ``BertEncoder`` (same names), without
    its masked-LM output, so a pre-trained encoder's checkpoint starts them
    (``ch10_transfer.transfer.load_shared_params``).  ids: (N, T) from ``batch``, lengths: (N,) -> (N, C).
    Sizes as ``BertEncoder``; rng: numpy Generator or seed (weights, then dropout masks).
    """

    def __init__(self, vocab_size=10000, context_size=96, d_model=128, num_heads=4, num_layers=2,
                 d_ff=512, dropout_ratio=0.1, n_classes=2, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.encoder = BertEncoder(vocab_size, context_size, d_model, num_heads, num_layers, d_ff,
                                   dropout_ratio, rng, dtype)
        special = self.encoder.special
        self.pad_id, self.first_ids, self.last_ids = special['[PAD]'], (special['[CLS]'],), (special['[SEP]'],)
        self.max_length = context_size
        self.select = SelectTime()
        self.build_head(d_model, n_classes, rng, dtype)
        self.collect_params(self.encoder.body.layers + [self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T) -> the final [CLS] state (N, D)."""
        H = self.encoder.encode(ids, train_flg)
        return self.select.forward(H, array_module(H).zeros(len(ids), dtype=int))

    def encode_backward(self, dh):
        self.encoder.encode_backward(self.select.backward(dh))

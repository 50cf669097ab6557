"""BagOfWordsClassifier: logistic regression on which words a text holds, from chapter 1's layers.

The classic sentiment baseline: forget the order, note only which words occur, and learn one
weight per word and class.  A reader of chapter 1 knows every part: the bag of words is the input
x, ``Affine`` computes the class scores, ``SoftmaxWithLoss`` the loss.
"""
import numpy as np

from ch10_transfer.sentence_classifier import SentenceClassifier
from common.backend import array_module
from common.layers import Affine, SoftmaxWithLoss


class BagOfWordsClassifier(SentenceClassifier):
    """x[n, v] = 1 if word v occurs among the real words of text n, else 0  ->  s = x W + b  ->  softmax.

    ids: (N, T) right-padded word ids in [0, V), lengths: (N,) -> x: (N, V) -> scores (N, C).
    W: (V, C) and b: (C,) start at 0, as a logistic regression's do (every class equally likely);
    with two classes the softmax of s is the sigmoid of s_1 - s_0, chapter 1's logistic regression.
    Only W and b are learned; the padding after a text's L_n words never enters x.
    """

    def __init__(self, vocab_size, n_classes=2, dtype=np.float32):
        self.vocab_size = vocab_size
        self.head = Affine(np.zeros((vocab_size, n_classes), dtype=dtype), np.zeros(n_classes, dtype=dtype))
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params([self.head])

    def encode(self, ids, lengths, train_flg=False):
        """ids: (N, T), lengths: (N,) -> the bag of words x: (N, V) of 0 and 1."""
        xp = array_module(self.params[0])
        N, T = ids.shape
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f'word ids must lie in [0, {self.vocab_size}), got {int(ids.min())} .. {int(ids.max())}')
        real = xp.arange(T)[None, :] < lengths[:, None]                  # (N, T)
        rows = xp.broadcast_to(xp.arange(N)[:, None], (N, T))
        bag = xp.zeros((N, self.vocab_size), dtype=self.params[0].dtype)
        bag[rows[real], ids[real]] = 1
        return bag

    def encode_backward(self, dh):
        """The bag has no parameters below it: nothing to do."""

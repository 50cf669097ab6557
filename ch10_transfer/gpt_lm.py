"""GptLm: chapter 9's GPT for a large vocabulary, pre-trained on movie reviews.

As ``LstmLm`` does, it reads all V words but predicts only the ``output_size`` most frequent ones
(rarer next words count as '<unk>'), through an output layer of its own instead of the transposed
embedding: with 30,000 words a tied (D, V) output layer would cost more than all the blocks.
"""
import numpy as np

from ch09_transformer.gpt import GPT
from ch10_transfer.lstm_lm import rare_words_as_unk
from common.time_layers import TimeAffine, TimeSoftmaxWithLoss
from common.transformer_layers import TransformerBody, init_normal


class GptLm(GPT):
    """GPT (``ch09_transformer.gpt``) with an untied output layer over the ``output_size`` most
    frequent words:

        H = TransformerBody(xs)                         token + learned positions, causal blocks, LayerNorm
        scores = H W + b                                W: (D, output_size), b: (output_size,)
        loss = mean_t -log softmax(scores_t)[y_t],      y_t = w_{t+1}, or '<unk>' if w_{t+1} >= output_size

    xs: (N, T) word ids in [0, V), T <= context_size, ts: (N, T) next-word ids (-1: not counted)
    -> loss: float; predict(xs) -> scores (N, T, output_size).  The body is GPT's (the same layers
    and names), so a trained GptLm starts a ``GptClassifier``.  W ~ N(0, 0.02^2) as GPT-2's
    weights, b = 0; the body's weights as ``GPT``.  rng: numpy Generator or seed (weights, then
    dropout masks); dtype: of the weights.
    """

    def __init__(self, vocab_size=30000, output_size=5000, context_size=128, d_model=256, num_heads=4,
                 num_layers=4, d_ff=1024, dropout_ratio=0.1, rng=None, dtype=np.float32):
        if not 1 <= output_size <= vocab_size:
            raise ValueError(f'output_size must lie in [1, vocab_size = {vocab_size}], got {output_size}')
        rng = np.random.default_rng(rng)
        self.keep_config(vocab_size=vocab_size, output_size=output_size, context_size=context_size,
                         d_model=d_model, num_heads=num_heads, num_layers=num_layers, d_ff=d_ff,
                         dropout_ratio=dropout_ratio)
        self.context_size, self.output_size = context_size, output_size
        self.body = TransformerBody(vocab_size, context_size, d_model, num_heads, num_layers, d_ff, causal=True,
                                    dropout_ratio=dropout_ratio, rng=rng, dtype=dtype)
        self.output_layer = TimeAffine(init_normal(rng, (d_model, output_size), 0.02, dtype),
                                       np.zeros(output_size, dtype=dtype))
        self.layers = [*self.body.layers, self.output_layer]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.collect_params(self.layers)

    def forward(self, xs, ts, train_flg=True):
        """xs, ts: (N, T) word ids and their next words -> mean cross-entropy loss over the output
        words (rarer targets as '<unk>')."""
        return super().forward(xs, rare_words_as_unk(ts, self.output_size), train_flg)

"""A Transformer seq2seq (beyond the book: Vaswani et al., 2017).

Chapter 8's decoder attends with one LSTM state over the encoder states.  The Transformer drops
the LSTMs: every position of the question and of the answer is a vector that attends to the
others, with sinusoidal positional encodings telling positions apart.

    TransformerEncoder:  xs -> TimeEmbedding + PositionalEncoding -> L pre-LN blocks
                         (self-attention, feed-forward) -> LayerNorm -> memory (N, T_in, D)
    TransformerDecoder:  ys -> TimeEmbedding + PositionalEncoding -> L pre-LN blocks
                         (causal self-attention, cross-attention over memory, feed-forward)
                         -> LayerNorm -> TimeAffine -> scores (N, T, V)

Both stacks are a ``common.transformer_layers.TransformerBody``, the body GPT and BERT use too.
The questions and answers of ``dataset.sequence`` are padded with spaces to a fixed length and
the spaces are read as characters (as the LSTMs of chapters 7-8 read them), so every position is
real and no padding mask is needed.  The model has chapter 7's interface (``forward``,
``backward``, ``generate``, and the decoder-step interface of ``ch07_seq2seq.decoding``), so
greedy and beam decoding and ``seq2seq_accuracy`` work unchanged.
"""
import numpy as np

from common.backend import array_module
from common.base_model import BaseModel
from common.checks import check_ndim
from common.time_layers import TimeAffine, TimeSoftmaxWithLoss
from common.transformer_layers import TransformerBody, init_normal
from ch07_seq2seq import decoding
from ch07_seq2seq.seq2seq import LayerStack


# What both stacks share: token vectors from N(0, 1) (the scale of the sinusoidal positions),
# fixed sinusoidal positions, residual projections N(0, 0.02^2), no dropout on the input vectors.
STACK_SETTINGS = dict(positions='sinusoidal', token_std=1.0, residual_std=0.02, input_dropout=False)


class TransformerEncoder(TransformerBody):
    """xs (N, T_in) ids -> memory (N, T_in, D): a ``TransformerBody`` with sinusoidal positions,
    bidirectional self-attention and no cross-attention; backward(dmemory) -> None.
    """

    def __init__(self, vocab_size, d_model, num_heads, num_layers, d_ff, dropout_ratio=0.0,
                 max_len=64, rng=None, dtype=np.float32):
        super().__init__(vocab_size, max_len, d_model, num_heads, num_layers, d_ff,
                         dropout_ratio=dropout_ratio, rng=rng, dtype=dtype, **STACK_SETTINGS)


class TransformerDecoder(LayerStack):
    """Teacher-forced decoding: (ys (N, T) ids, memory (N, T_in, D)) -> scores (N, T, V).

    A ``TransformerBody`` with causal self-attention and cross-attention over memory (position t
    sees the inputs ys[:, :t+1] and all of memory), then the output Affine W: (D, V) ~ N(0, 1/D).
    backward(dscores) -> dmemory (N, T_in, D), summed over the blocks.
    """

    def __init__(self, vocab_size, d_model, num_heads, num_layers, d_ff, dropout_ratio=0.0,
                 max_len=64, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.body = TransformerBody(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, causal=True,
                                    cross_attention=True, dropout_ratio=dropout_ratio, rng=rng, dtype=dtype,
                                    **STACK_SETTINGS)
        self.affine = TimeAffine(init_normal(rng, (d_model, vocab_size), d_model ** -0.5, dtype),
                                 np.zeros(vocab_size, dtype=dtype))
        self.collect(self.body.layers + [self.affine])

    def forward(self, ys, memory, train_flg=False):
        return self.affine.forward(self.body.forward(ys, memory, train_flg=train_flg))

    def backward(self, dscores):
        return self.body.backward(self.affine.backward(dscores))


class TransformerSeq2seq(BaseModel):
    """TransformerEncoder + TransformerDecoder + softmax cross entropy (mean over N * T answer chars).

    forward(xs, ts, train_flg=True): xs (N, T_in) question ids, ts (N, T_out) answer ids starting
    with '_' -> loss; the decoder reads ts[:, :-1] and predicts ts[:, 1:].  Dropout (residual and
    attention, ``dropout_ratio``) is on only when ``train_flg``.
    generate(xs, start_id, sample_size, beam_width=1) -> (N, sample_size) ids, greedy or beam.
    Sizes: d_model D (divisible by num_heads), feed-forward width d_ff, num_layers blocks in the
    encoder and as many in the decoder; questions and answers of at most ``max_len`` characters.
    """

    def __init__(self, vocab_size, d_model=64, num_heads=4, num_layers=2, d_ff=128, dropout_ratio=0.0,
                 max_len=64, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        sizes = (vocab_size, d_model, num_heads, num_layers, d_ff, dropout_ratio, max_len)
        self.encoder = TransformerEncoder(*sizes, rng=rng, dtype=dtype)
        self.decoder = TransformerDecoder(*sizes, rng=rng, dtype=dtype)
        self.softmax = TimeSoftmaxWithLoss()
        self.collect_params(self.encoder.layers + self.decoder.layers)

    def forward(self, xs, ts, train_flg=True):
        check_ndim(xs, 2, 'questions xs', '(N, T_in)')
        check_ndim(ts, 2, 'answers ts', '(N, T_out)')
        memory = self.encoder.forward(xs, train_flg=train_flg)
        return self.softmax.forward(self.decoder.forward(ts[:, :-1], memory, train_flg), ts[:, 1:])

    def backward(self, dout=1):
        self.encoder.backward(self.decoder.backward(self.softmax.backward(dout)))

    def start_state(self, xs):
        """(memory (N, T_in, D), ids read so far (N, 0)): the decoder-step interface's first state."""
        check_ndim(xs, 2, 'questions xs', '(N, T_in)')
        return self.encoder.forward(xs), array_module(xs).empty((len(xs), 0), dtype=np.int64)

    def step(self, ids, state):
        """ids (N,), state (memory, read (N, t)) -> (scores (N, V), (memory, read + ids)).

        The decoder reruns on the whole prefix and the last position's scores are returned: with
        the causal mask these are exactly the teacher-forced scores.  (Answers here are at most a
        dozen characters, so this costs little next to caching keys and values per layer.)
        """
        xp = array_module(ids)
        memory, read = state
        read = xp.concatenate([read, ids[:, None]], axis=1)
        return self.decoder.forward(read, memory)[:, -1], (memory, read)

    def generate(self, xs, start_id, sample_size, beam_width=1):
        """Answer ids for questions xs: (N, T_in) -> (N, sample_size), by ``decoding.generate``
        (greedy, or beam search when beam_width > 1).  start_id: int or (N,) ids."""
        return decoding.generate(self, xs, start_id, sample_size, beam_width)

"""Seq2seq (book chapter 7): an LSTM encoder reads the question, an LSTM decoder writes the answer.

    Encoder:  xs -> TimeEmbedding -> TimeLSTM -> h = hs[:, -1]   (the last hidden state)
    Decoder:  h starts the decoder's LSTM; '_' + answer -> TimeEmbedding -> TimeLSTM -> TimeAffine
              -> scores of the next character (teacher forcing: the decoder reads the true answer)

Every model here also exposes the decoder-step interface that greedy and beam search use
(``ch07_seq2seq.decoding``): ``start_state(xs) -> state`` (a tuple of arrays with the batch on
axis 0) and ``step(ids, state) -> (scores (N, V), state)`` for one output character.
"""
import numpy as np

from common.backend import array_module
from common.base_model import BaseModel
from common.checks import check_ndim, needs_forward
from common.layers import Affine, Embedding
from common.time_layers import LSTM, TimeAffine, TimeEmbedding, TimeLSTM, TimeSoftmaxWithLoss
from ch07_seq2seq import decoding


def normal(rng, shape, scale, dtype):
    """Initial weights drawn from N(0, scale^2)."""
    return (rng.standard_normal(shape) * scale).astype(dtype)


def lstm_weights(rng, dtype, input_size, hidden_size):
    """The book's LSTM initialisation: Wx (D, 4H) ~ N(0, 1/D), Wh (H, 4H) ~ N(0, 1/H), b = 0."""
    return (normal(rng, (input_size, 4 * hidden_size), input_size ** -0.5, dtype),
            normal(rng, (hidden_size, 4 * hidden_size), hidden_size ** -0.5, dtype),
            np.zeros(4 * hidden_size, dtype=dtype))


class LayerStack:
    """``params``/``grads`` of a list of layers, concatenated in order (encoders and decoders)."""

    def collect(self, layers):
        self.layers = layers
        self.params = [p for layer in layers for p in layer.params]
        self.grads = [g for layer in layers for g in layer.grads]


class Encoder(LayerStack):
    """xs -> embeddings -> LSTM (state starts at 0) -> h = the last hidden state.

    xs: (N, T) character ids -> h: (N, H).  Backward: dh: (N, H) flows into the last time step
    only; returns None (the ids have no gradient).
    """

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.embed = TimeEmbedding(normal(rng, (vocab_size, wordvec_size), 0.01, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, dtype, wordvec_size, hidden_size), stateful=False)
        self.collect([self.embed, self.lstm])
        self.hs = None

    def encode(self, xs):
        """All hidden states: xs (N, T) -> hs (N, T, H)."""
        self.hs = self.lstm.forward(self.embed.forward(xs))
        return self.hs

    def forward(self, xs):
        return self.encode(xs)[:, -1, :]

    @needs_forward('hs')
    def backward(self, dh):
        dhs = array_module(dh).zeros_like(self.hs)
        dhs[:, -1, :] = dh
        self.embed.backward(self.lstm.backward(dhs))


class Decoder(LayerStack):
    """Teacher-forced decoding: (xs, h) -> scores of the next character at every step.

    xs: (N, T) ids ('_' + answer without its last character), h: (N, H) encoder state that
    starts the LSTM (c starts at 0) -> scores: (N, T, V).
    Backward: dscores (N, T, V) -> dh (N, H), the gradient of the encoder state.
    """

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        lstm_input_size, affine_input_size = self.input_sizes(wordvec_size, hidden_size)
        self.hidden_size = hidden_size
        self.embed = TimeEmbedding(normal(rng, (vocab_size, wordvec_size), 0.01, dtype))
        self.lstm = TimeLSTM(*lstm_weights(rng, dtype, lstm_input_size, hidden_size), stateful=True)
        affine_W = normal(rng, (affine_input_size, vocab_size), affine_input_size ** -0.5, dtype)
        self.affine = TimeAffine(affine_W, np.zeros(vocab_size, dtype=dtype))
        self.collect([self.embed, self.lstm, self.affine])
        # One-step views of the same parameter arrays (they follow training and load_params).
        self.embed_step = Embedding(*self.embed.params)
        self.lstm_step = LSTM(*self.lstm.params)
        self.affine_step = Affine(*self.affine.params)

    @staticmethod
    def input_sizes(wordvec_size, hidden_size):
        """(LSTM input size, Affine input size): (D, H) here; subclasses that concatenate change it."""
        return wordvec_size, hidden_size

    def forward(self, xs, h):
        self.lstm.set_state(h)
        return self.affine.forward(self.lstm.forward(self.embed.forward(xs)))

    def backward(self, dscore):
        self.embed.backward(self.lstm.backward(self.affine.backward(dscore)))
        return self.lstm.dh

    def start_state(self, h):
        """The state before the first output: (h, c) = (encoder state, 0)."""
        return h, array_module(h).zeros_like(h)

    def step(self, ids, state):
        """One output character: ids (N,), state (h, c) -> (scores (N, V), new (h, c))."""
        h, c = self.lstm_step.forward(self.embed_step.forward(ids), *state)
        return self.affine_step.forward(h), (h, c)


class Seq2seq(BaseModel):
    """Encoder + Decoder + softmax cross entropy (mean over the N * T answer characters).

    forward(xs, ts): xs (N, T_in) question ids, ts (N, T_out) answer ids starting with '_'
    -> loss; the decoder reads ts[:, :-1] and predicts ts[:, 1:].
    generate(xs, start_id, sample_size) -> (N, sample_size) ids (greedy, or beam search).
    Subclasses swap ``encoder_class`` / ``decoder_class`` (peeky, attention).
    """
    encoder_class = Encoder
    decoder_class = Decoder

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng=None, dtype=np.float32):
        self.keep_config(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size)
        rng = np.random.default_rng(rng)
        self.encoder = self.encoder_class(vocab_size, wordvec_size, hidden_size, rng, dtype)
        self.decoder = self.decoder_class(vocab_size, wordvec_size, hidden_size, rng, dtype)
        self.softmax = TimeSoftmaxWithLoss()
        self.collect_params(self.encoder.layers + self.decoder.layers)

    def forward(self, xs, ts):
        check_ndim(xs, 2, 'questions xs', '(N, T_in)')
        check_ndim(ts, 2, 'answers ts', '(N, T_out)')
        score = self.decoder.forward(ts[:, :-1], self.encoder.forward(xs))
        return self.softmax.forward(score, ts[:, 1:])

    def backward(self, dout=1):
        self.encoder.backward(self.decoder.backward(self.softmax.backward(dout)))

    def start_state(self, xs):
        """Encode questions xs (N, T_in) into the decoder's first state (decoder-step interface)."""
        check_ndim(xs, 2, 'questions xs', '(N, T_in)')
        return self.decoder.start_state(self.encoder.forward(xs))

    def step(self, ids, state):
        """ids (N,), state -> (scores (N, V), state): one decoder step (decoder-step interface)."""
        return self.decoder.step(ids, state)

    def generate(self, xs, start_id, sample_size, beam_width=1):
        """Answer ids for questions xs: (N, T_in) -> (N, sample_size), by ``decoding.generate``
        (greedy as in the book, or beam search when beam_width > 1).  start_id: int or (N,) ids.
        (The book's version takes one question and returns a list.)
        """
        return decoding.generate(self, xs, start_id, sample_size, beam_width)

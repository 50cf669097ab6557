"""Seq2seq with attention (book chapter 8): the decoder looks back at every encoder state.

    AttentionEncoder:  xs -> TimeEmbedding -> TimeLSTM -> hs_enc (all hidden states)
    AttentionDecoder:  h = hs_enc[:, -1] starts the LSTM; ys -> TimeEmbedding -> TimeLSTM -> hs_dec
                       c = TimeAttention(hs_enc, hs_dec)  (a context vector per decoder step)
                       scores = [c, hs_dec] W + b         (TimeAffine on 2H features)
"""
import numpy as np

from common.attention_layers import Attention, TimeAttention
from common.backend import array_module, as_model_device
from ch07_seq2seq.decoding import start_ids
from ch07_seq2seq.seq2seq import Decoder, Encoder, Seq2seq


class AttentionEncoder(Encoder):
    """Encoder that returns all hidden states: xs (N, T) -> hs (N, T, H); backward(dhs) -> None."""

    def forward(self, xs):
        return self.encode(xs)

    def backward(self, dhs):
        self.embed.backward(self.lstm.backward(dhs))


class AttentionDecoder(Decoder):
    """Decoder with attention over the encoder states.

    xs: (N, T) ids, hs_enc: (N, T_enc, H) -> scores: (N, T, V); Affine W: (2H, V).
    Backward: dscores -> dhs_enc (N, T_enc, H), from the attention and, through the LSTM's
    initial state, into the last encoder step.
    ``attention.attention_weights``: (N, T, T_enc) after a forward pass.
    """

    def __init__(self, vocab_size, wordvec_size, hidden_size, rng=None, dtype=np.float32):
        super().__init__(vocab_size, wordvec_size, hidden_size, rng, dtype)
        self.attention = TimeAttention()
        self.collect([self.embed, self.lstm, self.attention, self.affine])
        self.attention_step = Attention()

    @staticmethod
    def input_sizes(wordvec_size, hidden_size):
        return wordvec_size, 2 * hidden_size

    def forward(self, xs, hs_enc):
        xp = array_module(hs_enc)
        self.lstm.set_state(hs_enc[:, -1, :])
        hs_dec = self.lstm.forward(self.embed.forward(xs))
        context = self.attention.forward(hs_enc, hs_dec)
        return self.affine.forward(xp.concatenate([context, hs_dec], axis=2))

    def backward(self, dscore):
        H = self.hidden_size
        dout = self.affine.backward(dscore)
        dhs_enc, dhs_dec = self.attention.backward(dout[:, :, :H])
        self.embed.backward(self.lstm.backward(dhs_dec + dout[:, :, H:]))
        dhs_enc[:, -1, :] += self.lstm.dh
        return dhs_enc

    def start_state(self, hs_enc):
        """(h, c, hs_enc) = (last encoder state, 0, all encoder states)."""
        h = hs_enc[:, -1, :]
        return h, array_module(h).zeros_like(h), hs_enc

    def step(self, ids, state):
        """ids (N,), state (h, c, hs_enc) -> (scores (N, V), new state).

        ``attention_step.attention_weight`` holds this step's weights (N, T_enc).
        """
        xp = array_module(ids)
        h, c, hs_enc = state
        h, c = self.lstm_step.forward(self.embed_step.forward(ids), h, c)
        context = self.attention_step.forward(hs_enc, h)
        return self.affine_step.forward(xp.concatenate([context, h], axis=1)), (h, c, hs_enc)


class AttentionSeq2seq(Seq2seq):
    """Seq2seq with AttentionEncoder and AttentionDecoder (same interface as Seq2seq)."""
    encoder_class = AttentionEncoder
    decoder_class = AttentionDecoder

    def generate_with_attention(self, xs, start_id, sample_size):
        """Greedy answers and the attention weights used while writing them.

        xs: (N, T_in) -> (answers (N, sample_size), weights (N, sample_size, T_in)); row j of
        weights[n] is the attention over the question while answer character j was chosen.
        """
        xs = as_model_device(self, xs)
        xp = array_module(xs)
        answers = self.generate(xs, start_id, sample_size)
        read = xp.concatenate([start_ids(xs, start_id)[:, None], answers[:, :-1]], axis=1)
        self.decoder.forward(read, self.encoder.forward(xs))
        return answers, self.decoder.attention.attention_weights

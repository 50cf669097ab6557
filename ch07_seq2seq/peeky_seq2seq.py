"""Peeky seq2seq (book chapter 7): every decoder step also "peeks" at the encoder state h.

The encoder vector h is concatenated to the LSTM input and to the Affine input of every step:

    x_t' = [h, embed(x_t)]    (H + D)  -> LSTM -> h_t
    s_t  = [h, h_t] W + b     (2H)     -> scores of the next character
"""
from common.backend import array_module
from ch07_seq2seq.seq2seq import Decoder, Seq2seq


class PeekyDecoder(Decoder):
    """Decoder whose LSTM and Affine layers read the encoder state h at every step.

    xs: (N, T) ids, h: (N, H) -> scores: (N, T, V); LSTM Wx: (H + D, 4H), Affine W: (2H, V).
    Backward: dscores -> dh = lstm.dh + sum_t (dh from the LSTM input + dh from the Affine input).
    """

    @staticmethod
    def input_sizes(wordvec_size, hidden_size):
        return hidden_size + wordvec_size, 2 * hidden_size

    def forward(self, xs, h):
        xp = array_module(h)
        self.lstm.set_state(h)
        hs = xp.broadcast_to(h[:, None, :], (*xs.shape, self.hidden_size))
        out = self.lstm.forward(xp.concatenate([hs, self.embed.forward(xs)], axis=2))
        return self.affine.forward(xp.concatenate([hs, out], axis=2))

    def backward(self, dscore):
        H = self.hidden_size
        dout = self.affine.backward(dscore)
        dx = self.lstm.backward(dout[:, :, H:])
        self.embed.backward(dx[:, :, H:])
        return self.lstm.dh + dout[:, :, :H].sum(axis=1) + dx[:, :, :H].sum(axis=1)

    def start_state(self, h):
        """(h, c, peeked h) = (encoder state, 0, encoder state)."""
        return h, array_module(h).zeros_like(h), h

    def step(self, ids, state):
        """ids (N,), state (h, c, peeked h) -> (scores (N, V), new state)."""
        xp = array_module(ids)
        h, c, peek = state
        x = xp.concatenate([peek, self.embed_step.forward(ids)], axis=1)
        h, c = self.lstm_step.forward(x, h, c)
        return self.affine_step.forward(xp.concatenate([peek, h], axis=1)), (h, c, peek)


class PeekySeq2seq(Seq2seq):
    """Seq2seq with the plain Encoder and a PeekyDecoder (same interface as Seq2seq)."""
    decoder_class = PeekyDecoder

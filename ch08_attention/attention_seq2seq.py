"""Seq2seq with attention (book chapter 8): the decoder looks back at every encoder state.

    AttentionEncoder:  xs -> TimeEmbedding -> TimeLSTM -> hs_enc (all hidden states)
    AttentionDecoder:  h = hs_enc[:, -1] starts the LSTM; ys -> TimeEmbedding -> TimeLSTM -> hs_dec
                       c = TimeAttention(hs_enc, hs_dec)  (a context vector per decoder step)
                       scores = [c, hs_dec] W + b         (TimeAffine on 2H features)

The book's trained model (its ch08/AttentionSeq2seq.pkl, 10 arrays in the order of this model's
parameters) loads with ``AttentionSeq2seq(59, 16, 256).load_params('AttentionSeq2seq.pkl')``.
Its rows and columns are the characters of the book's date.txt numbered as the book numbers them
(``book_date_vocab()``), not those of the date.txt generated here (``dataset.sequence``: 60
characters in sorted order, '.' among them, and more date formats), so questions for it are
encoded with ``book_date_vocab()`` and fed reversed, as the book trained it.
"""
import numpy as np

from common.attention_layers import Attention, TimeAttention
from common.backend import array_module, as_model_device
from ch07_seq2seq.decoding import start_ids
from ch07_seq2seq.seq2seq import Decoder, Encoder, Seq2seq


# The 59 characters of the book's date.txt in the order the book's dataset/sequence.py numbers
# them (first appearance, each question before its answer): the ids of the book's trained model.
BOOK_DATE_CHARS = 'septmbr 27,194_-0Aug38/TUESDYPMBR5JN6ailOcoGFynCWdILjHvhVfw'


def book_date_vocab():
    """(char_to_id, id_to_char) of the book's date model (BOOK_DATE_CHARS): 's' is 0, ' ' is 7, '_' 14.

    Encode questions with it (``dataset.sequence.encode(texts, char_to_id, 29)[:, ::-1]``) for a
    model loaded from the book's AttentionSeq2seq.pkl; a character outside it (such as the '.' of
    '27.09.1994', a format the book's data does not have) cannot be encoded.
    """
    return {c: i for i, c in enumerate(BOOK_DATE_CHARS)}, dict(enumerate(BOOK_DATE_CHARS))


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

    def assign_book_arrays(self, arrays, origin):
        """BaseModel's, with a word on the vocabulary when the book's file has another number of
        characters than this model (the book's date model has the 59 of ``book_date_vocab()``)."""
        rows = arrays[0].shape[0] if arrays[0].ndim else 0
        vocab_size = self.config()['vocab_size']
        if rows == len(BOOK_DATE_CHARS) != vocab_size:
            raise ValueError(f"{origin} is the book's date model: its rows are the {rows} characters "
                             f"of the book's date.txt in the book's order, this model has {vocab_size}; "
                             f'build AttentionSeq2seq({rows}, ...) and encode questions with '
                             'book_date_vocab() (the date.txt generated here numbers other characters '
                             'in another order)')
        super().assign_book_arrays(arrays, origin)

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

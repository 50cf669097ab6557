"""The decoder-step interface and greedy and beam decoding (ch07_seq2seq.decoding) of every seq2seq
model, against references built another way: the teacher-forced scores of the whole-sequence
layers for the steps and for greedy search, an exhaustive search for beam search."""
import itertools

import numpy as np
import pytest

from ch07_seq2seq.decoding import beam_search, greedy_search, start_ids
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.seq2seq import Seq2seq
from ch08_attention.attention_seq2seq import AttentionSeq2seq
from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from common.functions import log_softmax

T_IN = 4
# name -> model(vocab_size, rng, dtype) at a tiny size
MODELS = {
    'Seq2seq': lambda V, rng, dtype: Seq2seq(V, 3, 8, rng=rng, dtype=dtype),
    'Peeky': lambda V, rng, dtype: PeekySeq2seq(V, 3, 8, rng=rng, dtype=dtype),
    'Attention': lambda V, rng, dtype: AttentionSeq2seq(V, 3, 8, rng=rng, dtype=dtype),
    'Transformer': lambda V, rng, dtype: TransformerSeq2seq(V, d_model=8, num_heads=2, num_layers=1,
                                                            d_ff=12, rng=rng, dtype=dtype),
}


def sequence_log_prob(model, xs, start_id, ys):
    """log P(ys | xs) = sum_t log softmax(scores_t)[y_t], the decoder reading ys step by step.

    xs: (N, T_in), ys: (N, L) answer ids (without the start id) -> (N,) float64.
    """
    state = model.start_state(xs)
    ids = start_ids(xs, start_id)
    total = np.zeros(len(xs))
    for t in range(ys.shape[1]):
        scores, state = model.step(ids, state)
        ids = ys[:, t]
        total += log_softmax(scores.astype(np.float64))[np.arange(len(xs)), ids]
    return total


@pytest.mark.parametrize('name', MODELS)
def test_decoder_steps_give_the_teacher_forced_scores(name):
    """The one-step path used for generation computes what the layers compute in training."""
    rng = np.random.default_rng(5)
    model = MODELS[name](6, rng, np.float64)
    xs, ys = rng.integers(0, 6, size=(3, T_IN)), rng.integers(0, 6, size=(3, 3))
    expected = model.decoder.forward(ys, model.encoder.forward(xs))
    state = model.start_state(xs)
    for t in range(3):
        scores, state = model.step(ys[:, t], state)
        np.testing.assert_allclose(scores, expected[:, t], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name', MODELS)
def test_beam_width_one_is_greedy_and_greedy_follows_the_argmax(name):
    rng = np.random.default_rng(6)
    model = MODELS[name](6, rng, np.float32)
    xs = rng.integers(0, 6, size=(50, T_IN))
    greedy = model.generate(xs, 0, 5)
    np.testing.assert_array_equal(beam_search(model, xs, 0, 5, beam_width=1), greedy)
    for t in range(5):  # each greedy id is the argmax of the teacher-forced scores of its prefix
        scores = model.decoder.forward(np.concatenate([np.zeros((50, 1), int), greedy[:, :t]], axis=1),
                                       model.encoder.forward(xs))
        np.testing.assert_array_equal(scores[:, -1].argmax(axis=1), greedy[:, t])


@pytest.mark.parametrize('name', MODELS)
def test_wide_beam_finds_the_most_probable_answer(name):
    """With width V^(L-1) nothing is ever pruned: beam search equals an exhaustive search."""
    rng = np.random.default_rng(7)
    model = MODELS[name](4, rng, np.float64)
    xs, length = rng.integers(0, 4, size=(3, T_IN)), 3
    found = model.generate(xs, 1, length, beam_width=4 ** (length - 1))
    for n in range(len(xs)):
        candidates = np.array(list(itertools.product(range(4), repeat=length)))
        log_p = sequence_log_prob(model, np.repeat(xs[n:n + 1], len(candidates), axis=0), 1, candidates)
        np.testing.assert_array_equal(found[n], candidates[log_p.argmax()])
    assert np.all(sequence_log_prob(model, xs, 1, found) >=
                  sequence_log_prob(model, xs, 1, greedy_search(model, xs, 1, length)) - 1e-12)


def test_beam_search_rejects_a_bad_width():
    model = MODELS['Seq2seq'](6, 0, np.float32)
    with pytest.raises(ValueError, match='beam_width'):
        model.generate(np.zeros((1, T_IN), int), 0, 3, beam_width=0)

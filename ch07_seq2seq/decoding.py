"""Decoding a seq2seq model's answers: greedy search and beam search, for a whole batch at once.

Chapters 7, 8 and 9 share this module.  It works with any model that has the decoder-step
interface (chapter 7's ``Seq2seq`` and ``PeekySeq2seq``, chapter 8's ``AttentionSeq2seq``,
chapter 9's ``TransformerSeq2seq``):

    state = model.start_state(xs)          # encode the questions; a tuple of arrays, batch on axis 0
    scores, state = model.step(ids, state) # ids (N,) -> scores (N, V) of the next character

Greedy search takes the most probable character at every step.  Beam search keeps the
``beam_width`` most probable prefixes y_1..y_t of every question, scored by
log P(y_1..y_t | x) = sum_s log softmax(scores_s)[y_s], and returns the best full answer; with
width 1 it is greedy search, and with width >= V^(length - 1) it is an exhaustive search.
Answers have a fixed length (the data pads them with spaces), so there is no end symbol.
"""
import numpy as np

from common.backend import array_module, as_model_device
from common.functions import log_softmax


def generate(model, xs, start_id, length, beam_width=1):
    """Answer ids for questions xs: (N, T_in) -> (N, length).

    start_id: int or (N,) ids of the first decoder input ('_'); beam_width 1 picks the most
    probable character at every step (greedy, as in the book), a larger width runs beam search.
    The questions are copied to the model's device; the answers stay there.
    """
    xs = as_model_device(model, xs)
    if beam_width == 1:
        return greedy_search(model, xs, start_id, length)
    return beam_search(model, xs, start_id, length, beam_width)


def start_ids(xs, start_id):
    """The first decoder input of every question: int or (N,) ids -> (N,) ids."""
    xp = array_module(xs)
    return xp.broadcast_to(xp.asarray(start_id), (len(xs),)).astype(np.int64)


def greedy_search(model, xs, start_id, length):
    """y_t = argmax_v scores_t[v], fed back as the next input.  xs: (N, T_in) -> (N, length) ids."""
    xp = array_module(xs)
    state = model.start_state(xs)
    ids = start_ids(xs, start_id)
    answers = xp.empty((len(xs), length), dtype=np.int64)
    for t in range(length):
        scores, state = model.step(ids, state)
        ids = scores.argmax(axis=1)
        answers[:, t] = ids
    return answers


def beam_search(model, xs, start_id, length, beam_width):
    """The most probable answer among ``beam_width`` kept prefixes per question.

    xs: (N, T_in) -> (N, length) ids.  The N * B beams run as one batch of the model's step;
    after each step the B best of the B * V extensions of every question are kept (ties go to
    the lower beam and character index, as argmax does) and the states are reordered to match.
    """
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f'beam_width must be a positive integer, got {beam_width!r}')
    xp = array_module(xs)
    n, width = len(xs), int(beam_width)
    state = reorder(model.start_state(xs), xp.repeat(xp.arange(n), width))
    ids = xp.repeat(start_ids(xs, start_id), width)
    # Only beam 0 is alive at the start, so the first step fills the beams with distinct prefixes.
    beam_log_p = xp.full((n, width), -np.inf)
    beam_log_p[:, 0] = 0
    prefixes = xp.empty((n, width, 0), dtype=np.int64)
    for _ in range(length):
        scores, state = model.step(ids, state)
        vocab_size = scores.shape[1]
        log_p = log_softmax(scores.astype(np.float64)).reshape(n, width, vocab_size)
        candidates = (log_p + beam_log_p[:, :, None]).reshape(n, width * vocab_size)
        best = xp.argsort(-candidates, axis=1, kind='stable')[:, :width]
        beam_log_p = xp.take_along_axis(candidates, best, axis=1)
        origin, ids = best // vocab_size, best % vocab_size
        prefixes = xp.concatenate([xp.take_along_axis(prefixes, origin[:, :, None], axis=1),
                                   ids[:, :, None]], axis=2)
        state = reorder(state, (xp.arange(n)[:, None] * width + origin).reshape(-1))
        ids = ids.reshape(-1)
    return prefixes[:, 0, :]


def reorder(state, rows):
    """The state of the beams listed in ``rows``: every array of the tuple indexed on axis 0."""
    return tuple(array[rows] for array in state)


"""Text generation and sentence scoring with a trained language model (book section 7.1).

The model reads one word, gives scores for the next word, and we draw it from
P(w) = softmax(scores / temperature), feed it back in, and repeat.  ``RnnlmGen`` adds this to
the chapter-6 ``Rnnlm`` (``BetterRnnlmGen`` to ``BetterRnnlm``).
"""
import numpy as np

from common.backend import as_model_device, to_cpu
from common.checks import check_ids
from common.functions import log_softmax, softmax
from ch06_lstm.rnnlm import Rnnlm
from ch07_seq2seq.sentence_scorer import SentenceScorer


def sample_next_id(scores, rng, skip_ids=None, temperature=1.0, top_k=None, greedy=False):
    """Draw the next word id from P(w) proportional to exp(scores_w / temperature).

    scores: (V,) -> int.  skip_ids: ids that must never be drawn (their probability is set to 0
    and the rest renormalised; the book drew again instead, after feeding the previous word a
    second time, which moved the LSTM state on); top_k: draw only among the k highest-scoring allowed ids;
    greedy: take the highest-scoring allowed id (no randomness).  rng: numpy Generator.
    Temperature < 1 sharpens the distribution, > 1 flattens it.
    """
    logits = to_cpu(scores).astype(np.float64).reshape(-1)
    if temperature <= 0:
        raise ValueError(f'temperature must be positive, got {temperature}')
    logits = logits / temperature
    if skip_ids is not None and len(skip_ids):
        skip = np.asarray(skip_ids)
        if skip.dtype.kind not in 'iu' or skip.min() < 0 or skip.max() >= len(logits):
            raise ValueError(f'skip_ids must be word ids in [0, {len(logits)}), got {list(skip_ids)}')
        logits[skip] = -np.inf
    allowed = np.isfinite(logits).sum()
    if allowed == 0:
        raise ValueError('skip_ids exclude every word of the vocabulary: nothing is left to draw')
    if greedy:
        return int(logits.argmax())
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f'top_k must be a positive integer, got {top_k}')
        if top_k < allowed:
            dropped = np.argpartition(-logits, top_k)[top_k:]
            logits[dropped] = -np.inf
    return int(rng.choice(len(logits), p=softmax(logits)))


class LanguageModelGenerator(SentenceScorer):
    """Mix-in for a stateful language model with ``predict(xs) -> scores`` and ``reset_state()``.

    ``generate`` continues from the model's current state (call ``reset_state()`` first for a
    fresh start); ``score`` always starts from a reset state.
    """

    def next_word_scores(self, xs):
        """Scores of the next word after each of xs: (N, T) ids -> (N, T, V) (test mode)."""
        return self.predict(xs)

    def _read(self, word_ids):
        """Scores after reading ``word_ids`` (a list of ints, kept on the host for the Python loop
        of generation), copied as a (1, T) array to the model's device -> (1, T, V) there."""
        return self.next_word_scores(as_model_device(self, np.array([word_ids])))

    def generate(self, start_id, skip_ids=None, sample_size=100, temperature=1.0, top_k=None,
                 greedy=False, rng=None):
        """A list of ``sample_size`` word ids that begins with the start word(s).

        start_id: an id, or a list of ids (a prompt such as 'the meaning of life is': all but the
        last are read first, then generation continues after the last).  Each next word comes
        from ``sample_next_id`` (skip_ids, temperature, top_k, greedy as there).
        rng: numpy Generator or seed; the same seed gives the same text.
        """
        rng = np.random.default_rng(rng)
        word_ids = [int(i) for i in np.atleast_1d(start_id)]
        if not word_ids:
            raise ValueError('generate needs at least one start word id')
        if len(word_ids) > 1:
            self._read(word_ids[:-1])
        while len(word_ids) < sample_size:
            scores = self._read(word_ids[-1:])[0, -1]
            word_ids.append(sample_next_id(scores, rng, skip_ids, temperature, top_k, greedy))
        return word_ids

    def log_probs(self, ids):
        """log P(ids[n, 1:] | ids[n, 0]) of a batch of sentences, each from a reset state.

        ids: (N, K + 1) int -> (N,) float64 (the scoring interface of ``SentenceScorer``).
        """
        ids = np.asarray(ids)
        self.reset_state()
        scores = self.next_word_scores(as_model_device(self, ids[:, :-1]))  # (N, K, V)
        log_p = log_softmax(to_cpu(scores).astype(np.float64))
        self.reset_state()
        check_ids(ids, log_p.shape[-1])
        N, K = ids.shape[0], ids.shape[1] - 1
        return log_p[np.arange(N)[:, None], np.arange(K), ids[:, 1:]].sum(axis=1)


class RnnlmGen(LanguageModelGenerator, Rnnlm):
    """Rnnlm with ``generate`` and ``score`` (constructed and loaded exactly like Rnnlm)."""

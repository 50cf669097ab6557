"""One sentence-scoring interface for every language model: ``score(word_ids) -> SentenceScore``.

The book's use of a language model (section 5.1): of several candidate sentences, pick the most
probable.  Any model that can give log P(w_1 .. w_K | w_0) for a batch of sentences of one length
gets ``score`` (one sentence) and ``score_sentences`` (many, batched by length) from
``SentenceScorer``.  ``RnnlmGen``/``BetterRnnlmGen`` (chapter 7), ``NgramScorer`` (the chapter-5
Kneser-Ney model, below) and chapter 9's GPT scorer all speak it.
"""
from typing import NamedTuple

import numpy as np

from ch05_rnn.ngram import KneserNeyLM


class SentenceScore(NamedTuple):
    """log_prob = sum_t log P(w_t | w_0 .. w_{t-1}) over the K predicted words;
    perplexity = exp(-log_prob / K)."""
    log_prob: float
    perplexity: float


class SentenceScorer:
    """Mix-in: ``score`` and ``score_sentences`` from the subclass's ``log_probs``.

    Subclasses define ``log_probs(ids: (N, K + 1) int) -> (N,) float64``, the log-probability of
    ids[:, 1:] given ids[:, 0] (usually '<eos>', the end of the sentence before).
    """
    max_batch_tokens = 2000  # sentences scored together hold at most this many ids (memory)

    def score(self, word_ids):
        """How probable the model finds the sentence w_1..w_K that follows w_0 = word_ids[0].

        word_ids: K + 1 ids (usually '<eos>' + the sentence + '<eos>') -> SentenceScore.
        """
        if len(word_ids) < 2:
            raise ValueError(f'a sentence to score needs at least 2 ids (a start id and a word), '
                             f'got {len(word_ids)}')
        ids = np.asarray(word_ids).reshape(1, -1)
        log_prob = float(self.log_probs(ids)[0])
        return SentenceScore(log_prob, float(np.exp(-log_prob / (ids.shape[1] - 1))))

    def score_sentences(self, sentences, eos_id):
        """log P('<eos>' s '<eos>') of many sentences, scored in batches of equal length.

        sentences: list of (L_i,) int arrays (no '<eos>'; L_i >= 1); eos_id: id of '<eos>'
        -> (n,) float64 log-probabilities, in the order of ``sentences``.
        """
        lengths = np.array([len(s) for s in sentences])
        if lengths.size and lengths.min() == 0:
            raise ValueError(f'sentence {int(np.argmin(lengths))} is empty: nothing to score')
        result = np.empty(len(sentences))
        for length in np.unique(lengths):
            which = np.flatnonzero(lengths == length)
            rows = max(1, self.max_batch_tokens // (length + 2))
            for start in range(0, which.size, rows):
                batch = which[start:start + rows]
                ids = np.full((batch.size, length + 2), eos_id, dtype=np.int32)
                ids[:, 1:-1] = [sentences[k] for k in batch]
                result[batch] = self.log_probs(ids)
        return result


class NgramScorer(SentenceScorer):
    """The chapter-5 Kneser-Ney model behind the scoring interface.

    Each sentence is scored as its own stream: P(w_t | up to n - 1 words before it, back to w_0).
    kn_model: a fitted ``ch05_rnn.ngram.KneserNeyLM``.
    """

    def __init__(self, kn_model):
        if not isinstance(kn_model, KneserNeyLM):
            raise TypeError(f'NgramScorer needs a KneserNeyLM, got {type(kn_model).__name__}')
        self.kn_model = kn_model

    def log_probs(self, ids):
        """ids: (N, K + 1) -> (N,) sum of log P(ids[n, t] | ids[n, :t]) over t = 1..K."""
        return np.array([self.kn_model.log_probs(row).sum() for row in np.asarray(ids)])

"""Interpolated modified Kneser-Ney n-gram language model: the count-based baseline of chapter 5.

The RNN language models of chapters 5 and 6 are judged by their perplexity on PTB; this classical
model is the yardstick they have to beat (Mikolov et al. 2011 report 141.2 on the PTB test set for
a Kneser-Ney 5-gram model).

The model reads the corpus as one continuous stream of ids (``<eos>`` is an ordinary token), exactly
as the neural models do, and :meth:`KneserNeyLM.perplexity` scores the same ``N - 1`` predictions as
``eval_perplexity``: ``corpus[1:]``, each word from the words before it.  At the start of the
stream the history is shorter than ``order - 1`` words and the model uses the longest history there is.

How the counts are stored: the n-grams of each length ``k`` sit in one sorted table of integer keys,
``key = index of the (k-1)-word prefix in the table of length k-1 * V + last word``, so a key of any
order fits in an int64, counting is one ``np.unique`` per order, and finding an n-gram is a chain of
``np.searchsorted`` calls, vectorised over all positions of a corpus.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from common.checks import check_ids, check_ndim

MIN_ORDER, MAX_ORDER = 2, 5
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


def estimate_discounts(counts):
    """Modified Kneser-Ney discounts ``(D1, D2, D3+)`` from the count-of-counts of one order.

    Chen & Goodman (1999), with ``n_c`` the number of n-grams whose count is exactly ``c``::

        Y  = n1 / (n1 + 2 n2)
        Dc = c - (c + 1) Y n_{c+1} / n_c          (c = 1, 2, 3; D3 is used for every count >= 3)

    When some ``n_c`` (c <= 4) is zero the estimate is undefined (tiny corpora), and a ``Dc``
    outside ``(0, c]`` would break the model; in both cases the fallback ``(0.5, 1.0, 1.5)`` is
    returned, as KenLM's ``--discount_fallback`` does.

    counts: (M,) integer n-gram counts (zeros are ignored) -> (3,) float64 discounts.
    """
    n = np.array([np.count_nonzero(counts == c) for c in range(1, 5)], dtype=np.float64)
    if np.any(n == 0):
        return np.array(FALLBACK_DISCOUNTS)
    c = np.arange(1, 4)
    y = n[0] / (n[0] + 2 * n[1])
    discounts = c - (c + 1) * y * n[1:] / n[:-1]
    if np.any(discounts <= 0) or np.any(discounts > c):
        return np.array(FALLBACK_DISCOUNTS)
    return discounts


class KneserNeyLM:
    """Interpolated modified Kneser-Ney language model of order ``n`` over a vocabulary of ``V`` ids.

    For a history ``h`` of ``k - 1`` words (``h'`` is ``h`` without its first word)::

        p_k(w | h) = max(c_k(h w) - D_k(c_k(h w)), 0) / c_k(h .)  +  gamma_k(h) p_{k-1}(w | h')
        gamma_k(h) = (D_k1 N1(h .) + D_k2 N2(h .) + D_k3+ N3+(h .)) / c_k(h .)
        p_0(w)     = 1 / V

    ``c_n`` is the raw count; a lower order ``k < n`` uses the continuation count
    ``c_k(h w) = N1+(. h w)``, the number of different words seen before ``h w``.
    ``c_k(h .) = sum_w c_k(h w)`` and ``N_j(h .)`` is the number of words with ``c_k(h w) = j``.
    A history never seen before a word (``c_k(h .) = 0``) passes ``p_{k-1}`` through unchanged, and a
    history shorter than ``n - 1`` words (only at the start of a corpus) starts the recursion at
    ``p_{len(h)+1}``, whose counts are continuation counts.
    Every distribution sums to 1 and every probability is > 0.

    Stored per order ``k``: the sorted n-gram ``keys``, per n-gram ``A_k = max(c - D(c), 0) / c_k(h .)``
    and per history ``gamma_k`` (1 for a history with no successors), so that
    ``p_k(w | h) = A_k[h w] + gamma_k[h] p_{k-1}(w | h')``.

    vocab_size: V; order: n in [2, 5]; discounts: None to estimate ``(D1, D2, D3+)`` for every order
    from the training counts (:func:`estimate_discounts`), or three numbers used for every order
    (``0 < Dc <= c``; equal numbers give interpolated absolute discounting).
    """

    def __init__(self, vocab_size, order=5, discounts=None):
        if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
            raise ValueError(f'vocab_size must be a positive integer, got {vocab_size!r}')
        if not isinstance(order, (int, np.integer)) or not MIN_ORDER <= order <= MAX_ORDER:
            raise ValueError(f'order must be an integer in [{MIN_ORDER}, {MAX_ORDER}], got {order!r}')
        if discounts is not None:
            discounts = np.asarray(discounts, dtype=np.float64)
            if discounts.shape != (3,) or not np.all((discounts > 0) & (discounts <= np.arange(1, 4))):
                raise ValueError('discounts must be three numbers (D1, D2, D3+) with 0 < D1 <= 1, '
                                 f'0 < D2 <= 2, 0 < D3+ <= 3, got {discounts.tolist()}')
        self.vocab_size = int(vocab_size)
        self.order = int(order)
        self.fixed_discounts = discounts
        self.discounts = None  # (order, 3) after fit: row k - 1 holds (D1, D2, D3+) of order k
        self.keys, self.weights, self.gammas = [], [], []

    def fit(self, corpus):
        """Count every n-gram of orders 1..n in ``corpus`` and precompute ``A_k`` and ``gamma_k``.

        corpus: (N,) int word ids in [0, V), N >= order -> returns self.
        """
        corpus = self._check_corpus(corpus, self.order)
        n, V = self.order, self.vocab_size
        keys, counts = [], []
        prefix = np.zeros(corpus.size + 1, dtype=np.int64)  # index of the empty prefix at each position
        for k in range(1, n + 1):
            # the k-gram starting at position p: its (k-1)-word prefix index * V + its last word
            table, first, inverse, raw = np.unique(prefix[:-1] * V + corpus[k - 1:], return_index=True,
                                                   return_inverse=True, return_counts=True)
            if k > 1:
                # continuation count of a (k-1)-gram s: the number of different k-grams that end in s
                counts[-1] = np.bincount(prefix[first + 1], minlength=keys[-1].size)
            keys.append(table)
            counts.append(raw)
            prefix = inverse.reshape(-1)
        self.keys, self.weights, self.gammas = [], [], []
        self.discounts = np.empty((n, 3))
        for k in range(1, n + 1):
            self._fit_order(k, keys[k - 1], counts[k - 1])
        return self

    def _fit_order(self, k, keys, counts):
        """Store the keys, ``A_k`` (per n-gram) and ``gamma_k`` (per history) of order ``k``."""
        discounts = self.fixed_discounts if self.fixed_discounts is not None else estimate_discounts(counts)
        self.discounts[k - 1] = discounts
        discount = np.concatenate([[0.0], discounts])[np.minimum(counts, 3)]  # D(c), with D(0) = 0
        history = keys // self.vocab_size
        n_histories = 1 if k == 1 else self.keys[k - 2].size
        total = np.bincount(history, weights=counts, minlength=n_histories)  # c_k(h .)
        seen = total > 0
        safe_total = np.where(seen, total, 1.0)
        gamma = np.where(seen, np.bincount(history, weights=discount, minlength=n_histories) / safe_total, 1.0)
        self.keys.append(keys)
        self.weights.append(np.maximum(counts - discount, 0.0) / safe_total[history])
        self.gammas.append(gamma)

    def log_probs(self, corpus):
        """Log-probability of every word of ``corpus`` after the first, given the words before it.

        corpus: (N,) int word ids, N >= 2 -> (N - 1,) float64, entry i - 1 = log p(corpus[i] | corpus[:i]).
        """
        corpus = self._check_corpus(corpus, 2)
        n = self.order
        padded = np.concatenate([np.full(n - 1, -1, dtype=np.int64), corpus])
        windows = sliding_window_view(padded, n)[1:]  # row i - 1: the n - 1 ids before corpus[i], then corpus[i]
        return np.log(self._probs(windows))

    def perplexity(self, corpus):
        """Perplexity of the N - 1 predictions of ``corpus[1:]``: exp(-mean_i log p(corpus[i] | corpus[:i])).

        corpus: (N,) int word ids, N >= 2 -> float.
        """
        return float(np.exp(-np.mean(self.log_probs(corpus))))

    def prob(self, context_ids, word_id):
        """p(word_id | context_ids); only the last ``order - 1`` ids of the context are used.

        context_ids: (L,) int word ids (L may be 0); word_id: int -> float in (0, 1].
        """
        context = self._check_context(context_ids)
        self._check_word(word_id)
        row = np.full(self.order, -1, dtype=np.int64)
        row[self.order - 1 - context.size:-1] = context
        row[-1] = word_id
        return float(self._probs(row[None])[0])

    def next_word_distribution(self, context_ids):
        """p(w | context_ids) for every word w of the vocabulary.

        context_ids: (L,) int word ids (L may be 0) -> (V,) float64 probabilities summing to 1.
        """
        context = self._check_context(context_ids)
        V = self.vocab_size
        p = np.full(V, 1.0 / V)
        for k in range(1, context.size + 2):
            history = self._index(context[context.size - (k - 1):][None])[-1][0]
            if history < 0:  # a history never seen is never seen with a longer history either
                break
            start, stop = np.searchsorted(self.keys[k - 1], [history * V, (history + 1) * V])
            p *= self.gammas[k - 1][history]
            p[self.keys[k - 1][start:stop] - history * V] += self.weights[k - 1][start:stop]
        return p

    def _probs(self, windows):
        """p(last id of each row | the ids before it); -1 marks a missing (padded) history word.

        windows: (M, n) int -> (M,) float64.
        """
        p = np.full(len(windows), 1.0 / self.vocab_size)
        for k in range(1, self.order + 1):
            history, ngram = self._index(windows[:, self.order - k:])[-2:]
            p = np.where(ngram >= 0, self.weights[k - 1][ngram], 0.0) \
                + np.where(history >= 0, self.gammas[k - 1][history], 1.0) * p
        return p

    def _index(self, ids):
        """Table indices of the prefixes of each row: entry j is the index of ``ids[:, :j]``, or -1.

        ids: (M, k) int (-1 = missing) -> list of k + 1 arrays (M,); entry 0 is the empty prefix (0).
        """
        self._check_fitted()
        indices = [np.zeros(len(ids), dtype=np.int64)]
        for j in range(ids.shape[1]):
            table, prefix, word = self.keys[j], indices[-1], ids[:, j]
            key = np.where((prefix >= 0) & (word >= 0), prefix * self.vocab_size + word, -1)
            at = np.minimum(np.searchsorted(table, key), table.size - 1)
            indices.append(np.where(table[at] == key, at, -1))
        return indices

    def _check_fitted(self):
        if not self.keys:
            raise ValueError('the model has no counts yet: call fit(corpus) first')

    def _check_corpus(self, corpus, min_length):
        corpus = np.asarray(corpus)
        check_ndim(corpus, 1, 'corpus', '(N,)')
        check_ids(corpus, self.vocab_size)
        if corpus.size < min_length:
            raise ValueError(f'corpus must hold at least {min_length} word ids, got {corpus.size}')
        return corpus.astype(np.int64, copy=False)

    def _check_context(self, context_ids):
        context = np.asarray(context_ids)
        if context.size == 0:
            context = context.astype(np.int64)  # [] arrives as float64
        check_ndim(context, 1, 'context_ids', '(L,)')
        check_ids(context, self.vocab_size)
        return context[max(context.size - (self.order - 1), 0):].astype(np.int64, copy=False)

    def _check_word(self, word_id):
        if not isinstance(word_id, (int, np.integer)) or not 0 <= word_id < self.vocab_size:
            raise ValueError(f'word_id must be an integer in [0, {self.vocab_size}), got {word_id!r}')

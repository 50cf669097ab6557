"""Tests of the interpolated modified Kneser-Ney model against hand arithmetic and a dict-based reference."""
from collections import Counter

import numpy as np
import pytest

from ch05_rnn.ngram import FALLBACK_DISCOUNTS, KneserNeyLM

ORDERS = [2, 3, 4, 5]


def reference_discounts(count_values):
    """(D1, D2, D3+) of Chen & Goodman from a list of counts, with KenLM's fallback."""
    n1, n2, n3, n4 = (sum(1 for c in count_values if c == j) for j in (1, 2, 3, 4))
    if 0 in (n1, n2, n3, n4):
        return FALLBACK_DISCOUNTS
    y = n1 / (n1 + 2 * n2)
    d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    return d if all(0 < d[j] <= j + 1 for j in range(3)) else FALLBACK_DISCOUNTS


class ReferenceKneserNey:
    """The textbook recursion on Python dicts of n-gram tuples, written independently of the model."""

    def __init__(self, corpus, vocab_size, order):
        tokens = [int(t) for t in corpus]
        raw = {k: Counter(tuple(tokens[i:i + k]) for i in range(len(tokens) - k + 1))
               for k in range(1, order + 1)}
        self.counts = {order: raw[order]}
        for k in range(1, order):  # continuation counts N1+(. gram): distinct words seen before gram
            self.counts[k] = Counter(gram[1:] for gram in raw[k + 1])
        self.discounts, self.totals, self.backoff = {}, {}, {}
        for k in range(1, order + 1):
            d = reference_discounts(list(self.counts[k].values()))
            self.discounts[k] = d
            self.totals[k], self.backoff[k] = Counter(), Counter()
            for gram, c in self.counts[k].items():
                self.totals[k][gram[:-1]] += c
                self.backoff[k][gram[:-1]] += d[min(c, 3) - 1]
        self.vocab_size, self.order = vocab_size, order

    def p(self, k, history, word):
        lower = 1 / self.vocab_size if k == 1 else self.p(k - 1, history[1:], word)
        total = self.totals[k][history]
        if total == 0:
            return lower
        c = self.counts[k][history + (word,)]
        discount = self.discounts[k][min(c, 3) - 1] if c else 0.0
        return (max(c - discount, 0) + self.backoff[k][history] * lower) / total

    def prob(self, context, word):
        m = min(len(context), self.order - 1)
        return self.p(m + 1, tuple(int(t) for t in context[len(context) - m:]), int(word))


def markov_corpus(rng, length, vocab_size=13, used=12):
    """Ids 0..used-1 from a sparse Markov chain (each word has 3 likely successors, 10% noise).

    Ids used..vocab_size-1 never occur, so they test words the model has never seen.
    """
    successors = rng.integers(0, used, size=(used, 3))
    choice, noise = rng.integers(0, 3, size=length), rng.random(length) < 0.1
    random_ids = rng.integers(0, used, size=length)
    ids = [0]
    for t in range(1, length):
        ids.append(random_ids[t] if noise[t] else successors[ids[-1], choice[t]])
    return np.array(ids)


@pytest.fixture(scope='module')
def synthetic():
    """(train (4000,), held_out (300,)) from the same Markov chain."""
    corpus = markov_corpus(np.random.default_rng(0), 4300)
    return corpus[:4000], corpus[4000:]


def sample_contexts(rng, corpus, vocab_size, order, count=30):
    """Contexts from the corpus (seen, some longer than order - 1), random ones (mostly unseen), empty."""
    contexts = [[]]
    for _ in range(count):
        start, length = rng.integers(0, len(corpus) - order - 2), rng.integers(1, order + 2)
        contexts.append(list(corpus[start:start + length]))
        contexts.append(list(rng.integers(0, vocab_size, size=rng.integers(1, order + 1))))
    return contexts


def test_bigram_matches_hand_computation():
    """Corpus a b a b c a (ids 0 1 0 1 2 0), vocabulary {a, b, c, d}: d never occurs.

    Bigram counts ab = 2, ba = 1, bc = 1, ca = 1: n1 = 3, n2 = 1, n3 = 0, so the discounts fall back
    to D1 = 0.5, D2 = 1.0, D3+ = 1.5 (and the same for the unigram continuation counts, n3 = 0).
    Unigram continuation counts N1+(. w): a <- {b, c} = 2, b <- {a} = 1, c <- {b} = 1, d = 0; sum 4.
      gamma_1 = (D2 + D1 + D1) / 4 = 2 / 4 = 0.5
      p1(a) = (2 - 1.0) / 4 + 0.5 / 4 = 0.375;  p1(b) = p1(c) = (1 - 0.5) / 4 + 0.125 = 0.25;
      p1(d) = 0.125
    History a: c(a .) = 2 (ab twice), gamma_2(a) = D2 / 2 = 0.5
      p(b | a) = (2 - 1.0) / 2 + 0.5 * p1(b) = 0.5 + 0.125 = 0.625;  p(d | a) = 0.5 * 0.125 = 0.0625
    History b: c(b .) = 2 (ba, bc), gamma_2(b) = (D1 + D1) / 2 = 0.5
      p(c | b) = (1 - 0.5) / 2 + 0.5 * p1(c) = 0.25 + 0.125 = 0.375
    History d, never seen: p(a | d) = p1(a) = 0.375.
    """
    model = KneserNeyLM(vocab_size=4, order=2).fit([0, 1, 0, 1, 2, 0])
    np.testing.assert_array_equal(model.discounts, [FALLBACK_DISCOUNTS] * 2)
    assert model.prob([0], 1) == pytest.approx(0.625, abs=1e-15)
    assert model.prob([0], 3) == pytest.approx(0.0625, abs=1e-15)
    assert model.prob([1], 2) == pytest.approx(0.375, abs=1e-15)
    assert model.prob([3], 0) == pytest.approx(0.375, abs=1e-15)
    np.testing.assert_allclose(model.next_word_distribution([]), [0.375, 0.25, 0.25, 0.125], atol=1e-15)


@pytest.mark.parametrize('order', ORDERS)
def test_prob_matches_reference_implementation(synthetic, order):
    train, _ = synthetic
    model = KneserNeyLM(13, order).fit(train)
    reference = ReferenceKneserNey(train, 13, order)
    np.testing.assert_allclose(model.discounts, [reference.discounts[k] for k in range(1, order + 1)],
                               rtol=1e-13)
    assert not np.allclose(model.discounts[-1], FALLBACK_DISCOUNTS)  # the estimate itself is exercised
    rng = np.random.default_rng(order)
    for context in sample_contexts(rng, train, 13, order):
        for word in rng.integers(0, 13, size=4):
            assert model.prob(context, word) == pytest.approx(reference.prob(context, word), rel=1e-12)


@pytest.mark.parametrize('order', ORDERS)
def test_next_word_distribution_sums_to_one(synthetic, order):
    train, _ = synthetic
    model = KneserNeyLM(13, order).fit(train)
    rng = np.random.default_rng(10 + order)
    for context in sample_contexts(rng, train, 13, order) + [[12], [12, 12, 12, 12], [5, 12, 3]]:
        p = model.next_word_distribution(context)
        assert p.shape == (13,) and p.min() > 0
        assert abs(p.sum() - 1) < 1e-9
        word = int(rng.integers(0, 13))
        assert p[word] == pytest.approx(model.prob(context, word), rel=1e-12)


@pytest.mark.parametrize('order', ORDERS)
def test_perplexity_is_exp_mean_negative_log_prob(synthetic, order):
    train, held_out = synthetic
    model = KneserNeyLM(13, order).fit(train)
    log_probs = [np.log(model.prob(held_out[:i], held_out[i])) for i in range(1, len(held_out))]
    assert model.perplexity(held_out) == pytest.approx(np.exp(-np.mean(log_probs)), rel=1e-12)


def test_higher_order_lowers_perplexity_on_repetitive_corpus():
    """An 80-word phrase over 4 words repeated with 1% noise: its 2- and 3-word histories recur
    with different next words, so each extra word of history pins the next word down further."""
    rng = np.random.default_rng(0)
    stream = np.tile(rng.integers(0, 4, size=80), 75)
    noisy = rng.random(stream.size) < 0.01
    stream[noisy] = rng.integers(0, 4, size=noisy.sum())
    train, held_out = stream[:5000], stream[5000:]
    perplexities = [KneserNeyLM(4, order).fit(train).perplexity(held_out) for order in ORDERS]
    assert all(lower < 0.9 * higher for higher, lower in zip(perplexities, perplexities[1:])), perplexities


def test_bad_input_raises_clear_errors():
    for order in (1, 6, 2.0):
        with pytest.raises(ValueError, match='order'):
            KneserNeyLM(10, order)
    with pytest.raises(ValueError, match='vocab_size'):
        KneserNeyLM(0)
    with pytest.raises(ValueError, match='discounts'):
        KneserNeyLM(10, 3, discounts=(1.5, 1.0, 1.0))
    model = KneserNeyLM(10, 3)
    with pytest.raises(ValueError, match='fit'):
        model.prob([1], 2)
    with pytest.raises(ValueError, match='out of range'):
        model.fit([1, 2, 10, 3])
    with pytest.raises(ValueError, match='negative'):
        model.fit([1, -2, 3, 4])
    with pytest.raises(ValueError, match=r'shape \(N,\)'):
        model.fit([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match='at least 3'):
        model.fit([1, 2])
    with pytest.raises(TypeError, match='integers'):
        model.fit([1.0, 2.0, 3.0])
    model.fit([1, 2, 3, 1, 2, 4])
    with pytest.raises(ValueError, match='word_id'):
        model.prob([1, 2], 10)
    with pytest.raises(ValueError, match='negative'):
        model.next_word_distribution([1, -1])
    with pytest.raises(ValueError, match='at least 2'):
        model.perplexity([1])


needs_ptb = pytest.mark.usefixtures('needs_ptb')  # skips, with one message, without the PTB files


@needs_ptb
def test_ptb_slice_distributions_and_perplexity():
    from dataset.ptb import load_data
    train, word_to_id, _ = load_data('train')
    test, _, _ = load_data('test')
    vocab_size = len(word_to_id)
    model = KneserNeyLM(vocab_size, 4).fit(train[:200_000])
    counts = np.bincount(train[:200_000], minlength=vocab_size)
    rare, unseen = np.flatnonzero(counts == 1)[:3], np.flatnonzero(counts == 0)[:3]
    for context in ([], test[:3], test[500:503], [rare[0], rare[1], rare[2]], [unseen[0], rare[0], 0],
                    [unseen[1], unseen[2], unseen[0]]):
        p = model.next_word_distribution(context)
        assert p.min() > 0 and abs(p.sum() - 1) < 1e-9
    piece = test[:400]
    log_probs = [np.log(model.prob(piece[:i], piece[i])) for i in range(1, len(piece))]
    assert model.perplexity(piece) == pytest.approx(np.exp(-np.mean(log_probs)), rel=1e-12)


@needs_ptb
def test_script_reports_known_ptb_perplexities():
    """Measured on the full PTB: KN-2 test 185.7, KN-3 148.4 (KN-5 141.1; Mikolov et al. 141.2)."""
    from ch05_rnn.train_ngram import main
    results = main(['--orders', '2', '3', '--quiet'])
    assert results[2][1] == pytest.approx(185.7, abs=0.1)
    assert results[3][1] == pytest.approx(148.4, abs=0.1)
    assert results[3][0] < results[2][0]

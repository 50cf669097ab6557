"""EmbeddingDot, UnigramSampler and NegativeSamplingLoss: gradients, statistics and errors."""
import numpy as np
import pytest

from common.gradient_check import check_gradients
from common.layers import EmbeddingDot, NegativeSamplingLoss, UnigramSampler


class FixedSampler:
    """Stands in for UnigramSampler: always returns the same negatives (for gradient checks)."""

    def __init__(self, negative):
        self.negative = negative
        self.sample_size = negative.shape[1]

    def get_negative_sample(self, target):
        return self.negative


def minus_log_sigmoid(x):
    return np.log1p(np.exp(-x))


@pytest.mark.parametrize('idx', [np.array([3, 0, 3, 6]), np.array([[3, 1], [0, 0], [3, 5], [6, 3]])])
def test_embedding_dot_values_and_gradients(idx):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((7, 3))
    h = rng.standard_normal((4, 3))
    layer = EmbeddingDot(W)
    out = layer.forward(h, idx)
    expected = np.einsum('nd,n...d->n...', h, W[idx])  # an independent formula
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    R = rng.standard_normal(out.shape)
    dh = layer.backward(R)
    grads = [dh, layer.grads[0].copy()]
    error = check_gradients(lambda: float((layer.forward(h, idx) * R).sum()), [h, W], grads)
    assert error < 1e-6


def test_embedding_dot_rejects_mismatched_shapes():
    layer = EmbeddingDot(np.zeros((5, 3)))
    with pytest.raises(ValueError, match='h: \\(N, D\\)'):
        layer.forward(np.zeros((4, 3)), np.array([1, 2]))
    with pytest.raises(ValueError, match='last dimension 3'):
        layer.forward(np.zeros((2, 4)), np.array([1, 2]))


def make_loss_with_fixed_negatives(rng, n=6, vocab_size=9, hidden=4, sample_size=3):
    corpus = rng.integers(0, vocab_size, 200)
    W = rng.standard_normal((vocab_size, hidden))
    layer = NegativeSamplingLoss(W, corpus, power=0.75, sample_size=sample_size, rng=rng)
    target = rng.integers(0, vocab_size, n)
    negative = (target[:, None] + rng.integers(1, vocab_size, (n, sample_size))) % vocab_size
    layer.sampler = FixedSampler(negative)
    return layer, W, target, negative


def test_negative_sampling_loss_value_and_gradients():
    rng = np.random.default_rng(1)
    layer, W, target, negative = make_loss_with_fixed_negatives(rng)
    h = rng.standard_normal((len(target), W.shape[1]))
    loss = layer.forward(h, target)
    # the book's definition: one binary loss per column, each averaged over the batch, summed
    positive = minus_log_sigmoid((h * W[target]).sum(axis=1)).mean()
    negatives = sum(minus_log_sigmoid(-(h * W[negative[:, s]]).sum(axis=1)).mean()
                    for s in range(negative.shape[1]))
    assert loss == pytest.approx(positive + negatives, rel=1e-12)
    dh = layer.backward(2.0)
    grads = [dh, layer.grads[0].copy()]
    error = check_gradients(lambda: 2.0 * layer.forward(h, target), [h, W], grads)
    assert error < 1e-6


def test_negative_sampling_loss_gradient_is_zero_outside_the_scored_rows():
    rng = np.random.default_rng(2)
    layer, W, target, negative = make_loss_with_fixed_negatives(rng, vocab_size=30)
    layer.forward(rng.standard_normal((len(target), W.shape[1])), target)
    layer.backward()
    used = np.unique(np.concatenate([target, negative.ravel()]))
    assert layer.grads[0][used].any(axis=1).all()
    unused = np.setdiff1d(np.arange(30), used)
    assert not layer.grads[0][unused].any()


COUNTS = np.array([1, 3, 0, 10, 30, 100, 300, 1000, 3000])  # word 2 never occurs


def zipf_corpus(rng):
    corpus = np.repeat(np.arange(len(COUNTS)), COUNTS)
    return rng.permutation(corpus)


def chi_square_bound(dof, z=4.753):
    """The 1 - 1e-6 quantile of chi-square(dof) by the Wilson-Hilferty approximation (z = 4.753)."""
    return dof * (1 - 2 / (9 * dof) + z * (2 / (9 * dof)) ** 0.5) ** 3


def chi_square(observed, expected):
    return float(((observed - expected) ** 2 / expected).sum())


@pytest.mark.parametrize('target_word', [7, 0])
def test_sampler_matches_the_unigram_distribution_to_the_075(target_word):
    """With every row's target t, the draws must follow P(w)^0.75 / Z renormalised over w != t.

    Tolerance: the chi-square statistic over the words that can be drawn must stay below the
    1 - 1e-6 quantile of its distribution, and each word's count within 5 binomial standard
    deviations (a correct sampler fails either with probability about 1e-6).  The same bounds
    reject draws from P(w)^1, so the test can tell the power apart.
    """
    rng = np.random.default_rng(3)
    sampler = UnigramSampler(zipf_corpus(rng), power=0.75, sample_size=5, rng=rng)
    rows = 40_000
    negative = sampler.get_negative_sample(np.full(rows, target_word))
    assert negative.shape == (rows, 5)
    assert not (negative == target_word).any()
    observed = np.bincount(negative.ravel(), minlength=len(COUNTS))
    assert observed[2] == 0  # a word that never occurs is never drawn

    def expected_counts(power):
        p = COUNTS.astype(float) ** power
        p[target_word] = 0
        return p / p.sum() * negative.size

    can_draw = (COUNTS > 0) & (np.arange(len(COUNTS)) != target_word)
    bound = chi_square_bound(can_draw.sum() - 1)
    expected = expected_counts(0.75)
    assert chi_square(observed[can_draw], expected[can_draw]) < bound
    z = (observed - expected)[can_draw] / np.sqrt(expected * (1 - expected / negative.size))[can_draw]
    assert np.abs(z).max() < 5
    assert chi_square(observed[can_draw], expected_counts(1.0)[can_draw]) > 100 * bound


def test_sampler_never_returns_the_target_even_when_it_dominates():
    rng = np.random.default_rng(4)
    corpus = np.array([0] * 999 + [1])  # P(0)^0.75 is about 0.994
    sampler = UnigramSampler(corpus, power=0.75, sample_size=5, rng=rng)
    np.testing.assert_array_equal(sampler.get_negative_sample(np.zeros(100, dtype=int)), 1)
    target = rng.integers(0, 2, 1000)
    negative = sampler.get_negative_sample(target)
    assert (negative != target[:, None]).all()


def test_sampler_is_reproducible_with_a_seed():
    corpus = zipf_corpus(np.random.default_rng(5))
    target = np.arange(len(COUNTS)).repeat(10)
    draws = [UnigramSampler(corpus, 0.75, 5, rng=np.random.default_rng(6)).get_negative_sample(target)
             for _ in range(2)]
    np.testing.assert_array_equal(*draws)


def test_sampler_rejects_bad_input():
    with pytest.raises(ValueError, match='sample_size must be a positive integer'):
        UnigramSampler(np.array([0, 1]), 0.75, 0)
    with pytest.raises(ValueError, match='at least two different words'):
        UnigramSampler(np.array([3, 3, 3]), 0.75, 5)
    sampler = UnigramSampler(np.array([0, 1, 2]), 0.75, 2)
    with pytest.raises(ValueError, match='target id 3 is out of range'):
        sampler.get_negative_sample(np.array([0, 3]))

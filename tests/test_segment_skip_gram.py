"""The fast skip-gram (SegmentSkipGram) against a loop over (centre, context, negative) triples
with the same negatives, in float64 and float32, and a float64 gradient check."""
import numpy as np
import pytest

from ch04_fast_w2v.fast.segment_model import segment_windows
from ch04_fast_w2v.fast.segment_skip_gram import SegmentSkipGram
from common.gradient_check import check_gradients

VOCAB, WINDOW, LENGTH = 9, 2, 4


def loop_loss_and_grads(W_in, W_out, windows, negatives, window_size, sample_size=5,
                        shrink_window=False):
    """The skip-gram negative-sampling loss of the segments, one pair at a time (float64); with
    ``shrink_window`` a pair at distance d and its negatives count (w + 1 - d) / w."""
    segments, width = windows.shape
    length, weight = width - 2 * window_size, sample_size / negatives.shape[1]
    loss, dW_in, dW_out = 0.0, np.zeros_like(W_in), np.zeros_like(W_out)
    for s in range(segments):
        for i in range(length):
            centre = windows[s, i + window_size]
            for j in range(2 * window_size + 1):
                if j == window_size:
                    continue
                context = windows[s, i + j]
                pair = (window_size + 1 - abs(j - window_size)) / window_size if shrink_window else 1
                terms = [(context, 1.0, pair)] + [(n, 0.0, pair * weight) for n in negatives[s]
                                                  if n != context]
                for word, label, count in terms:  # binary cross-entropy of sigma(v . u)
                    p = 1 / (1 + np.exp(-W_in[centre] @ W_out[word]))
                    loss -= count * np.log(p if label else 1 - p)
                    dW_in[centre] += count * (p - label) * W_out[word]
                    dW_out[word] += count * (p - label) * W_in[centre]
    scale = 1 / (segments * length)
    return loss * scale, dW_in * scale, dW_out * scale


def make_model(seed, segments=3, shrink_window=False):
    rng = np.random.default_rng(seed)
    corpus = rng.integers(0, VOCAB, 60)
    model = SegmentSkipGram(VOCAB, 3, WINDOW, corpus, rng=rng, dtype=np.float64,
                            shared_negatives=6, shrink_window=shrink_window)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    windows, targets = segment_windows(corpus, WINDOW, LENGTH)
    windows, targets = windows[:segments], targets[:segments]
    # negatives that hit context words (and repeat) exercise the counting of the exclusions
    negatives = np.concatenate([windows[:, :2], rng.integers(0, VOCAB, (segments, 4))], axis=1)
    model.ns_loss.sampler.draw = lambda size: negatives
    return model, windows, targets, negatives


@pytest.mark.parametrize('shrink_window', [False, True])
def test_segment_skip_gram_equals_the_pair_by_pair_loop(shrink_window):
    model, windows, targets, negatives = make_model(1, shrink_window=shrink_window)
    loss = model.forward(windows, targets)
    model.backward()
    expected_loss, dW_in, dW_out = loop_loss_and_grads(*model.params, windows, negatives, WINDOW,
                                                       shrink_window=shrink_window)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(model.grads[0], dW_in, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.grads[1], dW_out, rtol=1e-10, atol=1e-14)
    grads = [g.copy() for g in model.grads]
    assert check_gradients(lambda: model.forward(windows, targets), model.params, grads) < 1e-6


def test_segment_skip_gram_in_float32_equals_the_loop_to_float32_rounding():
    model64, windows, targets, negatives = make_model(2)
    model = SegmentSkipGram(VOCAB, 3, WINDOW, np.arange(VOCAB), rng=0, shared_negatives=6)
    for p, q in zip(model.params, model64.params):
        p[...] = q  # rounded to float32
    model.ns_loss.sampler.draw = lambda size: negatives
    loss = model.forward(windows, targets)
    model.backward()
    expected_loss, *expected = loop_loss_and_grads(*(p.astype(np.float64) for p in model.params),
                                                   windows, negatives, WINDOW)
    assert loss == pytest.approx(expected_loss, rel=1e-6)
    for g, e in zip(model.grads, expected):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6 * np.abs(e).max())


def test_segment_skip_gram_rejects_mismatched_targets():
    model, windows, targets, _ = make_model(3)
    with pytest.raises(ValueError, match=r'target must have shape \(S, L\) = \(3, 4\)'):
        model.forward(windows, targets[:, :3])

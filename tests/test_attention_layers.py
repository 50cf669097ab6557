"""Attention layers: float64 gradient checks, and TimeAttention against a per-step Attention loop."""
import numpy as np
import pytest

from common.attention_layers import Attention, AttentionWeight, TimeAttention, WeightSum
from common.gradient_check import check_gradients

N, T_ENC, T_DEC, H = 2, 4, 3, 5


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def gradient_error(layer, a, b, rng):
    """Relative error of layer.backward for the loss sum(layer.forward(a, b) * R), R random."""
    R = rng.standard_normal(layer.forward(a, b).shape)
    da, db = layer.backward(R)
    loss = lambda: float((layer.forward(a, b) * R).sum())  # noqa: E731
    return check_gradients(loss, [a, b], [da, db])


def test_weight_sum_values_and_gradients(rng):
    hs, a = rng.standard_normal((N, T_ENC, H)), rng.random((N, T_ENC))
    np.testing.assert_allclose(WeightSum().forward(hs, a), np.einsum('nt,nth->nh', a, hs))
    assert gradient_error(WeightSum(), hs, a, rng) < 1e-6


def test_attention_weight_is_softmax_of_dot_products_and_gradients(rng):
    hs, h = rng.standard_normal((N, T_ENC, H)), rng.standard_normal((N, H))
    scores = np.einsum('nth,nh->nt', hs, h)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(AttentionWeight().forward(hs, h), expected)
    assert gradient_error(AttentionWeight(), hs, h, rng) < 1e-6


def test_attention_gradients(rng):
    hs, h = rng.standard_normal((N, T_ENC, H)), rng.standard_normal((N, H))
    layer = Attention()
    layer.forward(hs, h)
    np.testing.assert_allclose(layer.attention_weight.sum(axis=1), 1)
    assert gradient_error(layer, hs, h, rng) < 1e-6


def test_time_attention_equals_one_attention_per_decoder_step(rng):
    hs_enc, hs_dec = rng.standard_normal((N, T_ENC, H)), rng.standard_normal((N, T_DEC, H))
    dc = rng.standard_normal((N, T_DEC, H))
    layer = TimeAttention()
    c = layer.forward(hs_enc, hs_dec)
    dhs_enc, dhs_dec = layer.backward(dc)
    expected_dhs_enc = np.zeros_like(hs_enc)
    for j in range(T_DEC):
        step = Attention()
        np.testing.assert_allclose(c[:, j], step.forward(hs_enc, hs_dec[:, j]))
        np.testing.assert_allclose(layer.attention_weights[:, j], step.attention_weight)
        dhs, dh = step.backward(dc[:, j])
        expected_dhs_enc += dhs
        np.testing.assert_allclose(dhs_dec[:, j], dh)
    np.testing.assert_allclose(dhs_enc, expected_dhs_enc)


def test_time_attention_gradients(rng):
    hs_enc, hs_dec = rng.standard_normal((N, T_ENC, H)), rng.standard_normal((N, T_DEC, H))
    assert gradient_error(TimeAttention(), hs_enc, hs_dec, rng) < 1e-6


def test_time_attention_keeps_float32(rng):
    hs_enc = rng.standard_normal((N, T_ENC, H)).astype(np.float32)
    hs_dec = rng.standard_normal((N, T_DEC, H)).astype(np.float32)
    layer = TimeAttention()
    assert layer.forward(hs_enc, hs_dec).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.backward(np.ones_like(hs_dec)))

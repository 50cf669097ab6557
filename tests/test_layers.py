"""Layers of chapters 1 and 4: analytic gradients against numerical ones, and behaviour."""
import numpy as np
import pytest

from common.functions import cross_entropy_error, log_softmax, sigmoid, softmax
from common.gradient_check import check_gradients, numerical_gradient
from common.layers import (Affine, Dropout, Embedding, MatMul, Sigmoid, SigmoidWithLoss, Softmax,
                           SoftmaxWithLoss)

TOLERANCE = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def projected_check(layer, x, rng, input_grad=True):
    """Check a layer with scalar loss sum(forward(x) * R): returns the largest relative error."""
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)
    dx = layer.backward(R)
    grads = [g.copy() for g in layer.grads]
    arrays, analytic = list(layer.params), grads
    if input_grad:
        arrays, analytic = [x] + arrays, [dx] + grads
    return check_gradients(lambda: float((layer.forward(x) * R).sum()), arrays, analytic)


@pytest.mark.parametrize('shape', [(1, 1, 1), (4, 3, 5), (7, 6, 2)])
def test_matmul_gradients(rng, shape):
    n, d, h = shape
    layer = MatMul(rng.standard_normal((d, h)))
    assert projected_check(layer, rng.standard_normal((n, d)), rng) < TOLERANCE


@pytest.mark.parametrize('shape', [(1, 2, 1), (5, 3, 4), (8, 6, 3)])
def test_affine_gradients(rng, shape):
    n, d, h = shape
    layer = Affine(rng.standard_normal((d, h)), rng.standard_normal(h))
    assert projected_check(layer, rng.standard_normal((n, d)), rng) < TOLERANCE


def test_affine_matches_direct_formula(rng):
    W, b, x = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3))
    expected = np.array([[sum(x[n, d] * W[d, h] for d in range(3)) + b[h] for h in range(4)]
                         for n in range(2)])
    np.testing.assert_allclose(Affine(W, b).forward(x), expected, rtol=1e-12)


def test_softmax_and_sigmoid_gradients(rng):
    x = rng.standard_normal((4, 6))
    assert projected_check(Softmax(), x, rng) < TOLERANCE
    assert projected_check(Sigmoid(), x, rng) < TOLERANCE


@pytest.mark.parametrize('one_hot', [False, True])
def test_softmax_with_loss_gradient(rng, one_hot):
    x = rng.standard_normal((5, 4))
    t = rng.integers(0, 4, size=5)
    if one_hot:
        t = np.eye(4, dtype=np.int64)[t]
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward()
    assert check_gradients(lambda: layer.forward(x, t), [x], [dx]) < TOLERANCE


def test_softmax_with_loss_equals_cross_entropy_of_softmax(rng):
    x, t = rng.standard_normal((6, 5)), rng.integers(0, 5, size=6)
    loss = SoftmaxWithLoss().forward(x, t)
    assert loss == pytest.approx(cross_entropy_error(softmax(x), t), rel=1e-12)
    assert loss == pytest.approx(-np.mean([np.log(np.exp(x[n, t[n]]) / np.exp(x[n]).sum())
                                            for n in range(6)]), rel=1e-12)


def test_softmax_with_loss_is_exact_and_finite_for_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=np.float32)
    layer = SoftmaxWithLoss()
    assert layer.forward(x, np.array([0, 1])) == 0.0  # exact: no +1e-7 bias
    wrong = layer.forward(x, np.array([1, 0]))
    assert np.isfinite(wrong) and wrong == pytest.approx(2e4, rel=1e-6)
    assert np.all(np.isfinite(layer.backward()))


def test_sigmoid_with_loss_gradient_and_stability(rng):
    x, t = rng.standard_normal(7), rng.integers(0, 2, size=7)
    layer = SigmoidWithLoss()
    loss = layer.forward(x, t)
    y = 1 / (1 + np.exp(-x))
    assert loss == pytest.approx(-np.mean(t * np.log(y) + (1 - t) * np.log(1 - y)), rel=1e-12)
    dx = layer.backward()
    assert check_gradients(lambda: layer.forward(x, t), [x], [dx]) < TOLERANCE
    huge = np.array([1e4, -1e4], dtype=np.float32)
    assert layer.forward(huge, np.array([1, 0])) == 0.0
    assert layer.forward(huge, np.array([0, 1])) == pytest.approx(1e4, rel=1e-6)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_sigmoid_gives_the_two_exact_branches_bit_for_bit(dtype):
    """1 / (1 + e^-|x|) for x >= 0 and e^-|x| / (1 + e^-|x|) below, from tiny to huge inputs."""
    x = np.concatenate([np.random.default_rng(5).standard_normal(1000) * 30,
                        [0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0, 1e4, -1e4]]).astype(dtype)
    z = np.exp(-np.abs(x))
    expected = np.empty_like(x)
    positive = x >= 0
    expected[positive] = 1 / (1 + z[positive])
    expected[~positive] = z[~positive] / (1 + z[~positive])
    got = sigmoid(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_functions_are_stable_for_huge_inputs():
    x = np.array([-1e4, 0.0, 1e4], dtype=np.float32)
    with np.errstate(over='raise', divide='raise', invalid='raise'):
        np.testing.assert_array_equal(sigmoid(x), [0.0, 0.5, 1.0])
        assert np.all(np.isfinite(log_softmax(x)))
        np.testing.assert_allclose(softmax(x), [0, 0, 1])


def test_dropout_is_inverted_and_gradient_uses_same_mask(rng):
    x = np.ones((200, 50))
    layer = Dropout(0.3, rng=np.random.default_rng(0))
    y = layer.forward(x)
    kept = y != 0
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs(kept.mean() - 0.7) < 0.02  # 10,000 Bernoulli(0.7) draws: sd 0.0046
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)) != 0, kept)
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    with pytest.raises(ValueError, match='dropout_ratio'):
        Dropout(1.0)


def test_dropout_with_fixed_mask_has_exact_gradient(rng):
    x = rng.standard_normal((4, 5))
    layer = Dropout(0.5, rng=np.random.default_rng(3))
    layer.forward(x)
    mask = layer.mask.copy()
    R = rng.standard_normal(x.shape)
    dx = layer.backward(R)
    assert check_gradients(lambda: float((x * mask * R).sum()), [x], [dx]) < TOLERANCE


def test_embedding_gradient_with_repeated_ids(rng):
    layer = Embedding(rng.standard_normal((9, 4)))
    idx = np.array([[3, 1, 3], [8, 3, 0]])
    assert projected_check(layer, idx, rng, input_grad=False) < TOLERANCE


def test_embedding_backward_equals_the_one_hot_matrix_product(rng):
    """dW = onehot(idx)^T dout in float64, with ids repeated within and across rows; a second
    backward leaves nothing of the first."""
    V, D = 9, 4
    layer = Embedding(rng.standard_normal((V, D)))
    for idx in (np.array([[3, 1, 3], [8, 3, 0], [1, 3, 3]]), np.array([5, 5, 2])):
        dout = rng.standard_normal(idx.shape + (D,))
        layer.forward(idx)
        assert layer.backward(dout) is None
        one_hot = np.eye(V)[idx.reshape(-1)]  # (N, V): row n is the one-hot vector of idx[n]
        np.testing.assert_allclose(layer.grads[0], one_hot.T @ dout.reshape(-1, D), rtol=1e-13,
                                   atol=1e-15)


@pytest.mark.parametrize('ids, message', [(np.array([-1, 2]), 'negative'),
                                          (np.array([0, 6]), 'out of range'),
                                          (np.array([0.0, 1.0]), 'integers')])
def test_embedding_rejects_bad_ids(rng, ids, message):
    layer = Embedding(rng.standard_normal((6, 3)))
    with pytest.raises((ValueError, TypeError), match=message):
        layer.forward(ids)


def test_affine_rejects_wrong_input_width(rng):
    layer = Affine(rng.standard_normal((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r'\(N, D\) with last dimension 3'):
        layer.forward(np.zeros((4, 5)))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_layers_keep_the_parameter_dtype(rng, dtype):
    W, b = rng.standard_normal((3, 4)).astype(dtype), np.zeros(4, dtype)
    x = rng.standard_normal((2, 3)).astype(dtype)
    for layer in (MatMul(W), Affine(W, b), Sigmoid(), Softmax(), Dropout(0.5, rng)):
        out = layer.forward(x) if not isinstance(layer, Affine) else layer.forward(x)
        assert out.dtype == dtype
        assert layer.backward(np.ones_like(out)).dtype == dtype
    emb = Embedding(W)
    assert emb.forward(np.array([0, 2])).dtype == dtype


def test_numerical_gradient_perturbs_non_contiguous_arrays(rng):
    W = rng.standard_normal((3, 4))
    W_t = W.T  # a transposed view, as in weight tying
    grad = numerical_gradient(lambda: float((W_t ** 2).sum()), W_t)
    np.testing.assert_allclose(grad, 2 * W_t, rtol=1e-8)

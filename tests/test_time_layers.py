"""Time layers: numerical gradient checks (float64), independent re-computations, dtypes, bad input."""
import numpy as np
import pytest

from common.gradient_check import check_gradients
from common.time_layers import (GRU, LSTM, RNN, TimeAffine, TimeBiLSTM, TimeDropout, TimeEmbedding,
                                TimeGRU, TimeLSTM, TimeRNN, TimeSoftmaxWithLoss)

N, T, D, H = 2, 4, 3, 3
GATES = {RNN: 1, TimeRNN: 1, LSTM: 4, TimeLSTM: 4, GRU: 3, TimeGRU: 3}


def weights(rng, gates, d=D, h=H, dtype=np.float64):
    """Wx: (d, gates*h), Wh: (h, gates*h), b: (gates*h,) with entries of size ~0.5."""
    return [(0.5 * rng.standard_normal(shape)).astype(dtype)
            for shape in ((d, gates * h), (h, gates * h), (gates * h,))]


def assert_gradients(loss, arrays, grads):
    """The analytic gradients match central differences of ``loss`` to 1e-6 relative."""
    assert check_gradients(loss, arrays, [np.array(g, copy=True) for g in grads]) < 1e-6


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- single steps --------------------------------------------------------------------------------

def test_rnn_step_gradients():
    rng = np.random.default_rng(0)
    layer = RNN(*weights(rng, 1))
    x, h_prev, R = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    layer.forward(x, h_prev)
    dx, dh_prev = layer.backward(R)
    assert_gradients(lambda: float((layer.forward(x, h_prev) * R).sum()),
                     [x, h_prev, *layer.params], [dx, dh_prev, *layer.grads])


def test_lstm_step_gradients():
    rng = np.random.default_rng(1)
    layer = LSTM(*weights(rng, 4))
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    Rh, Rc = rng.standard_normal((N, H)), rng.standard_normal((N, H))

    def loss():
        h, c = layer.forward(x, h_prev, c_prev)
        return float((h * Rh).sum() + (c * Rc).sum())
    loss()
    dx, dh_prev, dc_prev = layer.backward(Rh, Rc)
    assert_gradients(loss, [x, h_prev, c_prev, *layer.params], [dx, dh_prev, dc_prev, *layer.grads])


def test_lstm_step_matches_the_book_equations():
    rng = np.random.default_rng(2)
    Wx, Wh, b = weights(rng, 4)
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    h, c = LSTM(Wx, Wh, b).forward(x, h_prev, c_prev)
    A = x @ Wx + h_prev @ Wh + b
    f, g, i, o = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H]), sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
    np.testing.assert_allclose(c, f * c_prev + g * i, rtol=1e-12)
    np.testing.assert_allclose(h, o * np.tanh(f * c_prev + g * i), rtol=1e-12)


def test_gru_step_gradients_and_equations():
    rng = np.random.default_rng(3)
    Wx, Wh, b = weights(rng, 3)
    layer = GRU(Wx, Wh, b)
    x, h_prev, R = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h = layer.forward(x, h_prev)
    z = sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
    r = sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
    h_tilde = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
    np.testing.assert_allclose(h, (1 - z) * h_prev + z * h_tilde, rtol=1e-12)
    dx, dh_prev = layer.backward(R)
    assert_gradients(lambda: float((layer.forward(x, h_prev) * R).sum()),
                     [x, h_prev, *layer.params], [dx, dh_prev, *layer.grads])


# --- recurrent Time layers -----------------------------------------------------------------------

def set_initial_state(layer, h0, c0):
    if isinstance(layer, TimeLSTM):
        layer.set_state(h0, c0)
    else:
        layer.set_state(h0)


@pytest.mark.parametrize('cls', [TimeRNN, TimeLSTM, TimeGRU])
@pytest.mark.parametrize('stateful', [False, True])
def test_time_layer_gradients(cls, stateful):
    """Gradients of xs and the weights; stateful: also of the initial state given to set_state."""
    rng = np.random.default_rng(4)
    layer = cls(*weights(rng, GATES[cls]), stateful=stateful)
    xs, R = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))

    def loss():
        set_initial_state(layer, h0, c0)  # ignored (zeros) unless stateful
        return float((layer.forward(xs) * R).sum())
    loss()
    dxs = layer.backward(R)
    arrays, grads = [xs, *layer.params], [dxs, *layer.grads]
    if stateful:
        arrays.append(h0)
        grads.append(layer.dh)
        if cls is TimeLSTM:
            arrays.append(c0)
            grads.append(layer.dc)
    assert_gradients(loss, arrays, grads)


def test_time_lstm_two_truncated_blocks():
    """Block 2 starts from block 1's final h, c; its gradients (incl. of h, c) are exact."""
    rng = np.random.default_rng(5)
    Wx, Wh, b = weights(rng, 4)
    layer = TimeLSTM(Wx, Wh, b, stateful=True)
    xs = rng.standard_normal((N, 2 * T, D))
    xs1, xs2 = xs[:, :T].copy(), xs[:, T:].copy()
    R1, R2 = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))
    layer.forward(xs1)
    layer.backward(R1)
    h1, c1 = layer.h.copy(), layer.c.copy()
    hs2 = layer.forward(xs2)
    # the state was carried: same as the second half of one long sequence
    np.testing.assert_allclose(hs2, TimeLSTM(Wx, Wh, b).forward(xs)[:, T:], rtol=1e-12)
    dxs2 = layer.backward(R2)

    def loss():
        layer.set_state(h1, c1)
        return float((layer.forward(xs2) * R2).sum())
    assert_gradients(loss, [xs2, h1, c1, *layer.params], [dxs2, layer.dh, layer.dc, *layer.grads])


@pytest.mark.parametrize('time_cls, step_cls', [(TimeRNN, RNN), (TimeLSTM, LSTM), (TimeGRU, GRU)])
def test_time_layer_equals_a_loop_over_steps(time_cls, step_cls):
    """Forward and backward of the Time layer equal a plain loop over the single-step layer."""
    rng = np.random.default_rng(6)
    params = weights(rng, GATES[time_cls])
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    layer = time_cls(*params)
    hs = layer.forward(xs)
    dxs = layer.backward(dhs)

    steps = [step_cls(*params) for _ in range(T)]
    state = [np.zeros((N, H))] * (2 if step_cls is LSTM else 1)
    for t, step in enumerate(steps):
        out = step.forward(xs[:, t], *state)
        state = list(out) if step_cls is LSTM else [out]
        np.testing.assert_allclose(hs[:, t], state[0], rtol=1e-12, atol=1e-14)
    dstate = [np.zeros((N, H))] * len(state)
    loop_dxs = np.empty_like(xs)
    loop_grads = [np.zeros_like(p) for p in params]
    for t in reversed(range(T)):
        dstate[0] = dstate[0] + dhs[:, t]
        loop_dxs[:, t], *dstate = steps[t].backward(*dstate)
        for total, g in zip(loop_grads, steps[t].grads):
            total += g
    np.testing.assert_allclose(dxs, loop_dxs, rtol=1e-10, atol=1e-12)
    for g, loop_g in zip(layer.grads, loop_grads):
        np.testing.assert_allclose(g, loop_g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.dh, dstate[0], rtol=1e-10, atol=1e-12)


def test_time_lstm_matches_plain_numpy_reference():
    """TimeLSTM (and its carried state) against the book's equations written out with NumPy."""
    rng = np.random.default_rng(7)
    Wx, Wh, b = weights(rng, 4)
    xs = rng.standard_normal((N, T, D))
    layer = TimeLSTM(Wx, Wh, b, stateful=True)
    hs = layer.forward(xs)
    h = c = np.zeros((N, H))
    for t in range(T):
        A = xs[:, t] @ Wx + h @ Wh + b
        f, g, i, o = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H]), sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
        c = f * c + g * i
        h = o * np.tanh(c)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12)
    np.testing.assert_allclose(layer.h, h, rtol=1e-12)
    np.testing.assert_allclose(layer.c, c, rtol=1e-12)


def test_non_stateful_layer_starts_from_zeros_and_reset_state_forgets():
    rng = np.random.default_rng(8)
    params = weights(rng, 4)
    xs = rng.standard_normal((N, T, D))
    fresh = TimeLSTM(*params).forward(xs)
    layer = TimeLSTM(*params, stateful=True)
    layer.forward(xs)
    assert not np.allclose(layer.forward(xs), fresh)
    layer.reset_state()
    np.testing.assert_array_equal(layer.forward(xs), fresh)
    plain = TimeLSTM(*params)
    plain.forward(xs)
    np.testing.assert_array_equal(plain.forward(xs), fresh)


@pytest.mark.parametrize('cls', [TimeRNN, TimeLSTM, TimeGRU])
def test_float32_in_float32_out(cls):
    rng = np.random.default_rng(9)
    layer = cls(*weights(rng, GATES[cls], dtype=np.float32), stateful=True)
    hs = layer.forward(rng.standard_normal((N, T, D)).astype(np.float32))
    dxs = layer.backward(np.ones_like(hs))
    assert hs.dtype == dxs.dtype == layer.h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads)


def test_time_lstm_rejects_bad_shapes():
    layer = TimeLSTM(*weights(np.random.default_rng(0), 4))
    with pytest.raises(ValueError, match=r'\(N, T, D\)'):
        layer.forward(np.zeros((N, D)))
    with pytest.raises(ValueError, match='last dimension 3'):
        layer.forward(np.zeros((N, T, D + 1)))
    stateful = TimeLSTM(*weights(np.random.default_rng(0), 4), stateful=True)
    stateful.forward(np.zeros((N, T, D)))
    with pytest.raises(ValueError, match='reset_state'):
        stateful.forward(np.zeros((N + 1, T, D)))


# --- embedding, affine, loss, dropout, bidirectional ---------------------------------------------

def test_time_embedding_gradient_with_repeated_ids():
    rng = np.random.default_rng(10)
    V = 6
    layer = TimeEmbedding(rng.standard_normal((V, D)))
    xs = np.array([[1, 4, 1, 0], [4, 4, 2, 1]])
    R = rng.standard_normal((N, T, D))
    out = layer.forward(xs)
    np.testing.assert_array_equal(out, layer.params[0][xs])
    layer.backward(R)
    assert_gradients(lambda: float((layer.forward(xs) * R).sum()), layer.params, layer.grads)
    assert not layer.grads[0][[3, 5]].any()  # unused rows get no gradient


def test_time_embedding_rejects_bad_ids():
    layer = TimeEmbedding(np.zeros((5, D)))
    with pytest.raises(ValueError, match='out of range'):
        layer.forward(np.array([[0, 5]]))
    with pytest.raises(ValueError, match='negative'):
        layer.forward(np.array([[0, -1]]))
    with pytest.raises(TypeError, match='integers'):
        layer.forward(np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match=r'\(N, T\)'):
        layer.forward(np.array([0, 1]))


@pytest.mark.parametrize('tied', [False, True])
def test_time_affine_gradients(tied):
    """Also with W a transposed view (weight tying: W = embed_W.T)."""
    rng = np.random.default_rng(11)
    M = 5
    W = rng.standard_normal((M, D)).T if tied else rng.standard_normal((D, M))
    layer = TimeAffine(W, rng.standard_normal(M))
    xs, R = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, M))
    ys = layer.forward(xs)
    np.testing.assert_allclose(ys, np.einsum('ntd,dm->ntm', xs, W) + layer.params[1], rtol=1e-12)
    dxs = layer.backward(R)
    # numerical_gradient perturbs a flat C-ordered view: give it W's base array when W is W0.T
    arrays = [xs, W.T if tied else W, layer.params[1]]
    grads = [dxs, layer.grads[0].T if tied else layer.grads[0], layer.grads[1]]
    assert_gradients(lambda: float((layer.forward(xs) * R).sum()), arrays, grads)


def softmax_loss_reference(xs, ts, ignore_label):
    log_p = xs - xs.max(axis=2, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=2, keepdims=True))
    valid = ts != ignore_label
    picked = np.take_along_axis(log_p, np.where(valid, ts, 0)[..., None], axis=2)[..., 0]
    return -picked[valid].mean()


def test_time_softmax_with_loss_ignores_labels_and_has_exact_gradient():
    rng = np.random.default_rng(12)
    V = 5
    layer = TimeSoftmaxWithLoss()
    xs = rng.standard_normal((N, T, V))
    ts = np.array([[1, -1, 4, 0], [-1, 2, 2, 3]])
    loss = layer.forward(xs, ts)
    assert loss == pytest.approx(softmax_loss_reference(xs, ts, -1), rel=1e-12)
    dxs = layer.backward(2.0)
    assert not dxs[ts == -1].any()
    assert_gradients(lambda: 2.0 * layer.forward(xs, ts), [xs], [dxs])


def test_time_softmax_with_loss_one_hot_labels_and_huge_logits():
    rng = np.random.default_rng(13)
    V = 4
    ts = rng.integers(0, V, size=(N, T))
    one_hot = np.eye(V, dtype=np.int32)[ts]
    xs = rng.choice([-1e4, 1e4], size=(N, T, V))
    for dtype in (np.float32, np.float64):
        layer = TimeSoftmaxWithLoss()
        loss = layer.forward(xs.astype(dtype), ts)
        assert np.isfinite(loss) and loss == pytest.approx(softmax_loss_reference(xs, ts, -1), rel=1e-6)
        assert TimeSoftmaxWithLoss().forward(xs.astype(dtype), one_hot) == loss
        dxs = layer.backward()
        assert dxs.dtype == dtype and np.isfinite(dxs).all()
        np.testing.assert_allclose(dxs.sum(axis=2), 0, atol=1e-6)


def test_time_softmax_with_loss_checks_labels_and_backward_order():
    layer = TimeSoftmaxWithLoss(ignore_label=-1)
    xs = np.zeros((1, 2, 3))
    with pytest.raises(ValueError, match='out of range'):
        layer.forward(xs, np.array([[0, 3]]))
    with pytest.raises(ValueError, match='negative'):
        layer.forward(xs, np.array([[0, -2]]))
    with pytest.raises(ValueError, match='shape'):
        layer.forward(xs, np.array([0, 1]))
    assert layer.forward(xs, np.array([[2, -1]])) == pytest.approx(np.log(3))
    layer.backward()
    with pytest.raises(RuntimeError, match='forward'):
        layer.backward()


@pytest.mark.parametrize('variational', [False, True])
def test_time_dropout(variational):
    p = 0.4
    xs = np.ones((50, 20, 30))
    layer = TimeDropout(p, rng=np.random.default_rng(14), variational=variational)
    ys = layer.forward(xs)
    assert set(np.unique(ys)) == {0.0, 1 / (1 - p)}
    assert abs(ys.mean() - 1) < 0.05  # inverted scaling keeps the mean
    if variational:
        assert layer.mask.shape == (50, 1, 30)
        assert (ys == ys[:, :1]).all()  # one mask per sequence, the same at every step
    else:
        assert not (ys == ys[:, :1]).all()
    layer.train_flg = False
    np.testing.assert_array_equal(layer.forward(xs), xs)

    rng = np.random.default_rng(15)
    xs, R = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))

    def loss():  # the same (seeded) mask every call
        return float((TimeDropout(p, np.random.default_rng(16), variational).forward(xs) * R).sum())
    fixed = TimeDropout(p, np.random.default_rng(16), variational)
    fixed.forward(xs)
    assert_gradients(loss, [xs], [fixed.backward(R)])


def test_time_bilstm_gradients_and_directions():
    rng = np.random.default_rng(17)
    params = weights(rng, 4) + weights(rng, 4)
    layer = TimeBiLSTM(*params)
    xs, R = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, 2 * H))
    hs = layer.forward(xs)
    np.testing.assert_allclose(hs[..., :H], TimeLSTM(*params[:3]).forward(xs), rtol=1e-12)
    np.testing.assert_allclose(hs[..., H:], TimeLSTM(*params[3:]).forward(xs[:, ::-1])[:, ::-1],
                               rtol=1e-12)
    dxs = layer.backward(R)
    assert_gradients(lambda: float((layer.forward(xs) * R).sum()),
                     [xs, *layer.params], [dxs, *layer.grads])

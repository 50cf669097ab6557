"""Dropout through time (Gal & Ghahramani): recurrent masks in TimeRNN/LSTM/GRU, word-type
dropout in TimeEmbedding, and BetterRnnlm's variational scheme."""
import numpy as np
import pytest

from ch06_lstm import train_better_rnnlm
from ch06_lstm.better_rnnlm import BetterRnnlm
from common.gradient_check import check_gradients
from common.time_layers import LSTM, RNN, TimeEmbedding, TimeGRU, TimeLSTM, TimeRNN

N, T, D, H = 3, 4, 3, 4
GATES = {TimeRNN: 1, TimeLSTM: 4, TimeGRU: 3}
P = 0.5


def make_layer(cls, seed, **options):
    rng = np.random.default_rng(seed)
    params = [0.5 * rng.standard_normal(shape)
              for shape in ((D, GATES[cls] * H), (H, GATES[cls] * H), (GATES[cls] * H,))]
    return cls(*params, stateful=True, **options)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_hs(layer, xs, h0, c0, mask):
    """The same layer, step by step from the equations, with h_{t-1} * mask in every Wh product."""
    Wx, Wh, b = layer.params
    h, c, hs = h0, c0, []
    for t in range(xs.shape[1]):
        x = xs[:, t]
        if isinstance(layer, TimeRNN):
            h = RNN(Wx, Wh, b).forward(x, h * mask)
        elif isinstance(layer, TimeLSTM):
            h, c = LSTM(Wx, Wh, b).forward(x, h * mask, c)
        else:  # GRU: the masked h enters the products only; (1 - z) h keeps h whole
            a, hm = x @ Wx + b, h * mask
            z = sigmoid(a[:, :H] + hm @ Wh[:, :H])
            r = sigmoid(a[:, H:2 * H] + hm @ Wh[:, H:2 * H])
            h_tilde = np.tanh(a[:, 2 * H:] + (r * hm) @ Wh[:, 2 * H:])
            h = (1 - z) * h + z * h_tilde
        hs.append(h)
    return np.stack(hs, axis=1)


@pytest.mark.parametrize('cls', [TimeRNN, TimeLSTM, TimeGRU])
def test_one_mask_per_sequence_used_at_every_step(cls):
    rng = np.random.default_rng(0)
    layer = make_layer(cls, 1, recurrent_dropout=P, rng=np.random.default_rng(2))
    xs, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    layer.set_state(h0, c0) if cls is TimeLSTM else layer.set_state(h0)
    hs = layer.forward(xs)
    mask = layer.mask
    assert mask.shape == (N, H)
    assert set(np.unique(mask)) == {0.0, 1 / (1 - P)}
    assert len({row.tobytes() for row in mask}) == N  # each sequence has its own mask
    np.testing.assert_allclose(hs, reference_hs(layer, xs, h0, c0, mask), rtol=1e-12, atol=1e-14)
    layer.forward(xs)
    assert not np.array_equal(layer.mask, mask)  # a new mask for the next block


@pytest.mark.parametrize('cls', [TimeRNN, TimeLSTM, TimeGRU])
def test_gradients_with_a_fixed_recurrent_mask(cls):
    rng = np.random.default_rng(3)
    mask_rng = np.random.default_rng(4)
    layer = make_layer(cls, 5, recurrent_dropout=P, rng=mask_rng)
    xs, R = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    start = mask_rng.bit_generator.state

    def loss():
        mask_rng.bit_generator.state = start  # the same mask at every evaluation
        layer.set_state(h0, c0) if cls is TimeLSTM else layer.set_state(h0)
        return float((layer.forward(xs) * R).sum())
    loss()
    assert 0 < (layer.mask == 0).sum() < layer.mask.size
    grads = [layer.backward(R), *layer.grads, layer.dh] + ([layer.dc] if cls is TimeLSTM else [])
    arrays = [xs, *layer.params, h0] + ([c0] if cls is TimeLSTM else [])
    assert check_gradients(loss, arrays, [g.copy() for g in grads]) < 1e-6


@pytest.mark.parametrize('cls', [TimeRNN, TimeLSTM, TimeGRU])
def test_off_at_test_time_equals_the_layer_without_dropout(cls):
    rng = np.random.default_rng(6)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    plain = make_layer(cls, 7)
    dropped = make_layer(cls, 7, recurrent_dropout=P, rng=np.random.default_rng(8))
    dropped.train_flg = False
    for _ in range(2):  # the second block starts from the carried state
        np.testing.assert_array_equal(dropped.forward(xs), plain.forward(xs))
        np.testing.assert_array_equal(dropped.backward(dhs), plain.backward(dhs))
        for a, b in zip(dropped.grads, plain.grads):
            np.testing.assert_array_equal(a, b)
    assert dropped.mask is None
    with pytest.raises(ValueError, match=r'recurrent_dropout must lie in \[0, 1\)'):
        make_layer(cls, 7, recurrent_dropout=1.0)


def test_embedding_dropout_drops_word_types_per_sequence():
    V, rows, steps = 4, 40, 12
    rng = np.random.default_rng(9)
    W = rng.standard_normal((V, D)) + 3  # no zero entries
    layer = TimeEmbedding(W, dropout_ratio=P, rng=np.random.default_rng(10))
    xs = rng.integers(0, V, (rows, steps))
    out = layer.forward(xs)
    dropped = (out == 0).all(axis=2)
    np.testing.assert_allclose(out[~dropped], W[xs[~dropped]] / (1 - P), rtol=1e-12)
    for n in range(rows):  # a word is dropped at all of its steps of a sequence, or at none
        for word in np.unique(xs[n]):
            assert len(set(dropped[n][xs[n] == word])) == 1
    per_word = [[dropped[n][xs[n] == w][0] for n in range(rows) if (xs[n] == w).any()] for w in range(V)]
    assert all(0 < np.mean(d) < 1 for d in per_word)  # differs between sequences
    layer.train_flg = False
    np.testing.assert_array_equal(layer.forward(xs), W[xs])


def test_embedding_dropout_gradient_with_a_fixed_mask():
    rng = np.random.default_rng(11)
    mask_rng = np.random.default_rng(12)
    W = rng.standard_normal((5, D))
    layer = TimeEmbedding(W, dropout_ratio=P, rng=mask_rng)
    xs, R = rng.integers(0, 5, (N, T)), rng.standard_normal((N, T, D))
    start = mask_rng.bit_generator.state

    def loss():
        mask_rng.bit_generator.state = start
        return float((layer.forward(xs) * R).sum())
    loss()
    layer.backward(R)
    assert check_gradients(loss, [W], [layer.grads[0].copy()]) < 1e-6


def test_better_rnnlm_variational_gradients_and_test_time():
    V = 7
    rng = np.random.default_rng(13)
    model_rng = np.random.default_rng(14)
    model = BetterRnnlm(V, 5, 5, dropout_ratio=0.3, variational=True, recurrent_dropout=0.4,
                        embedding_dropout=0.3, rng=model_rng, dtype=np.float64)
    for p in model.params:
        p[...] = rng.normal(0, 0.5, p.shape)
    xs, ts = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    start = model_rng.bit_generator.state

    def loss():
        model_rng.bit_generator.state = start
        model.reset_state()
        return model.forward(xs, ts)
    loss()
    model.backward()
    assert all(layer.mask is not None for layer in model.lstm_layers)
    assert check_gradients(loss, model.params, [g.copy() for g in model.grads]) < 1e-6

    plain = BetterRnnlm(V, 5, 5, dropout_ratio=0.3, variational=True, rng=0, dtype=np.float64)
    for a, b in zip(plain.params, model.params):
        a[...] = b
    model.reset_state()
    np.testing.assert_array_equal(model.predict(xs), plain.predict(xs))  # dropout off at test time


@pytest.mark.parametrize('flag', ['--recurrent-dropout', '--embedding-dropout'])
def test_train_better_rnnlm_rejects_a_dropout_ratio_of_one(flag):
    with pytest.raises(SystemExit) as stop:
        train_better_rnnlm.main([flag, '1'])
    assert stop.value.code == 2

"""Whole-model gradient checks and behaviour of SimpleRnnlm, Rnnlm and BetterRnnlm (chapters 5-6)."""
import numpy as np
import pytest

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from common.gradient_check import check_gradients
from common.optimizer import SGD
from harness.checkpoint import carried_state, set_carried_state

V, D, H, N, T = 7, 5, 5, 2, 3


def rescale(model, rng, scale=0.5):
    """Give every parameter N(0, scale^2) entries: the book's tiny initial weights (E / 100) make
    the gradients so small that the finite-difference noise dominates the relative error."""
    for p in model.params:
        p[...] = rng.normal(0, scale, p.shape)


def ids(rng, high=V):
    return rng.integers(0, high, (N, T))


def check_model_gradients(model, xs, ts, rng_of_model=None):
    """Max relative error of model.grads against numerical gradients of model.forward(xs, ts).

    Every loss evaluation starts from the same carried state (that of the previous block) and,
    for a model with dropout, the same dropout masks (the Generator's state is restored).
    """
    state = {k: v.copy() for k, v in carried_state(model).items()}
    rng_state = rng_of_model.bit_generator.state if rng_of_model is not None else None

    def loss():
        set_carried_state(model, state)
        if rng_state is not None:
            rng_of_model.bit_generator.state = rng_state
        return model.forward(xs, ts)

    loss()
    model.backward()
    grads = [g.copy() for g in model.grads]
    return check_gradients(loss, model.params, grads)


@pytest.mark.parametrize('make_model', [
    lambda: SimpleRnnlm(V, D, H, rng=1, dtype=np.float64),
    lambda: Rnnlm(V, D, H, rng=1, dtype=np.float64),
    lambda: Rnnlm(V, D, H, cell='gru', rng=1, dtype=np.float64),
], ids=['SimpleRnnlm', 'Rnnlm-lstm', 'Rnnlm-gru'])
def test_rnnlm_gradients_match_numerical(make_model):
    rng = np.random.default_rng(0)
    model = make_model()
    rescale(model, rng)
    model.forward(ids(rng), ids(rng))  # a first block, so the checked one starts from a carried state
    model.backward()
    assert carried_state(model)
    assert check_model_gradients(model, ids(rng), ids(rng)) < 1e-6


@pytest.mark.parametrize('variational', [False, True])
def test_better_rnnlm_gradients_with_active_dropout(variational):
    rng = np.random.default_rng(0)
    model_rng = np.random.default_rng(5)
    model = BetterRnnlm(V, D, H, dropout_ratio=0.5, variational=variational, rng=model_rng,
                        dtype=np.float64)
    rescale(model, rng)
    model.forward(ids(rng, high=3), ids(rng))  # a previous step that used other embedding rows
    model.backward()
    assert check_model_gradients(model, ids(rng), ids(rng), model_rng) < 1e-6
    mask = model.drop_layers[1].mask
    assert mask is not None and 0 < (mask == 0).mean() < 1
    assert mask.shape == ((N, 1, H) if variational else (N, T, H))


def untied_twin(seed):
    """A BetterRnnlm whose output layer has its own copy of E^T instead of sharing E."""
    model = BetterRnnlm(V, D, H, dropout_ratio=0.0, rng=seed, dtype=np.float64)
    affine = model.layers[-1]
    affine.params[0] = model.embed_layer.params[0].T.copy()
    affine.grads[0] = np.zeros_like(affine.params[0])
    model.collect_params(model.layers)
    return model


def test_tied_gradient_is_the_sum_of_both_uses_every_step():
    rng = np.random.default_rng(0)
    tied = BetterRnnlm(V, D, H, dropout_ratio=0.0, rng=3, dtype=np.float64)
    untied = untied_twin(3)
    assert len(tied.params) == len(untied.params) - 1  # E is listed once
    embed_W = tied.params[0]
    assert np.shares_memory(tied.layers[-1].params[0], embed_W)
    for step_ids in (ids(rng, high=3), ids(rng)):  # the second step touches other rows than the first
        ts = ids(rng)
        for model in (tied, untied):
            model.forward(step_ids, ts)
            model.backward()
        dE_embedding = untied.grads[0]
        dW_affine = untied.grads[untied.param_names.index('06.TimeAffine.W')]
        np.testing.assert_allclose(tied.grads[0], dE_embedding + dW_affine.T, rtol=1e-12, atol=1e-15)


def test_tied_weight_update_reaches_both_layers():
    rng = np.random.default_rng(0)
    model = BetterRnnlm(V, D, H, rng=3)
    model.forward(ids(rng), ids(rng))
    model.backward()
    before = model.layers[-1].params[0].copy()
    SGD(lr=1.0).update(model.params, model.grads)
    np.testing.assert_array_equal(model.layers[-1].params[0], model.params[0].T)
    assert not np.array_equal(model.layers[-1].params[0], before)


def test_dropout_only_when_training():
    rng = np.random.default_rng(0)
    model = BetterRnnlm(V, D, H, rng=3)
    xs = ids(rng)
    model.reset_state()
    test_scores = model.predict(xs)
    model.reset_state()
    np.testing.assert_array_equal(model.predict(xs), test_scores)
    model.reset_state()
    assert not np.allclose(model.predict(xs, train_flg=True), test_scores)


def test_default_dtype_and_book_initialisation():
    model = Rnnlm(50, 8, 6, rng=0)
    assert all(p.dtype == np.float32 for p in model.params)
    embed_W, Wx, Wh, b, affine_W, affine_b = model.params
    assert Wx.shape == (8, 24) and Wh.shape == (6, 24) and affine_W.shape == (6, 50)
    assert abs(embed_W.std() - 0.01) < 0.002 and abs(Wh.std() - 1 / np.sqrt(6)) < 0.1
    assert not b.any() and not affine_b.any()
    assert Rnnlm(50, 8, 6, cell='gru', rng=0).params[2].shape == (6, 18)


def test_bad_arguments_and_ids_give_clear_errors():
    with pytest.raises(ValueError, match='cell must be one of'):
        Rnnlm(V, D, H, cell='transformer')
    with pytest.raises(ValueError, match='wordvec_size == hidden_size'):
        BetterRnnlm(V, 4, 6)
    model = Rnnlm(V, D, H, rng=0)
    with pytest.raises(ValueError, match=r'word id 7 is out of range: ids must lie in \[0, 7\)'):
        model.forward(np.array([[1, 7, 2]]), np.array([[1, 2, 3]]))
    with pytest.raises(ValueError, match='negative word id'):
        model.forward(np.array([[1, -1, 2]]), np.array([[1, 2, 3]]))
    with pytest.raises(ValueError, match='label 9 is out of range'):
        model.forward(np.array([[1, 2, 3]]), np.array([[1, 9, 3]]))


def test_loading_a_checkpoint_of_another_size_names_the_array(tmp_path):
    path = tmp_path / 'small.npz'
    Rnnlm(V, D, H, rng=0).save_params(path)
    other = Rnnlm(V, D, H + 1, rng=0)
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match=r"array '01.TimeLSTM.Wx' has shape \(5, 20\), the model expects \(5, 24\)"):
        other.load_params(path)
    assert all(np.array_equal(p, q) for p, q in zip(other.params, before))
    with pytest.raises(ValueError, match="no array '01.TimeGRU.Wx'"):
        Rnnlm(V, D, H, cell='gru').load_params(path)

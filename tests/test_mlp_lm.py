"""MlpLm (Bengio et al. 2003) and its PTB training script."""
import os

import numpy as np
import pytest

from ch05_rnn import train_mlp_lm
from ch05_rnn.mlp_lm import MlpLm, ngram_contexts
from common.gradient_check import check_gradients

V, n, D, H, N = 9, 3, 4, 5, 6
SHAPES = [(False, False), (True, False), (False, True)]  # (direct, tie_weights)
needs_ptb = pytest.mark.skipif(not os.environ.get('DLFS_DATA_DIR'),
                               reason='DLFS_DATA_DIR is not set: the PTB files are needed')


def model_and_batch(direct, dropout, seed=0, input_dropout=0.0, tie_weights=False):
    rng = np.random.default_rng(seed)
    model_rng = np.random.default_rng(seed + 1)
    model = MlpLm(V, n, D, D if tie_weights else H, dropout, direct, rng=model_rng, dtype=np.float64,
                  input_dropout=input_dropout, tie_weights=tie_weights)
    for p in model.params:  # nonzero direct weights too
        p[...] = rng.normal(0, 0.5, p.shape)
    return model, model_rng, rng.integers(0, V, (N, n)), rng.integers(0, V, N)


@pytest.mark.parametrize('direct, tie_weights', SHAPES)
def test_gradients_with_fixed_dropout_masks(direct, tie_weights):
    model, model_rng, contexts, target = model_and_batch(direct, dropout=0.5, input_dropout=0.3,
                                                         tie_weights=tie_weights)
    start = model_rng.bit_generator.state

    def loss():
        model_rng.bit_generator.state = start
        return model.forward(contexts, target)
    loss()
    model.backward()
    assert (model.hidden_layers[2].mask == 0).any() and (model.input_dropout_layer.mask == 0).any()
    assert check_gradients(loss, model.params, [g.copy() for g in model.grads]) < 1e-6


@pytest.mark.parametrize('direct, tie_weights', SHAPES)
def test_loss_and_probabilities_follow_the_equation(direct, tie_weights):
    model, _, contexts, target = model_and_batch(direct, dropout=0.0, tie_weights=tie_weights)
    if tie_weights:
        C, W1, b1, b2 = model.params  # W2 is C^T, one parameter
        W2, Wd = C.T, []
    else:
        C, W1, b1, W2, b2, *Wd = model.params
    x = C[contexts].reshape(N, n * D)
    scores = np.tanh(x @ W1 + b1) @ W2 + b2 + (x @ Wd[0] if direct else 0)
    np.testing.assert_allclose(model.predict(contexts), scores, rtol=1e-12)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-12)
    expected = -np.log(probs[np.arange(N), target]).mean()
    assert model.forward(contexts, target) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r'contexts must have shape \(N, 3\)'):
        model.predict(contexts[:, :2])


def test_tied_weights_need_equal_sizes():
    with pytest.raises(ValueError, match='tie_weights needs wordvec_size == hidden_size, got 4 and 5'):
        MlpLm(V, n, D, H, tie_weights=True)


def test_contexts_are_padded_with_the_boundary_word():
    corpus = np.array([5, 6, 7, 8])
    np.testing.assert_array_equal(ngram_contexts(corpus, 3, 0),
                                  [[0, 0, 0], [0, 0, 5], [0, 5, 6], [5, 6, 7]])


TINY = ['--max-tokens', '4000', '--eval-tokens', '500', '--wordvec-size', '16', '--hidden-size', '16',
        '--batch-size', '50', '--lr', '0.003', '--eval-interval', '20', '--quiet']


@needs_ptb
def test_training_lowers_perplexity_and_resumes_exactly(tmp_path):
    straight, results = train_mlp_lm.main(TINY + ['--epochs', '2'])
    path = str(tmp_path / 'mlp.npz')
    train_mlp_lm.main(TINY + ['--epochs', '1', '--save', path])
    resumed, resumed_results = train_mlp_lm.main(TINY + ['--epochs', '2', '--load', path])
    for a, b in zip(straight.params, resumed.params):
        np.testing.assert_array_equal(a, b)
    assert resumed_results['valid'] == results['valid']
    assert resumed_results['train'] == results['train']
    losses = results['train']  # mean training loss of every 20 steps
    assert losses[-1] < losses[0] - 0.3
    assert max(results['valid']) < 2000 and results['test'] < 2000  # uniform guessing: 10,000


@pytest.mark.parametrize('flag, value', [('--dropout', '1'), ('--input-dropout', '-0.1'),
                                         ('--hidden-size', '0'), ('--lr', '-1'), ('--lr-decay', '0.5'),
                                         ('--optimizer', 'adagrad'), ('--tie-weights', '--wordvec-size=64'),
                                         ('--min-improvement', '1')])
def test_bad_flags_exit_2(flag, value):
    with pytest.raises(SystemExit) as stop:
        train_mlp_lm.main([flag, value])
    assert stop.value.code == 2

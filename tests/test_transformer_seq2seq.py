"""TransformerSeq2seq (ch09): gradients of the whole model, causality, bad input, training.

Decoder steps, greedy and beam decoding: tests/test_decoding.py."""
import numpy as np
import pytest

from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from common.evaluation import seq2seq_accuracy
from common.gradient_check import check_gradients, numerical_gradient
from common.optimizer import Adam
from common.trainer import Trainer
from dataset import sequence

V, T_IN, T_OUT = 6, 4, 3


def tiny_model(rng, dtype=np.float64, **sizes):
    sizes = {'d_model': 4, 'num_heads': 2, 'num_layers': 2, 'd_ff': 6, **sizes}
    return TransformerSeq2seq(V, **sizes, rng=rng, dtype=dtype)


def test_whole_model_gradients():
    """Every parameter of encoder and decoder, float64 central differences.

    Weights are redrawn from N(0, 1) so that attention is far from uniform and no gradient is
    near the central difference's rounding floor.  The key biases bk have a zero gradient
    (softmax(q.(k + b)) does not depend on b: it adds the same q.b to every score of a query),
    so for them both gradients must be zero.
    """
    rng = np.random.default_rng(3)
    model = tiny_model(rng)
    for param in model.params:
        param[...] = rng.standard_normal(param.shape)
    xs, ts = rng.integers(0, V, size=(2, T_IN)), rng.integers(0, V, size=(2, T_OUT + 1))
    model.forward(xs, ts)
    model.backward()
    named = list(zip(model.param_names, model.params, [g.copy() for g in model.grads]))
    checked = [(p, g) for name, p, g in named if not name.endswith('.bk')]
    assert check_gradients(lambda: model.forward(xs, ts), *zip(*checked)) < 1e-6
    for name, param, grad in named:
        if name.endswith('.bk'):
            assert np.abs(grad).max() < 1e-12
            assert np.abs(numerical_gradient(lambda: model.forward(xs, ts), param)).max() < 1e-8


def test_later_answer_characters_do_not_change_earlier_scores():
    rng = np.random.default_rng(8)
    model = tiny_model(rng)
    xs, ys = rng.integers(0, V, size=(2, T_IN)), rng.integers(0, V, size=(2, T_OUT))
    before = model.decoder.forward(ys, model.encoder.forward(xs))
    ys[:, -1] = (ys[:, -1] + 1) % V
    after = model.decoder.forward(ys, model.encoder.forward(xs))
    np.testing.assert_array_equal(after[:, :-1], before[:, :-1])
    assert np.abs(after[:, -1] - before[:, -1]).max() > 1e-6


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match='divisible by num_heads'):
        TransformerSeq2seq(V, d_model=10, num_heads=4)
    model = tiny_model(0, np.float32, max_len=5)
    with pytest.raises(ValueError, match=r'\(N, T_in\)'):
        model.forward(np.zeros(T_IN, int), np.zeros((1, T_OUT), int))
    with pytest.raises(ValueError, match='out of range'):
        model.generate(np.full((1, T_IN), V), 0, 3)
    with pytest.raises(ValueError, match='max_len = 5'):
        model.forward(np.zeros((1, 6), int), np.zeros((1, T_OUT), int))
    with pytest.raises(ValueError, match='beam_width'):
        model.generate(np.zeros((1, T_IN), int), 0, 3, beam_width=0)


def test_short_run_on_dates_learns():
    """200 steps on 6,400 date questions: most test answers entirely right (a constant answer
    gets about none: the answers are different dates)."""
    (x_train, t_train), (x_test, t_test) = sequence.load_data('date.txt')
    char_to_id, _ = sequence.get_vocab('date.txt')
    model = TransformerSeq2seq(len(char_to_id), d_model=32, num_heads=2, num_layers=1, d_ff=64, rng=0)
    trainer = Trainer(model, Adam(lr=0.01), rng=0, verbose=False)
    trainer.fit(x_train[:6400], t_train[:6400], max_epoch=4, batch_size=128, max_grad=5.0)
    assert trainer.loss_list[-1] < 0.15 * trainer.loss_list[0]
    assert seq2seq_accuracy(model, x_test[:500], t_test[:500]) > 0.4

"""Chapter 1: TwoLayerNet gradients, spiral training (Trainer and the hand-written loop), scripts."""
import re

import numpy as np
import pytest

from ch01_nn import forward_net, show_spiral_dataset, train, train_custom_loop
from ch01_nn.two_layer_net import TwoLayerNet
from common.gradient_check import check_gradients
from dataset import spiral

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_MAGIC, f'{path} is not a PNG file'


def printed_final_loss(out):
    return float(re.search(r'final loss (\d+\.\d+)', out).group(1))


def test_two_layer_net_gradients_match_numerical_ones():
    rng = np.random.default_rng(0)
    model = TwoLayerNet(3, 5, 4, rng=rng, dtype=np.float64)
    for param in model.params:  # larger than the 0.01 init, so every path carries signal
        param[...] = rng.standard_normal(param.shape)
    x = rng.standard_normal((6, 3))
    t = np.eye(4, dtype=np.int32)[rng.integers(0, 4, size=6)]
    model.forward(x, t)
    dx = model.backward()
    grads = [g.copy() for g in model.grads]
    error = check_gradients(lambda: model.forward(x, t), [x, *model.params], [dx, *grads])
    assert error < 1e-6


def test_two_layer_net_matches_its_formula_and_init():
    rng = np.random.default_rng(1)
    model = TwoLayerNet(2, 10, 3, rng=rng)
    W1, b1, W2, b2 = model.params
    assert [p.dtype for p in model.params] == [np.float32] * 4
    assert not b1.any() and not b2.any() and 0.005 < W1.std() < 0.02
    assert model.param_names == ['00.Affine.W', '00.Affine.b', '02.Affine.W', '02.Affine.b']
    x = rng.standard_normal((4, 2)).astype(np.float32)
    expected = 1 / (1 + np.exp(-(x @ W1 + b1))) @ W2 + b2
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)
    with pytest.raises(ValueError, match='last dimension 2'):
        model.predict(np.ones((4, 3), dtype=np.float32))


def test_book_run_with_trainer_reaches_low_loss_and_writes_plots(tmp_path, capsys):
    """The book's full configuration (300 epochs) takes well under a second."""
    loss_png, boundary_png, checkpoint = tmp_path / 'loss.png', tmp_path / 'b.png', tmp_path / 'm.npz'
    model, loss_list = train.main(['--plot', str(loss_png), '--boundary-plot', str(boundary_png),
                                   '--save', str(checkpoint)])
    out = capsys.readouterr().out
    assert '| epoch 300 |  iter 10 / 10 |' in out
    assert loss_list[0] > 1.05 and loss_list[-1] < 0.2
    assert printed_final_loss(out) == pytest.approx(loss_list[-1], abs=1e-4)
    x, t = spiral.load_data()
    accuracy = (model.predict(x.astype(np.float32)).argmax(axis=1) == t.argmax(axis=1)).mean()
    assert accuracy > 0.9
    assert_png(loss_png)
    assert_png(boundary_png)

    # resuming from the checkpoint continues the run where it ended (--epochs: the total to reach)
    _, resumed = train.main(['--load', str(checkpoint), '--epochs', '301', '--quiet'])
    assert resumed[:-1] == loss_list and resumed[-1] < 0.3


def test_hand_written_loop_equals_trainer(tmp_path, capsys):
    """Same seed, same shuffles: the explicit loop and Trainer give the same losses."""
    args = ['--epochs', '20', '--seed', '3', '--quiet']
    _, trainer_losses = train.main(args)
    _, loop_losses = train_custom_loop.main(args + ['--plot', str(tmp_path / 'loss.png'),
                                                    '--boundary-plot', str(tmp_path / 'b.png')])
    np.testing.assert_allclose(loop_losses, trainer_losses, rtol=1e-6)
    assert loop_losses[-1] < loop_losses[0]
    assert printed_final_loss(capsys.readouterr().out) == pytest.approx(loop_losses[-1], abs=1e-4)
    assert_png(tmp_path / 'loss.png')
    assert_png(tmp_path / 'b.png')


def test_hand_written_loop_book_run_reaches_low_loss(capsys):
    _, loss_list = train_custom_loop.main([])
    assert loss_list[-1] < 0.2
    assert '| epoch 300 |  iter 10 / 10 | loss' in capsys.readouterr().out


def test_forward_net_scores_follow_the_formula(capsys):
    scores = forward_net.main(['--seed', '5', '--samples', '7'])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 2))
    W1, b1 = rng.standard_normal((2, 4)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(scores, 1 / (1 + np.exp(-(x @ W1 + b1))) @ W2 + b2, rtol=1e-12)
    assert capsys.readouterr().out.count('[') == 7 + 1   # the printed (7, 3) array


def test_show_spiral_dataset_writes_png(tmp_path):
    x, t = show_spiral_dataset.main(['--plot', str(tmp_path / 'spiral.png'), '--quiet'])
    assert x.shape == (300, 2) and t.shape == (300, 3)
    assert_png(tmp_path / 'spiral.png')


@pytest.mark.parametrize('flag, value', [('--epochs', '0'), ('--epochs', '-1'), ('--batch-size', 'x'),
                                         ('--lr', 'nan'), ('--lr', '-1'), ('--seed', '-5')])
def test_common_numeric_flags_are_checked_by_argparse(flag, value, capsys):
    from harness.flags import make_parser
    parser = make_parser('demo', epochs=3, batch_size=4, lr=0.1, seed=1)
    with pytest.raises(SystemExit) as stop:
        parser.parse_args([flag, value])
    assert stop.value.code == 2
    assert flag in capsys.readouterr().err

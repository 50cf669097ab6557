"""Trainer and RnnlmTrainer: real loss drops, batching, divergence handling, plots."""
import numpy as np
import pytest

from common.base_model import BaseModel
from common.layers import Affine, Sigmoid, SoftmaxWithLoss
from common.optimizer import SGD
from common.trainer import RnnlmTrainer, Trainer
from common.util import clip_grads


class TinyNet(BaseModel):
    def __init__(self, rng):
        self.layers = [Affine(rng.standard_normal((2, 16)), np.zeros(16)), Sigmoid(),
                       Affine(rng.standard_normal((16, 2)), np.zeros(2))]
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params(self.layers)

    def forward(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        return self.loss_layer.forward(x, t)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)


def xor_data(rng, n=400):
    x = rng.uniform(-1, 1, (n, 2))
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)


def test_trainer_learns_xor_and_plots(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x, t = xor_data(rng)
    trainer = Trainer(TinyNet(rng), SGD(lr=1.0), rng=0)
    trainer.fit(x, t, max_epoch=150, batch_size=40, eval_interval=10)
    assert trainer.loss_list[0] > 0.6 and trainer.loss_list[-1] < 0.25
    assert '| epoch 150 |  iter 10 / 10 |' in capsys.readouterr().out
    trainer.plot(path=tmp_path / 'loss.png')
    assert (tmp_path / 'loss.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_trainer_stops_on_divergence_without_updating():
    rng = np.random.default_rng(0)
    x, t = xor_data(rng, 40)
    model = TinyNet(rng)
    x[5] = np.nan
    before = [p.copy() for p in model.params]
    with pytest.raises(FloatingPointError, match='diverged'):
        Trainer(model, SGD(1.0), rng=0, verbose=False).fit(x, t, max_epoch=1, batch_size=40)
    for a, b in zip(before, model.params):
        np.testing.assert_array_equal(a, b)


class Recorder(BaseModel):
    """A stand-in language model that records the batches it is given."""

    def __init__(self):
        self.params, self.grads, self.seen = [], [], []

    def forward(self, xs, ts):
        self.seen.append((xs.copy(), ts.copy()))
        return 1.0

    def backward(self, dout=1):
        pass


class HugeLoss(Recorder):
    """A language model whose loss is finite but whose perplexity exp(loss) overflows a float."""

    def forward(self, xs, ts):
        return 800.0


def test_rnnlm_trainer_stops_when_the_perplexity_overflows():
    corpus = np.arange(100)
    with pytest.raises(FloatingPointError, match=r'perplexity became inf \(mean loss 800\)'):
        RnnlmTrainer(HugeLoss(), SGD(1.0), verbose=False).fit(corpus[:-1], corpus[1:], max_epoch=1,
                                                               batch_size=2, time_size=5, eval_interval=2)


def test_rnnlm_trainer_walks_each_row_from_its_own_offset():
    corpus = np.arange(41)
    model = Recorder()
    trainer = RnnlmTrainer(model, SGD(), verbose=False)
    trainer.fit(corpus[:-1], corpus[1:], max_epoch=2, batch_size=4, time_size=3, eval_interval=2)
    # 40 tokens, 4 rows -> offsets 0, 10, 20, 30; 40 // 12 = 3 steps an epoch, blocks continue
    first_x, first_t = model.seen[0]
    np.testing.assert_array_equal(first_x, [[0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]])
    np.testing.assert_array_equal(first_t, first_x + 1)
    np.testing.assert_array_equal(model.seen[1][0][0], [3, 4, 5])
    np.testing.assert_array_equal(model.seen[3][0][3], [39, 0, 1])  # wraps around the corpus
    assert len(model.seen) == 6
    assert trainer.ppl_list == pytest.approx([np.e] * 4)  # at steps 2, 3 of each epoch


def test_clip_grads_scales_to_the_global_norm():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]
    assert clip_grads(grads, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(grads[0], [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(grads[1], [[0.0], [0.8]], rtol=1e-5)
    small = [np.array([0.3, 0.4])]
    clip_grads(small, 1.0)
    np.testing.assert_array_equal(small[0], [0.3, 0.4])

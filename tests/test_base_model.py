"""BaseModel: parameter collection, tied weights, named atomic checkpoints."""
import json
import os

import numpy as np
import pytest

from common.base_model import BaseModel
from common.gradient_check import check_gradients
from common.layers import Affine, Embedding, SoftmaxWithLoss


class TiedNet(BaseModel):
    """Embedding -> Affine(embed_W.T): the output layer reuses the embedding matrix."""

    def __init__(self, vocab_size=6, dim=3, seed=0):
        rng = np.random.default_rng(seed)
        embed_W = rng.standard_normal((vocab_size, dim))
        self.embed = Embedding(embed_W)
        self.affine = Affine(embed_W.T, np.zeros(vocab_size))
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params([self.embed, self.affine])

    def forward(self, x, t):
        return self.loss_layer.forward(self.affine.forward(self.embed.forward(x)), t)

    def backward(self, dout=1):
        self.embed.backward(self.affine.backward(self.loss_layer.backward(dout)))
        self.sum_tied_grads()


def test_tied_weight_is_listed_once_and_its_gradient_is_the_sum_of_both_uses():
    model = TiedNet()
    assert len(model.params) == 2  # embed W and affine b; affine W is the tied transpose
    assert model.param_names == ['00.Embedding.W', '01.Affine.b']
    x, t = np.array([0, 2, 2, 5]), np.array([1, 2, 3, 0])
    model.forward(x, t)
    model.backward()
    analytic = [g.copy() for g in model.grads]
    unused_rows = [1, 3, 4]  # only the output layer's use reaches these rows
    np.testing.assert_allclose(analytic[0][unused_rows], model.affine.grads[0].T[unused_rows])
    assert not np.allclose(analytic[0][[0, 2, 5]], model.affine.grads[0].T[[0, 2, 5]])
    assert check_gradients(lambda: model.forward(x, t), model.params, analytic) < 1e-6
    model.forward(x, t)
    model.backward()  # a second step must not add the tied gradient twice
    np.testing.assert_allclose(model.grads[0], analytic[0])


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / 'model.npz'
    model = TiedNet(seed=1)
    model.save_params(path)
    other = TiedNet(seed=2)
    embed_array = other.params[0]
    other.load_params(path)
    assert other.params[0] is embed_array  # loaded in place
    for a, b in zip(model.params, other.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(other.affine.params[0], model.params[0].T)  # tie survives
    with np.load(path, allow_pickle=False) as saved:
        assert json.loads(str(saved['__model__'])) == {'class': f'{__name__}.TiedNet', 'config': None}


def test_load_of_another_model_size_names_the_array_and_changes_nothing(tmp_path):
    path = tmp_path / 'small.npz'
    TiedNet(dim=3).save_params(path)
    big = TiedNet(dim=4)
    before = [p.copy() for p in big.params]
    with pytest.raises(ValueError, match=r"'00.Embedding.W' has shape \(6, 3\).*expects \(6, 4\)"):
        big.load_params(path)
    for a, b in zip(before, big.params):
        np.testing.assert_array_equal(a, b)


def test_load_rejects_missing_and_foreign_files(tmp_path):
    model = TiedNet()
    with pytest.raises(FileNotFoundError, match='does not exist'):
        model.load_params(tmp_path / 'nope.npz')
    junk = tmp_path / 'junk.npz'
    junk.write_bytes(b'not a zip file')
    with pytest.raises(ValueError, match='junk.npz.* is not an .npz file'):
        model.load_params(junk)
    other = tmp_path / 'other.npz'
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(ValueError, match="no array '00.Embedding.W'"):
        model.load_params(other)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / 'model.npz'
    TiedNet(seed=1).save_params(path)
    good = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise KeyboardInterrupt  # interrupted in the middle of writing

    monkeypatch.setattr(np, 'savez', broken_savez)
    with pytest.raises(KeyboardInterrupt):
        TiedNet(seed=2).save_params(path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ['model.npz']  # no temporary file left behind


def test_attached_arrays_travel_with_the_parameters_and_must_match(tmp_path, device):
    from common.base_model import load_model, read_attached
    from dataset.vocabulary import Vocabulary
    from ch06_lstm.rnnlm import Rnnlm
    words = Vocabulary(['good', 'bad', 'film']).to_arrays()
    model = Rnnlm(6, 3, 4, rng=0)
    model.attach(**words)
    model.to_gpu()  # attached arrays are not parameters: they stay on the host
    assert isinstance(model.attached['vocabulary'], np.ndarray)
    model.save_params(tmp_path / 'lm.npz')
    assert read_attached(tmp_path / 'lm.npz')['vocabulary'].tolist() == list(words['vocabulary'])
    assert load_model(tmp_path / 'lm.npz').attached['vocabulary'].tolist() == list(words['vocabulary'])
    same = Rnnlm(6, 3, 4, rng=1)
    same.attach(**words)
    same.load_params(tmp_path / 'lm.npz')
    other = Rnnlm(6, 3, 4, rng=1)
    other.attach(**Vocabulary(['good', 'bad', 'movie']).to_arrays())
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match=r"lm.npz' was saved with another vocabulary \(6 entries\) than the "
                                         r'one this Rnnlm reads its inputs with'):
        other.load_params(tmp_path / 'lm.npz')
    assert all(np.array_equal(a, b) for a, b in zip(before, other.params))
    Rnnlm(6, 3, 4, rng=0).save_params(tmp_path / 'bare.npz')
    assert read_attached(tmp_path / 'bare.npz') == {}
    with pytest.raises(ValueError, match="bare.npz' holds no 'vocabulary'"):
        same.load_params(tmp_path / 'bare.npz')
    Rnnlm(6, 3, 4, rng=1).load_params(tmp_path / 'lm.npz')  # a model without a vocabulary reads it

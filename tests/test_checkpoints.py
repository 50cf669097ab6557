"""Self-describing checkpoints: a model is rebuilt from its file alone (common.base_model.load_model)."""
import io
import json
import sys
import zipfile

import numpy as np
import pytest

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.rnnlm_gen import RnnlmGen
from ch09_transformer.gpt import GPT
from common.base_model import BaseModel, load_model
from common.layers import Affine
from common.npz_file import atomic_savez, read_npz

V, D, H = 30, 6, 5
XS = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8]])
TS = np.array([[1, 4, 1, 5, 9, 2], [6, 5, 3, 5, 8, 9]])


@pytest.mark.parametrize('build, config', [
    (lambda dtype: SimpleRnnlm(V, D, H, rng=1, dtype=dtype),
     {'vocab_size': V, 'wordvec_size': D, 'hidden_size': H}),
    (lambda dtype: Rnnlm(V, D, H, rng=1, dtype=dtype),
     {'vocab_size': V, 'wordvec_size': D, 'hidden_size': H, 'cell': 'lstm'}),
    (lambda dtype: Rnnlm(V, D, H, cell='gru', rng=1, dtype=dtype),
     {'vocab_size': V, 'wordvec_size': D, 'hidden_size': H, 'cell': 'gru'}),
    (lambda dtype: BetterRnnlm(V, H, H, dropout_ratio=0.3, variational=True, rng=1, dtype=dtype),
     {'vocab_size': V, 'wordvec_size': H, 'hidden_size': H, 'dropout_ratio': 0.3, 'variational': True,
      'recurrent_dropout': 0.0, 'embedding_dropout': 0.0}),
    (lambda dtype: PeekySeq2seq(V, D, H, rng=1, dtype=dtype),
     {'vocab_size': V, 'wordvec_size': D, 'hidden_size': H}),
], ids=['SimpleRnnlm', 'Rnnlm-lstm', 'Rnnlm-gru', 'BetterRnnlm', 'PeekySeq2seq'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_every_model_is_rebuilt_from_its_file_alone(tmp_path, build, config, dtype):
    model = build(dtype)
    for param in model.params:  # trained-looking weights, unlike a fresh model's
        param[...] = np.random.default_rng(param.size).standard_normal(param.shape)
    path = tmp_path / 'model.npz'
    model.save_params(path)
    with np.load(path, allow_pickle=False) as saved:
        record = json.loads(str(saved['__model__']))
    assert record == {'class': f'{type(model).__module__}.{type(model).__name__}', 'config': config}

    rebuilt = load_model(path)
    assert type(rebuilt) is type(model) and rebuilt.config() == config
    assert rebuilt.param_names == model.param_names
    for a, b in zip(model.params, rebuilt.params):
        assert b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    if isinstance(model, PeekySeq2seq):
        assert rebuilt.forward(XS, TS) == model.forward(XS, TS)
    else:
        np.testing.assert_array_equal(rebuilt.predict(XS), model.predict(XS))


def test_a_class_that_adds_methods_is_built_from_its_base_record(tmp_path):
    Rnnlm(V, D, H, cell='gru', rng=0).save_params(tmp_path / 'rnnlm.npz')
    BetterRnnlm(V, H, H, rng=0).save_params(tmp_path / 'better.npz')
    generator = load_model(tmp_path / 'rnnlm.npz', (RnnlmGen, BetterRnnlmGen))
    assert type(generator) is RnnlmGen and generator.config()['cell'] == 'gru'
    assert type(load_model(tmp_path / 'better.npz', (RnnlmGen, BetterRnnlmGen))) is BetterRnnlmGen
    assert type(load_model(tmp_path / 'rnnlm.npz', (Rnnlm,))) is Rnnlm
    RnnlmGen(V, D, H).save_params(tmp_path / 'gen.npz')
    assert type(load_model(tmp_path / 'gen.npz', (Rnnlm,))) is RnnlmGen  # a subclass is one of them
    with pytest.raises(ValueError, match=r'holds a BetterRnnlm, which is none of \(and no base of\) Rnnlm'):
        load_model(tmp_path / 'better.npz', (Rnnlm,))


def test_load_params_refuses_other_settings_but_dropout(tmp_path):
    path = tmp_path / 'better.npz'
    BetterRnnlm(V, H, H, dropout_ratio=0.3, rng=0).save_params(path)
    BetterRnnlm(V, H, H, dropout_ratio=0.5, variational=True, recurrent_dropout=0.2).load_params(path)
    path = tmp_path / 'gpt.npz'
    GPT(11, 5, 8, 2, 1, 12, dropout_ratio=0.0).save_params(path)
    GPT(11, 5, 8, 2, 1, 12, dropout_ratio=0.3).load_params(path)
    with pytest.raises(ValueError, match=r'saved with other settings \(num_heads: saved 2, this model 4\)'):
        GPT(11, 5, 8, 4, 1, 12).load_params(path)  # the same shapes: only the record tells


def test_a_gpt_file_from_before_the_record_is_still_read(tmp_path):
    """GPT checkpoints first kept their sizes in '__config__' beside the bare class name."""
    model = GPT(11, 5, 8, 2, 1, 12, rng=0, dtype=np.float64)
    arrays = dict(zip(model.param_names, model.params), __model__=np.array('GPT'),
                  __config__=np.array(json.dumps({'vocab_size': 11, 'context_size': 5, 'd_model': 8,
                                                  'num_heads': 2, 'num_layers': 1, 'd_ff': 12})))
    atomic_savez(tmp_path / 'gpt.npz', arrays)
    restored = GPT.from_checkpoint(tmp_path / 'gpt.npz')
    assert restored.config()['num_heads'] == 2 and restored.params[0].dtype == np.float64
    np.testing.assert_array_equal(restored.predict(XS[:, :5] % 11), model.predict(XS[:, :5] % 11))
    assert type(load_model(tmp_path / 'gpt.npz')) is GPT  # the bare name of a class this program has


def test_an_old_checkpoint_without_the_record_gets_a_clear_error(tmp_path):
    """Files saved before the record held only the class name: load_model says what to do,
    load_params still reads them, and saving again adds the record."""
    model = Rnnlm(V, D, H, rng=2)
    old = tmp_path / 'old.npz'
    arrays = dict(zip(model.param_names, model.params), __model__=np.array('Rnnlm'))
    atomic_savez(old, arrays)
    with pytest.raises(ValueError, match=r"holds the parameters of a Rnnlm but no record of its "
                                         r"constructor arguments.*model.load_params\('.*old.npz'\)"):
        load_model(old)
    again = Rnnlm(V, D, H, rng=3)
    again.load_params(old)
    again.save_params(old)
    np.testing.assert_array_equal(load_model(old).params[2], model.params[2])


class Foreign(BaseModel):
    """A model outside the project's packages (this test module)."""

    def __init__(self, size=3, dtype=np.float64):
        self.keep_config(size=np.int64(size))  # a NumPy integer is stored as a plain int
        self.collect_params([Affine(np.ones((size, 2), dtype), np.zeros(2, dtype))])


def test_records_that_cannot_be_rebuilt_are_refused_with_reasons(tmp_path):
    foreign = Foreign(4)
    assert foreign.config() == {'size': 4} and type(foreign.config()['size']) is int
    foreign.save_params(tmp_path / 'foreign.npz')
    assert type(load_model(tmp_path / 'foreign.npz')) is Foreign  # a model this program defined
    model = Rnnlm(V, D, H)
    unknown = "which is not a model this program loads .*nothing is imported because a file names it"
    for name, config, message in [
        ('ch06_lstm.rnnlm.Rnnlm', {'vocab_size': V, 'depth': 2}, r"arguments .* do not build a Rnnlm: .*depth"),
        ('ch06_lstm.rnnlm.Rnnlm', {'vocab_size': 'many'}, r"arguments .* do not build a Rnnlm"),
        ('ch06_lstm.rnnlm.Rnnlm', {'vocab_size': V, 'hidden_size': -3}, 'hidden_size = -3; sizes cannot be negative'),
        ('ch06_lstm.rnnlm.NoSuchModel', {}, unknown),
        ('ch06_lstm.rnnlm.CELLS', {}, unknown),
        ('os.system', {}, unknown),
    ]:
        arrays = dict(zip(model.param_names, model.params))
        arrays['__model__'] = np.array(json.dumps({'class': name, 'config': config}))
        atomic_savez(tmp_path / 'bad.npz', arrays)
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / 'bad.npz')
    for record, message in [({'config': {}}, 'names no class'), ({'class': 'ch06_lstm.rnnlm.Rnnlm', 'config': [1]},
                                                                 'config is not a dict')]:
        arrays = dict(zip(model.param_names, model.params), __model__=np.array(json.dumps(record)))
        atomic_savez(tmp_path / 'bad.npz', arrays)
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / 'bad.npz')
    with pytest.raises(TypeError, match='keep_config takes JSON values'):
        model.keep_config(rng=np.random.default_rng(0))


def test_a_record_never_imports_a_module_planted_beside_the_checkpoint(tmp_path, monkeypatch):
    """A module found on sys.path (the working folder, under python -m and in Jupyter) whose name a
    record gives is never imported: its code does not run."""
    marker = tmp_path / 'ran.txt'
    (tmp_path / 'ch99_extras.py').write_text(f'open({str(marker)!r}, "w").close()\n'
                                            'from ch06_lstm.rnnlm import Rnnlm as Planted\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    model = Rnnlm(V, D, H)
    arrays = dict(zip(model.param_names, model.params))
    arrays['__model__'] = np.array(json.dumps({'class': 'ch99_extras.Planted', 'config': model.config()}))
    atomic_savez(tmp_path / 'planted.npz', arrays)
    for load in (load_model, lambda path: load_model(path, (Rnnlm,)), Rnnlm(V, D, H).load_params):
        with pytest.raises(ValueError):
            load(tmp_path / 'planted.npz')
    assert not marker.exists() and 'ch99_extras' not in sys.modules


def test_a_model_whose_sizes_are_its_arrays_dimensions_loads(tmp_path):
    """A language model that reads 3,000 words and predicts 2,000 holds far fewer than 3,000 x 2,000
    numbers; both sizes are dimensions of its arrays, so the record is believed."""
    from ch10_transfer.lstm_lm import LstmLm
    LstmLm(vocab_size=3000, output_size=2000, wordvec_size=2, hidden_size=2, rng=0).save_params(tmp_path / 'lm.npz')
    model = load_model(tmp_path / 'lm.npz')
    assert (model.config()['vocab_size'], model.config()['output_size']) == (3000, 2000)


@pytest.mark.parametrize('kind', ['vocabulary', 'zip bomb', 'member size', 'weights'])
def test_a_file_is_checked_before_anything_large_is_built_or_read(tmp_path, kind):
    model = Rnnlm(V, D, H, rng=0)
    arrays = model.arrays_to_save()
    path = tmp_path / f'{kind}.npz'
    if kind == 'vocabulary':  # a record that claims a vocabulary of 10 million words
        arrays['__model__'] = np.array(json.dumps({'class': 'ch06_lstm.rnnlm.Rnnlm',
                                                   'config': {**model.config(), 'vocab_size': 10 ** 7}}))
        atomic_savez(path, arrays)
        message = 'vocab_size = 10,000,000 .* far larger than .* refused before building it'
    elif kind == 'zip bomb':  # one deflated member of 320 MB of zeros in a file of a few hundred kB
        with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
            with archive.open('00.TimeEmbedding.W.npy', 'w', force_zip64=True) as member:
                np.lib.format.write_array(member, np.zeros((10000, 8000), np.float32))
        message = 'declares 320,000,128 bytes of arrays in a file of .* refused'
    elif kind == 'member size':  # a header that promises more than the member holds
        with zipfile.ZipFile(path, 'w') as archive:
            for name, array in arrays.items():
                member = io.BytesIO()
                np.lib.format.write_array(member, array)
                data = member.getvalue().replace(b"'shape': (30, 6)", b"'shape': (90, 6)")
                archive.writestr(name + '.npy', data)
        message = "declares .* bytes, its header .* means .*: the file is damaged"
    else:  # integer weights
        arrays['00.TimeEmbedding.W'] = arrays['00.TimeEmbedding.W'].astype(np.int64)
        atomic_savez(path, arrays)
        message = "has dtype int64; parameters are floating-point"
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_a_model_with_a_non_finite_weight_is_refused_at_load(tmp_path):
    model = Rnnlm(V, D, H, rng=0)
    model.params[2][1, 3] = np.nan
    model.save_params(tmp_path / 'nan.npz')
    fresh = Rnnlm(V, D, H, rng=1)
    before = [p.copy() for p in fresh.params]
    for load in (load_model, fresh.load_params):
        with pytest.raises(ValueError, match=r"nan.npz.*array '01.TimeLSTM.Wh' holds NaN or infinite values"):
            load(tmp_path / 'nan.npz')
    for a, b in zip(before, fresh.params):
        np.testing.assert_array_equal(a, b)


def test_one_reader_checks_model_files_and_training_states(tmp_path):
    path = tmp_path / 'state.npz'
    atomic_savez(path, {'meta': np.array(json.dumps({'epoch': 3})), 'params/w': np.ones(2)})
    arrays = read_npz(path, 'training state', records=('meta',))
    assert arrays['meta'] == {'epoch': 3} and arrays['params/w'].shape == (2,)
    with pytest.raises(ValueError, match=r"training state .*state.npz' has no 'info' record"):
        read_npz(path, 'training state', records=('info',))
    atomic_savez(path, {'meta': np.array('{not json')})
    with pytest.raises(ValueError, match="its 'meta' record is not JSON"):
        read_npz(path, records=('meta',))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_npz(tmp_path / 'none.npz')

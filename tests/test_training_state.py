"""Resumable runs: save after an epoch and resume = the uninterrupted run, Ctrl-C, NaN losses."""
import json
import os
import signal
import time

import numpy as np
import pytest

from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from common.evaluation import eval_perplexity
from common.optimizer import SGD
from common.trainer import RnnlmTrainer
from harness import checkpoint as training_state
from harness.checkpoint import TrainingRun, state_path

V = 13
CORPUS = np.random.default_rng(0).integers(0, V, 400)
XS, TS = CORPUS[:-1], CORPUS[1:]
VALID = np.random.default_rng(1).integers(0, V, 60)


def new_run(kind, seed=7, hidden=6):
    """A fresh process's view of a run: new model, trainer and Generator (weights differ per seed)."""
    rng = np.random.default_rng(seed)
    if kind == 'better':
        model = BetterRnnlm(V, hidden, hidden, dropout_ratio=0.3, variational=True, rng=rng)
    else:
        model = Rnnlm(V, hidden, hidden, rng=rng)
        rng = None
    trainer = RnnlmTrainer(model, SGD(lr=2.0), verbose=False)
    return TrainingRun(model, trainer, {'kind': kind, 'hidden': hidden}, rng)


def fit_epoch(run):
    return lambda: run.trainer.fit(XS, TS, max_epoch=1, batch_size=4, time_size=5, max_grad=1.0,
                                   eval_interval=5)


def end_of_epoch(run):
    """Validation with lr decay, as train_better_rnnlm does (none for the plain Rnnlm run)."""
    if run.rng is None:
        return None

    def check():
        improved = run.record_valid_ppl(eval_perplexity(run.model, VALID, batch_size=2, time_size=5))
        if not improved:
            run.trainer.optimizer.lr /= 4
        return improved
    return check


def train(run, epochs, save_path=None, **kwargs):
    run.train(epochs, fit_epoch(run), end_of_epoch(run), save_path=save_path, **kwargs)


@pytest.mark.parametrize('kind', ['rnnlm', 'better'])
def test_resume_after_an_epoch_continues_the_same_run(kind, tmp_path):
    straight = new_run(kind)
    train(straight, 3)

    path = str(tmp_path / 'run.npz')
    first = new_run(kind)
    train(first, 1, save_path=path)
    resumed = new_run(kind, seed=99)  # other initial weights and dropout stream: all must be restored
    assert resumed.load(path) is True
    train(resumed, 3, save_path=path)

    for a, b in zip(straight.model.params, resumed.model.params):
        np.testing.assert_array_equal(a, b)
    assert resumed.trainer.history == straight.trainer.history
    assert resumed.trainer.optimizer.lr == straight.trainer.optimizer.lr
    assert resumed.valid_ppls == straight.valid_ppls and resumed.epoch == 3
    with np.load(state_path(path)) as saved:
        carried = [name for name in saved.files if name.startswith('carried/')]
    assert carried if kind == 'rnnlm' else not carried  # BetterRnnlm's state is reset by validation
    if kind == 'better':
        assert straight.trainer.optimizer.lr < 2.0  # the run did decay the learning rate
        loaded = BetterRnnlm(V, 6, 6)
        loaded.load_params(path)  # the model file holds the best parameters
        for a, b in zip(loaded.params, straight.best_params):
            np.testing.assert_array_equal(a, b)


def test_loading_a_plain_parameter_file_starts_a_new_run(tmp_path):
    path = tmp_path / 'weights.npz'
    source = new_run('rnnlm', seed=3)
    source.model.save_params(path)
    run = new_run('rnnlm')
    assert run.load(str(path)) is False
    assert run.epoch == 0
    np.testing.assert_array_equal(run.model.params[0], source.model.params[0])


def test_resume_with_other_settings_is_a_clear_error(tmp_path):
    path = str(tmp_path / 'run.npz')
    train(new_run('rnnlm'), 1, save_path=path)
    with pytest.raises(ValueError, match=r'other settings \(hidden: saved 6, now 8\)'):
        new_run('rnnlm', hidden=8).load(path)
    with pytest.raises(ValueError, match='is the run of a Rnnlm, not of a BetterRnnlm'):
        new_run('better').load(path)


def test_ctrl_c_saves_and_the_interrupted_epoch_is_rerun(tmp_path, capsys):
    path = str(tmp_path / 'run.npz')
    run = new_run('rnnlm')
    calls = []

    def interrupted_in_second_epoch():
        calls.append(1)
        run.trainer.fit(XS, TS, max_epoch=1, batch_size=4, time_size=5, max_grad=1.0)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(SystemExit) as stop:
        run.train(3, interrupted_in_second_epoch, save_path=path)
    assert stop.value.code == 130
    assert f'continue with --load {path}' in capsys.readouterr().err
    with np.load(state_path(path)) as saved:
        meta = json.loads(str(saved['meta']))
    assert meta['interrupted'] and meta['epoch'] == 1
    assert meta['time_idx'] == 19 * 5  # the start of epoch 2: 19 steps of 5 tokens per epoch
    at_interrupt = [p.copy() for p in run.model.params]

    resumed = new_run('rnnlm', seed=5)
    resumed.load(path)
    for a, b in zip(resumed.model.params, at_interrupt):
        np.testing.assert_array_equal(a, b)
    assert resumed.trainer.time_idx == 19 * 5 and resumed.epoch == 1
    train(resumed, 3)
    assert resumed.epoch == 3


def test_nan_loss_stops_with_a_message_and_keeps_the_checkpoint(tmp_path):
    path = tmp_path / 'run.npz'
    run = new_run('rnnlm')
    train(run, 1, save_path=str(path))
    files = {p: p.read_bytes() for p in (path, tmp_path / 'run.state.npz')}
    run.model.params[0][...] = np.nan
    with pytest.raises(SystemExit, match=r"training stopped in epoch 2: the loss became nan.*"
                                         r"'.*run.npz' is left as it was"):
        train(run, 2, save_path=str(path))
    assert all(p.read_bytes() == content for p, content in files.items())
    assert sorted(tmp_path.iterdir()) == sorted(files)  # no temporary files left behind


def test_state_path():
    assert state_path('out/rnnlm.npz') == 'out/rnnlm.state.npz'
    assert state_path('rnnlm') == 'rnnlm.state.npz'


@pytest.mark.parametrize('signum, status', [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize('kind', ['rnnlm', 'better'])
def test_a_signal_during_the_end_of_epoch_save_stops_at_the_epoch_boundary(
        kind, signum, status, tmp_path, monkeypatch, capsys):
    """The save of epoch 1 is slowed down and the signal arrives in the middle of writing it: the
    epoch still counts as done and saved, so the resumed run equals the uninterrupted one."""
    straight = new_run(kind)
    train(straight, 3)

    path = str(tmp_path / 'run.npz')
    slow_save = training_state.atomic_savez
    handler_before = signal.getsignal(signal.SIGINT)

    def signal_in_the_middle(file_path, arrays):
        os.kill(os.getpid(), signum)  # delivered now, while the checkpoint is being written
        time.sleep(0.05)
        slow_save(file_path, arrays)

    monkeypatch.setattr(training_state, 'atomic_savez', signal_in_the_middle)
    run = new_run(kind)
    with pytest.raises(SystemExit) as stop:
        train(run, 3, save_path=path)
    assert stop.value.code == status and run.epoch == 1
    assert 'stopped after epoch 1' in capsys.readouterr().err
    monkeypatch.setattr(training_state, 'atomic_savez', slow_save)

    resumed = new_run(kind, seed=99)
    assert resumed.load(path) is True and resumed.epoch == 1
    train(resumed, 3, save_path=path)
    for a, b in zip(straight.model.params, resumed.model.params):
        np.testing.assert_array_equal(a, b)
    assert resumed.trainer.history == straight.trainer.history
    assert resumed.valid_ppls == straight.valid_ppls
    assert resumed.trainer.optimizer.lr == straight.trainer.optimizer.lr
    assert signal.getsignal(signal.SIGINT) == handler_before  # handlers given back


def test_sigterm_in_the_middle_of_an_epoch_saves_like_ctrl_c(tmp_path, capsys):
    path = str(tmp_path / 'run.npz')
    run = new_run('rnnlm')
    calls = []

    def terminated_in_second_epoch():
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        run.trainer.fit(XS, TS, max_epoch=1, batch_size=4, time_size=5, max_grad=1.0)

    with pytest.raises(SystemExit) as stop:
        run.train(3, terminated_in_second_epoch, save_path=path)
    assert stop.value.code == 143 and 'stopped in epoch 2' in capsys.readouterr().err
    with np.load(state_path(path)) as saved:
        assert json.loads(str(saved['meta']))['interrupted']


def test_ctrl_c_without_save_never_replaces_an_earlier_interrupted_save(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'run_interrupted.npz').write_bytes(b'the first run')
    (tmp_path / 'run_interrupted-2.state.npz').write_bytes(b'the state of the second')

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit):
        new_run('rnnlm').train(3, interrupted, interrupt_path='run_interrupted.npz')
    assert "continue with --load run_interrupted-3.npz" in capsys.readouterr().err
    assert (tmp_path / 'run_interrupted.npz').read_bytes() == b'the first run'
    assert (tmp_path / 'run_interrupted-2.state.npz').read_bytes() == b'the state of the second'
    assert new_run('rnnlm').load('run_interrupted-3.npz')

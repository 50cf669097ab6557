"""The checkpoint observer: one file per run, saved every epoch and on a signal, resumed bit for bit.

Every kind of training the library has (truncated BPTT, validation with a decaying rate, windows
with a schedule, mini-batches, masked-LM pre-training, a sentence classifier with early
stopping) is stopped by SIGINT after a step chosen at random, and resumed from its file by a
fresh process's objects (other initial weights, other random streams): the resumed run must
equal the uninterrupted one to the last bit.
"""
import json
import os
import random
import signal
import subprocess
import sys

import numpy as np
import pytest

from ch01_nn.two_layer_net import TwoLayerNet
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch09_transformer.bert import BertEncoder
from ch09_transformer.bert_training import MaskedLMTrainer
from ch09_transformer.gpt import GPT
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.sentence_classifier import SentenceTrainer
from common.evaluation import eval_perplexity
from common.optimizer import SGD, Adam, AdamW, WarmupCosineSchedule
from common.trainer import RnnlmTrainer, Trainer, Validation, WindowTrainer
from harness import checkpoint as checkpoint_module
from harness.checkpoint import Checkpoint, FileLock

V = 13
CORPUS = np.random.default_rng(0).integers(0, V, 400)
VALID = np.random.default_rng(1).integers(0, V, 60)
SENTENCES = [np.random.default_rng(k).integers(0, V, 3 + k % 5) for k in range(40)]
LABELS = np.array([int(s.sum() % 2) for s in SENTENCES])


def rnnlm_run(seed):
    model = Rnnlm(V, 6, 6, rng=seed)
    trainer = RnnlmTrainer(model, SGD(lr=2.0), verbose=False)
    return trainer, [], lambda t, epochs, observers: t.fit(
        CORPUS[:-1], CORPUS[1:], max_epoch=epochs, batch_size=4, time_size=5, max_grad=1.0,
        eval_interval=5, observers=observers)


def better_run(seed):
    rng = np.random.default_rng(seed)
    model = BetterRnnlm(V, 6, 6, dropout_ratio=0.3, variational=True, rng=rng)
    trainer = RnnlmTrainer(model, SGD(lr=2.0), verbose=False)
    validation = Validation(lambda: eval_perplexity(model, VALID, batch_size=2, time_size=5), lr_decay=4,
                            verbose=False)
    return trainer, [validation], lambda t, epochs, observers: t.fit(
        CORPUS[:-1], CORPUS[1:], max_epoch=epochs, batch_size=4, time_size=5, max_grad=1.0,
        eval_interval=5, observers=observers)


def gpt_run(seed):
    rng = np.random.default_rng(seed)
    model = GPT(V, 5, 8, 2, 1, 16, dropout_ratio=0.2, rng=rng, dtype=np.float64)
    schedule = WarmupCosineSchedule(0.01, 3, 3 * 7, 0.001)
    trainer = WindowTrainer(model, AdamW(0.01), rng, verbose=False, lr_schedule=schedule)
    return trainer, [], lambda t, epochs, observers: t.fit(
        CORPUS[:150][:-1], CORPUS[:150][1:], max_epoch=epochs, batch_size=4, time_size=5, max_grad=1.0,
        observers=observers)


def minibatch_run(seed):
    rng = np.random.default_rng(seed)
    model = TwoLayerNet(4, 5, 3, rng=rng)
    x = np.random.default_rng(2).standard_normal((50, 4)).astype(np.float32)
    t = np.random.default_rng(3).integers(0, 3, 50)
    trainer = Trainer(model, Adam(0.05), rng=rng, verbose=False)
    return trainer, [], lambda tr, epochs, observers: tr.fit(x, t, max_epoch=epochs, batch_size=8,
                                                             eval_interval=3, observers=observers)


def bert_run(seed):
    model = BertEncoder(V, 8, 8, 2, 1, 16, dropout_ratio=0.1, rng=seed)
    schedule = WarmupCosineSchedule(0.01, 2, 3 * 4)
    trainer = MaskedLMTrainer(model, AdamW(0.01), seed=5, lr_schedule=schedule, mask_prob=0.3)
    return trainer, [], lambda t, epochs, observers: t.fit(SENTENCES[:30], max_epoch=epochs, batch_size=8,
                                                           max_grad=1.0, observers=observers)


def classifier_run(seed):
    rng = np.random.default_rng(seed)
    model = LstmClassifier(V, 6, 6, dropout_ratio=0.2, rng=rng)
    trainer = SentenceTrainer(model, Adam(0.02), rng)
    validation = Validation(lambda: model.accuracy(SENTENCES[30:], LABELS[30:]), higher_is_better=True,
                            patience=5, verbose=False)
    return trainer, [validation], lambda t, epochs, observers: t.fit(
        SENTENCES[:30], LABELS[:30], max_epoch=epochs, batch_size=7, observers=observers)


RUNS = {'rnnlm': rnnlm_run, 'better_rnnlm': better_run, 'gpt': gpt_run, 'minibatch': minibatch_run,
        'bert': bert_run, 'classifier': classifier_run}


class SignalAfter:
    """Sends this process SIGINT after step ``step`` (an observer placed before the checkpoint)."""

    def __init__(self, step):
        self.step = step

    def step_end(self, trainer):
        if trainer.steps_done == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def run(kind, epochs, path=None, load=None, seed=7, before_checkpoint=()):
    """A fresh process's view of a run of ``kind`` up to ``epochs``; -> (trainer, observers)."""
    trainer, observers, fit = RUNS[kind](seed)
    checkpoint = Checkpoint(path, trainer, {'kind': kind}, observers)
    if load:
        assert checkpoint.resume(load)
    with checkpoint:
        fit(trainer, checkpoint.epochs_left(epochs), [*observers, *before_checkpoint, checkpoint])
    return trainer, observers


def assert_same_run(a, b):
    (trainer_a, observers_a), (trainer_b, observers_b) = a, b
    for p, q in zip(trainer_a.model.params, trainer_b.model.params):
        np.testing.assert_array_equal(p, q)
    assert trainer_a.history == trainer_b.history and trainer_a.steps_done == trainer_b.steps_done
    assert trainer_a.optimizer.lr == trainer_b.optimizer.lr
    for o, p in zip(observers_a, observers_b):
        assert o.scores == p.scores


@pytest.mark.parametrize('kind', sorted(RUNS))
def test_a_run_stopped_at_a_random_step_resumes_to_the_last_bit(kind, tmp_path, capsys):
    straight = run(kind, 3)
    step = random.Random(kind).randrange(1, straight[0].steps_done)  # any step, the same each time
    path = str(tmp_path / 'run.npz')
    with pytest.raises(SystemExit) as stop:
        run(kind, 3, path, before_checkpoint=[SignalAfter(step)])
    assert stop.value.code == 130
    assert f'continue with --load {path}' in capsys.readouterr().err
    resumed = run(kind, 3, path, load=path, seed=99)  # other weights and streams: all from the file
    assert_same_run(straight, resumed)
    assert sorted(os.listdir(tmp_path)) == ['run.npz']  # one file; no lock or temporary file left


@pytest.mark.parametrize('kind', ['better_rnnlm', 'classifier'])
def test_the_observers_are_called_once_per_step_and_once_per_epoch(kind):
    class Count:
        steps = epochs = 0

        def step_end(self, trainer):
            self.steps += 1

        def epoch_end(self, trainer):
            self.epochs += 1
            assert trainer.iteration == 0 and self.steps == trainer.steps_done

    trainer, observers, fit = RUNS[kind](7)
    count = Count()
    fit(trainer, 3, [*observers, count])
    assert count.epochs == trainer.current_epoch == 3 and count.steps == trainer.steps_done > 3


def test_the_file_is_a_model_checkpoint_with_the_best_parameters_and_the_run(tmp_path):
    from common.base_model import load_model
    path = str(tmp_path / 'run.npz')
    trainer, (validation,) = run('better_rnnlm', 3, path)
    assert validation.best_epoch is not None
    model = load_model(path, (BetterRnnlm,))  # what eval and generation read: the best model
    for p, q in zip(model.params, validation.best_params):
        np.testing.assert_array_equal(p, q)
    with np.load(path) as saved:
        run_record = json.loads(str(saved['__run__']))
        assert run_record['settings'] == {'kind': 'better_rnnlm'}
        assert run_record['trainer']['current_epoch'] == 3 and run_record['current_params'] is not None


def test_resuming_with_other_settings_or_another_model_is_a_clear_error(tmp_path):
    path = str(tmp_path / 'run.npz')
    run('rnnlm', 1, path)
    trainer, _, _ = rnnlm_run(7)
    with pytest.raises(ValueError, match=r'other settings \(kind: saved .rnnlm., now .other.\)'):
        Checkpoint(None, trainer, {'kind': 'other'}).resume(path)
    trainer, observers, _ = better_run(7)
    with pytest.raises(ValueError, match='is the run of a Rnnlm, not of a BetterRnnlm'):
        Checkpoint(None, trainer, {'kind': 'rnnlm'}, observers).resume(path)


def test_a_plain_parameter_file_starts_a_new_run_from_its_weights(tmp_path):
    path = tmp_path / 'weights.npz'
    source, _, _ = rnnlm_run(3)
    source.model.save_params(path)
    trainer, _, _ = rnnlm_run(7)
    assert Checkpoint(None, trainer, {}).resume(str(path)) is False
    assert trainer.current_epoch == 0
    np.testing.assert_array_equal(trainer.model.params[0], source.model.params[0])


def test_a_signal_while_the_epoch_is_saved_stops_at_the_epoch_boundary(tmp_path, monkeypatch, capsys):
    straight = run('better_rnnlm', 3)
    path = str(tmp_path / 'run.npz')
    real_save = checkpoint_module.atomic_savez

    def signal_while_saving(file_path, arrays):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the epoch-1 checkpoint is written
        real_save(file_path, arrays)

    monkeypatch.setattr(checkpoint_module, 'atomic_savez', signal_while_saving)
    handler_before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as stop:
        run('better_rnnlm', 3, path)
    assert stop.value.code == 143 and 'stopped after epoch 1' in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) == handler_before  # handlers given back
    monkeypatch.setattr(checkpoint_module, 'atomic_savez', real_save)
    assert_same_run(straight, run('better_rnnlm', 3, path, load=path, seed=99))


def test_a_second_signal_stops_at_once_and_keeps_the_last_checkpoint(tmp_path, capsys):
    path = tmp_path / 'run.npz'
    run('rnnlm', 1, str(path))
    saved = path.read_bytes()

    class SignalTwice:
        def step_end(self, trainer):
            if trainer.steps_done == 22:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(SystemExit) as stop:
        run('rnnlm', 3, str(path), load=str(path), before_checkpoint=[SignalTwice()])
    assert stop.value.code == 130 and 'stopped at once' in capsys.readouterr().err
    assert path.read_bytes() == saved


def test_a_failed_save_keeps_the_earlier_checkpoint_whole(tmp_path, monkeypatch):
    """The parameters and the run's state are one file: a save cut short leaves the earlier one,
    and resuming from it gives the run of that earlier save (never weights of one save with the
    optimizer of another)."""
    path = str(tmp_path / 'run.npz')
    straight = run('gpt', 3)
    run('gpt', 1, path)

    def full_disk(file, **arrays):
        file.write(b'PK part of a file')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(np, 'savez', full_disk)
    with pytest.raises(OSError, match=r"cannot write .*run.npz' \(No space left on device\); "
                                      'the earlier file there is intact'):
        run('gpt', 3, path, load=path)
    monkeypatch.undo()
    assert_same_run(straight, run('gpt', 3, path, load=path, seed=99))


@pytest.mark.parametrize('kind', sorted(RUNS))
def test_a_nan_loss_stops_with_a_message_and_keeps_the_checkpoint(kind, tmp_path):
    """Every training loop, the classifier's included, stops at a non-finite loss."""
    path = tmp_path / 'run.npz'
    run(kind, 1, str(path))
    saved = path.read_bytes()

    class Poison:
        def step_end(self, trainer):
            trainer.model.params[0][...] = np.nan

    with pytest.raises(SystemExit, match=r"training stopped in epoch 2: the loss became nan.*"
                                         r"'.*run.npz' is left as it was"):
        run(kind, 3, str(path), load=str(path), before_checkpoint=[Poison()])
    assert path.read_bytes() == saved and sorted(os.listdir(tmp_path)) == ['run.npz']


def test_a_signal_without_save_never_replaces_an_earlier_interrupted_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'interrupted.npz').write_bytes(b'the first run')
    with pytest.raises(SystemExit):
        run('rnnlm', 3, before_checkpoint=[SignalAfter(4)])
    assert 'continue with --load interrupted-2.npz' in capsys.readouterr().err
    assert (tmp_path / 'interrupted.npz').read_bytes() == b'the first run'
    trainer, _, _ = rnnlm_run(7)
    assert Checkpoint(None, trainer, {'kind': 'rnnlm'}).resume('interrupted-2.npz')
    assert trainer.steps_done == 4


def test_a_second_run_cannot_write_the_same_checkpoint_and_a_dead_ones_lock_is_taken_over(tmp_path):
    path = str(tmp_path / 'run.npz')
    sleeper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        with open(path + '.lock', 'w') as lock:
            lock.write(str(sleeper.pid))
        with pytest.raises(OSError, match=rf'another run \(process {sleeper.pid}\) is writing the checkpoint'):
            run('rnnlm', 1, path)
    finally:
        sleeper.kill()
        sleeper.wait()
    run('rnnlm', 1, path)  # its process has ended: the lock is stale
    assert sorted(os.listdir(tmp_path)) == ['run.npz']
    lock = FileLock(str(tmp_path / 'x.lock'))
    lock.acquire('x')
    lock.release()
    assert not os.path.exists(tmp_path / 'x.lock')


def test_the_epochs_left_count_an_unfinished_epoch_and_say_when_nothing_is_left(tmp_path, capsys):
    path = str(tmp_path / 'run.npz')
    run('rnnlm', 2, path)
    trainer, _, _ = rnnlm_run(7)
    checkpoint = Checkpoint(None, trainer, {'kind': 'rnnlm'})
    checkpoint.resume(path)
    assert checkpoint.epochs_left(5) == 3
    assert checkpoint.epochs_left(2) == 0 and 'nothing to train' in capsys.readouterr().out

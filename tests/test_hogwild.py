"""--workers N: the fast mode's steps in N forked processes on shared tables (ch04_fast_w2v.fast.hogwild).

The workers must train the parent's tables (not copies of them), run every global step of an
epoch exactly once with a single process's learning rate, report a failure as an error in the
parent, and leave checkpoints that resume.
"""
import multiprocessing
import os
import re
import signal

import numpy as np
import pytest

from ch04_fast_w2v import train_fast
from ch04_fast_w2v.fast import hogwild
from ch04_fast_w2v.fast.hogwild import HogwildTrainer, WorkerPool, shared_copy
from ch04_fast_w2v.fast.segment_cbow import SegmentCBOW
from ch04_fast_w2v.fast.segment_model import segment_windows
from common.optimizer import Adam
from ch04_fast_w2v.fast.sparse_optimizer import LazyAdam
from common.trainer import Trainer

pytestmark = pytest.mark.skipif(not hogwild.fork_available(), reason='needs fork')

VOCAB, WINDOW, LENGTH, SEGMENTS = 40, 2, 8, 4  # a batch: 4 segments of 8 targets


def tiny_run(trainer_class=HogwildTrainer, optimizer_class=LazyAdam, model_class=SegmentCBOW,
             **trainer_args):
    """A SegmentCBOW on a corpus with structure (word i is followed by i + 1), its LazyAdam with a
    decaying rate, its trainer, and the data: (model, optimizer, trainer, windows, targets)."""
    rng = np.random.default_rng(3)
    starts = rng.integers(0, VOCAB, 160)
    corpus = (starts[:, None] + np.arange(10)).reshape(-1) % VOCAB  # 1,600 words
    windows, targets = segment_windows(corpus, WINDOW, LENGTH)
    model = model_class(VOCAB, 8, WINDOW, corpus, rng=rng, shared_negatives=5)
    steps = len(windows) // SEGMENTS
    optimizer = optimizer_class(model.embeddings, lr=0.05, decay_steps=3 * steps)
    trainer = trainer_class(model, optimizer, rng=rng, verbose=False, **trainer_args)
    return model, optimizer, trainer, windows, targets


def fit(trainer, windows, targets, epochs=1):
    trainer.fit(windows, targets, max_epoch=epochs, batch_size=SEGMENTS, eval_interval=1)


def test_two_workers_train_the_parents_tables():
    model, optimizer, trainer, windows, targets = tiny_run(workers=2)
    before = [p.copy() for p in model.params]
    probe = np.random.default_rng(0)
    model.ns_loss.sampler.rng = probe  # the parent's loss on the data, with fixed negatives
    loss_before = model.forward(windows, targets)
    model.ns_loss.sampler.rng = trainer.rng
    fit(trainer, windows, targets, epochs=2)
    steps = len(windows) // SEGMENTS
    assert len(trainer.loss_list) == 2 * steps and optimizer.iter == 2 * steps
    for param, initial in zip(model.params, before):
        assert hogwild.in_shared_memory(param) and not np.array_equal(param, initial)
    assert all(np.abs(m).sum() > 0 for m in optimizer.m)  # the moments came back too
    probe.bit_generator.state = np.random.default_rng(0).bit_generator.state
    model.ns_loss.sampler.rng = probe
    loss_after = model.forward(windows, targets)
    assert loss_after < loss_before - 0.5
    assert np.mean(trainer.loss_list[-steps:]) < np.mean(trainer.loss_list[:steps]) - 0.5
    assert len(multiprocessing.active_children()) == 2  # waiting for another epoch
    trainer.close()
    assert multiprocessing.active_children() == []


def worker_ids():
    return sorted(process.pid for process in multiprocessing.active_children())


def test_the_workers_serve_every_epoch_until_something_they_hold_changes():
    model, optimizer, trainer, windows, targets = tiny_run(workers=2)
    with trainer:
        fit(trainer, windows, targets)
        first = worker_ids()
        fit(trainer, windows, targets)
        assert worker_ids() == first and len(first) == 2  # the same processes, no new fork
        optimizer.lr = 0.01  # a setting the workers hold a copy of: new workers
        fit(trainer, windows, targets)
        second = worker_ids()
        assert len(second) == 2 and not set(second) & set(first)
        fewer_windows, fewer_targets = windows[:-1], targets[:-1]
        fit(trainer, fewer_windows, fewer_targets)  # other data: new workers
        third = worker_ids()
        assert len(third) == 2 and not set(third) & set(second)
        model.params[0][...] = 0  # a change in place of a shared table needs no new workers
        fit(trainer, fewer_windows, fewer_targets)
        assert worker_ids() == third
        lost = trainer._pool.processes[0]  # a worker lost between epochs: new workers
        os.kill(lost.pid, signal.SIGKILL)
        lost.join()
        fit(trainer, fewer_windows, fewer_targets)
        fourth = worker_ids()
        assert len(fourth) == 2 and not set(fourth) & set(third)
    assert multiprocessing.active_children() == []


class RecordingLazyAdam(LazyAdam):
    """LazyAdam that writes, in shared memory, the rate and the number of updates of each step."""
    rates = counts = None

    def update_rows(self, params, rows, row_grads):
        self.rates[self.iter] = self.current_lr()
        self.counts[self.iter] += 1
        super().update_rows(params, rows, row_grads)


@pytest.mark.parametrize('workers', [2, 3])
def test_every_global_step_runs_once_with_a_single_process_rate(workers):
    runs = {}
    for trainer_class, args in [(Trainer, {}), (HogwildTrainer, {'workers': workers})]:
        _, optimizer, trainer, windows, targets = tiny_run(trainer_class, RecordingLazyAdam, **args)
        steps = 2 * (len(windows) // SEGMENTS)
        optimizer.rates, optimizer.counts = shared_copy(np.zeros(steps)), shared_copy(np.zeros(steps, int))
        fit(trainer, windows, targets, epochs=2)
        runs[trainer_class] = optimizer.rates.copy(), optimizer.counts.copy()
    (single_rates, single_counts), (rates, counts) = runs[Trainer], runs[HogwildTrainer]
    assert (single_counts == 1).all() and (counts == 1).all()
    np.testing.assert_array_equal(rates, single_rates)
    assert rates[0] == 0.05 and rates[-1] < rates[0] / 2  # the rate decays over the run


class StopAfter:
    """An observer that ends training after ``steps`` steps (as a signal to a checkpoint does)."""

    def __init__(self, steps):
        self.steps = steps

    def step_end(self, trainer):
        trainer.stop_training = trainer.steps_done == self.steps


@pytest.mark.parametrize('workers', [2, 3])
def test_workers_continue_an_epoch_that_one_process_began(workers):
    """A run saved in the middle of an epoch by one process (--workers 1), resumed with N workers:
    each remaining step of the epoch runs once, at the rate a single process gives it."""
    single_model, single_optimizer, single, windows, targets = tiny_run(Trainer, RecordingLazyAdam)
    steps = len(windows) // SEGMENTS
    single_optimizer.rates, single_optimizer.counts = np.zeros(steps), np.zeros(steps, int)
    single.fit(windows, targets, max_epoch=1, batch_size=SEGMENTS, eval_interval=1,
               observers=[StopAfter(3)])
    assert single.iteration == 3 and single_optimizer.iter == 3

    model, optimizer, trainer, _, _ = tiny_run(HogwildTrainer, RecordingLazyAdam, workers=workers)
    optimizer.rates, optimizer.counts = shared_copy(np.zeros(steps)), shared_copy(np.zeros(steps, int))
    for param, trained in zip(model.params, single_model.params):
        param[...] = trained
    trainer.load_state_dict(single.state_dict())
    with trainer:
        fit(trainer, windows, targets)
    assert (optimizer.counts[:3] == 0).all() and (optimizer.counts[3:] == 1).all()
    decay_steps = 3 * steps  # tiny_run's: the rate falls linearly over three epochs
    np.testing.assert_allclose(optimizer.rates[3:], 0.05 * (1 - np.arange(3, steps) / decay_steps),
                               rtol=1e-12)
    assert trainer.current_epoch == 1 and trainer.iteration == 0 and optimizer.iter == steps
    assert len(trainer.loss_list) == steps


class FailingCBOW(SegmentCBOW):
    """A SegmentCBOW whose forward, in a worker process only, does ``failure`` at its 3rd step."""
    failure = None
    parent = os.getpid()
    calls = 0

    def forward(self, windows, target):
        self.calls += 1
        if os.getpid() != self.parent and self.calls == 3:
            self.failure()
        return super().forward(windows, target)


def raise_value_error():
    raise ValueError('a broken step')


def nan_parameters():
    FailingCBOW.current.params[0][...] = np.nan


@pytest.mark.parametrize('failure, error, message', [
    (raise_value_error, RuntimeError, 'worker . of 2 failed: ValueError: a broken step'),
    (lambda: os.kill(os.getpid(), signal.SIGKILL), ChildProcessError, 'worker . of 2 ended \\(exit code -9'),
    (lambda: os._exit(3), ChildProcessError, 'exit code 3'),
    (nan_parameters, FloatingPointError, 'the loss became nan'),
])
def test_a_failing_worker_stops_the_parent_with_an_error(monkeypatch, failure, error, message):
    monkeypatch.setattr(FailingCBOW, 'failure', staticmethod(failure))
    model, _, trainer, windows, targets = tiny_run(model_class=FailingCBOW, workers=2)
    monkeypatch.setattr(FailingCBOW, 'current', model, raising=False)
    with pytest.raises(error, match=message):
        fit(trainer, windows, targets)
    assert multiprocessing.active_children() == []  # every worker was stopped and reaped


def test_the_trainer_refuses_what_it_cannot_run_in_parallel():
    with pytest.raises(ValueError, match='needs a row-sparse optimizer whose only state is its step'):
        tiny_run(optimizer_class=lambda layers, lr, decay_steps: Adam(lr), workers=2)
    with pytest.raises(ValueError, match='workers must be a positive integer'):
        tiny_run(workers=0)
    model, optimizer, _, _, _ = tiny_run(Trainer)
    with pytest.raises(ValueError, match='other than the trainer\'s rng'):
        HogwildTrainer(model, optimizer, rng=np.random.default_rng(1), workers=2)


def test_leaving_the_pool_early_stops_its_workers():
    def work(worker, task, report):
        for step in range(worker, 10 ** 9, 2):
            report(step, task)

    with WorkerPool(2, work) as pool:
        pool.start(0.5)
        assert [pool.loss_of(step) for step in range(5)] == [0.5] * 5
    assert multiprocessing.active_children() == []


def test_workers_end_when_the_parent_closes_their_task_pipes():
    with WorkerPool(2, lambda worker, task, report: report(worker, task)) as pool:
        pool.start(1.5)
        assert [pool.loss_of(step) for step in range(2)] == [1.5, 1.5]
        for task_writer in pool.task_writers:
            task_writer.close()  # as when the parent dies: no worker may hold another's pipe
        for process in pool.processes:
            process.join(timeout=10)
            assert process.exitcode == 0


W2V = ['--max-words', '4000', '--hidden-size', '8', '--window-size', '2',
       '--batch-size', '128', '--segment-length', '16', '--quiet']


@pytest.mark.parametrize('argv, message', [
    (['--workers', '0'], 'argument --workers: expected an integer in \\[1, '),
    (['--workers', str(os.cpu_count() + 1)], f'argument --workers: expected an integer in \\[1, {os.cpu_count()}\\]'),
])
def test_train_refuses_bad_worker_counts(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_fast.main(argv)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_train_says_when_it_cannot_fork(monkeypatch, capsys):
    monkeypatch.setattr(train_fast, 'fork_available', lambda: False)
    with pytest.raises(SystemExit):
        train_fast.main(['--workers', '2'])
    assert 'cannot fork (only spawn); use --workers 1' in capsys.readouterr().err


@pytest.mark.usefixtures('needs_ptb')
def test_a_two_worker_checkpoint_resumes(tmp_path, monkeypatch):
    if os.cpu_count() < 2:
        pytest.skip('needs 2 CPUs for --workers 2')
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / 'run.npz')
    argv = W2V + ['--workers', '2', '--vectors', 'v.npz', '--save', path, '--epochs', '3']
    real_loss_of = WorkerPool.loss_of
    calls = []

    def stopped_in_the_second_epoch(pool, step):
        calls.append(step)
        if step == 2 and calls.count(0) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the workers train epoch 2
        return real_loss_of(pool, step)

    monkeypatch.setattr(WorkerPool, 'loss_of', stopped_in_the_second_epoch)
    with pytest.raises(SystemExit) as stop:
        train_fast.main(argv)
    assert stop.value.code == 130 and multiprocessing.active_children() == []
    monkeypatch.setattr(WorkerPool, 'loss_of', real_loss_of)
    with np.load(path) as file:  # the workers finish the epoch first
        saved = [file[name] for name in file.files if '.' in name and '/' not in name]
    final, trainer, _ = train_fast.main(argv + ['--load', path])
    assert trainer.current_epoch == 3 and trainer.optimizer.iter % 3 == 0
    assert len(trainer.loss_list) == 3 * len(trainer.loss_list) // 3
    assert all(not np.array_equal(a, b) for a, b in zip(saved, final.params))


def test_a_worker_stops_when_its_parent_is_killed_outright(tmp_path):
    """Third probe, finding 20: workers outlived a SIGKILLed parent by the rest of their share of
    the epoch; now each stops after the step under way."""
    import subprocess
    import sys
    import time
    program = (
        'import os, sys, time\n'
        'from ch04_fast_w2v.fast.hogwild import WorkerPool\n'
        'def work(worker, task, report):\n'
        '    for step in range(worker, 10 ** 9, 2):\n'
        '        time.sleep(0.01)\n'
        '        report(step, 0.0)\n'
        'pool = WorkerPool(2, work)\n'
        'pool.start(None)\n'
        'print(" ".join(str(p.pid) for p in pool.processes), flush=True)\n'
        'time.sleep(60)\n')
    parent = subprocess.Popen([sys.executable, '-c', program], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if _running(pid)]
    assert alive == []


def _running(pid):
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().split()[2] != 'Z'  # a zombie has ended
    except FileNotFoundError:
        return False

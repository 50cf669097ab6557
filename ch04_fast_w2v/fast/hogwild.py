"""Hogwild training: the same training step, run by N processes on shared tables (fast mode).

word2vec's C code and gensim train with several threads that update the word-vector tables
without locks ("Hogwild", Niu et al. 2011): a step touches a few hundred of the 10,000 rows, so
two steps rarely write the same row at the same moment, and when they do, one addition is lost
now and then, which SGD shrugs off.  Python threads cannot do that here (a NumPy step is ~150
short calls, serialized by the GIL), so ``HogwildTrainer`` uses processes:

- the parameter tables and the optimizer's state tables, if any (LazyAdam's moments), live in
  shared memory (anonymous shared ``mmap``s, made before the workers start); the model and the
  optimizer hold views of them, so every update a worker makes is seen by the other workers and
  by the parent;
- the workers are forked at the first epoch and kept: every epoch, the parent draws the order
  of the batches (as ``Trainer`` does) and one seed per worker from its ``rng`` and sends them;
  worker k runs the steps k, k + N, k + 2N, ... of the epoch with one BLAS thread, its own
  Generator (its own negatives), and the optimizer's step count set to the global step (so the
  learning rate of every step is the one a single process gives it); each reports the loss of
  every step to the parent, which records and prints them in step order, exactly as
  ``Trainer`` does, and waits for all of them at the end of the epoch.  (Forking anew every
  epoch cost about 90 ms of page faults and process start-up an epoch: 13% of a 10-epoch PTB
  run.)  The workers see the tables (shared) and the step count (sent); anything else of the
  model or the optimizer that the parent changes afterwards reaches them only through new
  workers: ``fit`` starts new ones when the data, the batch size, a table or a setting of the
  optimizer changed, and ``close()`` ends them.

The workers are forked (``fork`` start method: Linux, macOS), so they inherit the model, the
data and the shared tables without copying or pickling; where only ``spawn`` exists,
``HogwildTrainer`` raises RuntimeError.  With N > 1 a run is not bit-reproducible (the steps of
the workers interleave differently every time, like gensim's worker threads), but its random
draws are: each worker's seed comes from the run's Generator, whose state a checkpoint keeps.
"""
import ctypes
import mmap
import multiprocessing
import os
import signal
import traceback

import numpy as np

from ch04_fast_w2v.fast.sparse_optimizer import RowSparseOptimizer
from common.backend import array_module
from common.placement import move_arrays
from common.trainer import Trainer, train_step
from common.util import random_generators


def fork_available():
    """Whether this platform can fork worker processes (the only start method used here)."""
    return 'fork' in multiprocessing.get_all_start_methods()


def shared_copy(array):
    """A copy of the NumPy ``array`` in memory that forked children share with this process
    (an anonymous shared mmap): what a child writes into it, the parent and its other children see."""
    buffer = mmap.mmap(-1, max(array.nbytes, 1))  # MAP_SHARED | MAP_ANONYMOUS
    shared = np.frombuffer(buffer, array.dtype, count=array.size).reshape(array.shape)
    shared[...] = array
    return shared


def in_shared_memory(array):
    """Whether ``array`` is (a view of) an array made by ``shared_copy``."""
    while isinstance(array, np.ndarray):
        array = array.base
    return isinstance(array, memoryview) and isinstance(array.obj, mmap.mmap)


class HogwildTrainer(Trainer):
    """``Trainer`` whose steps run in ``workers`` forked processes on shared tables (see above).

    model: a BaseModel on the CPU whose random draws (negative samples) come from ``rng``, the
    same Generator that shuffles (each worker reseeds it with a stream of its own); optimizer: a
    row-sparse optimizer whose only scalar state is its step count (``RowMeanSGD``,
    ``LazyAdam``, ``RowSparseSGD``), so that a worker can set the rate of any step from the step's
    index.
    ``fit`` trains as ``Trainer.fit`` does (same batches, same learning rates, same ``loss_list``
    records), but N steps at a time, Hogwild-style: the result is not bit-reproducible.

    How it runs the loop every trainer shares (``TrainerBase._run``): the parent trains nothing.
    At the first step of an epoch (step 0, or the step a resumed run stopped at) it hands the
    epoch to the workers (``batch``); ``batch(i)`` is then only the number i, and
    ``train_batch`` waits for the loss the worker of step i reports: in the parent a step is
    that loss, recorded and printed in step order as ``Trainer`` does.  The workers run ahead
    of the parent, so the parent has no state between two steps: observers are told of every
    epoch's end (a checkpoint saves there, and a signal waits for the epoch to finish), never of
    a single step's.  ``max_grad`` is applied by the workers; the parent's optimizer step count
    is brought up to date at the epoch's end.
    A worker that fails stops the epoch with a RuntimeError in the parent that says why (one
    that dies: ChildProcessError) (a NaN or infinite loss: FloatingPointError, as in ``Trainer``); Ctrl-C or SIGTERM in the
    parent stops the workers before the exception leaves ``fit``, so nothing changes the tables
    while a checkpoint is written.  Between epochs the workers wait for the next one; call
    ``close()`` when training is over (or use the trainer as a context manager).
    """

    def __init__(self, model, optimizer, rng=None, verbose=True, workers=2):
        super().__init__(model, optimizer, rng, verbose)
        if not fork_available():
            raise RuntimeError('HogwildTrainer needs to fork worker processes (Linux, macOS); this '
                               'platform can only spawn them: train with one process')
        if int(workers) != workers or workers < 1:
            raise ValueError(f'workers must be a positive integer, got {workers!r}')
        if not (isinstance(optimizer, RowSparseOptimizer) and optimizer.state_scalars == ('iter',)):
            raise ValueError(f'HogwildTrainer needs a row-sparse optimizer whose only state is its '
                             f'step count (RowMeanSGD, LazyAdam, RowSparseSGD: it sets the learning '
                             f'rate of every step); got {type(optimizer).__name__}')
        if any(array_module(p) is not np for p in model.params):
            raise ValueError('HogwildTrainer trains a model on the CPU (NumPy arrays) only')
        others = [g for g in random_generators(model) if g is not self.rng]
        if others:
            raise ValueError('the model draws from a Generator other than the trainer\'s rng; pass '
                             'the model\'s Generator as rng, so that each worker gets its own stream')
        self.workers = int(workers)
        self._pool = self._pool_key = None
        self._handed_out = False  # whether the workers have the epoch under way

    def fit(self, x, t, max_epoch=10, batch_size=32, max_grad=None, eval_interval=20, observers=()):
        """x: (N, ...) inputs, t: (N, ...) targets (NumPy arrays); as ``Trainer.fit``.  The
        workers keep the x and t they were forked with: to train on other data, pass other
        arrays (new workers start), not the same ones changed in place.  The observers hear of
        every epoch's end, not of single steps (the steps run in the workers)."""
        self.x, self.t, self.batch_size, self.max_grad = x, t, batch_size, max_grad
        try:
            self._run(max_epoch, max(len(x) // batch_size, 1), max_grad, eval_interval, observers)
        except BaseException:
            self.close()  # a failure or Ctrl-C: stop every worker before anything else
            raise

    def start_epoch(self):
        """Draw the epoch's order (as ``Trainer`` does); the workers get it at its first step."""
        super().start_epoch()
        self._handed_out = False

    def batch(self, iteration):
        """In the parent, a batch is only its step number: its worker trains it.  At the first
        step of the epoch here, the epoch goes to the workers: its order, one seed per worker,
        the global step count of its step 0 and the step to start from (``iteration``: 0, or
        where a resumed run stopped)."""
        if not self._handed_out:
            seeds = self.rng.integers(2 ** 63, size=self.workers)
            self.first_step = self.optimizer.iter - iteration
            self._workers_for(self.x, self.t, self.batch_size, self.max_grad).start(
                (self.order, seeds, self.first_step, iteration))
            self._handed_out = True
        return iteration

    def train_batch(self, step, max_grad):
        """In the parent: the loss of the epoch's step ``step``, as its worker reports it; after
        the last one, the optimizer's step count is the one a single process would have."""
        loss = self._pool.loss_of(step)
        if step + 1 == self.max_iters:
            self.optimizer.iter = self.first_step + self.max_iters
        return loss

    def _tell(self, observers, event):
        if event != 'step_end':  # a state between two steps does not exist in the parent
            super()._tell(observers, event)

    def close(self):
        """End the worker processes (they wait between epochs); ``fit`` starts new ones."""
        if self._pool is not None:
            self._pool.close()
        self._pool = self._pool_key = None
        self._handed_out = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def _workers_for(self, x, t, batch_size, max_grad):
        """The pool of workers for this data and these settings: the running one, or new ones."""
        _share_tables(self.model, self.optimizer)
        settings = {name: value for name, value in vars(self.optimizer).items()
                    if name != 'iter' and isinstance(value, (int, float, str, tuple, type(None)))}
        tables = [id(a) for a in self.model.params] + [
            id(a) for name in self.optimizer.state_buffers for a in getattr(self.optimizer, name)]
        key = (x, t, batch_size, max_grad, tables, settings)
        if self._pool is not None and self._pool_key[0] is x and self._pool_key[1] is t \
                and self._pool_key[2:] == key[2:] and self._pool.alive():
            return self._pool
        self.close()
        max_iters = max(len(x) // batch_size, 1)

        def train_share(worker, epoch, report):
            """Worker ``worker``'s steps of an epoch from step ``start`` on: the same step a
            single process runs."""
            order, seeds, first_step, start = epoch
            self.rng.bit_generator.state = type(self.rng.bit_generator)(seeds[worker]).state
            for step in range(start + (worker - start) % self.workers, max_iters, self.workers):
                self.optimizer.iter = first_step + step  # the global step sets the rate
                batch = order[step * batch_size:(step + 1) * batch_size]
                report(step, train_step(self.model, self.optimizer, x[batch], t[batch], max_grad))

        self._pool, self._pool_key = WorkerPool(self.workers, train_share), key
        return self._pool


class WorkerPool:
    """``count`` forked processes that run ``work(k, task, report)`` (k = 0 .. count - 1) for
    every ``task`` given to ``start``, where work calls ``report(step, loss)`` for each step it
    trains, and step % count == k, in order.

    ``loss_of(step)`` waits for the loss of ``step`` (steps are asked for in order); a worker's
    exception comes back as RuntimeError (FloatingPointError as itself) with the worker's
    traceback, a worker that exits or dies without reporting its step (killed from outside: a
    problem of the machine, not of the code) as ChildProcessError with its exit code.  A worker
    whose parent was killed outright stops after its step under way.  ``close()`` (also on leaving it as a context manager, normally, by an error or
    by Ctrl-C) ends every worker that is still running and waits for it.  Workers run with one
    BLAS thread, ignore SIGINT (Ctrl-C reaches the parent, which stops them), die on SIGTERM and
    end when the parent's end of their task pipe closes.
    """

    def __init__(self, count, work):
        context = multiprocessing.get_context('fork')
        self.count, self.losses = count, {}
        self.processes, self.readers, self.task_writers = [], [], []
        try:
            for k in range(count):
                reader, writer = context.Pipe(duplex=False)
                task_reader, task_writer = context.Pipe(duplex=False)
                # the parent's pipe ends, for the worker to close: its results go to the parent alone
                inherited = self.task_writers + [task_writer] + self.readers + [reader]
                process = context.Process(target=_worker_main, daemon=True, name=f'hogwild-worker-{k}',
                                          args=(work, k, task_reader, writer, inherited))
                self.readers.append(reader)
                self.task_writers.append(task_writer)
                process.start()
                self.processes.append(process)
                writer.close()  # the worker holds the only writer: its exit is the reader's EOF
                task_reader.close()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def alive(self):
        """Whether every worker is still running (waiting for a task, or working on one)."""
        return all(process.is_alive() for process in self.processes)

    def start(self, task):
        """Send ``task`` to every worker."""
        for task_writer in self.task_writers:
            task_writer.send(task)

    def close(self):
        """End every worker (no worker outlives the pool) and wait for it."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()
        for connection in self.readers + self.task_writers:
            connection.close()

    def loss_of(self, step):
        worker = step % self.count
        while step not in self.losses:
            try:
                message = self.readers[worker].recv()
            except EOFError:
                self.processes[worker].join()
                raise ChildProcessError(f'Hogwild worker {worker} of {self.count} ended (exit code '
                                        f'{self.processes[worker].exitcode}, killed?) before it '
                                        f'reported step {step + 1} of the epoch; --load continues '
                                        'from the last saved epoch') from None
            if message[0] == 'error':
                _, kind, text, trace = message
                if kind == 'FloatingPointError':
                    raise FloatingPointError(text)
                raise RuntimeError(f'Hogwild worker {worker} of {self.count} failed: {kind}: {text}\n'
                                   f'the worker\'s traceback:\n{trace}')
            self.losses[message[1]] = message[2]
        return self.losses.pop(step)


def _worker_main(work, worker, tasks, writer, inherited):
    for connection in inherited:  # the parent's ends of the pipes: only the parent may hold them,
        connection.close()        # so that its exit ends every worker's wait and every report
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limit_blas_threads(1)
    parent = os.getppid()

    def report(step, loss):
        if os.getppid() != parent:  # the parent was killed outright (SIGKILL): stop at once
            os._exit(1)
        writer.send(('loss', step, loss))

    try:
        while True:
            try:
                task = tasks.recv()
            except EOFError:  # the parent closed the pool (or is gone)
                return
            work(worker, task, report)
    except BaseException as error:
        writer.send(('error', type(error).__name__, str(error), traceback.format_exc()))
        raise SystemExit(1) from None


def _share_tables(model, optimizer):
    """Put the model's parameters and the optimizer's state buffers into shared memory, once:
    each array not there yet is replaced by a ``shared_copy`` wherever the model or the optimizer
    holds it (buffers not made yet start as shared zeros, as LazyAdam's first step makes them)."""
    private = {id(p) for p in model.params if not in_shared_memory(p)}
    if private:
        move_arrays(model, lambda a: shared_copy(a) if id(a) in private else a)
    for name in optimizer.state_buffers:
        buffers = getattr(optimizer, name) or [np.zeros_like(p) for p in model.params]
        setattr(optimizer, name, [b if in_shared_memory(b) else shared_copy(b) for b in buffers])


def limit_blas_threads(count):
    """Ask the OpenBLAS that NumPy loaded (found in /proc/self/maps) to use ``count`` threads
    -> True, or False where none is found (another BLAS, or not Linux): then set its own
    variable (OMP_NUM_THREADS, ...) before starting Python.  A worker's small products gain
    nothing from threads, and N workers with a thread per core each would fight for the cores."""
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if 'openblas' in line.lower()}
    except OSError:
        return False
    for path in paths:
        library = ctypes.CDLL(path)
        for name in ('openblas_set_num_threads', 'scipy_openblas_set_num_threads64_',
                     'openblas_set_num_threads64_'):
            if hasattr(library, name):
                getattr(library, name)(count)
                return True
    return False

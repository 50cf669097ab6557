"""Checkpoint: the observer of ``fit`` that saves a training run to one file and resumes it exactly.

    checkpoint = Checkpoint(args.save, trainer, settings_of(args), observers=[validation])
    if args.load:
        load_or_exit(checkpoint.resume, args.load)
    with checkpoint:
        trainer.fit(..., max_epoch=checkpoint.epochs_left(args.epochs),
                    observers=[validation, checkpoint])

One ``.npz`` file holds the whole run, written atomically (a temporary file renamed over the old
one), so a checkpoint is one unit that was either written or not; a resume never mixes two saves:

- the model's parameters and record, what ``load_model`` and ``load_params`` read (the best
  parameters when a ``Validation`` keeps them, else the current ones);
- ``__run__``: the settings that shape the run, the trainer's state (epoch, step in the epoch,
  position in the corpus, the epoch's order, the learning rate and schedule, the history), the
  observers' states, the random generators' states; and under ``run/`` the arrays of that state:
  the current parameters (when they differ from the best), the optimizer's moments, the carried
  recurrent state.

It is written after every epoch (and every ``every_steps`` steps, and when an observer ends the
training between epochs), and when Ctrl-C or SIGTERM
arrives: inside ``with checkpoint:`` a signal only asks the run to stop, and the next step's end
saves exactly where the run is and exits (status 130 or 143), so ``--load`` continues bit for bit
as if it had never stopped.  A second signal stops at once, keeping the last checkpoint.  While
the block runs, a lock file beside the checkpoint keeps a second run from writing to it.
"""
import json
import os
import signal
import sys

import numpy as np

from common.backend import array_module, to_cpu
from common.base_model import MODEL_RECORD, RUN_RECORD
from common.npz_file import atomic_savez, read_npz
from common.temp_files import is_running
from common.util import random_generators
from harness.signals import StopRequest

RUN_PREFIX = 'run/'
CHECKPOINT_HELP = ('Checkpoints: --save PATH writes the whole run to PATH after every epoch and on '
                   'Ctrl-C or SIGTERM; --load PATH continues it exactly (see docs/checkpoints.md).')
# Flags that do not shape the course of a run: a resumed run may change them.
FREE_FLAGS = frozenset({'epochs', 'save', 'load', 'plot', 'quiet', 'gpu', 'seed', 'lr', 'eval_interval',
                        'boundary_plot', 'beam_width', 'vectors'})


def settings_of(args, free=(), keep=()):
    """The flags of ``args`` (an argparse Namespace) that shape a run, checked when it is resumed:
    all but ``FREE_FLAGS`` and the script's own ``free`` ones; ``keep``: flags of ``FREE_FLAGS``
    that shape this script's run (--epochs where the learning rate decays over all epochs)."""
    return {key: value for key, value in sorted(vars(args).items())
            if key in keep or (key not in FREE_FLAGS and key not in free)}


class Checkpoint:
    """Saves the run of ``trainer`` (its model, optimizer and position) to ``path`` and resumes it.

    settings: JSON-able dict of what shapes the run (``settings_of(args)``), compared on resume;
    observers: the other observers whose state belongs to the run (a ``Validation``);
    every_steps: also save every this many steps (None: only at epoch ends);
    path None: nothing is saved at epoch ends, and a stop signal saves to a new file named after
    ``interrupt_name`` (never over an earlier one).
    """

    def __init__(self, path, trainer, settings, observers=(), every_steps=None,
                 interrupt_name='interrupted.npz'):
        self.path, self.trainer, self.settings = path, trainer, settings
        self.observers = list(observers)
        self.every_steps = every_steps
        self.interrupt_name = interrupt_name
        self.resumed_from = None
        self._stop = StopRequest()
        self._lock = None
        self._last_saved = None

    # -- saving ----------------------------------------------------------------------------------

    def epoch_end(self, trainer):
        if self.path:
            self._save_once(self.path)
        self._stop_if_signalled()

    def step_end(self, trainer):
        at_epoch_end = trainer.iteration == trainer.max_iters  # epoch_end saves right after
        due = self.every_steps and trainer.steps_done % self.every_steps == 0 and not at_epoch_end
        if self.path and (due or trainer.stop_training):
            self._save_once(self.path)
        self._stop_if_signalled()

    def _save_once(self, path):
        """Save unless this very state was just saved to ``path``."""
        position = (path, self.trainer.current_epoch, self.trainer.steps_done)
        if position != self._last_saved:
            self.save(path)
            self._last_saved = position

    def save(self, path):
        """Write the run as it stands to ``path`` (atomically)."""
        model = self.trainer.model
        best = next((o.best_params for o in self.observers if getattr(o, 'best_params', None)), None)
        arrays = model.arrays_to_save(best)
        run_arrays = {}
        state = {
            'settings': self.settings,
            'model_class': type(model).__name__,
            'trainer': _split(self.trainer.state_dict(), RUN_PREFIX + 'trainer', run_arrays),
            'observers': [_split(o.state_dict(), f'{RUN_PREFIX}observer{i}', run_arrays)
                          for i, o in enumerate(self.observers)],
            'generators': [g.bit_generator.state for g in random_generators(model, self.trainer)],
            'carried': _split(carried_state(model), RUN_PREFIX + 'carried', run_arrays),
            'current_params': None,
        }
        if best is not None:
            state['current_params'] = _split(list(model.params), RUN_PREFIX + 'params', run_arrays)
        arrays.update(run_arrays)
        arrays[RUN_RECORD] = np.array(json.dumps(state))
        atomic_savez(path, arrays)  # one unit: a failed write keeps the earlier checkpoint whole

    # -- resuming --------------------------------------------------------------------------------

    def resume(self, path):
        """Continue the run saved in ``path`` -> True; a file that holds only a model's parameters
        (``save_params``) starts a new run from them -> False.  ValueError (one line) when the
        file is damaged, of another model, or saved with other settings."""
        model = self.trainer.model
        arrays = read_npz(path, 'checkpoint')
        if RUN_RECORD not in arrays:
            model.load_params(path)
            print(f'note: {path!r} holds parameters but no run: a new run starts from them')
            return False
        try:
            state = json.loads(str(arrays[RUN_RECORD]))
        except json.JSONDecodeError as error:
            raise ValueError(f'{path!r}: its run record is damaged ({error}); its parameters can still '
                             'be read with load_params, or start a new run without --load') from None
        origin = repr(os.fspath(path))
        if state['model_class'] != type(model).__name__:
            raise ValueError(f'{origin} is the run of a {state["model_class"]}, not of a {type(model).__name__}')
        differences = [f'{key}: saved {state["settings"].get(key)!r}, now {value!r}'
                       for key, value in self.settings.items() if state['settings'].get(key) != value]
        if differences:
            raise ValueError(f'{origin} was saved by a run with other settings ({"; ".join(differences)});'
                             ' resume with the same settings, or drop --load to start a new run')
        record = json.loads(str(arrays.pop(MODEL_RECORD)))
        params = {name: arrays[name] for name in model.param_names if name in arrays}
        model.assign_params(params, f'{origin} (saved from {record["class"]})', record['config'])
        if state['current_params'] is not None:
            for param, value in zip(model.params, _join(state['current_params'], arrays)):
                param[...] = array_module(param).asarray(value)
        if len(state['observers']) != len(self.observers):
            raise ValueError(f'{origin} was saved with {len(state["observers"])} observers of the run, '
                             f'this run has {len(self.observers)}')
        self.trainer.load_state_dict(_join(state['trainer'], arrays))
        for observer, saved in zip(self.observers, state['observers']):
            observer.load_state_dict(_join(saved, arrays))
        generators = random_generators(model, self.trainer)
        if len(generators) != len(state['generators']):
            raise ValueError(f'{origin} holds {len(state["generators"])} random generators, this run '
                             f'has {len(generators)}: it was saved by another kind of run')
        for generator, saved in zip(generators, state['generators']):
            generator.bit_generator.state = saved
        set_carried_state(model, _join(state['carried'], arrays))
        self.resumed_from = path
        print(f'resuming {origin} {position_of(self.trainer)}')
        return True

    def epochs_left(self, epochs):
        """How many epochs ``fit`` must run to reach ``epochs`` in all (an unfinished epoch counts
        as one); says so when a resumed run has nothing left to train."""
        left = epochs - self.trainer.current_epoch
        if left <= 0:
            print(f'note: the run loaded from {self.resumed_from!r} has done {self.trainer.current_epoch} '
                  f'epochs, --epochs {epochs}: nothing to train (pass a larger --epochs to train on)')
        return max(left, 0)

    # -- the training block: signals and the lock --------------------------------------------------

    def __enter__(self):
        if self.path:
            self._lock = FileLock(self.path + '.lock')
            self._lock.acquire(f'the checkpoint {self.path!r}')
        self._stop = StopRequest().__enter__()
        return self

    def __exit__(self, kind, error, traceback):
        self._stop.__exit__(kind, error, traceback)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        trainer = self.trainer
        if kind is not None and issubclass(kind, FloatingPointError):
            kept = (f'{self.path!r} is left as it was' if self.path and os.path.exists(self.path)
                    else 'nothing was saved')
            raise SystemExit(f'training stopped in epoch {trainer.current_epoch + 1}: {error}; {kept}') from None
        if kind is not None and issubclass(kind, KeyboardInterrupt):  # a second signal: at once
            kept = f'the last checkpoint {self.path!r} is kept' if self.path else 'nothing was saved'
            print(f'\nstopped at once in epoch {trainer.current_epoch + 1}: {kept}', file=sys.stderr)
            raise SystemExit(128 + (self._stop.signum or signal.SIGINT)) from None
        if kind is None and self._stop.signum:  # arrived after the last step: the run is complete
            raise SystemExit(128 + self._stop.signum)
        if kind is None and self._last_saved is not None:
            print(f'the run is saved in {self._last_saved[0]} (--load {self._last_saved[0]} continues it)')
        return False

    def _stop_if_signalled(self):
        if not self._stop.signum:
            return
        path = self.path or unused_path(self.interrupt_name)
        self._save_once(path)
        print(f'stopped {position_of(self.trainer)}: saved the run to {path!r}; continue with --load {path}',
              file=sys.stderr)
        raise SystemExit(128 + self._stop.signum)


def position_of(trainer):
    """'in epoch 3 after step 120' (in the middle of an epoch) or 'after epoch 2'."""
    if trainer.iteration:
        return f'in epoch {trainer.current_epoch + 1} after step {trainer.iteration}'
    return f'after epoch {trainer.current_epoch}'


def unused_path(path):
    """``path`` if it does not exist, else the first 'NAME-2.npz', 'NAME-3.npz', ... that does not:
    a file the user did not name never replaces an earlier one."""
    root, ext = os.path.splitext(path)
    candidate, number = path, 1
    while os.path.lexists(candidate):
        number += 1
        candidate = f'{root}-{number}{ext}'
    return candidate


class FileLock:
    """A lock file holding the id of the process that writes a checkpoint.  A lock whose process
    has ended (killed, machine restarted) is stale and taken over."""

    def __init__(self, path):
        self.path = path

    def acquire(self, what):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and is_running(owner):
                    raise OSError(f'another run (process {owner}) is writing {what}; wait for it to '
                                  f'end or choose another --save (lock file {self.path!r})') from None
                try:
                    os.unlink(self.path)  # stale: its process has ended
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, 'w') as f:
                f.write(str(os.getpid()))
            return
        raise OSError(f'cannot take the lock {self.path!r} for {what}')

    def release(self):
        if self._owner() == os.getpid():
            os.unlink(self.path)

    def _owner(self):
        try:
            with open(self.path) as f:
                text = f.read().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None


def carried_state(model):
    """The state each stateful recurrent layer of ``model.layers`` carries into the next batch.

    -> {'02.TimeLSTM.h': (N, H), '02.TimeLSTM.c': (N, H), ...}; no entry for a layer after
    reset_state().
    """
    state = {}
    for index, layer in enumerate(getattr(model, 'layers', ())):
        if getattr(layer, 'stateful', False):
            for name in ('h', 'c'):
                value = getattr(layer, name, None)
                if value is not None:
                    state[f'{index:02d}.{type(layer).__name__}.{name}'] = value
    return state


def set_carried_state(model, state):
    """Give the stateful recurrent layers the state ``carried_state`` returned (reset the others)."""
    for index, layer in enumerate(getattr(model, 'layers', ())):
        if getattr(layer, 'stateful', False):
            prefix = f'{index:02d}.{type(layer).__name__}.'
            xp = array_module(layer.params[0])
            values = [xp.asarray(state[prefix + n]) for n in ('h', 'c') if prefix + n in state]
            layer.reset_state()
            if values:
                layer.set_state(*values)


def _split(value, name, arrays):
    """``value`` (dicts, lists, arrays, JSON values) with each array replaced by {'__array__':
    its member name}, the arrays (on the host) collected in ``arrays``."""
    if hasattr(value, 'shape') and hasattr(value, 'dtype') and not isinstance(value, np.generic):
        arrays[name] = to_cpu(value)
        return {'__array__': name}
    if isinstance(value, dict):
        return {key: _split(item, f'{name}/{key}', arrays) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split(item, f'{name}/{index}', arrays) for index, item in enumerate(value)]
    return value.item() if isinstance(value, np.generic) else value


def _join(value, arrays):
    """The inverse of ``_split``: every {'__array__': name} replaced by ``arrays[name]``."""
    if isinstance(value, dict):
        if set(value) == {'__array__'}:
            return arrays[value['__array__']]
        return {key: _join(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_join(item, arrays) for item in value]
    return value


def start_checkpoint(args, trainer, observers=(), free=(), keep=(), **options):
    """The checkpoint of a script's run: ``Checkpoint(args.save, trainer, settings_of(args, free,
    keep), observers, **options)``, resumed from ``args.load`` when it is given (a file that
    cannot be used ends the script with its one-line message)."""
    checkpoint = Checkpoint(args.save, trainer, settings_of(args, free, keep), observers, **options)
    if args.load:
        try:
            checkpoint.resume(args.load)
        except (ValueError, OSError) as error:
            raise SystemExit(f'error: {error}') from None
    return checkpoint

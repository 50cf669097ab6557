"""Resumable training runs of the RNN language models: checkpoints, Ctrl-C and diverging losses.

A run saved after epoch k and resumed continues exactly as if it had never stopped, so the
checkpoint holds everything that decides the next step, not only the parameters.
"""
import json
import os
import sys

import numpy as np

from common.backend import array_module, to_cpu
from common.npz_file import atomic_savez, read_npz
from harness.signals import StopSignals

CHECKPOINT_HELP = """\
Checkpoints: with --save PATH, every epoch writes two files (each atomically: a temporary file
renamed over the old one). PATH holds the model's parameters (BaseModel.save_params; what
ch06_lstm.eval and text generation load). PATH without .npz plus .state.npz holds the rest of
the run: the current (and best) parameters, the epoch, the learning rate, the best validation
perplexity, the trainer's position in the corpus (and learning-rate schedule), the optimizer's
moments, the carried LSTM state and the random number generators' states. --load PATH resumes
that run exactly where it stopped, with its learning rate and random state (--lr and --seed
are not used then; the settings that shape the run, such
as sizes and batch size, must be the same; --epochs is the total to reach). Without a
.state.npz file beside it, --load only starts a new run from PATH's parameters.
Ctrl-C or SIGTERM saves to --save (without it, to a new file named in the message, never over
an earlier one: NAME_interrupted.npz, else NAME_interrupted-2.npz, ...) and exits; resuming
that save re-runs the interrupted epoch from its first batch. A signal that arrives while an
epoch ends (validation, checkpoint) waits until that epoch is saved, then stops the run there.
A NaN or infinite loss stops the run with an error and leaves the last checkpoint untouched."""


def state_path(path):
    """The training-state file beside the parameter file ``path``: 'a/rnnlm.npz' -> 'a/rnnlm.state.npz'."""
    root, ext = os.path.splitext(path)
    return root + '.state.npz' if ext == '.npz' else path + '.state.npz'


class LoopState:
    """What a hand-written training loop (the book's train_custom_loop scripts) keeps besides the
    model, in the form ``TrainingRun`` saves and restores in place of a trainer's.

    ``optimizer``; ``history``: the figures recorded so far (a list the loop appends to);
    ``counters``: named integers that decide the next step, such as truncated BPTT's position
    in the corpus, kept as attributes (``LoopState(SGD(), time_idx=0)``, then
    ``loop.time_idx += time_size``).
    """

    def __init__(self, optimizer, **counters):
        self.optimizer = optimizer
        self.history = []
        self.current_epoch = 0
        self.counter_names = tuple(counters)
        for name, value in counters.items():
            setattr(self, name, value)

    def position(self):
        return {name: getattr(self, name) for name in self.counter_names}

    def set_position(self, saved):
        for name in self.counter_names:
            setattr(self, name, saved[name])


def unused_path(path):
    """``path`` if neither it nor its training state exists, else the first such 'NAME-2.npz',
    'NAME-3.npz', ...: a file the user did not name never replaces an earlier one."""
    root, ext = os.path.splitext(path)
    candidate, number = path, 1
    while os.path.lexists(candidate) or os.path.lexists(state_path(candidate)):
        number += 1
        candidate = f'{root}-{number}{ext}'
    return candidate


class TrainingRun:
    """An epoch loop around a trainer that can be saved after any epoch and resumed exactly.

    model: a BaseModel (its recurrent layers, if any, stateful); trainer: its Trainer,
    RnnlmTrainer or WindowTrainer, or the LoopState of a hand-written loop (its optimizer's
    ``lr`` is the learning rate); config: JSON-able dict of the
    settings that shape the run (sizes, batch and time size, ...), checked on resume; rng: the
    numpy Generator the model (dropout) and trainer (windows) draw from while training, or None.

    The state (see ``CHECKPOINT_HELP``): ``epoch`` (epochs done), the learning rate,
    the validation perplexities with the best one and its parameters (``record_valid_ppl``),
    the trainer's ``position()`` (RnnlmTrainer's ``time_idx``, a schedule's step count) and
    history, the optimizer's state (moments, step count), ``records`` (a figure per epoch, e.g.
    a test accuracy), the recurrent layers' carried (h, c), and the states of ``rng`` and of the
    trainer's own Generator (a Trainer's shuffling), as JSON.
    """

    def __init__(self, model, trainer, config, rng=None):
        self.model, self.trainer, self.config, self.rng = model, trainer, config, rng
        self.epoch = 0
        self.best_ppl = None
        self.best_params = None
        self.valid_ppls = []
        self.records = []  # one JSON-able figure per finished epoch (e.g. a test accuracy)
        self._epoch_start = (trainer.position(), len(trainer.history))

    def record_valid_ppl(self, ppl):
        """Note this epoch's validation perplexity -> True (and keep the current parameters as
        the best ones) if it is the lowest so far."""
        self.valid_ppls.append(ppl)
        if self.best_ppl is not None and ppl >= self.best_ppl:
            return False
        self.best_ppl = ppl
        self.best_params = [p.copy() for p in self.model.params]
        return True

    def restore_best(self):
        """Put the best parameters (``record_valid_ppl``) back into the model."""
        for param, best in zip(self.model.params, self.best_params):
            param[...] = best

    def use_best(self):
        """Put the best parameters back, if any were kept, and print their epoch and perplexity."""
        if self.best_params is not None:
            self.restore_best()
            print(f'best model: epoch {self.valid_ppls.index(self.best_ppl) + 1}, '
                  f'valid perplexity {self.best_ppl:.2f}')

    def train(self, epochs, fit_epoch, end_of_epoch=None, save_path=None,
              interrupt_path='interrupted.npz'):
        """Run the epochs from ``self.epoch + 1`` to ``epochs``.

        Each epoch: fit_epoch() (one trainer.fit epoch); end_of_epoch() -> whether the model
        file should get the current parameters (the validation perplexity improved; default:
        always); then, with save_path, the checkpoint.  A NaN/inf loss (FloatingPointError)
        exits with a message and saves nothing.  Ctrl-C or SIGTERM (``harness.signals``) saves
        to ``save_path``, or else to ``unused_path(interrupt_path)``, and exits with status 130
        (143 for SIGTERM).  The end of an epoch (end_of_epoch, the epoch count, the checkpoint)
        is one unit: a signal that arrives during it waits until it is done, so the run stops
        exactly at the epoch boundary.
        """
        in_epoch = False
        with StopSignals() as signals:
            try:
                while self.epoch < epochs:
                    self._epoch_start = (self.trainer.position(), len(self.trainer.history))
                    in_epoch = True
                    fit_epoch()
                    with signals.deferred():
                        write_model = end_of_epoch() if end_of_epoch else True
                        self.epoch += 1
                        in_epoch = False
                        if save_path:
                            self.save(save_path, write_model=write_model)
            except FloatingPointError as error:
                kept = (f'{save_path!r} is left as it was' if save_path and os.path.exists(save_path)
                        else 'nothing was saved')
                raise SystemExit(f'training stopped in epoch {self.epoch + 1}: {error}; {kept}') from None
            except KeyboardInterrupt as stop:
                path = save_path or unused_path(interrupt_path)
                with signals.deferred():
                    if in_epoch or not save_path:
                        self.save(path, interrupted=in_epoch)
                where = f'in epoch {self.epoch + 1}' if in_epoch else f'after epoch {self.epoch}'
                print(f'\nstopped {where}: saved the parameters to {path!r} and the run to '
                      f'{state_path(path)!r}; continue with --load {path}', file=sys.stderr)
                raise SystemExit(getattr(stop, 'exit_status', 130)) from None

    def save(self, path, write_model=True, interrupted=False):
        """Write the training state to ``state_path(path)`` and, if ``write_model``, the current
        parameters to ``path``.

        An ``interrupted`` save (in the middle of an epoch) writes the best parameters to ``path``
        when some are kept (else the current ones), and records the start of the epoch and no
        carried state, so resuming re-runs the epoch from its first batch.
        """
        model, trainer = self.model, self.trainer
        position, history_length = self._epoch_start if interrupted else (trainer.position(), None)
        meta = {**position,
            'model': type(model).__name__, 'config': self.config, 'epoch': self.epoch,
            'lr': trainer.optimizer.lr, 'best_ppl': self.best_ppl,
            'valid_ppls': self.valid_ppls[:self.epoch], 'records': self.records[:self.epoch],
            'interrupted': interrupted,
            'history': trainer.history[:history_length],
            'rng': _rng_state(self.rng), 'trainer_rng': _rng_state(getattr(trainer, 'rng', None)),
        }
        optimizer_arrays, meta['optimizer_scalars'] = optimizer_state(trainer.optimizer)
        arrays = {'meta': np.array(json.dumps(meta))}
        arrays.update({'params/' + n: to_cpu(p) for n, p in zip(model.param_names, model.params)})
        if self.best_params is not None:
            arrays.update({'best/' + n: to_cpu(p) for n, p in zip(model.param_names, self.best_params)})
        arrays.update(optimizer_arrays)
        if not interrupted:
            arrays.update({'carried/' + n: to_cpu(s) for n, s in carried_state(model).items()})
        if interrupted and self.best_params is not None:
            current = [p.copy() for p in model.params]
            self.restore_best()
            model.save_params(path)
            for param, value in zip(model.params, current):
                param[...] = value
        elif write_model or interrupted:
            model.save_params(path)
        atomic_savez(state_path(path), arrays)  # last: the run counts as saved once this is written

    def load(self, path):
        """Resume the run saved at ``path`` -> True; or, with no state file beside ``path``, only
        load its parameters into the model -> False (a new run from those weights)."""
        if path.endswith('.state.npz'):
            raise ValueError(f'{path!r} is a training state; pass the checkpoint beside it: '
                             f'--load {path[:-len(".state.npz")]}.npz')
        if not os.path.exists(state_path(path)):
            self.model.load_params(path)
            return False
        origin = repr(state_path(path))
        arrays = read_npz(state_path(path), f'training state (beside the checkpoint {path!r})',
                          records=('meta',))
        meta = arrays['meta']
        if meta['model'] != type(self.model).__name__:
            raise ValueError(f'{origin} is the run of a {meta["model"]}, not of a {type(self.model).__name__}')
        differences = [f'{key}: saved {meta["config"].get(key)!r}, now {value!r}'
                       for key, value in self.config.items() if meta['config'].get(key) != value]
        if differences:
            raise ValueError(f'{origin} was saved by a run with other settings ({"; ".join(differences)});'
                             ' resume with the same settings, or drop --load to start a new run')
        self._assign(self.model.params, 'params/', arrays, origin)
        if meta['best_ppl'] is not None:
            self.best_params = [p.copy() for p in self.model.params]
            self._assign(self.best_params, 'best/', arrays, origin)
        set_carried_state(self.model, {n[len('carried/'):]: a for n, a in arrays.items()
                                       if n.startswith('carried/')})
        if meta['rng'] is not None:
            self.rng.bit_generator.state = meta['rng']
        if meta.get('trainer_rng') is not None:
            self.trainer.rng.bit_generator.state = meta['trainer_rng']
        self.records = meta.get('records', [])
        self.epoch, self.best_ppl, self.valid_ppls = meta['epoch'], meta['best_ppl'], meta['valid_ppls']
        self.trainer.optimizer.lr = meta['lr']
        self.trainer.set_position(meta)
        self.trainer.current_epoch = self.epoch
        scalars = meta.get('optimizer_scalars', {'iter': meta.get('optimizer_iter')})  # older states
        set_optimizer_state(self.trainer.optimizer, self.model.params,
                            {k: v for k, v in scalars.items() if v is not None}, arrays)
        self.trainer.history[:] = meta['history']
        if meta['interrupted']:
            print(f'note: {origin} was saved by Ctrl-C during epoch {self.epoch + 1}; '
                  'that epoch restarts from its first batch')
        return True

    def _assign(self, targets, prefix, arrays, origin):
        """targets[i][...] = arrays[prefix + name_i], after checking every name and shape."""
        for name, target in zip(self.model.param_names, targets):
            key = prefix + name
            if key not in arrays:
                raise ValueError(f'{origin} has no array {key!r}: it was saved from another model')
            if arrays[key].shape != target.shape:
                raise ValueError(f'{origin}: array {key!r} has shape {arrays[key].shape}, '
                                 f'the model expects {target.shape}')
        for name, target in zip(self.model.param_names, targets):
            target[...] = array_module(target).asarray(arrays[prefix + name])


def optimizer_state(optimizer):
    """The state the optimizer names (``common.optimizer``) -> (arrays, scalars).

    arrays: {'optimizer/m/0': buffer of parameter 0, ...} for each of its ``state_buffers``
    that exists; scalars: {'iter': 12, ...} for its ``state_scalars`` (JSON numbers).
    """
    arrays = {}
    for name in optimizer.state_buffers:
        for index, buffer in enumerate(getattr(optimizer, name) or ()):
            arrays[f'optimizer/{name}/{index}'] = to_cpu(buffer)
    return arrays, {name: getattr(optimizer, name) for name in optimizer.state_scalars}


def set_optimizer_state(optimizer, params, scalars, arrays):
    """Give the optimizer back what ``optimizer_state`` saved: each buffer list (one per parameter
    in ``params``, in its dtype and array module) and each scalar."""
    for name in optimizer.state_buffers:
        if f'optimizer/{name}/0' in arrays:
            setattr(optimizer, name, [array_module(p).asarray(arrays[f'optimizer/{name}/{i}'], dtype=p.dtype)
                                      for i, p in enumerate(params)])
    for name, value in scalars.items():
        setattr(optimizer, name, value)


def _rng_state(rng):
    return None if rng is None else rng.bit_generator.state


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

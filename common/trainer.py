"""Training loops: ``Trainer`` (mini-batches, chapter 1), ``RnnlmTrainer`` (truncated BPTT, chapter 5)
and ``WindowTrainer`` (fixed-length windows for the Transformer language model, beyond the book).

All three share one epoch loop (``TrainerBase._run``).  Each step: optionally set the learning
rate from a schedule (``lr_schedule``, e.g. ``common.optimizer.WarmupCosineSchedule``), forward
(loss), backward, optional clipping of the gradients' global norm, optimizer update; progress
lines with elapsed time and ETA; the history for ``plot``.  ``fit(..., max_epoch)`` runs
``max_epoch`` epochs from wherever the trainer stands (the book's meaning: two calls of
``fit(max_epoch=1)`` train two epochs).

Observers.  ``fit(..., observers=[...])`` calls ``observer.step_end(trainer)`` after every step
and ``observer.epoch_end(trainer)`` after every epoch, for each observer that has the method:
``Validation`` below measures the model and keeps the best parameters; ``ValidationCurve``
records held-out figures every N steps of a long run (pre-training); a checkpoint saves the run.
An observer stops training by setting ``trainer.stop_training = True``.

Resuming.  ``state_dict()`` holds what, besides the model's parameters (and carried state) and
the random generators, decides the next step: the position in the epoch and in the corpus, the
epoch's order, the optimizer's moments and rate, the schedule's step, the history.  A trainer
given that state by ``load_state_dict`` continues exactly, bit for bit, also from the middle of
an epoch.

A loss that is NaN or infinite stops training with a FloatingPointError before the update, so the
parameters stay those of the last good step; so does, in the language-model trainers, a mean loss
whose perplexity overflows (inf).
"""
import math
import time

import numpy as np

from common.backend import array_module, as_model_device, as_module_of
from common.evaluation import perplexity
from common.optimizer import load_optimizer_state, optimizer_state
from common.plot import plot_curves
from common.util import clip_grads


def train_step(model, optimizer, x, t, max_grad=None):
    """loss = model.forward(x, t); model.backward(); optional clipping of the gradients' global
    norm to ``max_grad``; optimizer.update(...) -> loss (a float).  FloatingPointError, and no
    update, when the loss is NaN or infinite."""
    loss = model.forward(x, t)
    check_finite_loss(loss)
    model.backward()
    if max_grad is not None:
        clip_grads(model.grads, max_grad)
    optimizer.update(model.params, model.grads)
    return loss


def check_finite_loss(loss):
    """Raise FloatingPointError (training diverged) unless ``loss`` is a finite number."""
    if not math.isfinite(loss):
        raise FloatingPointError(f'the loss became {loss}: training diverged (try a smaller '
                                 'learning rate or gradient clipping); parameters were not updated')


class TrainerBase:
    """The loop every trainer shares: epochs of steps, progress lines with ETA, history, plot,
    observers, and the state a resumed run needs."""
    history_name = 'loss'

    def __init__(self, model, optimizer, verbose=True, lr_schedule=None):
        self.model, self.optimizer = model, optimizer
        self.verbose = verbose
        self.lr_schedule = lr_schedule
        self.history = []          # one summary (mean loss or perplexity) every eval_interval steps
        self.history_steps = []    # the step count (steps_done) at which each summary was recorded
        self.eval_interval = None
        self.max_iters = None      # steps per epoch of the last fit
        self.current_epoch = 0     # epochs finished
        self.iteration = 0         # steps done in the epoch under way (0 between epochs)
        self.steps_done = 0        # steps done in all
        self.window_loss = [0.0, 0]  # sum and count of the losses since the last history entry
        self.last_loss = None      # the loss of the last step (None: the step had nothing to learn)
        self.stop_training = False

    def summarize(self, mean_loss):
        """The figure recorded for a window of steps (the mean loss, or its perplexity)."""
        return mean_loss

    def start_epoch(self):
        """Draw what the next epoch needs (its order, its window offset); nothing by default."""

    def batch(self, iteration):
        """The ``iteration``-th batch of the current epoch (set by ``fit``)."""
        raise NotImplementedError

    def _run(self, max_epoch, max_iters, max_grad, eval_interval, observers):
        """Train ``max_epoch`` epochs of ``max_iters`` steps, the first one from ``self.iteration``
        on (a resumed epoch); record the mean loss every ``eval_interval`` steps and at each
        epoch's end; call the observers after every step and every epoch."""
        self.eval_interval, self.max_iters = eval_interval, max_iters
        self.stop_training = False
        start = time.perf_counter()
        steps_to_go = max_epoch * max_iters - self.iteration
        steps_this_call = 0
        for epoch in range(max_epoch):
            if self.iteration == 0:
                self.start_epoch()
            for iteration in range(self.iteration, max_iters):
                batch = self.batch(iteration)
                if self.lr_schedule is not None:
                    self.lr_schedule.step(self.optimizer)
                self.last_loss = self.train_batch(batch, max_grad)
                self.iteration, self.steps_done = iteration + 1, self.steps_done + 1
                steps_this_call += 1
                if self.last_loss is not None:
                    self.window_loss[0] += self.last_loss
                    self.window_loss[1] += 1
                if eval_interval is not None and self.window_loss[1] and (
                        self.iteration % eval_interval == 0 or self.iteration == max_iters):
                    self.history.append(self.summarize(self.window_loss[0] / self.window_loss[1]))
                    self.history_steps.append(self.steps_done)
                    self.window_loss = [0.0, 0]
                    if self.verbose:
                        elapsed = time.perf_counter() - start
                        eta = elapsed / steps_this_call * (steps_to_go - steps_this_call)
                        print(f'| epoch {self.current_epoch + 1} |  iter {self.iteration} / {max_iters} '
                              f'| time {elapsed:.0f}[s] | ETA {eta:.0f}[s] '
                              f'| {self.history_name} {self.history[-1]:.2f}', flush=True)
                self._tell(observers, 'step_end')
                if self.stop_training:
                    return
            self.current_epoch += 1
            self.iteration = 0
            self._tell(observers, 'epoch_end')
            if self.stop_training:
                return

    def _tell(self, observers, event):
        for observer in observers:
            method = getattr(observer, event, None)
            if method is not None:
                method(self)

    def train_batch(self, batch, max_grad):
        """One step on ``batch`` = (x, t): forward, backward, clipping, update -> the loss (a
        subclass may return None for a batch with nothing to learn, which is not recorded)."""
        return train_step(self.model, self.optimizer, *batch, max_grad)

    def state_dict(self):
        """What decides the next step besides the model and the random generators -> dict of
        JSON values and NumPy arrays (a subclass adds its position in the data)."""
        return {'current_epoch': self.current_epoch, 'iteration': self.iteration,
                'steps_done': self.steps_done, 'history': list(self.history),
                'history_steps': list(self.history_steps),
                'window_loss': list(self.window_loss), 'optimizer': optimizer_state(self.optimizer),
                'lr_schedule': None if self.lr_schedule is None else self.lr_schedule.state_dict()}

    def load_state_dict(self, state):
        """Continue from ``state`` (what ``state_dict`` returned, possibly in another process)."""
        self.current_epoch, self.iteration = state['current_epoch'], state['iteration']
        self.steps_done = state['steps_done']
        self.history[:] = state['history']
        self.history_steps[:] = state['history_steps']
        self.window_loss = list(state['window_loss'])
        load_optimizer_state(self.optimizer, state['optimizer'], self.model.params)
        if (state['lr_schedule'] is None) != (self.lr_schedule is None):
            raise ValueError('the saved run was trained ' + ('with' if self.lr_schedule is None else 'without')
                             + ' a learning-rate schedule, this one ' + ('without' if self.lr_schedule is None
                                                                         else 'with') + ' one')
        if self.lr_schedule is not None:
            self.lr_schedule.load_state_dict(state['lr_schedule'])

    def plot(self, ylim=None, path=None):
        """Plot the recorded history; saved to ``path`` (PNG) or shown inline (Jupyter).

        The x-axis is in epochs when one figure was recorded per epoch, else in iterations (the
        step at which each figure was recorded).  ``ylim`` is used only where it holds every
        point: a short run's perplexities lie above the book's 0-500 range, and the axis then
        follows the data.
        """
        ys = np.asarray(self.history, dtype=float)
        steps = np.asarray(self.history_steps)
        per_epoch = self.max_iters is not None and bool(np.all(steps % self.max_iters == 0))
        xs, xlabel = (steps // self.max_iters, 'epochs') if per_epoch else (steps, 'iterations')
        if ylim is not None and len(ys) and not (ylim[0] <= ys.min() and ys.max() <= ylim[1]):
            ylim = None
        plot_curves({'train': (xs, ys)}, xlabel, self.history_name, path=path, ylim=ylim,
                    integer_x=per_epoch)


class Trainer(TrainerBase):
    """Mini-batch training of ``model.forward(x, t) -> loss``, reshuffled every epoch.

    rng: numpy Generator or seed for the shuffling; verbose: print progress lines;
    ``lr_schedule`` (optional) sets the optimizer's rate before every step.
    ``loss_list`` holds the mean loss of every ``eval_interval`` steps.
    """

    def __init__(self, model, optimizer, rng=None, verbose=True, lr_schedule=None):
        super().__init__(model, optimizer, verbose, lr_schedule)
        self.rng = np.random.default_rng(rng)
        self.order = None  # the epoch's order of the examples: (N,) on the host

    @property
    def loss_list(self):
        return self.history

    def fit(self, x, t, max_epoch=10, batch_size=32, max_grad=None, eval_interval=20, observers=()):
        """x: (N, ...) inputs, t: (N, ...) targets (copied once to the model's device); every
        epoch visits the N examples in a new random order, ``batch_size`` at a time."""
        self.x, self.t = as_model_device(self.model, x), as_model_device(self.model, t)
        self.batch_size = batch_size
        max_iters = max(len(x) // batch_size, 1)
        self._run(max_epoch, max_iters, max_grad, eval_interval, observers)

    def start_epoch(self):
        self.order = self.rng.permutation(len(self.x))  # drawn on the host: the same on any device

    def batch(self, iteration):
        picked = self.order[iteration * self.batch_size:(iteration + 1) * self.batch_size]
        picked = as_module_of(self.x, picked)
        return self.x[picked], self.t[picked]

    def state_dict(self):
        return {**super().state_dict(), 'order': self.order}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.order = state['order']


class _LanguageModelTrainer(TrainerBase):
    """History in perplexity, exp(mean loss) of every ``eval_interval`` steps (``ppl_list``)."""
    history_name = 'perplexity'

    @property
    def ppl_list(self):
        return self.history

    def summarize(self, mean_loss):
        ppl = perplexity(mean_loss)
        if math.isinf(ppl):
            raise FloatingPointError(f'the perplexity became inf (mean loss {mean_loss:.4g}): training '
                                     'diverged (try a smaller learning rate or gradient clipping)')
        return ppl


class RnnlmTrainer(_LanguageModelTrainer):
    """Truncated BPTT over one long corpus (the book's chapter-5 trainer).

    The corpus is cut into ``batch_size`` rows starting at offsets i * (len // batch_size); each
    step feeds the next ``time_size`` tokens of every row, so the hidden state carries over from
    block to block.  ``ppl_list`` holds exp(mean loss) of every ``eval_interval`` steps.
    """

    def __init__(self, model, optimizer, verbose=True, lr_schedule=None):
        super().__init__(model, optimizer, verbose, lr_schedule)
        self.time_idx = 0

    def get_batch(self, xs, ts, batch_size, time_size):
        """Next block: xs, ts (L,) -> batch_x, batch_t (batch_size, time_size)."""
        xp = array_module(xs)
        jump = len(xs) // batch_size
        positions = (xp.arange(batch_size)[:, None] * jump
                     + self.time_idx + xp.arange(time_size)[None, :]) % len(xs)
        self.time_idx += time_size
        return xs[positions], ts[positions]

    def fit(self, xs, ts, max_epoch=10, batch_size=20, time_size=35, max_grad=None,
            eval_interval=20, observers=()):
        """xs: (L,) input ids, ts: (L,) target ids (usually corpus[:-1] and corpus[1:]); both are
        copied once to the model's device."""
        self.xs, self.ts = as_model_device(self.model, xs), as_model_device(self.model, ts)
        self.batch_size, self.time_size = batch_size, time_size
        max_iters = len(xs) // (batch_size * time_size)
        if max_iters == 0:
            raise ValueError(f'the corpus ({len(xs)} tokens) is shorter than one batch '
                             f'(batch_size * time_size = {batch_size * time_size})')
        self._run(max_epoch, max_iters, max_grad, eval_interval, observers)

    def batch(self, iteration):
        return self.get_batch(self.xs, self.ts, self.batch_size, self.time_size)

    def state_dict(self):
        return {**super().state_dict(), 'time_idx': self.time_idx}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.time_idx = state['time_idx']


class WindowTrainer(_LanguageModelTrainer):
    """Training on fixed-length windows of one long corpus, for models without a carried state.

    Each epoch cuts the corpus into windows of ``time_size`` tokens starting at a random offset
    s in [0, time_size) (positions s, s + time_size, ...), shuffles the windows and feeds them
    ``batch_size`` at a time, so every token is seen once per epoch, at a different place in its
    window each epoch.  Nothing carries over from one batch to the next (not stateful).
    rng: numpy Generator or seed of the offsets and the shuffling; ``lr_schedule`` is stepped
    before every update.  ``ppl_list`` holds exp(mean loss) of every ``eval_interval`` steps.
    """

    def __init__(self, model, optimizer, rng=None, verbose=True, lr_schedule=None):
        super().__init__(model, optimizer, verbose, lr_schedule)
        self.rng = np.random.default_rng(rng)
        self.starts = None  # the epoch's window starts, in the order they are fed: (windows,)

    @staticmethod
    def steps_per_epoch(length, batch_size, time_size):
        """Updates per epoch on a corpus of ``length`` tokens (the same whatever the offset)."""
        return (length - time_size + 1) // time_size // batch_size

    def fit(self, xs, ts, max_epoch=1, batch_size=32, time_size=64, max_grad=None, eval_interval=20,
            observers=()):
        """xs: (L,) input ids, ts: (L,) target ids (usually corpus[:-1] and corpus[1:]).

        Batches: xs[positions], ts[positions] with positions (batch_size, time_size); xs and ts are
        copied once to the model's device, the window starts are drawn on the host and moved.
        """
        self.xs, self.ts = as_model_device(self.model, xs), as_model_device(self.model, ts)
        self.batch_size, self.time_size = batch_size, time_size
        max_iters = self.steps_per_epoch(len(xs), batch_size, time_size)
        if max_iters == 0:
            raise ValueError(f'the corpus ({len(xs)} tokens) holds fewer than one batch of windows '
                             f'(batch_size * time_size = {batch_size * time_size} plus an offset)')
        self._run(max_epoch, max_iters, max_grad, eval_interval, observers)

    def start_epoch(self):
        offset = int(self.rng.integers(self.time_size))
        count = (len(self.xs) - offset) // self.time_size
        self.starts = self.rng.permutation(count) * self.time_size + offset

    def batch(self, iteration):
        starts = self.starts[iteration * self.batch_size:(iteration + 1) * self.batch_size]
        positions = as_module_of(self.xs, starts[:, None] + np.arange(self.time_size)[None, :])
        return self.xs[positions], self.ts[positions]

    def state_dict(self):
        return {**super().state_dict(), 'starts': self.starts}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.starts = state['starts']


class Validation:
    """An observer of ``fit`` that measures the model after every epoch and keeps the best one.

    evaluate: () -> score, e.g. the validation perplexity (it may print it); lower is better
    unless ``higher_is_better`` (an accuracy).  After every epoch the score is appended to
    ``scores``; when it is the best so far a copy of the parameters is kept (``best_params``,
    ``best_epoch``, 1-based).  Otherwise, with ``lr_decay`` > 1, the optimizer's rate is divided
    by it (the book's BetterRnnlm: by 4 when the validation perplexity worsens); with
    ``min_improvement`` m the rate also decays when the score improved by less than m times the
    best so far.  With ``patience`` p, training stops after p epochs in a row without a better
    score (early stopping).  ``use_best()`` puts the best parameters back into the model.
    """

    def __init__(self, evaluate, higher_is_better=False, lr_decay=1.0, min_improvement=0.0,
                 patience=None, verbose=True):
        self.evaluate = evaluate
        self.sign = -1.0 if higher_is_better else 1.0  # compare sign * score: lower is better
        self.lr_decay, self.min_improvement, self.patience = lr_decay, min_improvement, patience
        self.verbose = verbose
        self.scores = []
        self.best_params = None
        self.best_epoch = None
        self.waited = 0  # epochs since the best one

    @property
    def best_score(self):
        return None if self.best_epoch is None else self.scores[self.best_epoch - 1]

    def epoch_end(self, trainer):
        score = float(self.evaluate())
        best_before = self.best_score
        self.scores.append(score)
        if best_before is None or self.sign * score < self.sign * best_before:
            self.best_params = [p.copy() for p in trainer.model.params]
            self.best_epoch, self.waited = len(self.scores), 0
        else:
            self.waited += 1
        margin = self.min_improvement * abs(best_before) if best_before is not None else 0.0
        stalled = best_before is not None and self.sign * score > self.sign * best_before - margin
        if self.lr_decay > 1 and (stalled or self.waited):
            trainer.optimizer.lr /= self.lr_decay
            if self.verbose:
                print(f'learning rate: {trainer.optimizer.lr}')
        if self.patience is not None and self.waited >= self.patience:
            trainer.stop_training = True

    def use_best(self, model):
        """Put the best parameters, if any were kept, back into ``model``."""
        if self.best_params is not None:
            for param, best in zip(model.params, self.best_params):
                param[...] = array_module(param).asarray(best)

    def state_dict(self):
        return {'scores': list(self.scores), 'best_epoch': self.best_epoch, 'waited': self.waited,
                'best_params': self.best_params}

    def load_state_dict(self, state):
        self.scores, self.best_epoch, self.waited = list(state['scores']), state['best_epoch'], state['waited']
        self.best_params = state['best_params']


class ValidationCurve:
    """An observer of ``fit`` for long runs measured as they go (pre-training): every
    ``eval_interval`` steps, and at the run's last step ``stop_at`` (where it stops the training),
    it records

        steps, train_loss (mean over the steps since the last point), every figure of
        ``evaluate() -> {name: float}`` (the validation perplexity, say), cpu_s and wall_s
        (process and wall-clock seconds of training so far, resumed runs included),

    prints them on one line (unless ``quiet``) and keeps them in ``curve`` {name: [values]}.
    Its state goes into the run's checkpoint, so a resumed run continues the same curve.
    """

    def __init__(self, evaluate, eval_interval, stop_at, quiet=False):
        self.evaluate, self.eval_interval, self.stop_at = evaluate, eval_interval, stop_at
        self.quiet = quiet
        self.curve = {'steps': [], 'train_loss': [], 'cpu_s': [], 'wall_s': []}
        self.losses = []
        self._clock = (time.perf_counter(), time.process_time(), 0.0, 0.0)

    def step_end(self, trainer):
        if trainer.last_loss is not None:
            self.losses.append(trainer.last_loss)
        done = trainer.steps_done
        if done % self.eval_interval and done < self.stop_at:
            return
        figures = self.evaluate()
        wall_start, cpu_start, wall_before, cpu_before = self._clock
        point = {'steps': done, 'train_loss': float(np.mean(self.losses)) if self.losses else float('nan'),
                 **figures, 'cpu_s': cpu_before + time.process_time() - cpu_start,
                 'wall_s': wall_before + time.perf_counter() - wall_start}
        for name, value in point.items():
            self.curve.setdefault(name, []).append(value)
        self.losses = []
        if not self.quiet:
            print(f'| epoch {trainer.current_epoch + 1} | step {done:5d} / {self.stop_at} '
                  f'| lr {trainer.optimizer.lr:.2e} | train loss {point["train_loss"]:.3f} | '
                  + ' | '.join(f'{name} {value:.4g}' for name, value in figures.items())
                  + f' | cpu {point["cpu_s"]:.0f}[s] | wall {point["wall_s"]:.0f}[s]', flush=True)
        if done >= self.stop_at:
            trainer.stop_training = True

    def state_dict(self):
        return {'curve': self.curve, 'losses': list(self.losses)}

    def load_state_dict(self, state):
        self.curve, self.losses = state['curve'], list(state['losses'])
        if self.curve['steps']:
            self._clock = (time.perf_counter(), time.process_time(), self.curve['wall_s'][-1],
                           self.curve['cpu_s'][-1])

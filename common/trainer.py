"""Training loops: ``Trainer`` (mini-batch, chapter 1), ``RnnlmTrainer`` (truncated BPTT, ch. 5)
and ``WindowTrainer`` (fixed-length windows for the Transformer language model, beyond the book).

All do, per step: optionally set the learning rate from a schedule (``lr_schedule``, for example
``common.optimizer.WarmupCosineSchedule``), forward (loss), backward, optional global-norm
gradient clipping, optimizer update; print book-style progress lines with elapsed time and ETA;
keep the history for ``plot``.
A loss that is NaN or infinite stops training with a FloatingPointError before the update, so the
parameters (and any checkpoint saved from them) stay those of the last good step; so does, in
the language-model trainers, a mean loss whose perplexity overflows (inf).
"""
import math
import time

import numpy as np

from common.backend import array_module, as_model_device, as_module_of
from common.evaluation import perplexity
from common.plot import plot_curves
from common.util import clip_grads


class _TrainerBase:
    """The loop both trainers share: steps, progress lines with ETA, history, plot."""
    history_name = 'loss'

    def __init__(self, model, optimizer, verbose, lr_schedule=None):
        self.model, self.optimizer = model, optimizer
        self.verbose = verbose
        self.lr_schedule = lr_schedule
        self.history = []
        self.eval_interval = None
        self.current_epoch = 0

    def summarize(self, mean_loss):
        """The figure recorded for a window of steps (the mean loss, or its perplexity)."""
        return mean_loss

    def position(self):
        """What, besides the model, optimizer and random state, decides the next step (JSON-able):
        the schedule's step count here; a resumed run gives it back to ``set_position``."""
        return {} if self.lr_schedule is None else {'lr_steps_done': self.lr_schedule.steps_done}

    def set_position(self, saved):
        if self.lr_schedule is not None:
            self.lr_schedule.steps_done = saved['lr_steps_done']

    def _run(self, max_epoch, max_iters, next_batch, max_grad, eval_interval):
        """Train ``max_epoch`` epochs of ``max_iters`` steps; next_batch(epoch, iteration) -> the
        batch ``train_batch`` takes ((x, t) here).

        The summary of the steps since the last record is appended to ``history`` every
        ``eval_interval`` steps and at the end of each epoch.
        """
        self.eval_interval = eval_interval
        start = time.perf_counter()
        total_loss, loss_count = 0.0, 0
        for epoch in range(max_epoch):
            for iteration in range(max_iters):
                batch = next_batch(epoch, iteration)
                if self.lr_schedule is not None:
                    self.lr_schedule.step(self.optimizer)
                total_loss += self.train_batch(batch, max_grad)
                loss_count += 1
                window_done = eval_interval is not None and (iteration + 1) % eval_interval == 0
                if window_done or (eval_interval is not None and iteration + 1 == max_iters):
                    self.history.append(self.summarize(total_loss / loss_count))
                    total_loss, loss_count = 0.0, 0
                    if self.verbose:
                        elapsed = time.perf_counter() - start
                        steps_done = epoch * max_iters + iteration + 1
                        eta = elapsed / steps_done * (max_epoch * max_iters - steps_done)
                        print(f'| epoch {self.current_epoch + 1} |  iter {iteration + 1} / {max_iters} '
                              f'| time {elapsed:.0f}[s] | ETA {eta:.0f}[s] '
                              f'| {self.history_name} {self.history[-1]:.2f}', flush=True)
            self.current_epoch += 1

    def train_batch(self, batch, max_grad):
        """One step on ``batch`` = (x, t): forward, backward, clipping, update -> the loss."""
        return train_step(self.model, self.optimizer, *batch, max_grad)

    def plot(self, ylim=None, path=None):
        """Plot the recorded history; saved to ``path`` (PNG) or shown inline (Jupyter)."""
        plot_curves({'train': (np.arange(len(self.history)), self.history)},
                    f'evaluations (every {self.eval_interval} iterations and at epoch ends)',
                    self.history_name, path=path, ylim=ylim)


def train_step(model, optimizer, x, t, max_grad=None):
    """loss = model.forward(x, t); model.backward(); optional clipping of the gradients' global
    norm to ``max_grad``; optimizer.update(...) -> loss (a float).  FloatingPointError, and no
    update, when the loss is NaN or infinite."""
    loss = model.forward(x, t)
    if not math.isfinite(loss):
        raise FloatingPointError(f'the loss became {loss}: training diverged (try a smaller '
                                 'learning rate or gradient clipping); parameters were not updated')
    model.backward()
    if max_grad is not None:
        clip_grads(model.grads, max_grad)
    optimizer.update(model.params, model.grads)
    return loss


class Trainer(_TrainerBase):
    """Mini-batch training of ``model.forward(x, t) -> loss``, reshuffled every epoch.

    rng: numpy Generator or seed for the shuffling; verbose: print progress lines;
    ``lr_schedule`` (optional) sets the optimizer's rate before every step.
    ``loss_list`` holds the mean loss of every ``eval_interval`` steps.
    """

    def __init__(self, model, optimizer, rng=None, verbose=True, lr_schedule=None):
        super().__init__(model, optimizer, verbose, lr_schedule)
        self.rng = np.random.default_rng(rng)

    @property
    def loss_list(self):
        return self.history

    def shuffle(self, x, t):
        """x: (N, ...), t: (N, ...) -> both in one new random order (drawn on the host from
        ``rng``, seeded, then moved to the arrays' device)."""
        order = as_module_of(x, self.rng.permutation(len(x)))
        return x[order], t[order]

    def fit(self, x, t, max_epoch=10, batch_size=32, max_grad=None, eval_interval=20):
        """x: (N, ...) inputs, t: (N, ...) targets (copied once to the model's device)."""
        x, t = as_model_device(self.model, x), as_model_device(self.model, t)
        max_iters = max(len(x) // batch_size, 1)
        shuffled = {}

        def next_batch(epoch, iteration):
            if iteration == 0:
                shuffled['x'], shuffled['t'] = self.shuffle(x, t)
            batch = slice(iteration * batch_size, (iteration + 1) * batch_size)
            return shuffled['x'][batch], shuffled['t'][batch]

        self._run(max_epoch, max_iters, next_batch, max_grad, eval_interval)


class _LanguageModelTrainer(_TrainerBase):
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

    def position(self):
        return {**super().position(), 'time_idx': self.time_idx}

    def set_position(self, saved):
        super().set_position(saved)
        self.time_idx = saved['time_idx']

    def get_batch(self, xs, ts, batch_size, time_size):
        """Next block: xs, ts (L,) -> batch_x, batch_t (batch_size, time_size)."""
        xp = array_module(xs)
        jump = len(xs) // batch_size
        positions = (xp.arange(batch_size)[:, None] * jump
                     + self.time_idx + xp.arange(time_size)[None, :]) % len(xs)
        self.time_idx += time_size
        return xs[positions], ts[positions]

    def fit(self, xs, ts, max_epoch=10, batch_size=20, time_size=35, max_grad=None,
            eval_interval=20):
        """xs: (L,) input ids, ts: (L,) target ids (usually corpus[:-1] and corpus[1:]); both are
        copied once to the model's device."""
        xs, ts = as_model_device(self.model, xs), as_model_device(self.model, ts)
        max_iters = len(xs) // (batch_size * time_size)
        if max_iters == 0:
            raise ValueError(f'the corpus ({len(xs)} tokens) is shorter than one batch '
                             f'(batch_size * time_size = {batch_size * time_size})')

        def next_batch(epoch, iteration):
            return self.get_batch(xs, ts, batch_size, time_size)

        self._run(max_epoch, max_iters, next_batch, max_grad, eval_interval)


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

    @staticmethod
    def steps_per_epoch(length, batch_size, time_size):
        """Updates per epoch on a corpus of ``length`` tokens (the same whatever the offset)."""
        return (length - time_size + 1) // time_size // batch_size

    def fit(self, xs, ts, max_epoch=1, batch_size=32, time_size=64, max_grad=None, eval_interval=20):
        """xs: (L,) input ids, ts: (L,) target ids (usually corpus[:-1] and corpus[1:]).

        Batches: xs[positions], ts[positions] with positions (batch_size, time_size); xs and ts are
        copied once to the model's device, the window starts are drawn on the host and moved.
        """
        xs, ts = as_model_device(self.model, xs), as_model_device(self.model, ts)
        xp = array_module(xs)
        max_iters = self.steps_per_epoch(len(xs), batch_size, time_size)
        if max_iters == 0:
            raise ValueError(f'the corpus ({len(xs)} tokens) holds fewer than one batch of windows '
                             f'(batch_size * time_size = {batch_size * time_size} plus an offset)')
        window = np.arange(time_size)
        epoch_starts = {}

        def next_batch(epoch, iteration):
            if iteration == 0:
                offset = int(self.rng.integers(time_size))
                count = (len(xs) - offset) // time_size
                epoch_starts['starts'] = self.rng.permutation(count) * time_size + offset
            starts = epoch_starts['starts'][iteration * batch_size:(iteration + 1) * batch_size]
            positions = xp.asarray(starts[:, None] + window[None, :])
            return xs[positions], ts[positions]

        self._run(max_epoch, max_iters, next_batch, max_grad, eval_interval)

"""What the chapter's pre-training scripts share: their flags and a validation curve, measured as
training goes."""
import time

import numpy as np

from ch10_transfer.reviews import VALID_REVIEWS
from common.plot import plot_curves
from dataset import imdb
from harness.flags import float_in, int_in, nonnegative_int, positive_int


class ValidationCurve:
    """An observer of ``fit``: every ``eval_interval`` steps, and at the run's last step ``stop_at``
    (where it stops the training), it records

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


def add_pretraining_flags(parser, eval_interval, warmup_steps):
    """The flags every pre-training script has: the vocabulary, the held-out reviews, how much text
    to read, the curve's interval and the learning-rate schedule."""
    parser.add_argument('--vocab-size', type=int_in(4, 1_000_000), default=imdb.VOCABULARY_SIZE,
                        help='words of the vocabulary (the most frequent of the unlabelled and training reviews)')
    parser.add_argument('--valid-reviews', type=int_in(1, 49_999), default=VALID_REVIEWS,
                        help='unlabelled reviews held out to measure the model (the last ones)')
    parser.add_argument('--eval-reviews', type=positive_int, default=500,
                        help='of the held-out reviews, the first N are measured every --eval-interval steps')
    parser.add_argument('--max-tokens', type=positive_int,
                        help='train on the first N tokens of the shuffled reviews only')
    parser.add_argument('--eval-interval', type=positive_int, default=eval_interval,
                        help='measure on the held-out reviews (and save with --save) every this many steps')
    parser.add_argument('--max-steps', type=positive_int,
                        help='stop (measure and save) once the run has made this many steps in all')
    parser.add_argument('--warmup-steps', type=nonnegative_int, default=warmup_steps,
                        help='steps of linear learning-rate warm-up (0: none)')
    parser.add_argument('--min-lr-ratio', type=float_in(0.0, 1.0), default=0.1,
                        help='the cosine decay ends at --lr times this (0: at 0)')


def plot_curve(curve, key, label, path=None):
    """One figure of ``curve[key]`` against the training steps (a validation curve), saved to
    ``path`` (PNG) or shown inline."""
    plot_curves({label: (curve['steps'], curve[key])}, xlabel='training step', ylabel=label, path=path,
                marker='o')

"""What the chapter's pre-training scripts share: their flags, and the validation curve measured as
training goes, saved with the run."""
from ch10_transfer.reviews import VALID_REVIEWS
from common.plot import plot_curves
from common.trainer import ValidationCurve
from dataset import imdb
from harness.checkpoint import start_checkpoint
from harness.flags import float_in, int_in, nonnegative_int, positive_int


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


def start_curve(args, trainer, valid_figures, total_steps, script_name):
    """The run's ``ValidationCurve`` of ``valid_figures() -> {name: float}`` every --eval-interval
    steps up to --max-steps or ``total_steps``, and its checkpoint (--save/--load, written at every
    point of the curve) -> (curve, checkpoint)."""
    curve = ValidationCurve(valid_figures, args.eval_interval, min(total_steps, args.max_steps or total_steps),
                            args.quiet)
    checkpoint = start_checkpoint(args, trainer, [curve], free=('max_steps', 'eval_reviews'), keep=('epochs',),
                                  every_steps=args.eval_interval, interrupt_name=f'{script_name}_interrupted.npz')
    return curve, checkpoint


def finish_curve(args, curve, key, label):
    """Plot ``curve[key]`` (--plot) and print the last point of the curve -> the curve {name: [values]}."""
    result = curve.curve
    if not result['steps']:
        return result
    if args.plot:
        plot_curve(result, key, label, args.plot)
    figures = [name for name in result if name not in ('steps', 'train_loss', 'cpu_s', 'wall_s')]
    print(f'after {result["steps"][-1]} steps: ' + ', '.join(f'{name} {result[name][-1]:.4g}' for name in figures)
          + f', train loss {result["train_loss"][-1]:.3f} ({result["cpu_s"][-1]:.0f} s CPU, '
          f'{result["wall_s"][-1]:.0f} s wall)')
    return result

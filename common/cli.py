"""The command-line flags every chapter script shares, with the book's values as defaults.

Every numeric flag is checked by its argparse type before any work starts: a bad value stops the
script with exit status 2 and a message naming the flag and the allowed range, e.g.
``argument --batch-size: expected an integer >= 1, got '-3'``.
"""
import argparse
import math
import os

import numpy as np


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}') from None


def _finite_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f'expected a finite number, got {text!r}')
    return value


def int_at_least(lowest):
    """An argparse type: an integer >= ``lowest`` (sizes and counts: 1; counts where 0 means off: 0)."""
    def parse(text):
        value = _integer(text)
        if value < lowest:
            raise argparse.ArgumentTypeError(f'expected an integer >= {lowest}, got {text!r}')
        return value
    parse.__name__ = f'integer >= {lowest}'
    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)


def float_in(low, high, low_open=False, high_open=False):
    """An argparse type: a finite number in the interval from ``low`` to ``high`` (None: unbounded)."""
    left = '(' if low_open or low is None else '['
    right = ')' if high_open or high is None else ']'
    interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"

    def parse(text):
        value = _finite_float(text)
        too_low = low is not None and (value < low or (low_open and value == low))
        too_high = high is not None and (value > high or (high_open and value == high))
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f'expected a number in {interval}, got {text!r}')
        return value
    parse.__name__ = f'number in {interval}'
    return parse


positive_float = float_in(0.0, None, low_open=True)      # learning rates, norms, temperatures
nonnegative_float = float_in(0.0, None)                  # weight decay, optional margins
dropout_ratio = float_in(0.0, 1.0, high_open=True)       # probability of dropping a unit


def seed_int(text):
    """An argparse type: a seed numpy.random.default_rng accepts (an integer >= 0)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'expected a seed >= 0, got {text!r}')
    return value


COMMON_FLAGS = {
    'epochs': (positive_int, 'number of training epochs'),
    'batch_size': (positive_int, 'mini-batch size'),
    'lr': (positive_float, 'learning rate'),
    'seed': (seed_int, 'seed of the random number generator (initial weights, shuffling, sampling)'),
    'save': (str, 'write the trained parameters to this .npz file'),
    'load': (str, 'start from the parameters in this .npz file (training scripts of chapter 6 '
                  'resume the whole run when its .state.npz is beside it)'),
    'plot': (str, 'save the plot to this PNG file'),
}
GPU_HELP = ('train on the GPU with CuPy (pip install cupy-cuda12x, the wheel for your CUDA); '
            'checkpoints are the same .npz files on either device')


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """--help keeps the script docstring's layout (its example commands) and shows defaults."""


def make_parser(description, **defaults):
    """An ArgumentParser with ``--quiet`` and the common flags named in ``defaults``.

    make_parser(__doc__, epochs=300, lr=1.0, plot='loss.png') adds --epochs, --lr and --plot
    with those defaults (a None default means "off unless given").  ``gpu=False`` adds the
    switch --gpu (use ``on_device`` on the model).  Scripts add their own flags.
    """
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=_HelpFormatter)
    if defaults.pop('gpu', None) is not None:
        parser.add_argument('--gpu', action='store_true', help=GPU_HELP)
    for name, default in defaults.items():
        if name not in COMMON_FLAGS:
            raise ValueError(f'unknown common flag {name!r}; known: {sorted(COMMON_FLAGS)}')
        kind, help_text = COMMON_FLAGS[name]
        parser.add_argument('--' + name.replace('_', '-'), type=kind, default=default, help=help_text)
    parser.add_argument('--quiet', action='store_true', help='print only the final results')
    return parser


def add_corpus_flags(parser):
    """--max-tokens, --eval-tokens, --eval-interval: the corpus slices and progress lines of a
    language-model training script."""
    parser.add_argument('--max-tokens', type=positive_int, help='train on the first N tokens of PTB only')
    parser.add_argument('--eval-tokens', type=positive_int,
                        help='measure perplexities on the first N tokens of the corpus only')
    parser.add_argument('--eval-interval', type=positive_int, default=20,
                        help='record (and print) the perplexity every this many iterations')


def make_rng(seed):
    """A numpy Generator seeded with ``seed`` (None: fresh entropy)."""
    return np.random.default_rng(seed)


def require_checkpoint(path, train_script):
    """``path`` if that file exists; otherwise end the script with a message saying how to make it
    (``python -m {train_script} --save {path}``)."""
    if not os.path.exists(path):
        raise SystemExit(f'checkpoint {path!r} not found. Train the model and save it first:\n'
                         f'    python -m {train_script} --save {path}\n'
                         f'then pass that file with --load.')
    return path


def on_device(model, gpu):
    """The model, moved to the GPU when ``gpu`` (the --gpu flag) is set.

    Everything else follows the parameters: the trainers and evaluation functions copy the data
    to the model's device once, optimizer state is created there, and checkpoints are written
    and read as the same host .npz files.  Without CuPy or a visible device the script exits
    with a message that names the package to install.
    """
    if not gpu:
        return model
    try:
        return model.to_gpu()
    except RuntimeError as error:
        raise SystemExit(f'error: {error}') from None

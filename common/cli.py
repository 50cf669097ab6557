"""The command-line flags every chapter script shares, with the book's values as defaults."""
import argparse

import numpy as np

COMMON_FLAGS = {
    'epochs': (int, 'number of training epochs'),
    'batch_size': (int, 'mini-batch size'),
    'lr': (float, 'learning rate'),
    'seed': (int, 'seed of the random number generator (initial weights, shuffling, sampling)'),
    'save': (str, 'write the trained parameters to this .npz file'),
    'load': (str, 'start from the parameters in this .npz file (training scripts of chapter 6 '
                  'resume the whole run when its .state.npz is beside it)'),
    'plot': (str, 'save the plot to this PNG file'),
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """--help keeps the script docstring's layout (its example commands) and shows defaults."""


def make_parser(description, **defaults):
    """An ArgumentParser with ``--quiet`` and the common flags named in ``defaults``.

    make_parser(__doc__, epochs=300, lr=1.0, plot='loss.png') adds --epochs, --lr and --plot
    with those defaults (a None default means "off unless given").  Scripts add their own flags.
    """
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=_HelpFormatter)
    for name, default in defaults.items():
        if name not in COMMON_FLAGS:
            raise ValueError(f'unknown common flag {name!r}; known: {sorted(COMMON_FLAGS)}')
        kind, help_text = COMMON_FLAGS[name]
        parser.add_argument('--' + name.replace('_', '-'), type=kind, default=default, help=help_text)
    parser.add_argument('--quiet', action='store_true', help='print only the final results')
    return parser


def make_rng(seed):
    """A numpy Generator seeded with ``seed`` (None: fresh entropy)."""
    return np.random.default_rng(seed)

"""The command line of a chapter script: flags with the book's values as defaults, and one-line errors.

Every numeric flag is checked by its argparse type before any work starts: a bad value stops the
script with exit status 2 and a message naming the flag and the allowed range, e.g.
``argument --batch-size: expected an integer >= 1, got '-3'``.  Output paths are checked the
same way (``writable_path``, ``plot_path``), so a long run never ends by failing to save.
Parsing changes nothing outside the parser: it writes no file and installs no hook.
``run_main(main)`` (the ``if __name__ == '__main__':`` line of every script) turns an error
about the reader's data, files or machine into one line instead of a traceback.
"""
import argparse
import math
import os
import sys

import numpy as np

from common.backend import device_module


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


# Every integer flag has an upper bound, so a slip of the keyboard (1000000000000 for 100) stops
# the script at once with the flag's name, instead of as a MemoryError while the model is built
# or as a run that never ends.  Sizes of the model get bounds of their own (its arrays grow with
# them); a combination of large sizes may still need more memory than the machine has.
MAX_COUNT = 10 ** 9    # epochs, steps, tokens, sentences, ...: PTB has under a million words
MAX_WIDTH = 8192       # a width: one (8192, 4 x 8192) float32 matrix (an LSTM's Wh) takes 1 GiB
MAX_DEPTH = 64         # stacked layers or Transformer blocks
MAX_CONTEXT = 4096     # positions one Transformer input holds (attention weights grow as its square)


def int_in(lowest, highest=MAX_COUNT):
    """An argparse type: an integer in [``lowest``, ``highest``]."""
    interval = f'[{lowest}, {highest}]'

    def parse(text):
        value = _integer(text)
        if not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(f'expected an integer in {interval}, got {text!r}')
        return value
    parse.__name__ = f'integer in {interval}'
    return parse


positive_int = int_in(1)       # sizes and counts
nonnegative_int = int_in(0)    # counts where 0 means off (the flag's help says so)
eval_tokens = int_in(11)       # eval_perplexity reads 10 rows and predicts each row's next token
model_width = int_in(1, MAX_WIDTH)        # hidden and word-vector sizes, d_model, d_ff, heads
layer_count = int_in(1, MAX_DEPTH)
context_length = int_in(1, MAX_CONTEXT)
beam_width = int_in(1, 1000)  # a beam keeps (width, vocabulary) scores per step
SIZE_TYPES = (model_width, layer_count, context_length)  # flags named when memory runs out


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
    """An argparse type: a seed numpy.random.default_rng accepts (an integer in [0, 2**63 - 1],
    so it also fits the int64 of a saved training state)."""
    value = _integer(text)
    if not 0 <= value <= 2 ** 63 - 1:
        raise argparse.ArgumentTypeError(f'expected a seed in [0, 2**63 - 1], got {text!r}')
    return value


def writable_path(text):
    """An argparse type: a file path the script will be able to write (checked before any work).

    Its folder must exist (or be creatable) and be writable; the path itself, if it exists, must
    be a regular file the user may write (never a folder, a device such as /dev/null, a pipe or a
    socket, which a save would replace).  Nothing is written while checking.  An empty text
    means "no file" (``--plot ''`` turns off a plot that is drawn by default).
    """
    if not text:
        return text
    path = os.path.abspath(text)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f'{text!r} is a folder; give a file name')
    if os.path.lexists(path):
        if not os.path.isfile(path):
            raise argparse.ArgumentTypeError(f'{text!r} exists and is not a regular file (a device, '
                                             'a pipe or a socket); give the path of a regular file')
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f'cannot write {text!r}: the file is not writable')
    existing = os.path.dirname(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise argparse.ArgumentTypeError(f'cannot write {text!r}: {existing!r} is a file, not a folder')
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f'cannot write {text!r}: folder {existing!r} is not writable')
    return text


PLOT_FORMATS = ('png', 'pdf', 'svg', 'jpg', 'jpeg')  # what the scripts' figures are saved as


def plot_path(text):
    """An argparse type: ``writable_path`` whose extension names an image format matplotlib
    writes (.png, .pdf, .svg, .jpg), checked before any work: 'out.txt' or 'noext' is refused
    at once instead of after training."""
    text = writable_path(text)
    if text:
        extension = os.path.splitext(text)[1][1:].lower()
        if extension not in PLOT_FORMATS:
            raise argparse.ArgumentTypeError(
                f'{text!r}: a plot is saved as ' + ', '.join('.' + f for f in PLOT_FORMATS)
                + (f', not .{extension}' if extension else '; add one of these extensions'))
    return text


class DefaultPath(str):
    """A file a script writes although the command line did not name it: a flag's default.

    A default never replaces an existing file (the run stops at once, exit status 2, naming the
    file and the flag); a path the user names is theirs to replace.  ``make_parser`` makes the
    defaults of its output flags DefaultPaths, and its parser checks them (``default_output``).
    """


DEFAULT_OUTPUT_HELP = ('; written by default, but never over an existing file: name the file with '
                       'this flag to replace it')


def default_output(parser, flag, path):
    """``path``, a file the script writes by default (the user left ``flag`` out), checked as
    ``writable_path`` checks a named one: if it exists, or cannot be written, the script ends
    (exit status 2) with a message naming the file and ``flag``."""
    if os.path.lexists(path):
        parser.error(f'argument {flag}: {path!r} exists and the run would write over it by default; '
                     f'pass {flag} {path} to replace it, or {flag} OTHER_PATH to keep it')
    try:
        return writable_path(path)
    except argparse.ArgumentTypeError as error:
        parser.error(f'argument {flag}: {error}')


def check_heads(parser, d_model, num_heads):
    """End the script (exit 2) unless --d-model is a multiple of --num-heads."""
    if d_model % num_heads:
        parser.error(f'--d-model {d_model} must be divisible by --num-heads {num_heads} (each '
                     'attention head gets d_model / num_heads features)')


def words_to_ids(parser, flag, words, word_to_id):
    """The ids of the ``words`` given with ``flag``; no word, or one outside the vocabulary, ends
    the script (exit status 2) with a message naming the flag and the word."""
    if not words:
        parser.error(f'argument {flag}: give at least one word')
    unknown = [word for word in words if word not in word_to_id]
    if unknown:
        parser.error(f'argument {flag}: {unknown[0]!r} is not in the vocabulary ({len(word_to_id)} words); '
                     'check the spelling (words are lower-case)')
    return [word_to_id[word] for word in words]


def load_or_exit(load, path, *args):
    """``load(path, *args)`` for a script: a file that cannot be used (missing, damaged, of
    another model or run) ends the script with its one-line message instead of a traceback."""
    try:
        return load(path, *args)
    except (ValueError, OSError) as error:
        raise SystemExit(f'error: {error}') from None


def check_tokens_for_one_batch(parser, tokens, batch_size, time_size):
    """End the script (exit 2) when a corpus of ``tokens`` words (inputs and targets: tokens - 1
    positions) holds less than one truncated-BPTT batch of batch_size x time_size."""
    if tokens - 1 < batch_size * time_size:
        parser.error(f'the corpus has {tokens} tokens, fewer than one batch needs '
                     f'(--batch-size {batch_size} x --time-size {time_size} = '
                     f'{batch_size * time_size}, plus one)')


COMMON_FLAGS = {
    'epochs': (positive_int, 'number of training epochs'),
    'batch_size': (positive_int, 'mini-batch size'),
    'lr': (positive_float, 'learning rate'),
    'seed': (seed_int, 'seed of the random number generator (initial weights, shuffling, sampling)'),
    'save': (writable_path, 'write the model to this .npz file (a training script: the whole run, '
                            'after every epoch, for --load to continue it)'),
    'load': (str, 'read the model from this .npz file (a training script continues the run that '
                  '--save wrote there)'),
    'plot': (plot_path, 'save the plot to this PNG file'),
}
GPU_HELP = ('train on the GPU with CuPy (pip install cupy-cuda12x, the wheel for your CUDA); '
            'checkpoints are the same .npz files on either device')


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """--help keeps the script docstring's layout (its example commands) and shows defaults."""


class ScriptParser(argparse.ArgumentParser):
    """The parser of a chapter script.  After parsing, an output flag left at its default (a
    ``DefaultPath``) must not name an existing file (``default_output``).  The size flags of the
    parsed command line are kept in ``size_flags`` for the out-of-memory message of ``run_main``.
    """
    size_flags = ''

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        for action in self._actions:
            value = getattr(namespace, action.dest, None)
            if isinstance(value, DefaultPath) and value:
                default_output(self, action.option_strings[-1], value)
        ScriptParser.size_flags = ' '.join(
            f'{action.option_strings[-1]} {getattr(namespace, action.dest)}'
            for action in self._actions if action.type in SIZE_TYPES)
        return namespace, extras


def run_main(main, argv=None):
    """Run a script's ``main(argv)`` from the command line (its ``if __name__ == '__main__':`` line).

    An error about the reader's data, files or machine (an OSError: PTB files not found, a failed
    download, a full disk; a MemoryError: sizes too large together) ends the script with one line
    on stderr and exit status 1, not a traceback; anything else (a bug) keeps its traceback.  A
    call of ``main`` from Python or Jupyter raises the error as usual.
    """
    prog = os.path.basename(sys.argv[0]) or 'script'
    try:
        return main(argv)
    except MemoryError as error:
        sizes = ScriptParser.size_flags
        advice = f': choose smaller sizes than {sizes}' if sizes else ''
        print(f'{prog}: error: not enough memory ({error or "MemoryError"}){advice}', file=sys.stderr)
    except OSError as error:
        print(f'{prog}: error: {error}', file=sys.stderr)
    raise SystemExit(1)


def make_parser(description, **defaults):
    """An ArgumentParser with ``--quiet`` and the common flags named in ``defaults``.

    make_parser(__doc__, epochs=300, lr=1.0, plot='loss.png') adds --epochs, --lr and --plot
    with those defaults (a None default means "off unless given"; an output file given as a
    default is a ``DefaultPath``, which never replaces an existing file).  ``gpu=False`` adds the
    switch --gpu (use ``on_device`` on the model).  Scripts add their own flags.
    """
    parser = ScriptParser(description=description, formatter_class=_HelpFormatter)
    if defaults.pop('gpu', None) is not None:
        parser.add_argument('--gpu', action=_GpuFlag, help=GPU_HELP)
    for name, default in defaults.items():
        if name not in COMMON_FLAGS:
            raise ValueError(f'unknown common flag {name!r}; known: {sorted(COMMON_FLAGS)}')
        kind, help_text = COMMON_FLAGS[name]
        if kind in (writable_path, plot_path) and default:  # an output written unless the user names another
            default, help_text = DefaultPath(default), help_text + DEFAULT_OUTPUT_HELP
        parser.add_argument('--' + name.replace('_', '-'), type=kind, default=default, help=help_text)
    parser.add_argument('--quiet', action='store_true', help='print only the final results')
    return parser


def add_corpus_flags(parser):
    """--max-tokens, --eval-tokens, --eval-interval: the corpus slices and progress lines of a
    language-model training script."""
    parser.add_argument('--max-tokens', type=positive_int, help='train on the first N tokens of PTB only')
    parser.add_argument('--eval-tokens', type=eval_tokens,
                        help='measure perplexities on the first N tokens of the corpus only (at least 11)')
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


class _GpuFlag(argparse.Action):
    """The switch --gpu, checked as it is parsed: without CuPy or a visible device the script
    stops at once (exit status 2, the message naming the package to install), before any work."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            device_module()
        except RuntimeError as error:
            parser.error(str(error))
        setattr(namespace, self.dest, True)


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

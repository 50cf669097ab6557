"""What the seq2seq training scripts share (chapter 7, and ch08_attention.train): flags, data, the
epoch loop with test accuracy, plots.

Each epoch trains on all questions (Adam, gradient clipping, reshuffled), then decodes the whole
test set greedily in batches (``seq2seq_accuracy``) and prints the accuracy, as the book's
ch07/train_seq2seq.py and ch08/train.py do (they decode one question at a time).
"""
import argparse
import time

from common.evaluation import eval_seq2seq, seq2seq_accuracy
from common.optimizer import Adam, WarmupCosineSchedule
from common.plot import plot_curves
from common.trainer import Trainer
from dataset import sequence
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (beam_width, make_parser, model_width, on_device,
                           positive_float, positive_int)


def seq2seq_parser(description, data, epochs, hidden_size=None, reverse=False, lr=0.001):
    """make_parser with the book's settings for ``data`` and the flags of the seq2seq scripts.

    hidden_size: default of --hidden-size, with --wordvec-size, for the LSTM models; None for a
    model that adds flags for its own sizes.
    """
    parser = make_parser(description + '\n' + CHECKPOINT_HELP, epochs=epochs, batch_size=128, lr=lr,
                         seed=1984, save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--data', type=data_set, default=data,
                        help="toy data set: addition.txt, date.txt (generated), or the path of a file "
                             "in the book's format ('16+75  _91  ' per line)")
    if hidden_size is not None:
        parser.add_argument('--wordvec-size', type=model_width, default=16,
                            help='size of the character vectors')
        parser.add_argument('--hidden-size', type=model_width, default=hidden_size,
                            help='size of the LSTM states')
    parser.add_argument('--max-grad', type=positive_float, default=5.0,
                        help='clip gradients to this global norm')
    parser.add_argument('--reverse', action=argparse.BooleanOptionalAction, default=reverse,
                        help='feed the questions reversed (book section 7.3.1)')
    parser.add_argument('--beam-width', type=beam_width, default=1,
                        help='after training, also decode the test set with beam search of this width '
                             'and compare with greedy decoding')
    parser.add_argument('--train-size', type=positive_int, help='train on the first N questions only')
    parser.add_argument('--test-size', type=positive_int, help='test on the first N test questions only')
    return parser


def data_set(text):
    """An argparse type: a data set dataset.sequence.load_data accepts (it is read or generated here,
    so a missing file or a malformed line stops the script before any work)."""
    try:
        sequence.get_vocab(text)
    except (ValueError, OSError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def load_seq2seq_data(args):
    """((x_train, t_train), (x_test, t_test)), char_to_id, id_to_char for the script's flags."""
    (x_train, t_train), (x_test, t_test) = sequence.load_data(args.data)
    if args.reverse:
        x_train, x_test = x_train[:, ::-1], x_test[:, ::-1]
    train = x_train[:args.train_size], t_train[:args.train_size]
    test = x_test[:args.test_size], t_test[:args.test_size]
    return (train, test), *sequence.get_vocab(args.data)


class EpochTest:
    """After every epoch: print a few decoded test questions (unless quiet) and the accuracy on the
    whole test set (greedy decoding), kept in ``accuracies`` (an observer of ``fit``)."""

    def __init__(self, model, test, id_to_char, args):
        self.model, self.test, self.id_to_char, self.args = model, test, id_to_char, args
        self.accuracies = []
        self.epoch_start = time.perf_counter()

    def epoch_end(self, trainer):
        train_seconds = time.perf_counter() - self.epoch_start
        x_test, t_test = self.test
        if not self.args.quiet:
            for i in range(min(10, len(x_test))):
                eval_seq2seq(self.model, x_test[[i]], t_test[[i]], self.id_to_char, verbos=True,
                             is_reverse=self.args.reverse)
        self.accuracies.append(seq2seq_accuracy(self.model, x_test, t_test))
        print(f'epoch {trainer.current_epoch}: val acc {self.accuracies[-1] * 100:.3f}% '
              f'(training {train_seconds:.1f}[s])', flush=True)
        self.epoch_start = time.perf_counter()

    def state_dict(self):
        return {'accuracies': list(self.accuracies)}

    def load_state_dict(self, state):
        self.accuracies = list(state['accuracies'])


def train_and_test(model, data, id_to_char, args, rng, warmup_steps=None):
    """Train ``args.epochs`` epochs (shuffled by ``rng``); after each, print samples and the
    test accuracy.  -> list of test accuracies (one per epoch, in [0, 1]).

    Adam runs at the constant rate ``args.lr`` (the book's way), or, with ``warmup_steps``, rises
    linearly to it over that many steps and then decays to 0 at the last step (cosine).
    --save writes the run after every epoch and --load continues it (``harness.checkpoint``).
    """
    (x_train, t_train), test = data
    on_device(model, args.gpu)  # in place: the caller's model is the moved one
    schedule = None
    if warmup_steps is not None:
        total_steps = max(len(x_train) // args.batch_size, 1) * args.epochs
        schedule = WarmupCosineSchedule(args.lr, min(warmup_steps, total_steps), total_steps)
    trainer = Trainer(model, Adam(lr=args.lr), rng=rng, verbose=not args.quiet, lr_schedule=schedule)
    epoch_test = EpochTest(model, test, id_to_char, args)
    checkpoint = start_checkpoint(args, trainer, [epoch_test], interrupt_name='seq2seq_interrupted.npz')
    with checkpoint:
        trainer.fit(x_train, t_train, max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, max_grad=args.max_grad, observers=[epoch_test, checkpoint])
    return epoch_test.accuracies


def report(model, test, accuracies, args, label):
    """What a training script does after training: with ``--beam-width`` > 1, compare beam search
    with greedy decoding on the test set; with ``--plot``, draw the accuracy per epoch."""
    if args.beam_width > 1:
        compare_beam_search(model, *test, args.beam_width)
    if args.plot:
        plot_accuracy(accuracies, args.plot, label)


def compare_beam_search(model, x_test, t_test, beam_width):
    """Print and return the test accuracy of greedy decoding and of beam search.

    -> {'greedy': accuracy, 'beam': accuracy}.
    """
    results = {'greedy': seq2seq_accuracy(model, x_test, t_test),
               'beam': seq2seq_accuracy(model, x_test, t_test, batch_size=250, beam_width=beam_width)}
    print(f"greedy decoding: {results['greedy'] * 100:.3f}% | "
          f"beam search (width {beam_width}): {results['beam'] * 100:.3f}%")
    return results


def plot_accuracy(accuracies, path, label=None):
    """Test accuracy per epoch (the book's figure), saved to ``path`` (PNG) or shown inline; the
    x-axis counts whole epochs, however few."""
    epochs = range(1, len(accuracies) + 1)
    plot_curves({label: (epochs, accuracies)}, 'epochs', 'accuracy', path=path, ylim=(-0.05, 1.05),
                marker='o', legend=bool(label), integer_x=True)

"""Train seq2seq on the addition problems (book sections 7.3-7.4, train_seq2seq.py).

    python -m ch07_seq2seq.train_seq2seq                           # baseline
    python -m ch07_seq2seq.train_seq2seq --reverse                 # reversed input
    python -m ch07_seq2seq.train_seq2seq --reverse --peeky --plot acc.png --beam-width 3

Book settings (the defaults): character vectors of 16, hidden size 128, batch 128, Adam
(lr 0.001), gradients clipped to norm 5, 25 epochs.  The book's code reached, on its data, test
accuracies of about 10% (baseline), 54% (reversed) and 98% (reversed + peeky) after 25 epochs.
"""
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.seq2seq import Seq2seq
from ch07_seq2seq.seq2seq_training import load_seq2seq_data, report, seq2seq_parser, train_and_test
from harness.book_figures import beside_the_book
from harness.flags import make_rng, run_main


# (reversed, peeky) -> the book's test accuracy after 25 epochs
BOOK_ACCURACY = {(False, False): '9.98%', (True, False): '54.06%', (True, True): '98.14%'}


def main(argv=None):
    """Returns ``(model, accuracies)``: the trained model and the test accuracy of every epoch."""
    parser = seq2seq_parser(__doc__, data='addition.txt', epochs=25, hidden_size=128, reverse=False)
    parser.add_argument('--peeky', action='store_true', help='use PeekySeq2seq (book section 7.3.2)')
    args = parser.parse_args(argv)

    rng = make_rng(args.seed)  # initial weights, then the shuffling
    (train, test), char_to_id, id_to_char = load_seq2seq_data(args)
    model_class = PeekySeq2seq if args.peeky else Seq2seq
    model = model_class(len(char_to_id), args.wordvec_size, args.hidden_size, rng=rng)
    accuracies = train_and_test(model, (train, test), id_to_char, args, rng)
    label = ('peeky ' if args.peeky else '') + ('reversed' if args.reverse else 'baseline')
    report(model, test, accuracies, args, label)
    book = BOOK_ACCURACY.get((args.reverse, args.peeky))  # the book has no peeky run without reversal
    if book:
        beside_the_book(parser, args, f'{100 * accuracies[-1]:.2f}% at epoch {len(accuracies)}',
                        f'{book} at epoch 25 (one run of the book; our seeds spread by 10-35 points)',
                        'fewer epochs end lower: the accuracy climbs for all 25 epochs',
                        varied=('reverse', 'peeky'))
    return model, accuracies


if __name__ == '__main__':
    run_main(main)

"""The co-occurrence matrix of the toy corpus and its PPMI matrix (book chapter 2).

    python -m ch02_count.ppmi

PPMI(x, y) = max(0, log2(C(x, y) N / (C(x) C(y)))): how much more often x and y stand together
than they would by chance.  Printed with 3 significant digits, as in the book.
"""
import numpy as np

from ch02_count.toy_corpus import TEXT, load_toy_corpus
from common.util import ppmi
from harness.flags import make_parser, run_main


def main(argv=None):
    """Returns the PPMI matrix (V, V); --quiet prints only it."""
    parser = make_parser(__doc__)
    parser.add_argument('--text', default=TEXT, help='the corpus')
    args = parser.parse_args(argv)

    _, _, _, C = load_toy_corpus(args.text)
    W = ppmi(C)
    with np.printoptions(precision=3):
        if not args.quiet:
            print('co-occurrence matrix')
            print(C)
            print('-' * 50)
        print('PPMI')
        print(W)
    return W


if __name__ == '__main__':
    run_main(main)

"""Dense word vectors for the toy corpus: SVD of its PPMI matrix, plotted in 2-D (book chapter 2).

    python -m ch02_count.count_method_small --plot svd.png

PPMI = U S V^T; the first columns of U are the densest summary of each word's row, so U[:, :2]
places the words in a plane.
"""
import numpy as np

from ch02_count.toy_corpus import TEXT, load_toy_corpus
from common.cli import make_parser
from common.plot import finish_figure, new_figure
from common.util import ppmi


def plot_words(word_vecs, id_to_word, path=None):
    """Scatter the first two coordinates of word_vecs: (V, >=2), each point labelled by its word."""
    fig = new_figure(path)
    ax = fig.add_subplot()
    ax.scatter(word_vecs[:, 0], word_vecs[:, 1], alpha=0.5)
    for i, word in id_to_word.items():
        ax.annotate(word, (word_vecs[i, 0], word_vecs[i, 1]))
    finish_figure(fig, path)


def main(argv=None):
    """Returns U: (V, V), the left singular vectors of the PPMI matrix (word vectors in its rows)."""
    parser = make_parser(__doc__, plot=None)
    parser.add_argument('--text', default=TEXT, help='the corpus')
    args = parser.parse_args(argv)

    _, _, id_to_word, C = load_toy_corpus(args.text)
    W = ppmi(C)
    U, S, Vt = np.linalg.svd(W)
    with np.printoptions(precision=3):
        if not args.quiet:
            print(f'co-occurrence vector of {id_to_word[0]!r}: {C[0]}')
            print(f'PPMI vector of {id_to_word[0]!r}:          {W[0]}')
        print(f'SVD vector of {id_to_word[0]!r}:           {U[0]}')
    if args.plot:
        plot_words(U, id_to_word, path=args.plot)
    return U


if __name__ == '__main__':
    main()

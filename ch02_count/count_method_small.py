"""Dense word vectors for the toy corpus: SVD of its PPMI matrix, plotted in 2-D (book chapter 2).

    python -m ch02_count.count_method_small --plot svd.png

PPMI = U S V^T; the first columns of U are the densest summary of each word's row, so U[:, :2]
places the words in a plane.
"""
import numpy as np

from ch02_count.toy_corpus import TEXT, load_toy_corpus
from common.plot import finish_figure, new_figure
from common.util import ppmi
from harness.flags import make_parser, run_main


def merged_labels(points, id_to_word, tolerance=0.02):
    """One label per spot of a word scatter, so that words on (nearly) the same point stay readable.

    points: (V, 2); a word whose point lies within ``tolerance`` times the larger side of the
    points' bounding box (in each coordinate) of an earlier word's point joins that word's label.
    -> [(row of points, 'goodbye / i'), ...] in the order of ``id_to_word``.
    """
    extent = float(np.ptp(points, axis=0).max()) or 1.0
    groups = {}
    for i, word in id_to_word.items():
        near = [j for j in groups if np.abs(points[j] - points[i]).max() <= tolerance * extent]
        groups.setdefault(near[0] if near else i, []).append(word)
    return [(i, ' / '.join(words)) for i, words in groups.items()]


def plot_words(word_vecs, id_to_word, path=None):
    """Scatter the first two coordinates of word_vecs: (V, >=2), each point labelled by its word
    (words on the same spot share one label, see ``merged_labels``)."""
    points = word_vecs[:, :2]
    fig = new_figure(path)
    ax = fig.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], alpha=0.5)
    for i, label in merged_labels(points, id_to_word):
        ax.annotate(label, points[i])
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
    run_main(main)

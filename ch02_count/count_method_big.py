"""Count-based word vectors for PTB: co-occurrence (window 2) -> PPMI -> truncated SVD (chapter 2).

    python -m ch02_count.count_method_big

The 10,000 x 10,000 PPMI matrix is reduced to 100 dimensions by the randomized SVD of
common.linalg (the book calls scikit-learn's), then the nearest neighbours of a few words are
listed.  The whole run takes seconds; benchmarks/count_method_big.py times each stage.
"""
import time

from common.linalg import randomized_svd
from common.util import create_co_matrix, most_similar, ppmi
from dataset import ptb
from harness.flags import (make_parser, make_rng, model_width, nonnegative_int, positive_int,
                           run_main, words_to_ids)


def main(argv=None):
    """Returns ``{query: [(word, similarity), ...]}`` for every query word."""
    parser = make_parser(__doc__, seed=1984)
    parser.add_argument('--window-size', type=positive_int, default=2, help='context words on each side')
    parser.add_argument('--wordvec-size', type=model_width, default=100, help='dimensions kept by the SVD')
    parser.add_argument('--n-iter', type=nonnegative_int, default=5,
                        help='power iterations of the randomized SVD (0: none)')
    parser.add_argument('--queries', nargs='+', default=['you', 'year', 'car', 'toyota'],
                        help='words whose neighbours are listed')
    parser.add_argument('--top', type=positive_int, default=5, help='neighbours listed per query')
    args = parser.parse_args(argv)
    verbose = not args.quiet
    start = time.perf_counter()

    corpus, word_to_id, id_to_word = ptb.load_data('train')
    words_to_ids(parser, '--queries', args.queries, word_to_id)  # fail now, not after the SVD
    vocab_size = len(word_to_id)
    if verbose:
        print('counting  co-occurrence ...')
    C = create_co_matrix(corpus, vocab_size, args.window_size)
    if verbose:
        print('calculating PPMI ...')
    W = ppmi(C, verbose=verbose)
    del C
    if verbose:
        print('calculating SVD ...')
    word_vecs, _, _ = randomized_svd(W, n_components=args.wordvec_size, n_iter=args.n_iter,
                                     rng=make_rng(args.seed))  # the rows of U
    if verbose:
        print(f'done in {time.perf_counter() - start:.1f}[s]')

    return {query: most_similar(query, word_to_id, id_to_word, word_vecs, top=args.top)
            for query in args.queries}


if __name__ == '__main__':
    run_main(main)

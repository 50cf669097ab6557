"""Fit interpolated modified Kneser-Ney n-gram models on PTB and report their perplexities.

The count-based baseline the RNN language models must beat: each model is counted on the training
corpus and scored, like the neural models, on every token of the valid and test corpora after the
first (``corpus[1:]`` predicted from the words before it).

    python -m ch05_rnn.train_ngram --orders 2 3 4 5
"""
import time

from ch05_rnn.ngram import KneserNeyLM
from dataset.ptb import load_data
from harness.flags import int_in, make_parser, run_main


def main(argv=None):
    """Fit one model per order; returns ``{order: (valid perplexity, test perplexity)}``."""
    parser = make_parser(__doc__)
    parser.add_argument('--order', type=int_in(2, 5), default=5, help='n of the n-gram model (2 to 5)')
    parser.add_argument('--orders', type=int_in(2, 5), nargs='+', metavar='N',
                        help='fit and report each of these orders (overrides --order)')
    args = parser.parse_args(argv)

    corpus, word_to_id, _ = load_data('train')
    corpus_val, _, _ = load_data('valid')
    corpus_test, _, _ = load_data('test')
    vocab_size = len(word_to_id)

    results = {}
    for order in args.orders or [args.order]:
        start = time.perf_counter()
        model = KneserNeyLM(vocab_size, order).fit(corpus)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        results[order] = (model.perplexity(corpus_val), model.perplexity(corpus_test))
        score_time = time.perf_counter() - start
        if not args.quiet:
            print(f'| order {order} | fit {fit_time:.2f}[s] | valid perplexity {results[order][0]:.2f} '
                  f'| test perplexity {results[order][1]:.2f} | scoring {score_time:.2f}[s]')
    if args.quiet:
        for order, (valid_ppl, test_ppl) in results.items():
            print(f'order {order}: valid perplexity {valid_ppl:.2f}, test perplexity {test_ppl:.2f}')
    return results


if __name__ == '__main__':
    run_main(main)

"""Time the Kneser-Ney n-gram model on PTB: fitting, scoring the test corpus, next-word distributions.

    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/ngram.py --orders 2 5

Each figure is the best of ``--repeat`` runs.
"""
import argparse
import time

from ch05_rnn.ngram import KneserNeyLM
from dataset.ptb import load_data
from harness.flags import int_in, positive_int, run_main


def best_time(function, repeat):
    """Shortest wall time of ``repeat`` calls of ``function()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int_in(2, 5), nargs='+', default=[2, 3, 4, 5])
    parser.add_argument('--repeat', type=positive_int, default=3)
    parser.add_argument('--contexts', type=positive_int, default=1000, help='next-word distributions to time')
    args = parser.parse_args(argv)
    corpus, word_to_id, _ = load_data('train')
    corpus_test, _, _ = load_data('test')
    for order in args.orders:
        model = KneserNeyLM(len(word_to_id), order)
        fit = best_time(lambda: model.fit(corpus), args.repeat)
        score = best_time(lambda: model.perplexity(corpus_test), args.repeat)
        contexts = [corpus_test[i:i + order - 1] for i in range(args.contexts)]
        sample = best_time(lambda: [model.next_word_distribution(c) for c in contexts], args.repeat)
        print(f'order {order}: fit {fit:.2f} s ({corpus.size / fit / 1e6:.2f} M tokens/s) | '
              f'test scoring {score:.3f} s ({corpus_test.size / score / 1e3:.0f} k tokens/s) | '
              f'next_word_distribution {sample / len(contexts) * 1e6:.0f} us/call')


if __name__ == '__main__':
    run_main(main)

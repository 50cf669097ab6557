"""Training speed of word2vec on PTB, in words/s, for the book configuration and the fast mode.

    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/word2vec_speed.py --repeat 5

words/s = (contexts, target) pairs trained on / wall time of Trainer.fit, measured by
ch04_fast_w2v.train and ch04_fast_w2v.train_fast themselves (the figure a full run prints).
Each configuration is run --repeat times (one epoch over the first --words words of PTB for the
book configuration, over all of PTB for the fast mode) and the median is printed.  The machine's
load average is printed too: on a shared machine the figures fall with the load.
"""
import argparse
import os
import statistics
import tempfile

from ch04_fast_w2v import train, train_fast
from harness.flags import positive_int, run_main

CONFIGS = {
    'book': ('book configuration: CBOW, batch 100, Adam', train, []),
    'book-skipgram': ('book configuration, skip-gram', train, ['--model', 'skipgram']),
    'fast': ('fast mode: CBOW, 16 segments x 256 targets, RowMeanSGD', train_fast, []),
    'fast-skipgram': ('fast mode: skip-gram, 64 segments x 64 targets, RowMeanSGD', train_fast,
                      ['--model', 'skipgram']),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', choices=list(CONFIGS), default=['book', 'fast'])
    parser.add_argument('--repeat', type=positive_int, default=5, help='runs per configuration')
    parser.add_argument('--words', type=positive_int, default=100_000,
                        help='words of PTB per book-configuration run (the fast mode uses all)')
    args = parser.parse_args(argv)
    print(f'load average before: {os.getloadavg()[0]:.2f} (2 cores)')
    medians = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in args.configs:
            description, script, flags = CONFIGS[name]
            words = [] if name.startswith('fast') else ['--max-words', str(args.words)]
            output = ['--vectors', os.path.join(folder, 'vectors.npz')]
            speeds = [script.main(flags + words + ['--epochs', '1', '--quiet'] + output)[2]
                      for _ in range(args.repeat)]
            medians[name] = statistics.median(speeds)
            runs = ', '.join(f'{s:,.0f}' for s in speeds)
            print(f'{name}: median {medians[name]:,.0f} words/s  ({description}; runs: {runs})')
    print(f'load average after: {os.getloadavg()[0]:.2f}')
    return medians


if __name__ == '__main__':
    run_main(main)

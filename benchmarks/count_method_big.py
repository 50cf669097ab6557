"""Time ch02_count.count_method_big on PTB, stage by stage, and the vectorised PPMI against a loop.

    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/count_method_big.py --repeat 3

1. Stages (load, co-occurrence matrix, PPMI, randomized SVD, their total), each run in a fresh
   interpreter so the PTB file is parsed every time, as in a real run; median of ``--repeat`` runs.
2. The whole script, ``python -m ch02_count.count_method_big --quiet``, wall clock (interpreter
   start, imports and the neighbour lists included); median of ``--repeat`` runs.
3. ``common.util.ppmi`` against the book's double loop over entries, on the co-occurrence
   sub-matrix of the ``--sub-size`` most frequent words: largest difference and speed ratio.
"""
import argparse
import math
import multiprocessing
import statistics
import subprocess
import sys
import time

import numpy as np

from common.linalg import randomized_svd
from common.util import create_co_matrix, ppmi
from dataset import ptb
from harness.flags import positive_int, run_main

STAGES = ('load', 'co-matrix', 'PPMI', 'SVD')


def time_stages(window_size=2, wordvec_size=100, seed=0):
    """Seconds of each stage of count_method_big (one run): {stage: seconds}."""
    times = {}
    start = time.perf_counter()
    corpus, word_to_id, _ = ptb.load_data('train')
    times['load'] = time.perf_counter() - start

    start = time.perf_counter()
    C = create_co_matrix(corpus, len(word_to_id), window_size)
    times['co-matrix'] = time.perf_counter() - start

    start = time.perf_counter()
    W = ppmi(C)
    times['PPMI'] = time.perf_counter() - start
    del C

    start = time.perf_counter()
    randomized_svd(W, wordvec_size, rng=seed)
    times['SVD'] = time.perf_counter() - start
    return times


def ppmi_loop(C, eps=1e-8):
    """The book's reference: PPMI entry by entry, in float64.  C: (V, V) -> (V, V)."""
    C = C.astype(np.float64)
    total = C.sum()
    word_counts = C.sum(axis=0)
    M = np.zeros(C.shape)
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            pmi = math.log2(C[i, j] * total / (word_counts[j] * word_counts[i]) + eps)
            M[i, j] = max(0.0, pmi)
    return M


def compare_ppmi(sub_size, window_size=2):
    """Print the error and the speed ratio of ppmi vs ppmi_loop on a sub_size x sub_size block."""
    corpus, word_to_id, _ = ptb.load_data('train')
    C = create_co_matrix(corpus, len(word_to_id), window_size)
    frequent = np.argsort(-C.sum(axis=0), kind='stable')[:sub_size]
    block = C[np.ix_(frequent, frequent)]
    start = time.perf_counter()
    reference = ppmi_loop(block)
    loop_time = time.perf_counter() - start
    fast_time = min(_seconds(lambda: ppmi(block)) for _ in range(5))
    error = np.abs(ppmi(block) - reference).max()
    print(f'PPMI on the {sub_size} x {sub_size} block of the most frequent words: '
          f'max |vectorised - loop| = {error:.2e} (PPMI values up to {reference.max():.2f})')
    print(f'  double loop {loop_time * 1e3:.1f} ms | vectorised {fast_time * 1e3:.2f} ms '
          f'| {loop_time / fast_time:.0f}x faster')
    full = C.shape[0] ** 2 / sub_size ** 2
    print(f'  the loop over the full {C.shape[0]} x {C.shape[1]} matrix would take about '
          f'{loop_time * full / 60:.0f} min (extrapolated)')


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeat', type=positive_int, default=3, help='runs per median')
    parser.add_argument('--sub-size', type=positive_int, default=300, help='words in the PPMI comparison')
    args = parser.parse_args(argv)

    fresh = multiprocessing.get_context('spawn')
    runs = []
    for _ in range(args.repeat):
        with fresh.Pool(1) as pool:
            runs.append(pool.apply(time_stages))
    medians = {stage: statistics.median(run[stage] for run in runs) for stage in STAGES}
    total = statistics.median(sum(run.values()) for run in runs)
    print(f'stages, median of {args.repeat} runs: '
          + ' | '.join(f'{stage} {seconds:.2f} s' for stage, seconds in medians.items())
          + f' | total {total:.2f} s')

    command = [sys.executable, '-m', 'ch02_count.count_method_big', '--quiet']
    script = statistics.median(
        _seconds(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL))
        for _ in range(args.repeat))
    print(f'whole script ({" ".join(command[1:])}), median of {args.repeat} runs: {script:.2f} s')

    compare_ppmi(args.sub_size)


if __name__ == '__main__':
    run_main(main)

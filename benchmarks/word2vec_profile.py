"""Where the fast mode of chapter 4 spends its time: CPU seconds by stage of a training step.

    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/word2vec_profile.py --model cbow --steps 100

Runs --steps training steps of ch04_fast_w2v's fast mode (its batches of 4096 targets, its optimizer)
under cProfile with a CPU-time clock (so other processes on a shared machine do not count), and
prints the CPU time of each stage: the functions of the step, with the NumPy work they do
themselves ("own" time: the band-matrix products sit in SegmentCBOW.forward/backward, the
score products in the loss).
"""
import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ch04_fast_w2v.fast.segment_cbow import SegmentCBOW  # noqa: E402
from ch04_fast_w2v.fast.segment_model import segment_windows  # noqa: E402
from ch04_fast_w2v.fast.segment_skip_gram import SegmentSkipGram  # noqa: E402
from ch04_fast_w2v.train_fast import BATCH_SIZE, LR, SEGMENT_LENGTH, fast_optimizer  # noqa: E402
from dataset import ptb  # noqa: E402
from harness.flags import positive_int, run_main  # noqa: E402

STAGES = {  # (file suffix, function name) -> stage
    ('layers.py', 'forward'): 'gather embedding rows (Embedding.forward)',
    ('row_sparse_embedding.py', 'sum_rows_by_id'): 'sum gradient rows by id (sort, rank layers, reduceat)',
    ('row_sparse_embedding.py', 'backward'):
        'write row gradients into the tables (RowSparseEmbedding.backward)',
    ('layers.py', 'draw'): 'sample negatives',
    ('checks.py', 'check_ids'): 'check ids (Embedding.forward)',
    ('checks.py', 'check_ndim'): 'check ids (Embedding.forward)',
    ('sparse_optimizer.py', 'step'): 'RowMeanSGD on the touched rows',
    ('sparse_optimizer.py', 'update'): 'RowMeanSGD on the touched rows',
    ('sparse_optimizer.py', 'subtract_rows'): 'RowMeanSGD on the touched rows',
    ('shared_negative_sampling.py', 'forward'): 'scores and loss (forward)',
    ('segment_skip_gram.py', 'forward'): 'scores and loss (forward)',
    ('shared_negative_sampling.py', 'minus_log_sigmoid'): 'scores and loss (forward)',
    ('functions.py', 'sigmoid'): 'gradients of the scores (backward)',
    ('shared_negative_sampling.py', 'backward'): 'gradients of the scores (backward)',
    ('segment_skip_gram.py', 'backward'): 'gradients of the scores (backward)',
    ('segment_cbow.py', 'forward'): 'window means / band products',
    ('segment_cbow.py', 'backward'): 'window means / band products',
    ('segment_cbow.py', 'banded_product'): 'window means / band products',
}


def stage_of(function):
    """The stage of a profiled (path, line, name)."""
    path, _, name = function
    return next((stage for (suffix, fn), stage in STAGES.items()
                 if path.endswith(suffix) and name == fn), 'other (Python, bookkeeping)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', choices=['cbow', 'skipgram'], default='cbow')
    parser.add_argument('--steps', type=positive_int, default=100)
    args = parser.parse_args(argv)
    corpus, word_to_id, _ = ptb.load_data('train')
    rng = np.random.default_rng(0)
    length = SEGMENT_LENGTH[args.model]
    segments = BATCH_SIZE // length  # per batch, as train_fast
    windows, targets = segment_windows(corpus, 5, length)
    model = (SegmentCBOW if args.model == 'cbow' else SegmentSkipGram)(
        len(word_to_id), 100, 5, corpus, rng=rng, shrink_window=True)  # as train_fast
    optimizer = fast_optimizer(model, args.model, LR[args.model], args.steps)

    def train():
        for step in range(args.steps):
            start = step % (len(windows) // segments) * segments  # wraps around after an epoch
            batch = slice(start, start + segments)
            model.forward(windows[batch], targets[batch])
            model.backward()
            optimizer.update(model.params, model.grads)

    profile = cProfile.Profile(timer=time.process_time)
    profile.runcall(train)
    stats = pstats.Stats(profile).stats
    by_stage, total = {}, sum(own for _, _, own, _, _ in stats.values())

    def attribute(function, seconds, depth=0):
        """Book CPU time on the stage of ``function``, or, for NumPy's own code (builtins and
        its Python wrappers), on the stages of its callers in proportion to their calls' time."""
        callers = stats[function][4] if function in stats else {}
        if (function[0] == '~' or f'{os.sep}numpy{os.sep}' in function[0]) and callers and depth < 10:
            weights = {caller: entry[3] for caller, entry in callers.items()}
            for caller, weight in weights.items():
                attribute(caller, seconds * weight / (sum(weights.values()) or 1), depth + 1)
        else:
            by_stage[stage_of(function)] = by_stage.get(stage_of(function), 0.0) + seconds

    for function, (_, _, own, _, _) in stats.items():
        attribute(function, own)
    words = args.steps * segments * length
    print(f'{args.model}: {args.steps} steps, {total:.2f} CPU s = {words / total:,.0f} words per '
          f'CPU second; load average {os.getloadavg()[0]:.2f}')
    for stage, seconds in sorted(by_stage.items(), key=lambda item: -item[1]):
        print(f'  {seconds / args.steps * 1e3:6.2f} ms/step  {seconds / total:6.1%}  {stage}')


if __name__ == '__main__':
    run_main(main)

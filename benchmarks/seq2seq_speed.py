"""Seconds per training epoch of Seq2seq, PeekySeq2seq, AttentionSeq2seq and TransformerSeq2seq,
and of evaluation.

    python benchmarks/seq2seq_speed.py                    # fixed number of steps, extrapolated
    python benchmarks/seq2seq_speed.py --full-epochs 3    # median of 3 real epochs instead

Settings are the book's: addition (Seq2seq, Peeky: vectors 16, hidden 128) and dates (attention:
vectors 16, hidden 256), 45,000 questions, batch 128 -> 351 steps an epoch, Adam, clipping at 5;
the Transformer (ch09) runs with ``train_transformer``'s defaults on both data sets.
One step = forward, backward, gradient clipping and the Adam update (what ``Trainer`` does).
The float32 GEMM rate is printed at the start and at the end, to show how loaded the machine was.

By default each model runs a few warm-up steps, then ``--repeat`` timings of ``--steps`` steps;
the median seconds per step times 351 is printed as s/epoch ("extrapolated").  With
``--full-epochs K`` the script instead times K whole ``Trainer.fit`` epochs and prints their
median.  "CPU" is the process's CPU time for the same work: with OPENBLAS_NUM_THREADS=1 it is
what the epoch takes on one free core even when other jobs share the machine (with more BLAS
threads it adds up their time).  The book's code measured on this machine: 20 s (Seq2seq), 11 s (Peeky), 230 s (attention)
per epoch.  Finally the whole 5,000-question test set is decoded greedily in batches
(``seq2seq_accuracy``) and, for comparison, 200 questions one at a time as the book's loop does
(``eval_seq2seq``), extrapolated to 5,000.
"""
import argparse
import statistics
import time

import numpy as np

from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.seq2seq import Seq2seq
from ch08_attention.attention_seq2seq import AttentionSeq2seq
from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from common.evaluation import eval_seq2seq, seq2seq_accuracy
from common.optimizer import Adam
from common.trainer import Trainer
from common.util import clip_grads
from dataset import sequence
from harness.flags import positive_int, run_main

# name -> (model(vocab_size), data set, sizes, book's seconds per epoch or None)
CASES = {
    'Seq2seq': (lambda V: Seq2seq(V, 16, 128, rng=0), 'addition.txt', 'H=128', 20),
    'Peeky': (lambda V: PeekySeq2seq(V, 16, 128, rng=0), 'addition.txt', 'H=128', 11),
    'Attention': (lambda V: AttentionSeq2seq(V, 16, 256, rng=0), 'date.txt', 'H=256', 230),
    'Transformer': (lambda V: TransformerSeq2seq(V, rng=0), 'date.txt', 'D=64 L=2', None),
    'TransformerAdd': (lambda V: TransformerSeq2seq(V, rng=0), 'addition.txt', 'D=64 L=2', None),
}
BATCH_SIZE = 128


def train_step(model, optimizer, x, t):
    """forward, backward, clip to norm 5, Adam update (the Trainer's step)."""
    model.forward(x, t)
    model.backward()
    clip_grads(model.grads, 5.0)
    optimizer.update(model.params, model.grads)


def timed(run):
    """(wall-clock seconds, CPU seconds of this process) that run() takes."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def seconds_per_epoch_extrapolated(model, x, t, steps, repeat):
    """Median over ``repeat`` runs of the (wall, CPU) seconds per step of ``steps`` steps, times
    the steps of an epoch -> (wall, CPU) seconds per epoch."""
    optimizer = Adam()
    batches = [(x[i * BATCH_SIZE:(i + 1) * BATCH_SIZE], t[i * BATCH_SIZE:(i + 1) * BATCH_SIZE])
               for i in range(steps)]

    def run_steps(some_batches):
        for batch in some_batches:
            train_step(model, optimizer, *batch)

    run_steps(batches[:3])  # warm-up
    timings = [timed(lambda: run_steps(batches)) for _ in range(repeat)]
    steps_per_epoch = len(x) // BATCH_SIZE
    return tuple(statistics.median(column) / steps * steps_per_epoch for column in zip(*timings))


def seconds_per_epoch_measured(model, x, t, epochs):
    """Median (wall, CPU) seconds of ``epochs`` timed Trainer.fit epochs."""
    trainer = Trainer(model, Adam(), rng=0, verbose=False)
    timings = [timed(lambda: trainer.fit(x, t, max_epoch=1, batch_size=BATCH_SIZE, max_grad=5.0))
               for _ in range(epochs)]
    return tuple(statistics.median(column) for column in zip(*timings))


def gemm_gflops(size=512, repeat=20):
    """float32 GEMM rate of this process now: median GFLOP/s of (size, size) @ (size, size)."""
    a, b = np.ones((size, size), np.float32), np.ones((size, size), np.float32)
    a @ b  # warm-up
    seconds = [timed(lambda: a @ b)[0] for _ in range(repeat)]
    return 2 * size ** 3 / statistics.median(seconds) / 1e9


def evaluation_seconds(model, x_test, t_test, id_to_char, one_at_a_time=200):
    """(batched seconds for the whole test set, one-at-a-time seconds extrapolated to it)."""
    start = time.perf_counter()
    seq2seq_accuracy(model, x_test, t_test)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(one_at_a_time):
        eval_seq2seq(model, x_test[[i]], t_test[[i]], id_to_char)
    single = (time.perf_counter() - start) * len(x_test) / one_at_a_time
    return batched, single


def main(argv=None):
    """Returns {name: seconds per epoch}."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', choices=list(CASES), default=list(CASES))
    parser.add_argument('--steps', type=positive_int, default=40, help='steps per timing')
    parser.add_argument('--repeat', type=positive_int, default=3, help='timings per model (median)')
    parser.add_argument('--full-epochs', type=positive_int, help='time this many whole epochs instead')
    args = parser.parse_args(argv)

    print(f'float32 GEMM rate at the start: {gemm_gflops():.0f} GFLOP/s', flush=True)
    results = {}
    for name in args.models:
        make_model, data, sizes, book_seconds = CASES[name]
        (x_train, t_train), (x_test, t_test) = sequence.load_data(data)
        char_to_id, id_to_char = sequence.get_vocab(data)
        model = make_model(len(char_to_id))
        if args.full_epochs:
            seconds, cpu = seconds_per_epoch_measured(model, x_train, t_train, args.full_epochs)
            how = f'median of {args.full_epochs} epochs'
        else:
            seconds, cpu = seconds_per_epoch_extrapolated(model, x_train, t_train, args.steps,
                                                          args.repeat)
            how = f'extrapolated from {args.repeat} x {args.steps} steps'
        results[name] = seconds
        batched, single = evaluation_seconds(model, x_test, t_test, id_to_char)
        book = f'book {book_seconds} s -> {book_seconds / seconds:4.1f}x faster' if book_seconds else 'not in the book'
        print(f'{name:12s} ({data}, {sizes}): {seconds:6.1f} s/epoch, CPU {cpu:6.1f} s ({how}) | {book} '
              f'| test set decoding: batched {batched:.2f} s, one at a time ~{single:.1f} s', flush=True)
    print(f'float32 GEMM rate at the end: {gemm_gflops():.0f} GFLOP/s', flush=True)
    return results


if __name__ == '__main__':
    run_main(main)

"""Time one training step of the chapter-6 LSTM language models against their matrix-product floor.

    python benchmarks/rnnlm_step.py                  # both configurations
    python benchmarks/rnnlm_step.py --config better --steps 10
    python benchmarks/rnnlm_step.py --torch          # also the same step in PyTorch (installed separately)

A step is what RnnlmTrainer does: forward (loss), backward, clip_grads(grads, 0.25), SGD update,
on a float32 batch of 20 sequences x 35 time steps of random word ids (V = 10,000), with the
book's models:

- rnnlm:  ch06_lstm.rnnlm.Rnnlm: TimeEmbedding(D=100) -> TimeLSTM(H=100) -> TimeAffine
          -> TimeSoftmaxWithLoss.
- better: ch06_lstm.better_rnnlm.BetterRnnlm: TimeEmbedding(D=650) -> TimeDropout -> TimeLSTM(650)
          -> TimeDropout -> TimeLSTM(650) -> TimeDropout -> TimeAffine (weights tied with the
          embedding) -> TimeSoftmaxWithLoss.

The floor is the time of the step's matrix products alone: computed (FLOPs / 250 GFLOP/s, the
float32 peak of this 2-core AVX-512 machine) and measured (the same shapes through np.matmul, in
the same run, alternating with the steps).  Other processes share the cores, so every figure is a
median, and the ratio step / measured floor (median of the ratios of neighbouring runs) is the
number to compare between runs.  With --torch, PyTorch's step (benchmarks/torch_reference.py)
is timed in the same loop and ``ours / PyTorch`` is the median of the ratios of neighbouring steps.
The first line printed says which OpenBLAS kernels were asked for (see benchmarks/README.md).
"""
import argparse
import os
import statistics
import time

import numpy as np

from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from common.optimizer import SGD
from common.util import clip_grads
from harness.flags import nonnegative_int, positive_int, run_main, seed_int
from harness.memory import reuse_freed_memory

CONFIGS = {  # name: (model class, its arguments, number of LSTM layers)
    'rnnlm': (Rnnlm, dict(vocab_size=10000, wordvec_size=100, hidden_size=100), 1),
    'better': (BetterRnnlm, dict(vocab_size=10000, wordvec_size=650, hidden_size=650,
                                 dropout_ratio=0.5), 2),
}
BATCH_SIZE, TIME_SIZE, LR, MAX_GRAD = 20, 35, 20.0, 0.25
PEAK_GFLOPS = 250
SETTLE_SECONDS = 0.3  # pause between our step and PyTorch's: idle BLAS/OpenMP threads spin for a while


def train_step(model, optimizer, xs, ts):
    """One step of RnnlmTrainer: loss, gradients, global-norm clipping, SGD update."""
    loss = model.forward(xs, ts)
    model.backward()
    clip_grads(model.grads, MAX_GRAD)
    optimizer.update(model.params, model.grads)
    return loss


def gemm_shapes(vocab_size, wordvec_size, hidden_size, lstm_layers):
    """[(m, k, n, count)]: the matrix products (m, k) x (k, n) of one training step."""
    NT, N, T, V, H = BATCH_SIZE * TIME_SIZE, BATCH_SIZE, TIME_SIZE, vocab_size, hidden_size
    shapes = []
    for k in range(lstm_layers):
        D = wordvec_size if k == 0 else H
        shapes += [(NT, D, 4 * H, 1),   # xs Wx for all steps
                   (N, H, 4 * H, T),    # h_prev Wh, one per step
                   (N, 4 * H, H, T),    # dA_t Wh^T, one per step
                   (D, NT, 4 * H, 1),   # dWx = xs^T dA
                   (H, NT, 4 * H, 1),   # dWh = h_prevs^T dA
                   (NT, 4 * H, D, 1)]   # dxs = dA Wx^T
    shapes += [(NT, H, V, 1), (H, NT, V, 1), (NT, V, H, 1)]  # Affine forward, dW, dx
    return shapes


def gemm_operands(shapes, rng):
    """Random float32 operands and output buffers for every product in ``shapes``."""
    return [(rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32),
             np.empty((m, n), dtype=np.float32), count) for m, k, n, count in shapes]


def time_gemms(operands):
    """Seconds the products of one step take through np.matmul."""
    start = time.perf_counter()
    for a, b, out, count in operands:
        for _ in range(count):
            np.matmul(a, b, out=out)
    return time.perf_counter() - start


def bench(name, steps, warmup, seed, with_torch):
    """Alternate training steps, GEMM-floor runs (and PyTorch steps) so all see the same load; medians."""
    model_class, sizes, lstm_layers = CONFIGS[name]
    rng = np.random.default_rng(seed)
    model = model_class(**sizes, rng=rng)
    optimizer = SGD(LR)
    V = sizes['vocab_size']
    batches = [(rng.integers(0, V, (BATCH_SIZE, TIME_SIZE)), rng.integers(0, V, (BATCH_SIZE, TIME_SIZE)))
               for _ in range(4)]
    shapes = gemm_shapes(sizes['vocab_size'], sizes['wordvec_size'], sizes['hidden_size'], lstm_layers)
    operands = gemm_operands(shapes, rng)
    torch_step = make_torch_step(sizes, lstm_layers) if with_torch else None
    step_times, gemm_times, torch_times = [], [], []
    for step in range(warmup + steps):
        xs, ts = batches[step % len(batches)]
        step_times.append(seconds(train_step, model, optimizer, xs, ts))
        gemm_times.append(time_gemms(operands))
        if torch_step:
            time.sleep(SETTLE_SECONDS)
            torch_times.append(seconds(torch_step, xs, ts))
            time.sleep(SETTLE_SECONDS)
    step_times, gemm_times, torch_times = step_times[warmup:], gemm_times[warmup:], torch_times[warmup:]
    step_time, floor = statistics.median(step_times), statistics.median(gemm_times)
    ratio = statistics.median(s / g for s, g in zip(step_times, gemm_times))
    flops = sum(2 * m * k * n * count for m, k, n, count in shapes)
    computed = flops / (PEAK_GFLOPS * 1e9)
    print(f'{name:6s}: step {step_time * 1e3:7.1f} ms (median of {steps}; min {min(step_times) * 1e3:.1f}) | '
          f'GEMM floor: computed {computed * 1e3:.1f} ms ({flops / 1e9:.1f} GFLOP at {PEAK_GFLOPS} GFLOP/s), '
          f'measured {floor * 1e3:.1f} ms ({flops / floor / 1e9:.0f} GFLOP/s) | '
          f'step / measured floor {ratio:.2f}', flush=True)
    if torch_step:
        torch_ratio = statistics.median(s / t for s, t in zip(step_times, torch_times))
        print(f'{"":6s}  PyTorch step {statistics.median(torch_times) * 1e3:7.1f} ms (median) | '
              f'ours / PyTorch {torch_ratio:.2f}', flush=True)


def seconds(function, *args):
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def make_torch_step(sizes, lstm_layers):
    """The same training step in PyTorch (benchmarks/torch_reference.py), on as many threads as BLAS."""
    from torch_reference import TorchTrainStep
    return TorchTrainStep(sizes['vocab_size'], sizes['wordvec_size'], sizes['hidden_size'], lstm_layers,
                          sizes.get('dropout_ratio', 0.0), LR, MAX_GRAD,
                          threads=int(os.environ.get('OPENBLAS_NUM_THREADS', os.cpu_count())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', choices=[*CONFIGS, 'all'], default='all')
    parser.add_argument('--steps', type=positive_int, default=20, help='timed steps (after the warm-up)')
    parser.add_argument('--warmup', type=nonnegative_int, default=3,
                        help='untimed steps first (0: none)')
    parser.add_argument('--seed', type=seed_int, default=0)
    parser.add_argument('--malloc-default', action='store_true',
                        help="leave glibc's malloc thresholds alone (the training scripts raise them with "
                             'harness.memory.reuse_freed_memory, as this benchmark does by default)')
    parser.add_argument('--torch', action='store_true',
                        help='also time the same step in PyTorch (must be installed) and print ours / PyTorch')
    args = parser.parse_args(argv)
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset: OpenBLAS picks by CPU)')}")
    if not args.malloc_default:
        print(f'freed memory kept for reuse (as the training scripts ask): {reuse_freed_memory()}')
    for name in CONFIGS if args.config == 'all' else [args.config]:
        bench(name, args.steps, args.warmup, args.seed, args.torch)


if __name__ == '__main__':
    run_main(main)

"""Time one training step of the chapter-9 GPT against its matrix-product floor (and PyTorch).

    python benchmarks/gpt_step.py                  # train_gpt's default configuration
    python benchmarks/gpt_step.py --torch          # also the same step in PyTorch (installed separately)
    python benchmarks/gpt_step.py --d-model 128 --num-layers 2 --steps 10

A step is what WindowTrainer does: forward (loss), backward, clip_grads(grads, max_grad), AdamW
update, on a float32 batch of random word ids (V = 10,000), with ch09_transformer.gpt.GPT in the
configuration of train_gpt's defaults (flags override it).  The floor is the time of the step's
matrix products alone, measured with np.matmul on the same shapes in the same run (alternating
with the steps, like everything here, so all see the same load); ``step / floor`` is the median
of the ratios of neighbouring runs.  With --torch, the PyTorch twin (benchmarks/torch_gpt.py,
the same weights, dropout and AdamW) is timed in the same loop and ``ours / PyTorch`` is the
median of the ratios of neighbouring steps.
"""
import argparse
import os
import statistics
import time

import numpy as np

from ch09_transformer.gpt import GPT
from ch09_transformer.train_gpt import SHAPE_FLAGS, STEP_DEFAULTS, add_step_flags
from common.optimizer import AdamW
from common.util import clip_grads
from harness.flags import make_parser, nonnegative_int, positive_int, run_main
from harness.memory import reuse_freed_memory
from rnnlm_step import SETTLE_SECONDS, gemm_operands, seconds, time_gemms


def train_step(model, optimizer, xs, ts, max_grad):
    """One step of WindowTrainer: loss, gradients, global-norm clipping, AdamW update."""
    loss = model.forward(xs, ts)
    model.backward()
    clip_grads(model.grads, max_grad)
    optimizer.update(model.params, model.grads)
    return loss


def gemm_shapes(vocab_size, context_size, d_model, num_heads, num_layers, d_ff, batch_size):
    """[(m, k, n, count)]: the matrix products (m, k) x (k, n) of one training step."""
    NT, T, D, F, V = batch_size * context_size, context_size, d_model, d_ff, vocab_size
    d, heads = D // num_heads, batch_size * num_heads
    per_layer = [(NT, D, D, 4), (D, NT, D, 4), (NT, D, D, 4),  # q, k, v, o: forward, dW, dx
                 (NT, D, F, 1), (D, NT, F, 1), (NT, F, D, 1),  # W1: forward, dW, dx
                 (NT, F, D, 1), (F, NT, D, 1), (NT, D, F, 1),  # W2: forward, dW, dx
                 (T, d, T, 2 * heads),                        # scores q k^T; dA = dc v^T
                 (T, T, d, 4 * heads)]                        # A v; dv = A^T dc; dq = dS k; dk = dS^T q
    return per_layer * num_layers + [(NT, D, V, 1), (D, NT, V, 1), (NT, V, D, 1)]  # output layer


def bench(args, with_torch):
    sizes = {key: getattr(args, key) for key in SHAPE_FLAGS}
    rng = np.random.default_rng(args.seed)
    model = GPT(10000, **sizes, dropout_ratio=args.dropout, rng=rng)
    torch_step = make_torch_step(model, args) if with_torch else None  # same initial weights
    optimizer = AdamW(args.lr, weight_decay=args.weight_decay)
    N, T = args.batch_size, args.context_size
    batches = [(rng.integers(0, 10000, (N, T)), rng.integers(0, 10000, (N, T))) for _ in range(4)]
    shapes = gemm_shapes(10000, **sizes, batch_size=N)
    operands = gemm_operands(shapes, rng)
    step_times, gemm_times, torch_times = [], [], []
    for step in range(args.warmup + args.steps):
        xs, ts = batches[step % len(batches)]
        step_times.append(seconds(train_step, model, optimizer, xs, ts, args.max_grad))
        gemm_times.append(time_gemms(operands))
        if torch_step:
            time.sleep(SETTLE_SECONDS)
            torch_times.append(seconds(torch_step, xs, ts))
            time.sleep(SETTLE_SECONDS)
    step_times, gemm_times, torch_times = (t[args.warmup:] for t in (step_times, gemm_times, torch_times))
    flops = sum(2 * m * k * n * count for m, k, n, count in shapes)
    floor = statistics.median(gemm_times)
    print(f'GPT {sizes}, batch {N}, dropout {args.dropout}: {sum(p.size for p in model.params):,} parameters')
    print(f'step {statistics.median(step_times) * 1e3:.1f} ms (median of {args.steps}; min '
          f'{min(step_times) * 1e3:.1f}) | GEMM floor {floor * 1e3:.1f} ms ({flops / 1e9:.1f} GFLOP, '
          f'measured {flops / floor / 1e9:.0f} GFLOP/s) | step / floor '
          f'{statistics.median(s / g for s, g in zip(step_times, gemm_times)):.2f}', flush=True)
    if torch_step:
        print(f'PyTorch step {statistics.median(torch_times) * 1e3:.1f} ms (median) | ours / PyTorch '
              f'{statistics.median(s / t for s, t in zip(step_times, torch_times)):.2f}', flush=True)


def make_torch_step(model, args):
    """The twin's step (benchmarks/torch_gpt.py), on as many threads as BLAS."""
    from torch_gpt import TorchGPTStep
    return TorchGPTStep(model, args.dropout, args.lr, args.weight_decay, args.max_grad,
                        threads=int(os.environ.get('OPENBLAS_NUM_THREADS', os.cpu_count())))


def main(argv=None):
    parser = make_parser(__doc__, **STEP_DEFAULTS)
    add_step_flags(parser)
    parser.add_argument('--steps', type=positive_int, default=20, help='timed steps (after the warm-up)')
    parser.add_argument('--warmup', type=nonnegative_int, default=3, help='untimed steps first (0: none)')
    parser.add_argument('--torch', action='store_true',
                        help='also time the same step in PyTorch (must be installed) and print ours / PyTorch')
    args = parser.parse_args(argv)
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset: OpenBLAS picks by CPU)')}")
    print(f'freed memory kept for reuse (as the training scripts ask): {reuse_freed_memory()}')
    bench(args, args.torch)


if __name__ == '__main__':
    run_main(main)

"""This machine's float32 matrix-product (GEMM) rate: the figure the README's timings are tied to.

    python benchmarks/gemm_rate.py                        # 5 rounds of 20 (2048, 2048) @ (2048, 2048)
    python benchmarks/gemm_rate.py --rounds 10 --size 1024

A product of two (n, n) matrices costs 2 n^3 floating-point operations.  Each round times
``--repeat`` products after one warm-up and prints their median rate in GFLOP/s; the last line
gives the best round.  On a machine shared with other work the best round is the closest to what
the cores can do, so that is the figure to compare with the README's machine table.  Most of a
training step is matrix products, so a machine with half our rate needs about twice our times.

Also printed: the CPU model, whether it has AVX-512 (OpenBLAS's fastest x86 kernels), the number of
CPUs, the load average, and ``OPENBLAS_CORETYPE`` when it is set (it forces OpenBLAS's kernels).
"""
import argparse
import os
import platform
import statistics
import time

import numpy as np

from harness.flags import int_in, run_main


def cpu_description():
    """'model name (family F, model M), AVX-512 | AVX2 | ..., N CPUs' from /proc/cpuinfo.

    Where there is no /proc/cpuinfo (not Linux) only the platform's processor name is given."""
    model, family, flags = platform.processor() or platform.machine(), {}, set()
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(':')
                if key.strip() == 'model name':
                    model = value.strip()
                elif key.strip() in ('cpu family', 'model'):
                    family[key.strip()] = value.strip()
                elif key.strip() == 'flags':
                    flags = set(value.split())
    except OSError:
        pass
    if not flags:
        vector = 'vector extensions unknown'
    else:
        vector = 'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'no AVX2'
    if len(family) == 2:
        model += f" (family {family['cpu family']}, model {family['model']})"
    return f'{model}, {vector}, {os.cpu_count()} CPUs'


def gemm_gflops(size, repeat):
    """Median GFLOP/s of ``repeat`` float32 products (size, size) @ (size, size), after a warm-up."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = a @ b
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        seconds.append(time.perf_counter() - start)
    return 2 * size ** 3 / statistics.median(seconds) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int_in(1, 16384), default=2048, help='n of the (n, n) matrices')
    parser.add_argument('--repeat', type=int_in(1, 10_000), default=20, help='timed products per round')
    parser.add_argument('--rounds', type=int_in(1, 1_000), default=5, help='rounds; the best is reported')
    args = parser.parse_args(argv)

    print(cpu_description())
    if os.environ.get('OPENBLAS_CORETYPE'):
        print(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} (OpenBLAS's kernels are forced)")
    rates = []
    for round_number in range(1, args.rounds + 1):
        rates.append(gemm_gflops(args.size, args.repeat))
        print(f'round {round_number}: {rates[-1]:.0f} GFLOP/s (median of {args.repeat} products, '
              f'load average {os.getloadavg()[0]:.2f})', flush=True)
    print(f'float32 GEMM ({args.size} x {args.size}): best round {max(rates):.0f} GFLOP/s, '
          f'median round {statistics.median(rates):.0f} GFLOP/s')


if __name__ == '__main__':
    run_main(main)

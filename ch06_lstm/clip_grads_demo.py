"""Gradient clipping by the global norm (book section 6.1.4, clip_grads.py).

    python -m ch06_lstm.clip_grads_demo

If |g| = sqrt(sum over all gradients of g^2) exceeds max_norm, every gradient is multiplied by
max_norm / |g|: the direction of the whole gradient is kept, its length becomes max_norm.
"""
import numpy as np

from common.util import clip_grads
from harness.flags import make_parser, make_rng, positive_float, run_main


def global_norm(grads):
    """sqrt(sum of g^2 over all arrays in ``grads``) -> float."""
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


def main(argv=None):
    """Returns ``(grads before, grads after, norm before, norm after)``."""
    parser = make_parser(__doc__, seed=1984)
    parser.add_argument('--max-norm', type=positive_float, default=5.0, help='clip to this global norm')
    args = parser.parse_args(argv)
    rng = make_rng(args.seed)

    before = [rng.random((3, 3)) * 10, rng.random((3, 3)) * 10]  # the book's two 3x3 gradients
    after = [g.copy() for g in before]
    clip_grads(after, args.max_norm)
    norms = global_norm(before), global_norm(after)

    if not args.quiet:
        for name, grads, norm in (('before', before, norms[0]), ('after', after, norms[1])):
            print(f'{name} clipping (global norm {norm:.3f}):')
            for g in grads:
                print(np.array2string(g, precision=3, suppress_small=True))
    print(f'global norm: {norms[0]:.3f} -> {norms[1]:.3f} (max_norm {args.max_norm})')
    return before, after, *norms


if __name__ == '__main__':
    run_main(main)

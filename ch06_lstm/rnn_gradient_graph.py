"""Exploding and vanishing gradients in a plain RNN (book section 6.1.3, rnn_gradient_graph.py).

    python -m ch06_lstm.rnn_gradient_graph --plot rnn_gradient.png

Backpropagating through T steps of h_t = tanh(h_{t-1} Wh + ...) multiplies the gradient dh by
Wh^T once per step (the tanh' factor can only shrink it further; the book leaves it out, and so
does this demo).  Whether |dh| grows or shrinks exponentially is decided by the size of Wh: here
Wh = scale * N(0, 1) / sqrt(H), whose largest singular value is about 2 * scale.  With scale 2
the norm explodes, with scale 0.5 it vanishes.
"""
import numpy as np

from common.plot import plot_curves
from harness.flags import make_parser, make_rng, model_width, positive_float, positive_int, run_main


def gradient_norms(Wh, time_size, batch_size=2):
    """|dh| after each of ``time_size`` backward steps dh <- dh Wh^T, starting from dh = ones.

    Wh: (H, H) -> norms: (time_size,), norms[t] = sqrt(sum dh^2) / batch_size after t + 1 steps
    (dh: (batch_size, H)), as in the book.
    """
    dh = np.ones((batch_size, Wh.shape[0]))
    norms = []
    for _ in range(time_size):
        dh = dh @ Wh.T
        norms.append(np.sqrt(np.sum(dh ** 2)) / batch_size)
    return np.array(norms)


def main(argv=None):
    """Returns ``{scale: norms (T,)}``."""
    parser = make_parser(__doc__, seed=1984, plot=None)
    parser.add_argument('--time-size', type=positive_int, default=20, help='number of backward steps T')
    parser.add_argument('--hidden-size', type=model_width, default=100, help='size H of the hidden state')
    parser.add_argument('--scales', type=positive_float, nargs='+', default=[2.0, 0.5],
                        help='Wh = scale * N(0, 1) / sqrt(H) for each of these scales')
    args = parser.parse_args(argv)
    rng = make_rng(args.seed)

    results = {}
    for scale in args.scales:
        Wh = scale * rng.standard_normal((args.hidden_size, args.hidden_size)) / np.sqrt(args.hidden_size)
        results[scale] = gradient_norms(Wh, args.time_size)
        largest_singular_value = np.linalg.svd(Wh, compute_uv=False)[0]
        if not args.quiet:
            print(f'scale {scale}: largest singular value of Wh {largest_singular_value:.2f}, '
                  f'|dh| after 1 step {results[scale][0]:.3g}, after {args.time_size} steps '
                  f'{results[scale][-1]:.3g}')

    if args.plot:
        steps = np.arange(1, args.time_size + 1)
        curves = {f'Wh scale {scale}': (steps, norms) for scale, norms in results.items()}
        plot_curves(curves, 'time steps backpropagated', 'norm of dh', path=args.plot, log_y=True,
                    marker='o')
    return results


if __name__ == '__main__':
    run_main(main)

"""Forward propagation only (book chapter 1): a 2-4-3 net, Affine -> Sigmoid -> Affine, scores 10 points.

    python -m ch01_nn.forward_net

As in the book's listing, every weight and bias is drawn from N(0, 1) (not the small training
initialisation), so the scores of the untrained net differ visibly from point to point.
"""
import numpy as np

from ch01_nn.two_layer_net import TwoLayerNet
from harness.flags import make_parser, make_rng, positive_int, run_main


def main(argv=None):
    """Returns the scores: (samples, 3)."""
    parser = make_parser(__doc__, seed=1984)
    parser.add_argument('--samples', type=positive_int, default=10, help='number of random input points')
    args = parser.parse_args(argv)
    rng = make_rng(args.seed)

    x = rng.standard_normal((args.samples, 2))
    model = TwoLayerNet(input_size=2, hidden_size=4, output_size=3, dtype=np.float64)
    for param in model.params:
        param[...] = rng.standard_normal(param.shape)
    scores = model.predict(x)
    if not args.quiet:
        print(scores)
    return scores


if __name__ == '__main__':
    run_main(main)

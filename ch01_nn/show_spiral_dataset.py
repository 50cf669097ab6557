"""Plot the spiral data set of chapter 1: three classes of 100 points.

    python -m ch01_nn.show_spiral_dataset --plot spiral.png
"""
from ch01_nn.spiral_plot import plot_spiral
from dataset import spiral
from harness.flags import make_parser, run_main, seed_int


def main(argv=None):
    """Returns ``(x, t)``: points (300, 2) and one-hot labels (300, 3)."""
    parser = make_parser(__doc__, plot='spiral.png')
    parser.add_argument('--data-seed', type=seed_int, default=1984, help='seed of the spiral noise')
    args = parser.parse_args(argv)

    x, t = spiral.load_data(seed=args.data_seed)
    if not args.quiet:
        print(f'x {x.shape}, t {t.shape}')
    plot_spiral(x, t, path=args.plot)
    return x, t


if __name__ == '__main__':
    run_main(main)

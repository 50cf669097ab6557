"""What the two spiral training scripts share: flags, data and model, and the final report."""
import numpy as np

from ch01_nn.spiral_plot import plot_decision_boundary, plot_loss
from ch01_nn.two_layer_net import TwoLayerNet
from dataset import spiral
from harness.book_figures import beside_the_book
from harness.flags import make_parser, make_rng, model_width, on_device, plot_path, positive_int


def parse_spiral_args(description, argv=None, resumable=False):
    """-> (parser, args), with the book's settings as defaults: 300 epochs, batch 30, SGD lr 1.0,
    hidden size 10.  ``resumable`` adds --save and --load (the run with ``Trainer``)."""
    checkpoint_flags = {'save': None, 'load': None} if resumable else {}
    parser = make_parser(description, epochs=300, batch_size=30, lr=1.0, seed=1984, plot=None,
                         gpu=False, **checkpoint_flags)
    parser.add_argument('--hidden-size', type=model_width, default=10, help='units in the hidden layer')
    parser.add_argument('--eval-interval', type=positive_int, default=10,
                        help='record (and print) the mean loss every this many iterations')
    parser.add_argument('--boundary-plot', metavar='PATH', type=plot_path,
                        help='save the decision regions with the data to this PNG file')
    return parser, parser.parse_args(argv)


def spiral_data_and_model(args):
    """-> (x: (300, 2) float32, t: (300, 3) one-hot, TwoLayerNet, rng seeded with --seed).

    The model's weights come from the rng first, then the rng shuffles.
    """
    rng = make_rng(args.seed)
    x, t = spiral.load_data()
    model = TwoLayerNet(input_size=2, hidden_size=args.hidden_size, output_size=3, rng=rng)
    return x.astype(np.float32), t, on_device(model, args.gpu), rng


def report(parser, args, model, x, t, loss_list, loss_iterations):
    """Print the final loss (beside the book's, at its settings); draw the plots the flags ask for
    (the losses at the iterations where they were recorded)."""
    print(f'final loss {loss_list[-1]:.4f}')
    beside_the_book(parser, args, f'final loss {loss_list[-1]:.4f}', 'loss about 0.1 after 300 epochs',
                    'the loss falls from about 1.10 (chance for 3 classes); 100 epochs end near 0.54, '
                    '150 near 0.29')
    if args.plot:
        plot_loss(loss_list, loss_iterations, path=args.plot)
    if args.boundary_plot:
        plot_decision_boundary(model, x, t, path=args.boundary_plot)

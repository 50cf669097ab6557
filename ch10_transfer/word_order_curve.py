"""Test accuracy against the number of labelled sentences, pre-trained versus from scratch.

    python -m ch10_transfer.word_order_curve --pretrained rnnlm.npz --plot docs/word_order_curve.png
    python -m ch10_transfer.word_order_curve --model bert --num-layers 2 --pretrained bert.npz

For each training-set size (250 ... 8,000 labelled sentences, the same valid and test splits) the
classifier is trained twice with ``word_order_finetune``: once started from the pre-trained checkpoint and
once from random weights.  Any flag that ``word_order_finetune`` knows (sizes, --lr, --epochs, ...) is passed
on unchanged.  The plot is the chapter's picture: how many labels pre-training saves.
"""
from ch10_transfer import word_order_finetune
from common.plot import plot_curves
from harness.flags import make_parser, positive_int, run_main

SIZES = (250, 500, 1000, 2000, 4000, 8000)


def main(argv=None):
    """Returns ``{'pre-trained': [test accuracy per size], 'from scratch': [...], 'sizes': [...]}``."""
    parser = make_parser(__doc__, plot=None)
    parser.add_argument('--pretrained', required=True, help='checkpoint that starts the pre-trained runs')
    parser.add_argument('--sizes', type=positive_int, nargs='+', default=list(SIZES),
                        help='numbers of labelled training sentences (even)')
    args, passed_on = parser.parse_known_args(argv)
    passed_on += ['--quiet'] if args.quiet else []

    results = {'sizes': args.sizes, 'pre-trained': [], 'from scratch': []}
    for size in args.sizes:
        for label, extra in (('pre-trained', ['--pretrained', args.pretrained]), ('from scratch', [])):
            result = word_order_finetune.main(passed_on + extra + ['--train-size', str(size)])
            results[label].append(result['test'])
    print('labelled sentences | ' + ' | '.join(f'{s:6d}' for s in args.sizes))
    for label in ('pre-trained', 'from scratch'):
        print(f'{label:18s} | ' + ' | '.join(f'{100 * a:5.1f}%' for a in results[label]))
    if args.plot:
        plot_curve(results, args.plot)
    return results


def plot_curve(results, path=None):
    """Test accuracy (%) against labelled sentences, pre-trained and from scratch (the chapter's
    picture), saved to ``path`` (PNG) or shown inline.  results: as ``main`` returns them."""
    plot_curves({label: (results['sizes'], [100 * a for a in results[label]])
                 for label in ('pre-trained', 'from scratch')},
                xlabel='labelled training sentences', ylabel='test accuracy (%)', path=path, marker='o')


if __name__ == '__main__':
    run_main(main)

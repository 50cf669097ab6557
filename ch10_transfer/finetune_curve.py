"""SST test accuracy against the number of labelled sentences: pre-trained against the same network
from scratch, and the baselines (the chapter's picture: how many labels pre-training saves).

    python -m ch10_transfer.finetune_curve --model lstm --pretrained lstm_lm.npz --results sst_curve.json
    python -m ch10_transfer.finetune_curve --model bow --results sst_curve.json --plot sst_curve.png

For every label budget (--sizes: 100, 300, 1,000, 3,000 and all 6,920 training sentences) the
classifier is fine-tuned by ``finetune`` on a random sample of that many SST training sentences:
started from --pretrained, and the same network (its sizes and vocabulary) from random weights
(``finetune --scratch``); --model bow and cbow are trained once per budget.  Budgets up to
--seeded-up-to are run with --seeds seeds (seed k draws both the sample of sentences and the
initial weights), larger ones with one.  Every run is tested on the 1,821 test sentences; the
table gives the mean and the range over the seeds.

With --results FILE every finished run is added to FILE (JSON), and a run already there is not
run again: an interrupted curve continues where it stopped, and the curves of several models (one call each)
gather in one file, which --plot draws together.  Any flag ``finetune`` knows (--lr, --epochs,
--dropout, ...) is passed on unchanged.
"""
import json
import os

import numpy as np

from ch10_transfer import finetune
from common.plot import finish_figure, new_figure
from common.temp_files import make_temp_file
from harness.flags import make_parser, positive_int, run_main, writable_path

SIZES = (100, 300, 1000, 3000, 6920)
NAMES = {'lstm': 'LSTM', 'gpt': 'GPT', 'bert': 'BERT', 'bow': 'bag of words (logistic regression)',
         'cbow': 'mean of CBOW vectors'}


def runs(args):
    """[(curve label, budget, seed, extra finetune flags)] that the curve needs, in order."""
    if args.model in finetune.PRE_TRAINED:
        starts = [(f'{NAMES[args.model]} pre-trained', ['--pretrained', args.pretrained]),
                  (f'{NAMES[args.model]} from scratch', ['--pretrained', args.pretrained, '--scratch'])]
    else:
        starts = [(NAMES[args.model], ['--cbow-vectors', args.cbow_vectors] if args.model == 'cbow' else [])]
    planned = []
    for size in args.sizes:
        for seed in range(1, (args.seeds if size <= args.seeded_up_to else 1) + 1):
            for label, extra in starts:
                planned.append((label, size, seed, extra))
    return planned


def load_results(path):
    """{label: {str(budget): {str(seed): test accuracy}}} from ``path`` (empty when it does not exist)."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            results = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f'{path!r} is not a results file of finetune_curve: {error}') from None
    if not isinstance(results, dict):
        raise ValueError(f'{path!r} is not a results file of finetune_curve: it holds no {{label: ...}} object')
    return results


def save_results(path, results):
    """Write ``results`` to ``path`` as JSON through a temporary file renamed over it (an
    interrupted write leaves the previous file whole)."""
    fd, tmp_path = make_temp_file(os.path.abspath(path), '.json.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=1, sort_keys=True)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def summary(results):
    """{label: (budgets, means, lows, highs, seeds per budget)} of ``results``, budgets ascending."""
    rows = {}
    for label, by_size in results.items():
        sizes = sorted(by_size, key=int)
        accuracies = [np.array(list(by_size[size].values())) for size in sizes]
        rows[label] = ([int(s) for s in sizes], [a.mean() for a in accuracies], [a.min() for a in accuracies],
                       [a.max() for a in accuracies], [len(a) for a in accuracies])
    return rows


def print_table(results):
    """Test accuracy (%): one row per curve, one column per budget, 'mean (min-max)' over the seeds."""
    rows = summary(results)
    sizes = sorted({size for row in rows.values() for size in row[0]})
    print(f'{"labelled sentences":36s} | ' + ' | '.join(f'{size:>17,d}' for size in sizes))
    for label, (budgets, means, lows, highs, counts) in rows.items():
        cells = {b: (f'{100 * m:.1f} ({100 * lo:.1f}-{100 * hi:.1f})' if n > 1 else f'{100 * m:.1f}')
                 for b, m, lo, hi, n in zip(budgets, means, lows, highs, counts)}
        print(f'{label:36s} | ' + ' | '.join(f'{cells.get(size, "-"):>17s}' for size in sizes))


def plot_curve(results, path=None):
    """Test accuracy (%) against labelled sentences (log scale), one line per curve at the mean over
    the seeds with the range shaded, a network's run from scratch dashed in the colour of its
    pre-trained run; saved to ``path`` (PNG) or shown inline."""
    fig = new_figure(path, figsize=(7.5, 5))
    ax = fig.add_subplot()
    colors, all_budgets = {}, set()
    for label, (budgets, means, lows, highs, _) in summary(results).items():
        network = label.replace(' pre-trained', '').replace(' from scratch', '')
        color = colors.setdefault(network, f'C{len(colors)}')  # a network's two starts share a colour
        ax.plot(budgets, 100 * np.array(means), marker='o', label=label, color=color,
                linestyle='--' if 'scratch' in label else '-')
        ax.fill_between(budgets, 100 * np.array(lows), 100 * np.array(highs), color=color, alpha=0.15)
        all_budgets.update(budgets)
    ax.set_xscale('log')
    ax.set_xticks(sorted(all_budgets), [f'{budget:,}' for budget in sorted(all_budgets)])
    ax.minorticks_off()
    ax.set_xlabel('labelled training sentences (SST)')
    ax.set_ylabel('test accuracy (%)')
    ax.axhline(50, color='gray', linewidth=0.8)
    ax.legend(fontsize='small')
    finish_figure(fig, path)


def main(argv=None):
    """Returns the results {label: {str(budget): {str(seed): test accuracy}}} (all of --results)."""
    parser = make_parser(__doc__, plot='sst_curve.png')
    parser.add_argument('--model', choices=finetune.MODELS, default='lstm', help='classifier')
    parser.add_argument('--pretrained', help='language-model checkpoint (for lstm, gpt and bert)')
    parser.add_argument('--cbow-vectors', help='word-vector file for --model cbow')
    parser.add_argument('--sizes', type=positive_int, nargs='+', default=list(SIZES),
                        help='numbers of labelled training sentences')
    parser.add_argument('--seeds', type=positive_int, default=3, help='seeds of each budget up to --seeded-up-to')
    parser.add_argument('--seeded-up-to', type=positive_int, default=1000,
                        help='budgets up to this many sentences get --seeds seeds, larger ones one')
    parser.add_argument('--results', type=writable_path,
                        help='JSON file of the finished runs: read first (runs in it are not run again), '
                             'written after every run (default: none kept)')
    args, passed_on = parser.parse_known_args(argv)
    if args.model in finetune.PRE_TRAINED and not args.pretrained:
        parser.error(f'--model {args.model} needs --pretrained: the curve compares it with the same network '
                     'from scratch')
    if args.model == 'cbow' and not args.cbow_vectors:
        parser.error('--model cbow needs --cbow-vectors')
    for flag in ('--task', '--train-size', '--data-seed', '--seed', '--scratch', '--phrases'):
        if any(arg == flag or arg.startswith(flag + '=') for arg in passed_on):
            parser.error(f'{flag} is set by the curve for each run; leave it out')
    passed_on += ['--quiet'] if args.quiet else []
    results = load_or_fail(parser, args.results) if args.results else {}

    for label, size, seed, extra in runs(args):
        done = results.get(label, {}).get(str(size), {})
        if str(seed) in done:
            continue
        result = finetune.main(['--model', args.model, *extra, '--train-size', str(size), '--data-seed', str(seed),
                                '--seed', str(seed), *passed_on])
        results.setdefault(label, {}).setdefault(str(size), {})[str(seed)] = result['test']
        if args.results:
            save_results(args.results, results)
    print_table(results)
    if args.plot:
        plot_curve(results, args.plot)
    return results


def load_or_fail(parser, path):
    """``load_results(path)``, a damaged file ending the script with one line."""
    try:
        return load_results(path)
    except ValueError as error:
        parser.error(f'argument --results: {error}')


if __name__ == '__main__':
    run_main(main)

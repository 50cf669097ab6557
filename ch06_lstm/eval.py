"""Evaluate a saved language model on the PTB validation and test corpora (book's ch06/eval.py).

    python -m ch06_lstm.eval --load rnnlm.npz

The model (SimpleRnnlm, Rnnlm with any cell, BetterRnnlm, ...) and its sizes are rebuilt from
the record in the checkpoint (common.base_model.load_model).
"""

from common.base_model import load_model
from common.evaluation import eval_perplexity
from dataset.ptb import load_data
from harness.flags import eval_tokens, load_or_exit, make_parser, run_main


def load_language_model(path):
    """The recurrent language model saved in ``path``, rebuilt and loaded by ``load_model``.

    ValueError for a model that eval_perplexity cannot run (no ``reset_state``/``predict``).
    """
    model = load_model(path)
    if not (hasattr(model, 'reset_state') and hasattr(model, 'predict')):
        raise ValueError(f'{path!r} holds a {type(model).__name__}, not a recurrent language model '
                         '(one with predict and reset_state, such as Rnnlm or BetterRnnlm)')
    return model


def main(argv=None):
    """Returns ``{'valid': perplexity, 'test': perplexity}``."""
    parser = make_parser(__doc__)
    parser.add_argument('--load', default='rnnlm.npz', help='checkpoint of a recurrent language model (.npz)')
    parser.add_argument('--eval-tokens', type=eval_tokens,
                        help='use only the first N tokens of each corpus (at least 11)')
    args = parser.parse_args(argv)

    model = load_or_exit(load_language_model, args.load)
    results = {}
    for split in ('valid', 'test'):
        corpus = load_data(split)[0][:args.eval_tokens]
        results[split] = eval_perplexity(model, corpus)
        print(f'{split} perplexity: {results[split]:.2f}')
    return results


if __name__ == '__main__':
    run_main(main)

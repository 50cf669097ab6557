"""Evaluate a saved language model on the PTB validation and test corpora (book's ch06/eval.py).

    python -m ch06_lstm.eval --load rnnlm.npz
    python -m ch06_lstm.eval --book-weights Rnnlm.pkl --book-loop     # the book's own trained model

The model (SimpleRnnlm, Rnnlm with any cell, BetterRnnlm, ...) and its sizes are rebuilt from
the record in the checkpoint (common.base_model.load_model), or from the book's own file
(--book-weights: its Rnnlm.pkl or BetterRnnlm.pkl, read safely; --save writes it as our .npz).
The perplexity runs through the whole corpus, its last partial block included; --book-loop
measures as the book's eval does, in blocks of 35 steps with the partial tail skipped.
"""

from ch06_lstm.book_weights import load_book_language_model
from common.base_model import load_model
from common.evaluation import eval_perplexity
from dataset.ptb import load_data
from harness.flags import eval_tokens, load_or_exit, make_parser, require_checkpoint, run_main


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
    parser = make_parser(__doc__, save=None)  # --save: the model as our .npz checkpoint
    parser.add_argument('--load', default='rnnlm.npz', help='checkpoint of a recurrent language model (.npz)')
    parser.add_argument('--book-weights', metavar='FILE.pkl',
                        help="the book's trained Rnnlm.pkl or BetterRnnlm.pkl, in place of --load")
    parser.add_argument('--book-loop', action='store_true',
                        help="blocks of 35 steps, the partial tail skipped, as the book's eval measures")
    parser.add_argument('--eval-tokens', type=eval_tokens,
                        help='use only the first N tokens of each corpus (at least 11)')
    args = parser.parse_args(argv)

    if args.book_weights:
        model = load_or_exit(load_book_language_model, args.book_weights)
    else:
        require_checkpoint(args.load, 'ch06_lstm.train_rnnlm')
        model = load_or_exit(load_language_model, args.load)
    if args.save:
        model.save_params(args.save)
        print(f'wrote {args.save}')
    results = {}
    for split in ('valid', 'test'):
        corpus = load_data(split)[0][:args.eval_tokens]
        results[split] = eval_perplexity(model, corpus, skip_partial=args.book_loop)
        print(f'{split} perplexity: {results[split]:.2f}')
    return results


if __name__ == '__main__':
    run_main(main)

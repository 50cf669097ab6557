"""Evaluate a saved language model on the PTB validation and test corpora (book's ch06/eval.py).

    python -m ch06_lstm.eval --load rnnlm.npz

The model (Rnnlm with an LSTM or GRU, or BetterRnnlm) and its sizes are read from the checkpoint.
"""

from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import CELLS, Rnnlm
from common.base_model import read_checkpoint
from common.cli import eval_tokens, load_or_exit, make_parser
from common.evaluation import eval_perplexity
from dataset.ptb import load_data


def load_model(path, rnnlm_class=Rnnlm, better_class=BetterRnnlm):
    """Build the model saved in ``path`` (by ``save_params``) with the sizes of its arrays, and load it.

    -> ``rnnlm_class`` (an Rnnlm, LSTM or GRU) or ``better_class`` (a BetterRnnlm) as the file
    says (chapter 7 passes its generator subclasses), in the dtype of the file.  ValueError for
    any other file.
    """
    arrays = read_checkpoint(path)
    model_name = str(arrays.get('__model__', 'no model name'))
    embed_W = arrays.get('00.TimeEmbedding.W')
    cells = [cell for cell, (layer, _) in CELLS.items() if f'01.{layer.__name__}.Wh' in arrays]
    if embed_W is not None and model_name in ('BetterRnnlm', 'BetterRnnlmGen'):
        model = better_class(*embed_W.shape, embed_W.shape[1], dtype=embed_W.dtype)  # tied: D = H
    elif embed_W is not None and model_name in ('Rnnlm', 'RnnlmGen') and cells:
        hidden_size = arrays[f'01.{CELLS[cells[0]][0].__name__}.Wh'].shape[0]
        model = rnnlm_class(*embed_W.shape, hidden_size, cells[0], dtype=embed_W.dtype)
    else:
        raise ValueError(f'{path!r} holds {model_name}, not an Rnnlm or BetterRnnlm checkpoint')
    model.load_params(path)
    return model


def main(argv=None):
    """Returns ``{'valid': perplexity, 'test': perplexity}``."""
    parser = make_parser(__doc__)
    parser.add_argument('--load', default='rnnlm.npz',
                        help='checkpoint of Rnnlm or BetterRnnlm (.npz)')
    parser.add_argument('--eval-tokens', type=eval_tokens,
                        help='use only the first N tokens of each corpus (at least 11)')
    args = parser.parse_args(argv)

    model = load_or_exit(load_model, args.load)
    results = {}
    for split in ('valid', 'test'):
        corpus = load_data(split)[0][:args.eval_tokens]
        results[split] = eval_perplexity(model, corpus)
        print(f'{split} perplexity: {results[split]:.2f}')
    return results


if __name__ == '__main__':
    main()

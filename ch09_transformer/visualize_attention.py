"""Heat maps of a trained GPT's attention: every head of every layer over one sentence.

    python -m ch09_transformer.train_gpt --save gpt.npz      (once)
    python -m ch09_transformer.visualize_attention --load gpt.npz --plot gpt_attention.png

Writes one PNG per layer (gpt_attention_layer1.png, ...), one panel per head: row i shows how
much the word at position i (the query) reads each earlier word (the keys); causal attention
leaves the upper triangle empty.  Beyond the book (its figure 8-26 shows seq2seq attention).
"""
import os

import numpy as np

from ch09_transformer.gpt import GPT
from common.backend import to_cpu
from common.plot import finish_figure, new_figure
from dataset.ptb import load_data
from harness.flags import (DEFAULT_OUTPUT_HELP, default_output, load_or_exit, make_parser,
                           plot_path, require_checkpoint, run_main, words_to_ids)

DEFAULT_PLOT = 'gpt_attention.png'


def layer_paths(path, num_layers):
    """'a/att.png' -> ['a/att_layer1.png', ..., 'a/att_layerL.png']."""
    root, ext = os.path.splitext(path)
    return [f'{root}_layer{layer + 1}{ext or ".png"}' for layer in range(num_layers)]


def plot_attention_heads(model, word_ids, words, paths=None):
    """Run the model on one sentence and draw the attention weights of every head, per layer.

    word_ids: (T,) ids, T <= context_size; words: their T labels; paths: one PNG path per layer
    (None: shown inline, one figure per layer).  Returns the weights, one (heads, T, T) per layer.
    """
    model.predict(np.asarray(word_ids).reshape(1, -1))
    weights = [to_cpu(block.self_attention.attention_weights[0]) for block in model.body.blocks]
    for layer, (heads, path) in enumerate(zip(weights, paths or [None] * len(weights))):
        fig = new_figure(path, figsize=(4 * len(heads), 4.4))
        for head, w in enumerate(heads):
            ax = fig.add_subplot(1, len(heads), head + 1)
            ax.imshow(w, cmap='Greys_r', vmin=0, vmax=1)
            ax.set_xticks(range(len(words)), words, rotation=90)
            ax.set_yticks(range(len(words)), words)
            ax.set_title(f'layer {layer + 1}, head {head + 1}')
        finish_figure(fig, path)
    return weights


def main(argv=None):
    """Returns the attention weights, one (heads, T, T) array per layer."""
    parser = make_parser(__doc__)
    parser.add_argument('--plot', metavar='PATH', type=plot_path,
                        help='PNG files to write: PATH_layer1.png, ... (default gpt_attention.png, '
                             'that is gpt_attention_layer1.png, ...' + DEFAULT_OUTPUT_HELP + ')')
    parser.add_argument('--load', default='gpt.npz', help='checkpoint written by train_gpt --save')
    parser.add_argument('--sentence', default='the company said it expects to report a loss for the year',
                        help='the words to read (PTB words, lower case)')
    args = parser.parse_args(argv)

    require_checkpoint(args.load, 'ch09_transformer.train_gpt')
    _, word_to_id, _ = load_data('train')
    model = load_or_exit(GPT.from_checkpoint, args.load)
    words = args.sentence.lower().split()
    if not 1 <= len(words) <= model.context_size:
        parser.error(f'argument --sentence: {len(words)} words; this GPT reads 1 to '
                     f'{model.context_size} (its context size)')
    ids = words_to_ids(parser, '--sentence', words, word_to_id)
    paths = layer_paths(args.plot or DEFAULT_PLOT, len(model.body.blocks))
    if not args.plot:
        paths = [default_output(parser, '--plot', path) for path in paths]
    weights = plot_attention_heads(model, ids, words, paths)
    return weights


if __name__ == '__main__':
    run_main(main)

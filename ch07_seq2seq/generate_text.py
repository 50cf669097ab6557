"""Generate text with a trained Rnnlm (book section 7.1, generate_text.py).

    python -m ch06_lstm.train_rnnlm --save rnnlm.npz      (once: trains the model; it prints its ETA)
    python -m ch07_seq2seq.generate_text --load rnnlm.npz --seed 1

Starts from 'you' and draws each next word from the model's softmax; 'N' (numbers), '<unk>' and
'$' are never drawn.  --temperature, --top-k and --greedy change how the words are drawn.
"""
from ch07_seq2seq.generation_cli import (SKIP_WORDS, ids_to_text, language_model_parser,
                                         load_language_model, sampling_options)
from dataset.ptb import load_data
from harness.flags import make_rng, run_main, words_to_ids


def main(argv=None):
    """Returns the generated text."""
    parser = language_model_parser(__doc__, seed=None)
    args = parser.parse_args(argv)

    _, word_to_id, id_to_word = load_data('train')
    model = load_language_model('rnnlm', args, len(word_to_id))
    skip_ids = [word_to_id[w] for w in SKIP_WORDS]

    model.reset_state()
    start, = words_to_ids(parser, '--start', [args.start], word_to_id)
    word_ids = model.generate(start, skip_ids,
                              **sampling_options(args, make_rng(args.seed)))
    text = ids_to_text(word_ids, id_to_word)
    print(text)
    return text


if __name__ == '__main__':
    run_main(main)

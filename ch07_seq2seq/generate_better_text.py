"""Generate text with a trained BetterRnnlm (book section 7.1, generate_better_text.py).

    python -m ch06_lstm.train_better_rnnlm --save better_rnnlm.npz   (once: hours on a CPU)
    python -m ch07_seq2seq.generate_better_text --load better_rnnlm.npz --seed 1

First a text that starts from 'you', then one that continues the prompt 'the meaning of life is'
(the model reads the prompt, then writes on).  'N', '<unk>' and '$' are never drawn.
"""
from common.cli import make_rng
from common.util import word_id
from ch07_seq2seq.generate_text import SKIP_WORDS
from ch07_seq2seq.generation_cli import (ids_to_text, language_model_parser, load_language_model,
                                         sampling_options)
from dataset.ptb import load_data


def main(argv=None):
    """Returns the two generated texts."""
    parser = language_model_parser(__doc__, seed=None)
    parser.add_argument('--prompt', default='the meaning of life is', help='start of the second text')
    args = parser.parse_args(argv)

    _, word_to_id, id_to_word = load_data('train')
    model = load_language_model('better', args, len(word_to_id))
    skip_ids = [word_to_id[w] for w in SKIP_WORDS]
    rng = make_rng(args.seed)

    texts = []
    for start in ([word_id(args.start, word_to_id)],
                  [word_id(w, word_to_id) for w in args.prompt.lower().split()]):
        model.reset_state()
        word_ids = model.generate(start, skip_ids, **sampling_options(args, rng))
        texts.append(ids_to_text(word_ids, id_to_word))
        print(texts[-1])
        print('-' * 50)
    return texts


if __name__ == '__main__':
    main()

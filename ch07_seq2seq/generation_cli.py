"""What the scripts that use a trained language model share: flags, loading the checkpoint, text."""
from ch06_lstm.book_weights import load_book_language_model
from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.rnnlm_gen import RnnlmGen
from common.base_model import load_model
from common.util import vocabulary_spelling
from harness.flags import (load_or_exit, make_parser, make_rng, model_width, positive_float,
                           positive_int, require_checkpoint, words_to_ids)

SKIP_WORDS = ('N', '<unk>', '$')  # numbers, unknown words and '$' are never drawn

# model name -> (default checkpoint, training script); the class and sizes come from the file
LANGUAGE_MODELS = {
    'rnnlm': ('rnnlm.npz', 'ch06_lstm.train_rnnlm'),
    'better': ('better_rnnlm.npz', 'ch06_lstm.train_better_rnnlm'),
}
GENERATORS = (RnnlmGen, BetterRnnlmGen)


def language_model_parser(description, sampling=True, **defaults):
    """make_parser plus --load or --book-weights (with --save), --wordvec-size, --hidden-size
    (checked against the checkpoint) and, with ``sampling``, the flags of ``add_sampling_flags``."""
    parser = make_parser(description, save=None, **defaults)
    parser.add_argument('--load', help='checkpoint of the language model (.npz); default: '
                        + ', '.join(f'{v[0]} ({k})' for k, v in LANGUAGE_MODELS.items()))
    parser.add_argument('--book-weights', metavar='FILE.pkl',
                        help="the book's trained Rnnlm.pkl or BetterRnnlm.pkl, in place of --load "
                             '(--save writes it as our .npz checkpoint)')
    for flag in ('--wordvec-size', '--hidden-size'):
        parser.add_argument(flag, type=model_width, help='read from the checkpoint; if given, it '
                            'must match the size the model was trained with')
    if sampling:
        add_sampling_flags(parser)
    return parser


def add_sampling_flags(parser, prompt=False):
    """--start, --length, --temperature, --top-k, --greedy (and, with ``prompt``, --prompt)."""
    parser.add_argument('--start', default='you', help='the first word (a PTB word, lower case)')
    parser.add_argument('--length', type=positive_int, default=100,
                        help='number of words to generate after the start word or prompt')
    parser.add_argument('--temperature', type=positive_float, default=1.0,
                        help='divide the scores by this before the softmax (< 1: safer words)')
    parser.add_argument('--top-k', type=positive_int, help='draw only among the k most probable words')
    parser.add_argument('--greedy', action='store_true', help='always take the most probable word')
    if prompt:
        parser.add_argument('--prompt', default='the meaning of life is', help='start of the second text')


def texts_from_start_and_prompt(parser, model, args, word_to_id, id_to_word):
    """Print and return two texts: one from --start, one that continues --prompt.

    'N', '<unk>' and '$' are never drawn; the state is reset before each text.  A word outside
    the vocabulary (or no word) ends the script with a message from ``parser``.
    """
    skip_ids = [word_to_id[w] for w in SKIP_WORDS]
    rng = make_rng(args.seed)
    texts = []
    for start in (words_to_ids(parser, '--start', [args.start], word_to_id),
                  words_to_ids(parser, '--prompt', vocabulary_spelling(args.prompt, word_to_id),
                               word_to_id)):
        model.reset_state()
        word_ids = model.generate(start, skip_ids, **sampling_options(args, rng, len(start)))
        texts.append(ids_to_text(word_ids, id_to_word))
        print(texts[-1])
        print('-' * 50)
    return texts


def load_language_model(model, args, vocab_size):
    """The language model of ``args.load`` (default: the file of ``model``, 'rnnlm' | 'better'),
    or of the book's ``args.book_weights``, as an RnnlmGen or BetterRnnlmGen with the class and
    sizes its file gives; with ``args.save``, also written as our checkpoint.

    A missing checkpoint ends the script with a message that says how to train and save one; a
    file of another kind, or --wordvec-size/--hidden-size that contradict it, with what is wrong.
    """
    checkpoint, train_script = LANGUAGE_MODELS[model]
    if args.book_weights:
        path = args.book_weights
        language_model = load_or_exit(load_book_language_model, path, *GENERATORS)
    else:
        path = require_checkpoint(args.load or checkpoint, train_script)
        language_model = load_or_exit(load_model, path, GENERATORS)
    if args.save:
        language_model.save_params(args.save)
        print(f'wrote {args.save}')
    config = language_model.config()
    sizes = {'--wordvec-size': (args.wordvec_size, config['wordvec_size']),
             '--hidden-size': (args.hidden_size, config['hidden_size'])}
    for flag, (given, saved) in sizes.items():
        if given is not None and given != saved:
            raise SystemExit(f'{path!r} was trained with {flag} {saved}, not {given}: '
                             'leave the flag out (the sizes are read from the checkpoint)')
    if config['vocab_size'] != vocab_size:
        raise SystemExit(f'{path!r} has a vocabulary of {config["vocab_size"]} words, PTB has {vocab_size}')
    return language_model


def sampling_options(args, rng, start_length=1):
    """The keyword arguments of ``generate`` that the sampling flags set: ``--length`` words after
    the ``start_length`` words the text starts from."""
    return {'sample_size': start_length + args.length, 'temperature': args.temperature,
            'top_k': args.top_k, 'greedy': args.greedy, 'rng': rng}


def ids_to_text(word_ids, id_to_word):
    """Words joined by spaces, with '<eos>' turned into a full stop and a new line (as in the book)."""
    return ' '.join(id_to_word[int(i)] for i in word_ids).replace(' <eos>', '.\n')

"""What the scripts that use a trained language model share: flags, loading the checkpoint, text."""
from common.cli import make_parser, require_checkpoint
from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.rnnlm_gen import RnnlmGen

# model name -> (class, default word-vector/hidden size, default checkpoint, training script)
LANGUAGE_MODELS = {
    'rnnlm': (RnnlmGen, 100, 'rnnlm.npz', 'ch06_lstm.train_rnnlm'),
    'better': (BetterRnnlmGen, 650, 'better_rnnlm.npz', 'ch06_lstm.train_better_rnnlm'),
}


def language_model_parser(description, sampling=True, **defaults):
    """make_parser plus --load, --wordvec-size, --hidden-size (default: the book's model and file)
    and, with ``sampling``, --start, --length, --temperature, --top-k, --greedy."""
    parser = make_parser(description, **defaults)
    parser.add_argument('--load', help='checkpoint of the language model (.npz); default: '
                        + ', '.join(f'{v[2]} ({k})' for k, v in LANGUAGE_MODELS.items()))
    for flag in ('--wordvec-size', '--hidden-size'):
        parser.add_argument(flag, type=int, help='size used when the model was trained; default: '
                            + ', '.join(f'{v[1]} ({k})' for k, v in LANGUAGE_MODELS.items()))
    if sampling:
        parser.add_argument('--start', default='you', help='the first word (a PTB word, lower case)')
        parser.add_argument('--length', type=int, default=100, help='number of words to generate')
        parser.add_argument('--temperature', type=float, default=1.0,
                            help='divide the scores by this before the softmax (< 1: safer words)')
        parser.add_argument('--top-k', type=int, help='draw only among the k most probable words')
        parser.add_argument('--greedy', action='store_true', help='always take the most probable word')
    return parser


def load_language_model(model, args, vocab_size):
    """The ``model`` ('rnnlm' | 'better') generator with the parameters of ``args.load``.

    A missing checkpoint ends the script with a message that says how to train and save one.
    """
    model_class, size, checkpoint, train_script = LANGUAGE_MODELS[model]
    path = require_checkpoint(args.load or checkpoint, train_script)
    language_model = model_class(vocab_size, args.wordvec_size or size, args.hidden_size or size)
    language_model.load_params(path)
    return language_model


def sampling_options(args, rng):
    """The keyword arguments of ``generate`` that the sampling flags set."""
    return {'sample_size': args.length, 'temperature': args.temperature, 'top_k': args.top_k,
            'greedy': args.greedy, 'rng': rng}


def ids_to_text(word_ids, id_to_word):
    """Words joined by spaces, with '<eos>' turned into a full stop and a new line (as in the book)."""
    return ' '.join(id_to_word[int(i)] for i in word_ids).replace(' <eos>', '.\n')

"""Rank candidate sentences by how probable a trained language model finds them.

    python -m ch07_seq2seq.rescore --load rnnlm.npz candidates.txt
    printf 'you say goodbye\nyou goodbye say\n' | python -m ch07_seq2seq.rescore --load rnnlm.npz -

This is what the book says a language model is for (section 5.1): a speech recogniser or a
translator proposes several sentences, and the language model picks the most natural one.
Each line of the file is a candidate, written as PTB text (lower case, numbers as 'N'); a word
the vocabulary lacks, even in lower case, is scored as '<unk>' (with a warning).  A sentence is
scored between two '<eos>' markers: log P = sum_t log P(w_t | <eos>, w_1 .. w_{t-1}), the end
marker included, and perplexity = exp(-log P / number of predicted words).  The most probable
sentence comes first.
"""
import sys
import warnings

from ch07_seq2seq.generation_cli import LANGUAGE_MODELS, language_model_parser, load_language_model
from common.util import vocabulary_spelling
from dataset.ptb import load_data
from harness.flags import run_main

EOS, UNK = '<eos>', '<unk>'


def sentence_ids(words, word_to_id):
    """'<eos>' + words + '<eos>' as ids; unknown words become '<unk>' with a warning.

    words: list of str (or one str, split on spaces) -> list of ids.  A word that is not in the
    vocabulary as written is looked up in lower case ('The' -> 'the'; PTB's 'N' stays 'N').
    """
    words = vocabulary_spelling(words, word_to_id)
    if not words:
        raise ValueError('an empty sentence cannot be scored')
    unknown = [w for w in words if w not in word_to_id]
    if unknown:
        warnings.warn(f'not in the vocabulary, scored as {UNK}: {", ".join(map(repr, unknown))}',
                      stacklevel=2)
    return [word_to_id[EOS]] + [word_to_id.get(w, word_to_id[UNK]) for w in words] + [word_to_id[EOS]]


def score(model, words, word_to_id):
    """SentenceScore(log_prob, perplexity) of a sentence (list of words or a str) under ``model``."""
    return model.score(sentence_ids(words, word_to_id))


def rescore(model, sentences, word_to_id):
    """The sentences sorted from most to least probable: [(sentence, SentenceScore), ...]."""
    scored = [(sentence, score(model, sentence, word_to_id)) for sentence in sentences]
    return sorted(scored, key=lambda pair: -pair[1].log_prob)


def read_candidate_lines(path):
    """The lines of the UTF-8 text file ``path`` ('-': standard input; a leading byte-order mark
    dropped); a file that is missing, a folder, unreadable or not UTF-8 ends the script with its
    name and the problem."""
    name = 'standard input' if path == '-' else repr(path)
    try:
        if path == '-':
            return sys.stdin.buffer.read().decode('utf-8-sig').splitlines()
        with open(path, encoding='utf-8-sig') as f:  # a byte-order mark is not part of the text
            return f.read().splitlines()
    except FileNotFoundError:
        raise SystemExit(f'candidate file {name} does not exist') from None
    except IsADirectoryError:
        raise SystemExit(f'candidate file {name} is a folder, not a text file') from None
    except UnicodeDecodeError as error:
        raise SystemExit(f'candidate file {name} is not UTF-8 text: byte {error.start} '
                         f'({error.object[error.start:error.start + 1]!r}) {error.reason}') from None
    except OSError as error:
        raise SystemExit(f'cannot read candidate file {name}: {error.strerror}') from None


def printable(text):
    """``text`` with control characters shown escaped ('\\x1b', '\\t'), so a line of a file
    can never send escape sequences to the terminal."""
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv=None):
    """Returns the ranking ``[(sentence, SentenceScore), ...]``, most probable first."""
    parser = language_model_parser(__doc__, sampling=False)
    parser.add_argument('candidates', help="text file with one candidate sentence per line ('-': stdin)")
    parser.add_argument('--model', choices=sorted(LANGUAGE_MODELS), default='rnnlm',
                        help='whose default checkpoint to use without --load (the class and '
                             'sizes are read from the checkpoint itself)')
    args = parser.parse_args(argv)

    lines = read_candidate_lines(args.candidates)
    sentences = [line.strip() for line in lines if line.strip()]
    if not sentences:
        raise SystemExit(f'no candidate sentences in {args.candidates!r}: write one per line')

    _, word_to_id, _ = load_data('train')
    model = load_language_model(args.model, args, len(word_to_id))
    ranking = rescore(model, sentences, word_to_id)
    for rank, (sentence, result) in enumerate(ranking, 1):
        print(f'{rank:2d}. log P {result.log_prob:9.2f} | perplexity {result.perplexity:9.2f} '
              f'| {printable(sentence)}')
    return ranking


if __name__ == '__main__':
    run_main(main)

"""Cosine similarity of two words' co-occurrence vectors in the toy corpus (book chapter 2).

    python -m ch02_count.similarity            # cos(you, i) = 0.7071
    python -m ch02_count.similarity --words say and
"""
from ch02_count.toy_corpus import TEXT, load_toy_corpus
from common.util import cos_similarity
from harness.flags import make_parser, run_main, words_to_ids


def main(argv=None):
    """Returns cos(C[word1], C[word2]) as a float."""
    parser = make_parser(__doc__)
    parser.add_argument('--words', nargs=2, default=['you', 'i'], metavar=('WORD1', 'WORD2'),
                        help='the two words to compare')
    parser.add_argument('--text', default=TEXT, help='the corpus')
    args = parser.parse_args(argv)

    _, word_to_id, _, C = load_toy_corpus(args.text)
    first, second = C[words_to_ids(parser, '--words', args.words, word_to_id)]
    similarity = cos_similarity(first, second)
    print(f'cos({args.words[0]}, {args.words[1]}) = {similarity:.4f}')
    return similarity


if __name__ == '__main__':
    run_main(main)

"""The words closest to a query by cosine similarity of co-occurrence vectors (book chapter 2).

    python -m ch02_count.most_similar --query you
"""
from ch02_count.toy_corpus import TEXT, load_toy_corpus
from common.util import most_similar
from harness.flags import make_parser, positive_int, run_main, words_to_ids


def main(argv=None):
    """Returns ``[(word, similarity), ...]``, best first."""
    parser = make_parser(__doc__)
    parser.add_argument('--query', default='you', help='the query word')
    parser.add_argument('--top', type=positive_int, default=5, help='how many neighbours to list')
    parser.add_argument('--text', default=TEXT, help='the corpus')
    args = parser.parse_args(argv)

    _, word_to_id, id_to_word, C = load_toy_corpus(args.text)
    words_to_ids(parser, '--query', [args.query], word_to_id)
    return most_similar(args.query, word_to_id, id_to_word, C, top=args.top)


if __name__ == '__main__':
    run_main(main)

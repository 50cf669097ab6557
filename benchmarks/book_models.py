"""The book's own trained models through our evaluation: Rnnlm.pkl, cbow_params.pkl, AttentionSeq2seq.pkl.

    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/book_models.py --book-dir ../shared/data/book
    python -m ch04_fast_w2v.train_fast               # our vectors, to compare (cbow_fast_vectors.npz)
    DLFS_DATA_DIR=../shared/data/ptb python benchmarks/book_models.py --book-dir ../shared/data/book \\
        --our-vectors cbow_fast_vectors.npz --analogy-file questions-words.txt --similarity-file wordsim353.tsv

- Rnnlm.pkl: PTB test perplexity with ``eval_perplexity`` (every token of each row) and with the
  book's loop (``skip_partial=True``: only the blocks that fill 35 steps), which the book reports
  as 136.08.
- cbow_params.pkl: the analogy ranks of ch04_fast_w2v.eval (and its --extended scores), and, with
  the files, Mikolov's analogy accuracy and the WordSim-353 Spearman correlation, beside the
  vectors of ``--our-vectors`` files.
- AttentionSeq2seq.pkl: accuracy on the test set of our generated date.txt, re-encoded with the
  book's vocabulary (``book_date_vocab``), by date format: the book's data has four of our 15
  formats and the years up to 2017.
"""
import argparse
from collections import defaultdict
from pathlib import Path

from ch04_fast_w2v.eval import ANALOGIES, answer_rank, extended_scores
from ch04_fast_w2v.word_vector_eval import (analogy_accuracy, read_analogy_questions,
                                            read_similarity_pairs, similarity_correlation)
from ch04_fast_w2v.word_vectors import load_book_vectors, load_vectors
from ch06_lstm.rnnlm import Rnnlm
from ch08_attention.attention_seq2seq import AttentionSeq2seq, book_date_vocab
from common.evaluation import eval_perplexity, seq2seq_accuracy
from dataset import ptb, sequence
from harness.flags import run_main



def rnnlm_perplexities(book_dir):
    model = Rnnlm()
    model.load_params(book_dir / 'Rnnlm.pkl')
    corpus = ptb.load_data('test')[0]
    ours = eval_perplexity(model, corpus)
    books = eval_perplexity(model, corpus, skip_partial=True)
    print(f"[Rnnlm.pkl] PTB test perplexity: {ours:.4f} (eval_perplexity), {books:.4f} (the book's "
          "loop, skip_partial=True; the book: 136.08)")


def vector_scores(name, word_vecs, word_to_id, questions, pairs):
    ranks = [answer_rank(a, b, c, d, word_to_id, word_vecs) for a, b, c, d in ANALOGIES]
    line = f'[{name}] ranks of the book\'s 4 analogies {ranks}'
    for category, (mrr, top10, count) in extended_scores(word_to_id, word_vecs).items():
        line += f'; {category} MRR {mrr:.3f}'
    if questions is not None:
        found = analogy_accuracy(word_vecs, word_to_id, questions)
        line += f'; analogy accuracy {found["accuracy"]:.4f} ({found["correct"]} of {found["questions"]})'
    if pairs is not None:
        found = similarity_correlation(word_vecs, word_to_id, pairs)
        line += f'; WordSim-353 Spearman {found["spearman"]:.4f} ({found["pairs"]} pairs)'
    print(line)


def date_accuracies(book_dir):
    char_to_id, id_to_char = book_date_vocab()
    model = AttentionSeq2seq(len(char_to_id), 16, 256)
    model.load_params(book_dir / 'AttentionSeq2seq.pkl')
    _, (x_test, t_test) = sequence.load_data('date.txt')
    _, our_id_to_char = sequence.get_vocab('date.txt')
    groups = defaultdict(list)
    for x, t in zip(x_test, t_test):
        question = sequence.decode(x, our_id_to_char).rstrip()
        answer = sequence.decode(t, our_id_to_char)
        if not set(question) <= set(char_to_id):
            groups['not encodable'].append((question, answer))
            continue
        book_format = sequence.date_format(question, answer) in sequence.BOOK_DATE_FORMATS
        recent = int(answer[1:5]) > 2017
        groups[('book format' if book_format else 'other format') + (', year > 2017' if recent else '')
               ].append((question, answer))
    right_total, count_total = 0, 0
    for group, items in sorted(groups.items()):
        if group == 'not encodable':
            print(f"[AttentionSeq2seq.pkl] {len(items)} test questions have a character outside the "
                  f"book's vocabulary ('.'), e.g. {items[0][0]!r}")
            count_total += len(items)
            continue
        questions, answers = zip(*items)
        xs = sequence.encode(questions, char_to_id, 29)[:, ::-1]
        ts = sequence.encode(answers, char_to_id, 11)
        accuracy = seq2seq_accuracy(model, xs, ts)
        right_total += round(accuracy * len(items))
        count_total += len(items)
        print(f'[AttentionSeq2seq.pkl] {group}: accuracy {accuracy:.4f} ({len(items)} questions)')
    print(f'[AttentionSeq2seq.pkl] the whole test set: {right_total / count_total:.4f} '
          f'({count_total} questions)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--book-dir', type=Path, required=True,
                        help="folder with the book's Rnnlm.pkl, cbow_params.pkl, AttentionSeq2seq.pkl")
    parser.add_argument('--our-vectors', nargs='*', default=[], help='our word-vector files (.npz) to compare')
    parser.add_argument('--analogy-file', help="Mikolov's questions-words.txt")
    parser.add_argument('--similarity-file', help='wordsim353.tsv')
    parser.add_argument('--only', choices=['rnnlm', 'cbow', 'dates'], nargs='*',
                        default=['rnnlm', 'cbow', 'dates'])
    args = parser.parse_args(argv)
    if 'rnnlm' in args.only:
        rnnlm_perplexities(args.book_dir)
    if 'cbow' in args.only:
        questions = read_analogy_questions(args.analogy_file) if args.analogy_file else None
        pairs = read_similarity_pairs(args.similarity_file) if args.similarity_file else None
        word_vecs, word_to_id, _ = load_book_vectors(args.book_dir / 'cbow_params.pkl')
        vector_scores('cbow_params.pkl', word_vecs, word_to_id, questions, pairs)
        for path in args.our_vectors:
            word_vecs, word_to_id, _ = load_vectors(path)
            vector_scores(path, word_vecs, word_to_id, questions, pairs)
    if 'dates' in args.only:
        date_accuracies(args.book_dir)


if __name__ == '__main__':
    run_main(main)

"""Nearest neighbours and analogies of trained word vectors (book chapter 4, eval.py).

    python -m ch04_fast_w2v.eval cbow_book_vectors.npz cbow_fast_vectors.npz [--extended]
    python -m ch04_fast_w2v.eval cbow_fast_vectors.npz --analogy-file questions-words.txt \
        --similarity-file wordsim353.tsv
    python -m ch04_fast_w2v.eval --book-weights cbow_params.pkl     # the book's trained vectors

For each file written by ch04_fast_w2v.train or train_fast (and the book's own cbow_params.pkl,
read safely, with --book-weights; --save writes it as our .npz): the 5 most similar words (cosine)
to you, year, car and toyota, and the book's analogies a:b = c:? (solved by the word closest to
b - a + c), each with the rank of the expected answer among all 10,000 words.  Four analogies are a noisy
measure, so --extended also scores every a:b = c:d among the word pairs of ANALOGY_PAIRS (1,204
questions: verb tenses, plurals, comparatives, gender) by the mean reciprocal rank of the
answer and the share of answers within the top 10.

--analogy-file / --similarity-file add the standard measures of ch04_fast_w2v.word_vector_eval:
accuracy on Mikolov's analogy questions whose four words are in the vocabulary, and the Spearman
correlation with the human scores of WordSim-353.  The files are not part of this project; gensim
ships both (`pip install gensim`, then
`python -c "from gensim.test.utils import datapath; print(datapath('questions-words.txt'))"`,
likewise 'wordsim353.tsv').
"""
import math
from itertools import permutations

import numpy as np

from ch04_fast_w2v.word_vector_eval import (analogy_accuracy, read_analogy_questions,
                                            read_similarity_pairs, similarity_correlation)
from ch04_fast_w2v.word_vectors import load_book_vectors, load_vectors, save_vectors
from common.util import analogy, analogy_similarities, most_similar, rank_of, word_id
from harness.flags import load_or_exit, make_parser, positive_int, run_main

QUERIES = ['you', 'year', 'car', 'toyota']
ANALOGIES = [('king', 'man', 'queen', 'woman'), ('take', 'took', 'go', 'went'),
             ('car', 'cars', 'child', 'children'), ('good', 'better', 'bad', 'worse')]
ANALOGY_PAIRS = {
    'tense': [('take', 'took'), ('go', 'went'), ('come', 'came'), ('make', 'made'), ('buy', 'bought'),
              ('sell', 'sold'), ('say', 'said'), ('rise', 'rose'), ('fall', 'fell'), ('give', 'gave'),
              ('get', 'got'), ('see', 'saw'), ('know', 'knew'), ('pay', 'paid'), ('begin', 'began'),
              ('find', 'found'), ('think', 'thought'), ('tell', 'told'), ('hold', 'held'),
              ('lead', 'led'), ('leave', 'left'), ('run', 'ran'), ('win', 'won'), ('lose', 'lost')],
    'plural': [('car', 'cars'), ('child', 'children'), ('company', 'companies'), ('year', 'years'),
               ('share', 'shares'), ('bank', 'banks'), ('price', 'prices'), ('stock', 'stocks'),
               ('market', 'markets'), ('investor', 'investors'), ('analyst', 'analysts'),
               ('month', 'months'), ('day', 'days'), ('week', 'weeks'), ('man', 'men'),
               ('woman', 'women'), ('country', 'countries'), ('firm', 'firms'), ('bond', 'bonds'),
               ('plant', 'plants')],
    'comparative': [('good', 'better'), ('bad', 'worse'), ('high', 'higher'), ('low', 'lower'),
                    ('big', 'bigger'), ('strong', 'stronger'), ('weak', 'weaker'), ('large', 'larger'),
                    ('small', 'smaller'), ('cheap', 'cheaper'), ('long', 'longer'),
                    ('early', 'earlier'), ('late', 'later'), ('fast', 'faster')],
    'gender': [('king', 'queen'), ('man', 'woman'), ('he', 'she'), ('his', 'her'),
               ('father', 'mother'), ('son', 'daughter'), ('brother', 'sister'),
               ('husband', 'wife'), ('mr.', 'mrs.'), ('boy', 'girl')],
}


def answer_rank(a, b, c, answer, word_to_id, word_vecs):
    """Rank (1 = best) of ``answer`` among all words for a:b = c:?, scored as util.analogy does:
    cosine similarity to normalize(b) - normalize(a) + normalize(c), the three words excluded;
    ties count against the answer (util.rank_of)."""
    similarity = analogy_similarities(a, b, c, word_to_id, word_vecs)
    return rank_of(similarity, word_id(answer, word_to_id))


def extended_scores(word_to_id, word_vecs):
    """{category: (mean reciprocal rank, share of answers in the top 10, questions)} over all
    a:b = c:d with (a, b) != (c, d) taken from the pairs of one category of ANALOGY_PAIRS."""
    scores = {}
    for category, pairs in ANALOGY_PAIRS.items():
        ranks = np.array([answer_rank(a, b, c, d, word_to_id, word_vecs)
                          for (a, b), (c, d) in permutations(pairs, 2)])
        scores[category] = (float((1 / ranks).mean()), float((ranks <= 10).mean()), len(ranks))
    return scores


def main(argv=None):
    """Returns ``{path: {'neighbours': {query: [(word, sim)]}, 'ranks': {analogy: rank},
    'extended': {category: (mrr, top10, questions)} (with --extended),
    'analogy': analogy_accuracy(...) (with --analogy-file),
    'similarity': similarity_correlation(...) (with --similarity-file)}}``."""
    parser = make_parser(__doc__, save=None)
    parser.add_argument('paths', nargs='*',
                        help='.npz files written by ch04_fast_w2v.train or train_fast (default: '
                             'cbow_book_vectors.npz unless --book-weights is given)')
    parser.add_argument('--book-weights', metavar='FILE.pkl',
                        help="the book's trained cbow_params.pkl (its vectors and vocabulary, checked "
                             "against PTB's ids); with --save, written as our .npz")
    parser.add_argument('--top', type=positive_int, default=5, help='words listed per query')
    parser.add_argument('--extended', action='store_true',
                        help='also score the 1,204 analogies of ANALOGY_PAIRS')
    parser.add_argument('--analogy-file', metavar='PATH',
                        help="Mikolov's analogy questions (questions-words.txt): report the accuracy")
    parser.add_argument('--similarity-file', metavar='PATH',
                        help='WordSim-353 pairs (wordsim353.tsv): report the Spearman correlation')
    args = parser.parse_args(argv)
    verbose = not args.quiet
    questions = load_or_exit(read_analogy_questions, args.analogy_file) if args.analogy_file else None
    pairs = load_or_exit(read_similarity_pairs, args.similarity_file) if args.similarity_file else None
    paths = args.paths or ([] if args.book_weights else ['cbow_book_vectors.npz'])
    if args.book_weights:
        paths.append(args.book_weights)
    results = {}
    for path in paths:
        if path == args.book_weights:
            word_vecs, word_to_id, id_to_word = load_or_exit(load_book_vectors, path)
            if args.save:
                save_vectors(args.save, word_vecs, id_to_word)
                print(f'wrote {args.save}')
        else:
            word_vecs, word_to_id, id_to_word = load_or_exit(load_vectors, path)
        if verbose:
            print(f'\n===== {path}')
        result = {'neighbours': {query: most_similar(query, word_to_id, id_to_word, word_vecs,
                                                     top=args.top, verbose=verbose)
                                 for query in QUERIES},
                  'ranks': {}}
        for a, b, c, answer in ANALOGIES:
            analogy(a, b, c, word_to_id, id_to_word, word_vecs, top=args.top, answer=answer,
                    verbose=verbose)
            result['ranks'][f'{a}:{b} = {c}:{answer}'] = answer_rank(a, b, c, answer, word_to_id,
                                                                     word_vecs)
        if args.extended:
            result['extended'] = extended_scores(word_to_id, word_vecs)
            print(f'\n[extended analogies] {path}')
            for category, (mrr, top10, count) in result['extended'].items():
                print(f' {category:>11}: mean reciprocal rank {mrr:.3f}, top-10 {top10:.1%} '
                      f'({count} questions)')
        if questions is not None:
            result['analogy'] = found = analogy_accuracy(word_vecs, word_to_id, questions)
            print(f'\n[analogy accuracy] {path}: {found["accuracy"]:.4f} ({found["correct"]} of '
                  f'{found["questions"]} questions in the vocabulary; {found["skipped"]} skipped)')
        if pairs is not None:
            result['similarity'] = found = similarity_correlation(word_vecs, word_to_id, pairs)
            rho = ('undefined (fewer than 2 pairs, or constant scores)' if math.isnan(found['spearman'])
                   else f'{found["spearman"]:.4f}')
            print(f'[word similarity] {path}: Spearman {rho} ({found["pairs"]} pairs in the '
                  f'vocabulary; {found["skipped"]} skipped)')
        results[path] = result
    return results


if __name__ == '__main__':
    run_main(main)

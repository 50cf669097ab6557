"""How good are word vectors?  Analogy accuracy and WordSim-353 rank correlation.

Two standard measures, computed the same way for any (V, D) word-vector table:

- **analogy accuracy** on Mikolov et al.'s question set (``questions-words.txt``: lines
  ``a b c d`` meaning a:b = c:d, grouped under ``: section`` lines): a question is answered by
  the word whose vector is closest (cosine) to normalize(b) - normalize(a) + normalize(c), the
  three question words excluded (3CosAdd, as ``common.util.analogy``).  It counts as correct only
  if d scores strictly higher than every other word: a tie counts against the answer.
- **Spearman correlation** between human similarity scores (WordSim-353, ``wordsim353.tsv``:
  ``word1 <tab> word2 <tab> score``, ``#`` comment lines) and the cosine similarity of the vectors.

Questions and pairs with a word outside the vocabulary are skipped (and counted).  Words are
lower-cased (PTB's vocabulary is).  The files are not shipped with this project; gensim's wheel
has both (``gensim.test.utils.datapath('questions-words.txt')``, ``'wordsim353.tsv'``).
"""
import math

import numpy as np

from common.util import check_finite_vectors, normalize


def _read_lines(path, what):
    """The lines of a UTF-8 text file, with a clear error when it is missing or not text."""
    try:
        with open(path, encoding='utf-8') as file:
            return file.read().splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file {str(path)!r} does not exist') from None
    except UnicodeDecodeError as error:
        raise ValueError(f'{what} file {str(path)!r} is not UTF-8 text: {error}') from None


def read_analogy_questions(path):
    """Read a question file: ``: section`` lines, then lines of four words ``a b c d``.

    -> list of (section, a, b, c, d), words lower-cased.  A line that is neither raises
    ValueError naming the file and the line.
    """
    questions, section = [], ''
    for number, line in enumerate(_read_lines(path, 'analogy question'), start=1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == ':':
            section = ' '.join(fields[1:])
        elif fields[0].startswith(':'):
            section = ' '.join([fields[0][1:]] + fields[1:])
        elif len(fields) == 4:
            questions.append((section, *(w.lower() for w in fields)))
        else:
            raise ValueError(f'{str(path)!r}, line {number}: expected four words "a b c d" '
                             f'(a:b = c:d) or a ": section" line, got {line!r}')
    if not questions:
        raise ValueError(f'{str(path)!r} holds no analogy questions (lines "a b c d")')
    return questions


def read_similarity_pairs(path):
    """Read word pairs with a human similarity score: ``word1 word2 score`` per line (tabs or
    spaces), ``#`` comment lines.  -> list of (word1, word2, score), words lower-cased.
    A line without two words and a finite number ('nan' is none) raises ValueError naming the
    file and the line.
    """
    pairs = []
    for number, line in enumerate(_read_lines(path, 'word-similarity'), start=1):
        fields = line.split()
        if not fields or fields[0].startswith('#'):
            continue
        try:
            if len(fields) != 3:
                raise ValueError
            score = float(fields[2])
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            raise ValueError(f'{str(path)!r}, line {number}: expected "word1 word2 score", '
                             f'got {line!r}') from None
        pairs.append((fields[0].lower(), fields[1].lower(), score))
    if not pairs:
        raise ValueError(f'{str(path)!r} holds no word pairs (lines "word1 word2 score")')
    return pairs


def average_ranks(x):
    """Ranks 1..n of the values of ``x`` (n,), tied values sharing the mean of their ranks:
    average_ranks([10, 20, 20, 5]) = [2, 3.5, 3.5, 1].  -> (n,) float64."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind='stable')
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])  # first of each tie group
    ends = np.r_[starts[1:], len(x)]
    group_rank = (starts + 1 + ends) / 2  # mean of the ranks starts + 1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def spearman(x, y):
    """Spearman's rank correlation: the Pearson correlation of average_ranks(x) and
    average_ranks(y).  x, y: (n,) -> float in [-1, 1]; NaN (undefined) when either is constant:
    its ranks carry no order to correlate with."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f'spearman needs two sequences of the same length >= 2, got {len(x)} '
                         f'and {len(y)}')
    rx, ry = average_ranks(x), average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denominator = np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    return float((rx * ry).sum() / denominator) if denominator > 0 else math.nan


def analogy_accuracy(word_vecs, word_to_id, questions, chunk=1024):
    """Share of the questions (all four words in ``word_to_id``) answered exactly (3CosAdd).

    word_vecs: (V, D); questions: [(section, a, b, c, d)] (from read_analogy_questions) ->
    {'accuracy': float, 'correct': int, 'questions': int (scored), 'skipped': int (a word
    outside the vocabulary), 'sections': {section: (correct, questions)}}.  d must score
    strictly above every word but a, b, c; a NaN vector raises ValueError naming the words.
    """
    known = [q for q in questions if all(w in word_to_id for w in q[1:])]
    result = {'accuracy': 0.0, 'correct': 0, 'questions': len(known),
              'skipped': len(questions) - len(known), 'sections': {}}
    if not known:
        return result
    ids = np.array([[word_to_id[w] for w in q[1:]] for q in known])  # (Q, 4): a, b, c, d
    check_finite_vectors(word_vecs, np.arange(len(word_vecs)), word_to_id)
    unit = normalize(np.asarray(word_vecs, dtype=np.float32))  # (V, D), zero rows stay zero
    correct = np.empty(len(known), dtype=bool)
    for start in range(0, len(known), chunk):
        a, b, c, d = ids[start:start + chunk].T
        similarity = (unit[b] - unit[a] + unit[c]) @ unit.T  # (Q', V), up to each row's norm
        rows = np.arange(len(a))
        for excluded in (a, b, c):
            similarity[rows, excluded] = -np.inf
        answer = similarity[rows, d]
        correct[start:start + chunk] = (similarity >= answer[:, None]).sum(axis=1) == 1
    result['correct'] = int(correct.sum())
    result['accuracy'] = result['correct'] / len(known)
    sections = np.array([q[0] for q in known])
    for section in dict.fromkeys(sections):
        in_section = sections == section
        result['sections'][str(section)] = (int(correct[in_section].sum()), int(in_section.sum()))
    return result


def similarity_correlation(word_vecs, word_to_id, pairs):
    """Spearman correlation of human scores with cosine similarities over the pairs whose two
    words are in ``word_to_id``.  word_vecs: (V, D); pairs: [(w1, w2, score)] ->
    {'spearman': float, NaN when undefined (fewer than 2 pairs scored, or constant scores),
    'pairs': int (scored), 'skipped': int}."""
    known = [p for p in pairs if p[0] in word_to_id and p[1] in word_to_id]
    result = {'spearman': math.nan, 'pairs': len(known), 'skipped': len(pairs) - len(known)}
    if len(known) < 2:
        return result
    first = np.array([word_to_id[p[0]] for p in known])
    second = np.array([word_to_id[p[1]] for p in known])
    check_finite_vectors(word_vecs, np.unique(np.r_[first, second]), word_to_id)
    unit = normalize(np.asarray(word_vecs, dtype=np.float64)[np.r_[first, second]])
    cosine = (unit[:len(first)] * unit[len(first):]).sum(axis=1)
    result['spearman'] = spearman(cosine, [p[2] for p in known])
    return result


def evaluate_word_vectors(word_vecs, word_to_id, analogy_file, similarity_file):
    """Both measures from the two files: -> {'analogy': analogy_accuracy(...),
    'similarity': similarity_correlation(...)}."""
    return {'analogy': analogy_accuracy(word_vecs, word_to_id, read_analogy_questions(analogy_file)),
            'similarity': similarity_correlation(word_vecs, word_to_id,
                                                 read_similarity_pairs(similarity_file))}

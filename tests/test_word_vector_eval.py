"""ch04_fast_w2v.word_vector_eval and the tie / NaN rules of common.util's analogy ranks, on tiny
hand-made vector sets and question files whose answers are known."""
import math

import numpy as np
import pytest

from ch04_fast_w2v import eval as eval_script
from ch04_fast_w2v.word_vector_eval import (analogy_accuracy, average_ranks, evaluate_word_vectors,
                                            read_analogy_questions, read_similarity_pairs, spearman,
                                            similarity_correlation)
from ch04_fast_w2v.word_vectors import save_vectors
from common.util import analogy, most_similar, rank_of

WORDS = ['man', 'woman', 'king', 'queen', 'boy', 'girl', 'car', 'cars']
VECS = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0],
                 [1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [0.5, 0.5, 1, 1]], dtype=np.float32)
WORD_TO_ID = {w: i for i, w in enumerate(WORDS)}
QUESTIONS = """: family
man woman king queen
Man Woman Boy Girl
man king woman queen
man woman dog cat
: plural
car cars man woman
"""
PAIRS = """# word1\tword2\tscore
man\twoman\t8.0
king\tqueen\t8.0
car\tcars\t9.5
man\tcar\t1.0
king\tunicorn\t5.0
"""


@pytest.fixture
def files(tmp_path):
    questions, pairs = tmp_path / 'questions.txt', tmp_path / 'pairs.tsv'
    questions.write_text(QUESTIONS)
    pairs.write_text(PAIRS)
    return questions, pairs


def brute_force_correct(vecs, a, b, c, d):
    """The 3CosAdd answer by a loop over words: d must beat every other word strictly."""
    unit = [v / np.linalg.norm(v) if np.linalg.norm(v) > 0 else v for v in vecs.astype(np.float64)]
    query = unit[b] - unit[a] + unit[c]
    scores = {w: float(query @ unit[w]) for w in range(len(vecs)) if w not in (a, b, c)}
    return all(scores[d] > s for w, s in scores.items() if w != d)


def test_analogy_accuracy_on_known_answers(files):
    questions = read_analogy_questions(files[0])
    assert questions[1] == ('family', 'man', 'woman', 'boy', 'girl')  # lower-cased
    result = analogy_accuracy(VECS, WORD_TO_ID, questions)
    # man:woman = king:queen, = boy:girl and man:king = woman:queen hold exactly; car:cars = man:?
    # is answered by king and boy (a tie), not woman; dog and cat are outside the vocabulary.
    expected = [brute_force_correct(VECS, *(WORD_TO_ID[w] for w in q[1:])) for q in questions
                if 'dog' not in q]
    assert expected == [True, True, True, False]
    assert result['questions'] == 4 and result['skipped'] == 1
    assert result['correct'] == 3 and result['accuracy'] == 0.75
    assert result['sections'] == {'family': (3, 3), 'plural': (0, 1)}


def test_analogy_ties_count_against_the_answer(files, capsys):
    questions = read_analogy_questions(files[0])
    zeros = np.zeros_like(VECS)
    assert analogy_accuracy(zeros, WORD_TO_ID, questions)['correct'] == 0
    tied = VECS.copy()
    tied[WORD_TO_ID['cars']] = tied[WORD_TO_ID['queen']]  # cars ties queen on man:woman = king:?
    result = analogy_accuracy(tied, WORD_TO_ID, questions[:1])
    assert result['correct'] == 0 and not brute_force_correct(tied, 0, 1, 2, 3)
    # util's ranks follow the same rule: an all-zero table gives no answer rank 1
    capsys.readouterr()
    analogy('man', 'woman', 'king', WORD_TO_ID, dict(enumerate(WORDS)), zeros, answer='queen')
    assert '==> queen: rank 5, similarity 0.0000' in capsys.readouterr().out  # 5 words tie at 0
    assert rank_of(np.array([0.5, 0.5, 0.1, -np.inf]), 0) == 2
    assert rank_of(np.array([0.5, 0.4, 0.1, -np.inf]), 0) == 1
    assert rank_of(np.zeros(8), 3) == 8


def test_nan_vectors_are_an_error_naming_the_words(files):
    broken = VECS.copy()
    broken[WORD_TO_ID['girl'], 2] = np.nan
    questions = read_analogy_questions(files[0])
    with pytest.raises(ValueError, match="'girl'"):
        analogy_accuracy(broken, WORD_TO_ID, questions)
    with pytest.raises(ValueError, match="'girl'"):
        analogy('man', 'woman', 'king', WORD_TO_ID, dict(enumerate(WORDS)), broken, verbose=False)
    with pytest.raises(ValueError, match="'girl'"):
        most_similar('man', WORD_TO_ID, dict(enumerate(WORDS)), broken, verbose=False)
    with pytest.raises(ValueError, match="'girl'"):
        similarity_correlation(broken, WORD_TO_ID, [('girl', 'boy', 3.0), ('man', 'car', 1.0)])


def test_average_ranks_and_spearman_with_ties():
    np.testing.assert_array_equal(average_ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
    np.testing.assert_array_equal(average_ranks([3, 3, 3]), [2, 2, 2])
    # x ranks (1, 2.5, 2.5, 4), y ranks (1, 3, 2, 4): rho = 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / np.sqrt(22.5), abs=1e-12)
    assert spearman([1, 2, 3], [10, 200, 3000]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))  # constant: no order to correlate
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 40), rng.integers(0, 7, 40)  # many ties

    def loop_ranks(v):  # rank = (number smaller) + (number equal + 1) / 2
        return np.array([sum(u < t for u in v) + (sum(u == t for u in v) + 1) / 2 for t in v])
    assert spearman(x, y) == pytest.approx(np.corrcoef(loop_ranks(x), loop_ranks(y))[0, 1], abs=1e-12)
    with pytest.raises(ValueError, match='same length'):
        spearman([1, 2], [1, 2, 3])


def test_similarity_correlation_on_known_pairs(files):
    pairs = read_similarity_pairs(files[1])
    assert pairs[0] == ('man', 'woman', 8.0)
    result = similarity_correlation(VECS, WORD_TO_ID, pairs)
    cosines = [0.0, 0.5, np.sqrt(2) / np.sqrt(2.5) / np.sqrt(2), 0.0]  # man.woman, king.queen, ...
    assert result['pairs'] == 4 and result['skipped'] == 1
    assert result['spearman'] == pytest.approx(spearman(cosines, [8, 8, 9.5, 1]))
    assert evaluate_word_vectors(VECS, WORD_TO_ID, *files)['similarity'] == result


@pytest.mark.parametrize('reader, text, message', [
    (read_analogy_questions, ': s\nman woman king\n', r"line 2: expected four words"),
    (read_analogy_questions, ': only a section\n', 'no analogy questions'),
    (read_similarity_pairs, '# c\nman woman high\n', r"line 2: expected \"word1 word2 score\""),
    (read_similarity_pairs, 'man woman\n', r"line 1: expected"),
])
def test_malformed_files_are_named_with_the_line(tmp_path, reader, text, message):
    path = tmp_path / 'bad.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        reader(path)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        reader(tmp_path / 'missing.txt')
    path.write_bytes(b'\xff\xfe man')
    with pytest.raises(ValueError, match='not UTF-8'):
        reader(path)


def test_eval_script_reports_both_measures(tmp_path, files, capsys):
    vectors = tmp_path / 'v.npz'
    words = WORDS + [f'w{i}' for i in range(40)]  # eval's fixed queries need not exist...
    vecs = np.vstack([VECS, np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32)])
    for query in ('you', 'year', 'car', 'toyota', 'take', 'took', 'go', 'went', 'child',
                  'children', 'good', 'better', 'bad', 'worse'):  # ...but they must be words
        if query not in words:
            words.append(query)
            vecs = np.vstack([vecs, np.ones((1, 4), np.float32)])
    save_vectors(vectors, vecs, dict(enumerate(words)))
    results = eval_script.main([str(vectors), '--analogy-file', str(files[0]),
                                '--similarity-file', str(files[1]), '--quiet'])[str(vectors)]
    assert results['analogy']['questions'] == 4
    assert results['similarity']['pairs'] == 4
    out = capsys.readouterr().out
    assert '[analogy accuracy]' in out and 'Spearman' in out
    bad = tmp_path / 'bad.txt'
    bad.write_text('man woman\n')
    with pytest.raises(SystemExit, match='line 1'):  # one line naming the file, no traceback
        eval_script.main([str(vectors), '--analogy-file', str(bad)])


def test_an_undefined_correlation_is_said_as_undefined_and_nan_is_no_score(tmp_path, capsys):
    """Third probe, finding 6: no pair, one pair or constant scores printed 'Spearman 0.0000', and
    a score written 'nan' was read as a number."""
    word_to_id = {'a': 0, 'b': 1, 'c': 2}
    vecs = np.eye(3)
    assert math.isnan(similarity_correlation(vecs, word_to_id, [('a', 'b', 1.0)])['spearman'])
    assert math.isnan(similarity_correlation(vecs, word_to_id, [('x', 'y', 1.0)])['spearman'])
    assert math.isnan(similarity_correlation(vecs, word_to_id, [('a', 'b', 2.0), ('a', 'c', 2.0)])['spearman'])
    bad = tmp_path / 'scores.tsv'
    bad.write_text('a b 1\na c nan\n')
    with pytest.raises(ValueError, match="line 2: expected \"word1 word2 score\""):
        read_similarity_pairs(bad)
    from ch04_fast_w2v import eval as eval_script
    from ch04_fast_w2v.word_vectors import save_vectors
    words = sorted(set(eval_script.QUERIES) | {w for question in eval_script.ANALOGIES for w in question})
    save_vectors(tmp_path / 'v.npz', np.random.default_rng(0).standard_normal((len(words), 4)),
                 dict(enumerate(words)))
    one = tmp_path / 'one.tsv'
    one.write_text('king queen 8.5\n')
    eval_script.main([str(tmp_path / 'v.npz'), '--similarity-file', str(one), '--quiet'])
    assert 'Spearman undefined (fewer than 2 pairs, or constant scores)' in capsys.readouterr().out

"""Chapter 2 scripts: the toy-corpus demos print and return the book's numbers; PTB word vectors."""
import numpy as np
import pytest

from ch02_count import count_method_big, count_method_small, most_similar, similarity
from ch02_count import ppmi as ppmi_script
from ch02_count.count_method_small import merged_labels
from ch02_count.toy_corpus import load_toy_corpus
from common.util import ppmi

needs_ptb = pytest.mark.usefixtures('needs_ptb')  # skips, with one message, without the PTB files


def test_similarity_of_you_and_i(capsys):
    assert round(similarity.main([]), 4) == 0.7071
    assert 'cos(you, i) = 0.7071' in capsys.readouterr().out
    assert similarity.main(['--words', 'say', 'say']) == pytest.approx(1.0)
    with pytest.raises(SystemExit) as stop:
        similarity.main(['--words', 'you', 'bye'])
    assert stop.value.code == 2
    assert "argument --words: 'bye' is not in the vocabulary" in capsys.readouterr().err


def test_most_similar_script(capsys):
    results = most_similar.main(['--query', 'you', '--top', '3'])
    assert sorted(w for w, _ in results) == ['goodbye', 'hello', 'i']
    assert ' goodbye: 0.7071' in capsys.readouterr().out


def test_ppmi_script_prints_the_books_matrices(capsys):
    W = ppmi_script.main([])
    out = capsys.readouterr().out
    assert '[[0 1 0 0 0 0 0]' in out                     # row 'you' of the co-occurrence matrix
    assert '[[0.    1.807 0.    0.    0.    0.    0.   ]' in out
    assert W[5, 6] == pytest.approx(np.log2(7), abs=1e-6)   # PPMI(hello, .) = log2(14 / (2 * 1))
    ppmi_script.main(['--quiet'])
    assert 'co-occurrence' not in capsys.readouterr().out


def test_count_method_small_factorises_ppmi_and_plots(tmp_path):
    U = count_method_small.main(['--plot', str(tmp_path / 'svd.png'), '--quiet'])
    _, _, _, C = load_toy_corpus()
    W = ppmi(C)
    np.testing.assert_allclose(U.T @ U, np.eye(7), atol=1e-6)
    # the columns of U are eigenvectors of W W^T: W W^T U = U S^2
    S = np.linalg.svd(W, compute_uv=False)
    np.testing.assert_allclose(W @ W.T @ U, U * S ** 2, atol=1e-4)
    assert (tmp_path / 'svd.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_words_on_the_same_spot_share_one_label():
    points = np.array([[0.0, 0.0], [5.0, 5.0], [0.05, -0.05], [10.0, 0.0], [0.0, 0.5]])
    words = {0: 'goodbye', 1: 'say', 2: 'i', 3: '.', 4: 'you'}
    assert merged_labels(points, words) == [(0, 'goodbye / i'), (1, 'say'), (3, '.'), (4, 'you')]
    # the toy corpus: "goodbye" and "i" have the same contexts, so the same SVD vector
    U = count_method_small.main(['--quiet'])
    assert (2, 'goodbye / i') in merged_labels(U[:, :2], load_toy_corpus()[2])


@needs_ptb
def test_ptb_word_vectors_put_month_next_to_year():
    """The whole PTB pipeline (co-occurrence, PPMI, randomized SVD) runs in about 6 s."""
    neighbours = count_method_big.main(['--quiet', '--queries', 'year', 'toyota'])
    assert 'month' in [word for word, _ in neighbours['year']]
    assert {'nissan', 'honda', 'mazda', 'motor'} & {word for word, _ in neighbours['toyota']}
    assert all(0.3 < sim < 1 for _, sim in neighbours['year'])


@needs_ptb
def test_ptb_unknown_query_fails_before_the_heavy_work(capsys):
    with pytest.raises(SystemExit) as stop:
        count_method_big.main(['--quiet', '--queries', 'toyotaa'])
    assert stop.value.code == 2
    assert "argument --queries: 'toyotaa' is not in the vocabulary" in capsys.readouterr().err

"""common.util's chapter-2 tools against the book's worked examples on 'You say goodbye and I say hello.'"""
import math

import numpy as np
import pytest

from common.util import (convert_one_hot, cos_similarity, create_co_matrix,
                         create_contexts_target, most_similar, ppmi, preprocess)

TEXT = 'You say goodbye and I say hello.'
# The book's co-occurrence matrix (window 1); rows and columns: you say goodbye and i hello .
BOOK_C = np.array([[0, 1, 0, 0, 0, 0, 0],
                   [1, 0, 1, 0, 1, 1, 0],
                   [0, 1, 0, 1, 0, 0, 0],
                   [0, 0, 1, 0, 1, 0, 0],
                   [0, 1, 0, 1, 0, 0, 0],
                   [0, 1, 0, 0, 0, 0, 1],
                   [0, 0, 0, 0, 0, 1, 0]])


@pytest.fixture
def toy():
    corpus, word_to_id, id_to_word = preprocess(TEXT)
    return corpus, word_to_id, id_to_word, create_co_matrix(corpus, len(word_to_id), 1)


def test_preprocess_numbers_words_in_order_of_appearance(toy):
    corpus, word_to_id, id_to_word, _ = toy
    np.testing.assert_array_equal(corpus, [0, 1, 2, 3, 4, 1, 5, 6])
    assert list(word_to_id) == ['you', 'say', 'goodbye', 'and', 'i', 'hello', '.']
    assert all(id_to_word[i] == w for w, i in word_to_id.items())


def test_co_occurrence_matrix_is_the_books(toy):
    np.testing.assert_array_equal(toy[3], BOOK_C)


def co_matrix_loop(corpus, vocab_size, window_size):
    """The book's definition, word by word: count every neighbour within the window."""
    C = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    for idx, word in enumerate(corpus):
        for offset in range(1, window_size + 1):
            for neighbour in (idx - offset, idx + offset):
                if 0 <= neighbour < len(corpus):
                    C[word, corpus[neighbour]] += 1
    return C


@pytest.mark.parametrize('window_size', [1, 2, 3])
def test_co_occurrence_matrix_matches_a_word_by_word_count(window_size):
    corpus = np.random.default_rng(window_size).integers(0, 12, size=200)
    np.testing.assert_array_equal(create_co_matrix(corpus, 12, window_size),
                                  co_matrix_loop(corpus, 12, window_size))


def test_ppmi_values_of_the_book_computed_by_hand(toy):
    _, word_to_id, _, C = toy
    W = ppmi(C)
    N = C.sum()                      # 14 co-occurrences in all
    S = C.sum(axis=0)                # S(you) = 1, S(say) = 4, S(goodbye) = 2, ...
    assert (N, S[word_to_id['you']], S[word_to_id['say']]) == (14, 1, 4)

    def by_hand(x, y):
        ix, iy = word_to_id[x], word_to_id[y]
        return max(0.0, math.log2(C[ix, iy] * N / (S[ix] * S[iy])))

    for (x, y), book in {('you', 'say'): 1.807, ('say', 'goodbye'): 0.807,
                         ('goodbye', 'and'): 1.807, ('hello', '.'): 2.807}.items():
        assert by_hand(x, y) == pytest.approx(book, abs=5e-4)
        assert W[word_to_id[x], word_to_id[y]] == pytest.approx(by_hand(x, y), abs=1e-6)
    assert W[word_to_id['you'], word_to_id['goodbye']] == 0   # never together: 0, not -inf
    np.testing.assert_allclose(W, W.T)


def test_ppmi_matches_an_entry_by_entry_loop():
    rng = np.random.default_rng(0)
    C = rng.poisson(0.7, size=(40, 40))
    C = C + C.T
    N, S = C.sum(), C.sum(axis=0)
    expected = np.zeros(C.shape)
    for i in range(40):
        for j in range(40):
            if C[i, j] > 0:
                expected[i, j] = max(0.0, math.log2(C[i, j] * N / (S[i] * S[j])))
    np.testing.assert_allclose(ppmi(C), expected, atol=1e-5)


def test_cosine_similarity_of_you_and_i_is_the_books(toy):
    _, word_to_id, _, C = toy
    assert round(cos_similarity(C[word_to_id['you']], C[word_to_id['i']]), 4) == 0.7071
    assert cos_similarity(np.zeros(3), np.ones(3)) == 0.0   # eps guards the zero vector


def test_most_similar_to_you_is_goodbye_i_hello(toy, capsys):
    _, word_to_id, id_to_word, C = toy
    results = most_similar('you', word_to_id, id_to_word, C, top=5)
    assert {w for w, _ in results[:3]} == {'goodbye', 'i', 'hello'}
    assert [round(s, 4) for _, s in results[:3]] == [0.7071] * 3
    assert results[3][1] == pytest.approx(0.0, abs=1e-6)
    assert 'you' not in [w for w, _ in results]
    assert '[query] you' in capsys.readouterr().out
    everything = most_similar('you', word_to_id, id_to_word, C, top=100, verbose=False)
    assert len(everything) == len(word_to_id) - 1  # every other word; the query never (not as -inf)


def test_unknown_query_word_is_named_in_the_error(toy):
    _, word_to_id, id_to_word, C = toy
    with pytest.raises(ValueError, match="'bonjour' is not in the vocabulary"):
        most_similar('bonjour', word_to_id, id_to_word, C)


def test_contexts_and_target_are_the_books(toy):
    corpus = toy[0]
    contexts, target = create_contexts_target(corpus, window_size=1)
    np.testing.assert_array_equal(contexts, [[0, 2], [1, 3], [2, 4], [3, 1], [4, 5], [1, 6]])
    np.testing.assert_array_equal(target, [1, 2, 3, 4, 1, 5])
    contexts, target = create_contexts_target(corpus, window_size=2)
    np.testing.assert_array_equal(contexts[0], [0, 1, 3, 4])
    np.testing.assert_array_equal(target, corpus[2:-2])
    with pytest.raises(ValueError, match='window_size'):
        create_contexts_target(corpus[:4], window_size=2)


def test_convert_one_hot_shapes_and_values(toy):
    contexts, target = create_contexts_target(toy[0], window_size=1)
    target_1h, contexts_1h = convert_one_hot(target, 7), convert_one_hot(contexts, 7)
    assert target_1h.shape == (6, 7) and contexts_1h.shape == (6, 2, 7)
    np.testing.assert_array_equal(target_1h, np.eye(7, dtype=int)[target])
    np.testing.assert_array_equal(contexts_1h.argmax(axis=-1), contexts)
    np.testing.assert_array_equal(contexts_1h.sum(axis=-1), np.ones((6, 2)))

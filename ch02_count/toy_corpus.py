"""The one-sentence corpus of chapter 2 and its co-occurrence matrix (window size 1)."""
from common.util import create_co_matrix, preprocess

TEXT = 'You say goodbye and I say hello.'


def load_toy_corpus(text=TEXT, window_size=1):
    """-> (corpus (N,), word_to_id, id_to_word, C (V, V) co-occurrence counts) of ``text``.

    For the book's sentence: ids you 0, say 1, goodbye 2, and 3, i 4, hello 5, '.' 6.
    """
    corpus, word_to_id, id_to_word = preprocess(text)
    C = create_co_matrix(corpus, len(word_to_id), window_size)
    return corpus, word_to_id, id_to_word, C

"""Word vectors with their vocabulary in one ``.npz`` file (no pickle): what train writes, eval reads;
and the book's own trained CBOW vectors (its ch04/cbow_params.pkl), read safely."""
import os

import numpy as np

from common.backend import to_cpu
from common.book_params import read_book_word_vectors
from common.npz_file import atomic_savez, read_npz
from dataset import ptb


def save_vectors(path, word_vecs, id_to_word):
    """Write ``word_vecs`` (V, D) and the words in id order (a unicode array) to ``path`` (.npz).

    The file is written beside ``path`` and renamed over it only when complete.
    """
    words = np.array([id_to_word[i] for i in range(len(word_vecs))], dtype=str)
    atomic_savez(path, {'word_vecs': to_cpu(word_vecs), 'words': words})


def load_vectors(path):
    """Read a file written by ``save_vectors`` -> (word_vecs (V, D), word_to_id, id_to_word)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f'word-vector file {path!r} does not exist: train first, e.g. '
                                '`python -m ch04_fast_w2v.train` (it writes cbow_book_vectors.npz)')
    arrays = read_npz(path, 'word-vector file')
    if not {'word_vecs', 'words'} <= set(arrays):
        raise ValueError(f'{path!r} is not a word-vector file written by save_vectors: it lacks '
                         f'the arrays word_vecs and words (it holds {sorted(arrays)})')
    word_vecs, words = arrays['word_vecs'], arrays['words']
    if word_vecs.ndim != 2 or words.shape != (len(word_vecs),):
        raise ValueError(f'{path!r}: word_vecs {word_vecs.shape} and words {words.shape} do not match')
    id_to_word = {i: str(w) for i, w in enumerate(words)}
    return word_vecs, {w: i for i, w in id_to_word.items()}, id_to_word


def load_book_vectors(path):
    """The book's ``cbow_params.pkl`` -> (word_vecs (V, D) float32, word_to_id, id_to_word).

    The file is read by ``common.book_params.read_book_word_vectors`` (no code in it runs) and its
    vocabulary checked against PTB's (``dataset.ptb.load_data('train')``): the same words at the
    same ids, so the vectors sit beside ours in every evaluation.  The book stores float16; the
    vectors come back as float32.  ValueError naming the file and the first id that differs.
    """
    word_vecs, word_to_id, id_to_word = read_book_word_vectors(path)
    ptb_id_to_word = ptb.load_data('train')[2]
    if len(id_to_word) != len(ptb_id_to_word):
        raise ValueError(f'{os.fspath(path)!r} has {len(id_to_word)} words, PTB\'s vocabulary '
                         f'{len(ptb_id_to_word)}: these are not vectors of PTB\'s words')
    for i, word in ptb_id_to_word.items():
        if id_to_word[i] != word:
            raise ValueError(f'{os.fspath(path)!r}: id {i} is {id_to_word[i]!r}, in PTB it is '
                             f'{word!r}: these vectors are not numbered by PTB\'s ids')
    return word_vecs.astype(np.float32), word_to_id, id_to_word

"""Word vectors with their vocabulary in one ``.npz`` file (no pickle): what train writes, eval reads."""
import os

import numpy as np

from common.backend import to_cpu
from common.npz_file import atomic_savez, read_npz


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

"""Word vectors with their vocabulary in one ``.npz`` file (no pickle): what train writes, eval reads."""
import os
import tempfile

import numpy as np


def save_vectors(path, word_vecs, id_to_word):
    """Write ``word_vecs`` (V, D) and the words in id order (a unicode array) to ``path`` (.npz).

    The file is written beside ``path`` and renamed over it only when complete.
    """
    words = np.array([id_to_word[i] for i in range(len(word_vecs))], dtype=str)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(suffix='.npz.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, word_vecs=np.asarray(word_vecs), words=words)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def load_vectors(path):
    """Read a file written by ``save_vectors`` -> (word_vecs (V, D), word_to_id, id_to_word)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f'word-vector file {path!r} does not exist: train first, e.g. '
                                '`python -m ch04_fast_w2v.train` (it writes cbow_book_vectors.npz)')
    try:
        with np.load(path, allow_pickle=False) as saved:
            word_vecs, words = saved['word_vecs'], saved['words']
    except (KeyError, ValueError, OSError) as error:
        raise ValueError(f'{path!r} is not a word-vector file written by save_vectors '
                         f'(arrays word_vecs and words): {error}') from error
    if word_vecs.ndim != 2 or words.shape != (len(word_vecs),):
        raise ValueError(f'{path!r}: word_vecs {word_vecs.shape} and words {words.shape} do not match')
    id_to_word = {i: str(w) for i, w in enumerate(words)}
    return word_vecs, {w: i for i, w in id_to_word.items()}, id_to_word

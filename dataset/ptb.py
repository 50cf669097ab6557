"""Penn Treebank (PTB) corpus, the book's language-model data (chapters 2 to 6).

The files ptb.train.txt, ptb.valid.txt and ptb.test.txt (the public copy at BASE_URL,
which the book uses) are looked up in this order (``dataset.files``):

1. the folder named by the environment variable ``DLFS_DATA_DIR`` (only read, never written),
   first its subfolder ``ptb/``, then the folder itself;
2. the cache folder: ``$DLFS_CACHE_DIR/ptb`` if ``DLFS_CACHE_DIR`` is set, else
   ``$XDG_CACHE_HOME/dlfs2/ptb``, else ``~/.cache/dlfs2/ptb``;
3. a download into the cache folder from ``$DLFS_PTB_URL`` (default BASE_URL), with a
   progress line on stderr, a SHA-256 check and an atomic rename.

Every file is checked against its known SHA-256 (table SHA256) before it is parsed.
"""
import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from dataset.files import Corpus

BASE_URL = 'https://raw.githubusercontent.com/tomsercu/lstm/master/data/'
FILE_NAMES = {'train': 'ptb.train.txt', 'val': 'ptb.valid.txt', 'valid': 'ptb.valid.txt',
              'test': 'ptb.test.txt'}
SHA256 = {
    'ptb.train.txt': 'fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf',
    'ptb.valid.txt': 'c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2',
    'ptb.test.txt': 'dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0',
}
EOS = '<eos>'
_CORPUS = Corpus('ptb', 'PTB', ', '.join(dict.fromkeys(FILE_NAMES.values())), BASE_URL)


def load_data(data_type='train'):
    """Load one PTB split as word ids, with the vocabulary of the training split.

    data_type: 'train' | 'val' | 'valid' | 'test' ('val' and 'valid' are the same file).
    Each line break becomes the token '<eos>'; ids are given in order of first appearance
    in ptb.train.txt, so they are the same for every split.
    Returns (corpus, word_to_id, id_to_word): corpus (n_tokens,) np.int32, word_to_id
    {word: id}, id_to_word {id: word}; vocabulary 10,000 words; n_tokens 929,589 (train),
    73,760 (valid), 82,430 (test).
    Each file is parsed once per process; every call returns fresh copies, which the caller may modify.
    """
    if data_type not in FILE_NAMES:
        raise ValueError(f'data_type must be one of {", ".join(map(repr, FILE_NAMES))}; got {data_type!r}')
    train_path = str(find_file(FILE_NAMES['train']))
    split_path = str(find_file(FILE_NAMES[data_type]))
    word_to_id, corpus = _read_train(train_path)
    if split_path != train_path:
        corpus = _read_split(split_path, train_path)
    return corpus.copy(), dict(word_to_id), dict(enumerate(word_to_id))


def load_sentences(data_type='train'):
    """The sentences (lines) of one PTB split as word ids, with the vocabulary of ``load_data``.

    data_type: as in ``load_data``.  Returns a list of (L_i,) int32 arrays, one per line of the
    file, without the '<eos>' that ends each line (3,370 lines in valid, 3,761 in test, 42,068 in
    train).
    """
    corpus, word_to_id, _ = load_data(data_type)
    ends = np.flatnonzero(corpus == word_to_id[EOS])
    starts = np.concatenate(([0], ends[:-1] + 1))
    return [corpus[start:end] for start, end in zip(starts, ends)]


def find_file(file_name):
    """Path of the PTB file ``file_name``: DLFS_DATA_DIR, else the cache folder, else downloaded there."""
    url = (os.environ.get('DLFS_PTB_URL') or BASE_URL).rstrip('/') + '/' + file_name
    return _CORPUS.find_file((file_name,), url, SHA256[file_name])


def local_file(file_name):
    """Path of ``file_name`` in DLFS_DATA_DIR (its subfolder ptb/ first) or the cache folder, or
    None (nothing downloaded).

    A DLFS_DATA_DIR that does not exist, or names a file instead of a folder, is an error.
    """
    return _CORPUS.local_file(file_name)


def found_without_download():
    """Whether all three PTB files are in DLFS_DATA_DIR or the cache folder (what tests need)."""
    try:
        return all(local_file(name) is not None for name in dict.fromkeys(FILE_NAMES.values()))
    except OSError:
        return False


def cache_dir():
    """Folder for downloaded PTB files: $DLFS_CACHE_DIR/ptb, else $XDG_CACHE_HOME/dlfs2/ptb,
    else ~/.cache/dlfs2/ptb."""
    return _CORPUS.cache_dir()


@functools.lru_cache(maxsize=None)
def _read_train(path):
    """Parse ptb.train.txt once: ({word: id} in order of first appearance, corpus (n,) int32)."""
    words = _read_words(path)
    word_to_id = {word: i for i, word in enumerate(dict.fromkeys(words))}
    return word_to_id, _to_ids(words, word_to_id)


@functools.lru_cache(maxsize=None)
def _read_split(path, train_path):
    """Parse a valid/test file once, with the vocabulary of the train file at ``train_path``."""
    word_to_id, _ = _read_train(train_path)
    return _to_ids(_read_words(path), word_to_id)


def _read_words(path):
    """Tokens of a verified PTB file; each line break becomes the token '<eos>'."""
    path = Path(path)
    data = path.read_bytes()
    _CORPUS.check_sha256(path, hashlib.sha256(data).hexdigest(), SHA256[path.name], BASE_URL + path.name)
    return data.decode('utf-8').replace('\n', f' {EOS} ').split()


def _to_ids(words, word_to_id):
    """(n,) int32 ids of ``words``; ValueError for a word outside the vocabulary."""
    try:
        return np.array([word_to_id[word] for word in words], dtype=np.int32)
    except KeyError as err:
        raise ValueError(f'word {err.args[0]!r} is not in the vocabulary of ptb.train.txt') from None

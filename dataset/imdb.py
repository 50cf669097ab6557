"""Large Movie Review Dataset v1 (IMDB): 50,000 labelled movie reviews and 50,000 unlabelled ones.

Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011.  One review a file,
``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`` (12,500 in each of the four folders; ratings
7-10 are positive, 1-4 negative) and ``aclImdb/train/unsup/ID_0.txt`` (50,000 without a label).
The text keeps the site's ``<br />`` line breaks.

The reviews are read from the canonical archive aclImdb_v1.tar.gz (URL), or from
aclImdb_v1_text.tar.gz, which holds the same review files without the bag-of-words features;
either is found as ``dataset.files`` says (DLFS_DATA_DIR, its subfolder imdb/, the cache folder;
a download fetches the canonical one) and checked against its SHA-256.

Unpacking 100,000 small files from a tar.gz, and splitting 27 million words into tokens, take a
while, so the first load keeps what it made in the cache folder (``cache_file``): the texts
(reviews_<collection>.npz) and their tokens (tokens_<collection>.npz), each with the SHA-256 of
the archive it came from (and, for the tokens, the tokenizer's fingerprint); a later load reads
them, and a different archive or tokenizer makes them again.

The vocabulary (``build_vocabulary``) comes from the unlabelled and the training reviews only,
never from a test review or from a label.
"""
import functools
import gzip
import json
import os
import re
import sys
import tarfile
import zlib

import numpy as np

from common.npz_file import atomic_savez, read_npz
from dataset import tokenizer
from dataset.files import Corpus, DataFileError, file_sha256
from dataset.vocabulary import Vocabulary

CANONICAL = 'aclImdb_v1.tar.gz'
TEXT_ONLY = 'aclImdb_v1_text.tar.gz'
URL = 'https://ai.stanford.edu/~amaas/data/sentiment/' + CANONICAL
SHA256 = {CANONICAL: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
          TEXT_ONLY: 'abb86e6233301a95b247eb8754fa98a7bf884d06d7fd0c916d1009846b1907f5'}
SPLITS = ('train', 'test')
# The folders of reviews: (collection, folder in the archive, label; -1: no label), in load order.
FOLDERS = (('train', 'train/neg', 0), ('train', 'train/pos', 1), ('test', 'test/neg', 0),
           ('test', 'test/pos', 1), ('unsup', 'train/unsup', -1))
RATINGS = {0: range(1, 5), 1: range(7, 11), -1: range(0, 1)}  # the ratings each label's files carry
_COLLECTION_NAMES = {'train': 'training', 'test': 'test', 'unsup': 'unlabelled'}
DOWNLOAD_DEADLINE = 3600.0  # seconds for the 84 MB download (600 s would need 140 kB/s)
VOCABULARY_COLLECTIONS = ('unsup', 'train')  # the reviews whose words make the vocabulary
VOCABULARY_SIZE = 30_000
CACHE_FORMAT = 1  # the layout of the cache files; a file of another format is made again
_CORPUS = Corpus('imdb', 'IMDB', f'{CANONICAL} (or {TEXT_ONLY})', URL)
_REVIEW_NAME = re.compile(r'aclImdb/(train/neg|train/pos|test/neg|test/pos|train/unsup)/(\d+)_(\d+)\.txt')


def load_data(split='train'):
    """The labelled reviews of one split.

    split: 'train' | 'test' (25,000 reviews each).  Returns (reviews, labels): reviews a list of
    str, each exactly the text of its file; labels (n,) int32, 1 positive, 0 negative.  Order: the
    negative reviews, then the positive ones, each by the number ID in the file name ID_RATING.txt.
    """
    arrays = _texts(_split_collection(split))
    text, offsets = arrays['text'].tobytes(), arrays['offsets'].tolist()
    reviews = [text[start:end].decode('utf-8') for start, end in zip(offsets[:-1], offsets[1:])]
    return reviews, arrays['labels'].astype(np.int32)


def load_unlabelled():
    """The 50,000 reviews without a label (aclImdb/train/unsup) -> list of str, each exactly the
    text of its file, by the ID in the file names."""
    arrays = _texts('unsup')
    text, offsets = arrays['text'].tobytes(), arrays['offsets'].tolist()
    return [text[start:end].decode('utf-8') for start, end in zip(offsets[:-1], offsets[1:])]


def load_ids(split, vocabulary):
    """The labelled reviews of one split as token ids: ``load_data`` through ``tokenizer.tokenize``
    and ``vocabulary.encode``.

    Returns (reviews, labels): a list of (L_i,) int32 arrays (a review of L_i tokens; UNK_ID for a
    token outside the vocabulary), labels (n,) int32; in the order of ``load_data``.
    """
    collection = _split_collection(split)
    return _encode(collection, vocabulary), _texts(collection)['labels'].astype(np.int32)


def load_unlabelled_ids(vocabulary):
    """``load_unlabelled`` as token ids: a list of 50,000 (L_i,) int32 arrays (as ``load_ids``)."""
    return _encode('unsup', vocabulary)


def token_counts():
    """{token: count} over the unlabelled and the training reviews (``tokenizer.tokenize``)."""
    counts = {}
    for collection in VOCABULARY_COLLECTIONS:
        arrays = _tokens(collection)
        for token, count in zip(_types(arrays), np.bincount(arrays['ids']).tolist()):
            counts[token] = counts.get(token, 0) + count
    return counts


def build_vocabulary(size=VOCABULARY_SIZE):
    """The vocabulary of the reviews: the special tokens and the size - 3 most frequent tokens of
    the unlabelled and the training reviews (``Vocabulary.from_counts(token_counts(), size)``).

    Those reviews hold 20.1 million tokens of 172,943 kinds.  The default, 30,000 ids, keeps every
    token seen at least 14 times; it leaves 3.2% of the tokens of SST's binary test sentences
    unknown (4.8% with 20,000 ids, 1.9% with 50,000) and 2.0% of IMDB's test reviews.  The words
    between 20,000 and 30,000 still carry sentiment ('soggy', 'invigorating', 'blandness').
    """
    return Vocabulary.from_counts(token_counts(), size)


def find_archive():
    """Path of aclImdb_v1.tar.gz or aclImdb_v1_text.tar.gz: DLFS_DATA_DIR, else the cache folder,
    else aclImdb_v1.tar.gz downloaded there."""
    return _CORPUS.find_file((CANONICAL, TEXT_ONLY), URL, SHA256[CANONICAL], deadline=DOWNLOAD_DEADLINE)


def found_without_download():
    """Whether an archive is in DLFS_DATA_DIR or the cache folder (what tests need)."""
    try:
        return _CORPUS.local_file(CANONICAL, TEXT_ONLY) is not None
    except OSError:
        return False


def cache_file(kind, collection):
    """The file that keeps ``kind`` ('reviews' or 'tokens') of ``collection`` ('train', 'test' or
    'unsup') between runs: the cache folder / <kind>_<collection>.npz."""
    return _CORPUS.cache_dir() / f'{kind}_{collection}.npz'


def _split_collection(split):
    if split not in SPLITS:
        raise ValueError(f'split must be one of {", ".join(map(repr, SPLITS))}; got {split!r}')
    return split


@functools.lru_cache(maxsize=None)
def _verified_sha256(path):
    """The archive's SHA-256; ValueError if it is not the one known for its file name."""
    expected = SHA256.get(os.path.basename(path), SHA256[CANONICAL])
    digest = file_sha256(path)
    _CORPUS.check_sha256(path, digest, expected, URL)
    return digest


def _texts(collection):
    """The arrays that hold the reviews of one collection (``_read_archive``), from the cache when
    they were made from the archive found now, else from the archive (every collection is cached)."""
    path = str(find_archive())
    key = {'archive_sha256': _verified_sha256(path), 'format': CACHE_FORMAT}
    arrays = _read_cache(cache_file('reviews', collection), key)
    if arrays is None:
        print(f'reading the reviews of {path} once; they are kept in {_CORPUS.cache_dir()}',
              file=sys.stderr, flush=True)
        every = _read_archive(path)
        for name, made in every.items():
            _write_cache(cache_file('reviews', name), made, key)
        arrays = every[collection]
    return arrays


def _tokens(collection):
    """{'types': the distinct tokens of the collection, one a line (0-d str array), 'ids': (n_tokens,)
    int32 index into types, 'offsets': (n_reviews + 1,) int64}: review i is ids[offsets[i]:offsets[i + 1]];
    from the cache when it matches the archive and the tokenizer, else made and cached."""
    key = {'archive_sha256': _verified_sha256(str(find_archive())), 'format': CACHE_FORMAT,
           'tokenizer': tokenizer.FINGERPRINT}
    arrays = _read_cache(cache_file('tokens', collection), key)
    if arrays is None:
        texts = _texts(collection)
        print(f'splitting the {len(texts["labels"]):,} {_COLLECTION_NAMES[collection]} reviews into tokens '
              f'once; they are kept in {_CORPUS.cache_dir()}', file=sys.stderr, flush=True)
        text, offsets = texts['text'].tobytes(), texts['offsets'].tolist()
        index, pieces = {}, []
        for start, end in zip(offsets[:-1], offsets[1:]):
            tokens = tokenizer.tokenize(text[start:end].decode('utf-8'))
            pieces.append(np.array([index.setdefault(token, len(index)) for token in tokens], dtype=np.int32))
        lengths = [len(piece) for piece in pieces]
        arrays = {'types': np.array('\n'.join(index)), 'ids': np.concatenate(pieces),
                  'offsets': np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)}
        _write_cache(cache_file('tokens', collection), arrays, key)
    return arrays


def _types(arrays):
    """The distinct tokens of a ``_tokens`` collection, in the order of their index."""
    return str(arrays['types']).split('\n')


def _encode(collection, vocabulary):
    """The reviews of a collection as a list of (L_i,) int32 arrays of ``vocabulary`` ids."""
    arrays = _tokens(collection)
    table = vocabulary.encode(_types(arrays))
    return np.split(table[arrays['ids']], arrays['offsets'][1:-1])


def _read_cache(path, key):
    """The arrays of the cache file at ``path`` if it was made for ``key`` (what it was made from);
    None otherwise (no file, another key, a damaged file)."""
    if not path.is_file():
        return None
    try:
        arrays = read_npz(path, 'cache file')
    except ValueError as err:
        print(f'note: {err}; making it again', file=sys.stderr)
        return None
    return arrays if str(arrays.get('key', '')) == json.dumps(key, sort_keys=True) else None


def _write_cache(path, arrays, key):
    """Keep ``arrays`` with ``key`` in the cache file at ``path`` (written atomically); a cache
    folder that cannot be written only costs the next run the time to make them again."""
    try:
        atomic_savez(path, {**arrays, 'key': np.array(json.dumps(key, sort_keys=True))})
    except OSError as err:
        print(f'note: could not keep {path.name} in the cache folder ({err}); the next run makes it again',
              file=sys.stderr)


def _read_archive(path):
    """Every review of the verified archive at ``path`` -> {collection: arrays}.

    For each collection ('train', 'test', 'unsup'): text (uint8: the UTF-8 bytes of its reviews, one
    after the other, in load order), offsets (n + 1,) int64 (review i is text[offsets[i]:offsets[i + 1]])
    and labels (n,) int8 (-1: no label).
    """
    found = {folder: {} for _, folder, _ in FOLDERS}
    try:
        with gzip.open(path, 'rb') as stream:
            with tarfile.open(fileobj=stream, mode='r|') as archive:
                for member in archive:
                    match = _REVIEW_NAME.fullmatch(member.name) if member.isfile() else None
                    if match is None:
                        _refuse_stray_member(path, member.name)
                        continue
                    folder, review_id, rating = match[1], int(match[2]), int(match[3])
                    if review_id in found[folder]:
                        raise DataFileError(f'{path}: two reviews with the ID {review_id} in '
                                            f'aclImdb/{folder}/ ({found[folder][review_id][2]} and '
                                            f'{member.name})')
                    found[folder][review_id] = (rating, archive.extractfile(member).read(), member.name)
            while stream.read(1 << 20):  # to the end of the gzip stream: a cut or damaged end is an error
                pass
    except DataFileError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataFileError(f'{path} is damaged (not a readable tar.gz archive): {err}') from None
    pieces = {}
    for collection, folder, label in FOLDERS:
        if not found[folder]:
            raise DataFileError(f'{path} holds no review in aclImdb/{folder}/: it is not the aclImdb archive')
        for review_id in sorted(found[folder]):
            rating, data, name = found[folder][review_id]
            _check_review(path, name, rating, label, data)
            pieces.setdefault(collection, []).append((data, label))
    every = {}
    for collection, reviews in pieces.items():
        lengths = [len(data) for data, _ in reviews]
        every[collection] = {
            'text': np.frombuffer(b''.join(data for data, _ in reviews), np.uint8),
            'offsets': np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            'labels': np.array([label for _, label in reviews], dtype=np.int8)}
    return every


def _refuse_stray_member(path, name):
    """ValueError for a file in a review folder whose name is not ID_RATING.txt; others are skipped."""
    folder = name.rsplit('/', 1)[0]
    if any(folder == f'aclImdb/{review_folder}' for _, review_folder, _ in FOLDERS) and name.endswith('.txt'):
        raise DataFileError(f'{path}: {name} is not named ID_RATING.txt like a review')


def _check_review(path, name, rating, label, data):
    """ValueError naming the member when its rating does not fit its folder, or its text is
    empty or not UTF-8."""
    if rating not in RATINGS[label]:
        allowed = RATINGS[label]
        raise DataFileError(f'{path}: {name} has the rating {rating}, outside the ratings {allowed.start}-'
                         f'{allowed.stop - 1} of its folder')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as err:
        raise DataFileError(f'{path}: {name} is not UTF-8 ({err})') from None
    if not text.strip():
        raise DataFileError(f'{path}: {name} is an empty review')

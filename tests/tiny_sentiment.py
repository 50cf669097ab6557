"""Small movie-review archives for the chapter-10 scripts, built by the tests: an aclImdb tar.gz and
an SST zip whose texts say what they think with a few words (good, dull, ...), so a classifier can
learn them from tens of examples and a language model has something to read.

``tiny_sentiment`` (a fixture) points ``dataset.imdb`` and ``dataset.sst`` at them, in a folder of
their own, with an empty cache folder.
"""
import numpy as np
import pytest

from dataset import imdb, sst
from test_imdb import write_archive as write_imdb_archive
from test_sst import write_archive as write_sst_archive

GOOD = ['good', 'great', 'clever', 'enjoyable', 'fun', 'moving']
BAD = ['bad', 'dull', 'boring', 'tedious', 'awful', 'weak']
FILLER = ['the', 'film', 'movie', 'is', 'was', 'a', 'plot', 'acting', 'story', 'and', 'very', 'really', ',']


def review(rng, label, length):
    """A review of about ``length`` words: filler words with a few of the label's words."""
    words = list(rng.choice(FILLER, length))
    for k in rng.choice(length, max(1, length // 5), replace=False):
        words[k] = rng.choice(GOOD if label else BAD)
    return ' '.join(words).capitalize() + '.'


def imdb_members(rng, per_folder=12, unlabelled=30):
    """{member name: text} of an aclImdb archive with ``per_folder`` reviews in each labelled
    folder (a '<br />' in some) and ``unlabelled`` in train/unsup."""
    members = {}
    for split in ('train', 'test'):
        for label, folder, ratings in ((0, 'neg', (1, 4)), (1, 'pos', (7, 10))):
            for k in range(per_folder):
                text = review(rng, label, int(rng.integers(8, 30)))
                if k % 3 == 0:
                    text += '<br /><br />' + review(rng, label, 6)
                members[f'aclImdb/{split}/{folder}/{k}_{ratings[k % 2]}.txt'] = text
    for k in range(unlabelled):
        members[f'aclImdb/train/unsup/{k}_0.txt'] = review(rng, k % 2, int(rng.integers(20, 60)))
    return members


def tree(words, label):
    """A right-branching SST tree over ``words``: every phrase labelled ``label`` (3 or 1), every
    leaf but the sentiment words neutral (2)."""
    def leaf(word):
        return f'({label if word in GOOD + BAD else 2} {word})'
    text = leaf(words[-1])
    for word in reversed(words[:-1]):
        text = f'({label} {leaf(word)} {text})'
    return text


def sst_lines(rng, n, neutral=1):
    """``n`` labelled trees (label 3 or 1 at the root, alternating) and ``neutral`` with a neutral root."""
    lines = []
    for k in range(n):
        label = 1 - k % 2
        words = review(rng, label, int(rng.integers(4, 12))).rstrip('.').split()
        lines.append(tree(words, 3 if label else 1))
    return lines + ['(2 (2 A) (2 film))'] * neutral


@pytest.fixture
def tiny_sentiment(tmp_path, monkeypatch):
    """dataset.imdb and dataset.sst pointed at small archives in DLFS_DATA_DIR (a new cache folder)."""
    rng = np.random.default_rng(0)
    data = tmp_path / 'data'
    monkeypatch.setenv('DLFS_DATA_DIR', str(data))
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))
    digest = write_imdb_archive(data / imdb.TEXT_ONLY, imdb_members(rng))
    monkeypatch.setattr(imdb, 'SHA256', {**imdb.SHA256, imdb.TEXT_ONLY: digest})
    digest = write_sst_archive(data / 'sst' / sst.ARCHIVE, {'train': sst_lines(rng, 40), 'dev': sst_lines(rng, 20),
                                                            'test': sst_lines(rng, 30)})
    monkeypatch.setattr(sst, 'SHA256', digest)
    imdb._verified_sha256.cache_clear()
    sst._read_archive.cache_clear()
    yield data
    imdb._verified_sha256.cache_clear()
    sst._read_archive.cache_clear()

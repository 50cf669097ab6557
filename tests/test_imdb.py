"""dataset.imdb on small archives in the aclImdb layout built here (order, labels, exact texts, the
cache of texts and tokens, the vocabulary, bad input) and on the real archive when it is found."""
import hashlib
import io
import tarfile

import numpy as np
import pytest

from dataset import imdb, tokenizer
from dataset.vocabulary import UNK_ID, Vocabulary

REVIEWS = {
    'aclImdb/train/pos/0_9.txt': 'A clever film.<br /><br />I loved it!',
    'aclImdb/train/pos/10_7.txt': 'Good fun, clever too.',
    'aclImdb/train/pos/2_10.txt': 'Great: a caf\u00e9 scene I won\'t forget.',
    'aclImdb/train/neg/1_2.txt': 'Dull and dull again.',
    'aclImdb/test/pos/0_8.txt': 'Enjoyable and clever.',
    'aclImdb/test/neg/0_1.txt': 'Tedious.',
    'aclImdb/train/unsup/0_0.txt': 'A film about a film, clever or dull?',
}
OTHER_FILES = {'aclImdb/README': 'about the data', 'aclImdb/train/urls_pos.txt': 'http://x',
               'aclImdb/train/labeledBow.feat': '0 9:1'}


def write_archive(path, members):
    """A tar.gz of {member name: text} (UTF-8), with the folders as entries; -> its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, 'w:gz') as archive:
        for folder in sorted({name.rsplit('/', 1)[0] for name in members}):
            entry = tarfile.TarInfo(folder)
            entry.type = tarfile.DIRTYPE
            archive.addfile(entry)
        for name, text in members.items():
            data = text.encode('utf-8')
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small_imdb(tmp_path, monkeypatch):
    """imdb pointed at a small archive (named like the text-only one) in DLFS_DATA_DIR and an empty
    cache folder; ``use(members)`` writes another and makes the loader accept its SHA-256."""
    path = tmp_path / 'data' / imdb.TEXT_ONLY
    monkeypatch.setenv('DLFS_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))

    def use(members):
        monkeypatch.setattr(imdb, 'SHA256', {**imdb.SHA256, imdb.TEXT_ONLY: write_archive(path, members)})
        imdb._verified_sha256.cache_clear()
        return path

    use({**REVIEWS, **OTHER_FILES})
    yield use
    imdb._verified_sha256.cache_clear()


def test_reviews_are_exact_texts_negative_first_then_by_number(small_imdb):
    reviews, labels = imdb.load_data('train')
    names = ['aclImdb/train/neg/1_2.txt', 'aclImdb/train/pos/0_9.txt', 'aclImdb/train/pos/2_10.txt',
             'aclImdb/train/pos/10_7.txt']  # 2 before 10: by number, not by name
    assert reviews == [REVIEWS[name] for name in names]
    assert labels.dtype == np.int32 and labels.tolist() == [0, 1, 1, 1]
    reviews, labels = imdb.load_data('test')
    assert reviews == ['Tedious.', 'Enjoyable and clever.'] and labels.tolist() == [0, 1]
    assert imdb.load_unlabelled() == ['A film about a film, clever or dull?']


def test_the_texts_are_cached_outside_the_data_dir_and_read_from_there(small_imdb, tmp_path, monkeypatch):
    first = imdb.load_data('train')
    assert sorted(p.name for p in (tmp_path / 'cache' / 'imdb').iterdir()) == [
        'reviews_test.npz', 'reviews_train.npz', 'reviews_unsup.npz']
    assert sorted(p.name for p in (tmp_path / 'data').iterdir()) == [imdb.TEXT_ONLY]

    def no_archive_read(path):
        raise AssertionError('the archive was read although the cache matches it')
    monkeypatch.setattr(imdb, '_read_archive', no_archive_read)
    again = imdb.load_data('train')
    assert again[0] == first[0] and again[1].tolist() == first[1].tolist()
    assert imdb.load_unlabelled() == [REVIEWS['aclImdb/train/unsup/0_0.txt']]


def test_another_archive_makes_the_cache_again(small_imdb):
    assert imdb.load_data('test')[0] == ['Tedious.', 'Enjoyable and clever.']
    small_imdb({**REVIEWS, 'aclImdb/test/neg/0_1.txt': 'Tedious, and too long.'})
    assert imdb.load_data('test')[0] == ['Tedious, and too long.', 'Enjoyable and clever.']


def test_the_canonical_name_is_found_too(small_imdb, tmp_path, monkeypatch):
    path = tmp_path / 'data' / 'imdb' / imdb.CANONICAL
    monkeypatch.setattr(imdb, 'SHA256', {imdb.CANONICAL: write_archive(path, REVIEWS)})
    imdb._verified_sha256.cache_clear()
    assert imdb.find_archive() == path
    assert len(imdb.load_data('train')[0]) == 4


def test_the_vocabulary_counts_unlabelled_and_training_reviews_only(small_imdb):
    counts = imdb.token_counts()
    expected = {}
    for name, text in REVIEWS.items():
        if '/test/' not in name:
            for token in tokenizer.tokenize(text):
                expected[token] = expected.get(token, 0) + 1
    assert counts == expected
    assert 'tedious' not in counts and 'enjoyable' not in counts  # test reviews' words
    assert counts['clever'] == 3 and counts['a'] == 4 and '<' not in counts and 'br' not in counts
    vocabulary = imdb.build_vocabulary(size=8)  # most frequent first, ties alphabetical
    assert vocabulary.words == ('<pad>', '<unk>', '<eos>', '.', 'a', 'clever', 'dull', 'film')


def test_token_ids_follow_the_tokenizer_and_the_vocabulary(small_imdb):
    vocabulary = imdb.build_vocabulary()
    for split in ('train', 'test'):
        ids, labels = imdb.load_ids(split, vocabulary)
        reviews, expected_labels = imdb.load_data(split)
        assert [review.dtype for review in ids] == [np.int32] * len(reviews)
        assert [review.tolist() for review in ids] == [vocabulary.encode(tokenizer.tokenize(r)).tolist()
                                                        for r in reviews]
        assert labels.tolist() == expected_labels.tolist()
    test_ids, _ = imdb.load_ids('test', vocabulary)
    assert test_ids[0].tolist() == [UNK_ID, vocabulary.word_to_id['.']]  # 'tedious' is a test word only
    assert [r.tolist() for r in imdb.load_unlabelled_ids(vocabulary)] == [
        vocabulary.encode(tokenizer.tokenize(REVIEWS['aclImdb/train/unsup/0_0.txt'])).tolist()]


def test_the_tokens_are_made_again_when_the_tokenizer_changes(small_imdb, monkeypatch):
    assert "n't" in imdb.token_counts()
    monkeypatch.setattr(tokenizer, 'tokenize', str.split)  # the cache still answers for the old tokenizer
    assert "n't" in imdb.token_counts()
    monkeypatch.setattr(tokenizer, 'FINGERPRINT', 'another')
    counts = imdb.token_counts()
    assert "won't" in counts and "n't" not in counts


def test_an_unknown_split_lists_the_choices():
    for call in (lambda: imdb.load_data('unsup'), lambda: imdb.load_ids('valid', Vocabulary([]))):
        with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got"):
            call()


@pytest.mark.parametrize('name, text, problem', [
    ('aclImdb/train/pos/3_8.txt', ' \n ', 'is an empty review'),
    ('aclImdb/train/pos/3_5.txt', 'So-so.', 'has the rating 5, outside the ratings 7-10 of its folder'),
    ('aclImdb/test/neg/3_9.txt', 'Great.', 'has the rating 9, outside the ratings 1-4 of its folder'),
    ('aclImdb/train/unsup/3_7.txt', 'Fine.', 'has the rating 7, outside the ratings 0-0 of its folder'),
    ('aclImdb/train/neg/notes.txt', 'Bad.', 'is not named ID_RATING.txt like a review'),
])
def test_a_bad_review_file_is_named(small_imdb, name, text, problem):
    path = small_imdb({**REVIEWS, name: text})
    with pytest.raises(ValueError) as info:
        imdb.load_data('train')
    assert str(info.value) == f'{path}: {name} {problem}'


def test_a_damaged_archive_is_refused_in_one_line_naming_the_file(small_imdb, monkeypatch):
    path = small_imdb(REVIEWS)
    path.write_bytes(path.read_bytes()[:-30])
    imdb._verified_sha256.cache_clear()
    with pytest.raises(ValueError) as info:
        imdb.load_data('train')
    assert str(info.value).startswith(f'{path} is not the expected IMDB file: its SHA-256 is ')
    assert '\n' not in str(info.value)
    damaged_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(imdb, 'SHA256', {**imdb.SHA256, imdb.TEXT_ONLY: damaged_sha256})
    imdb._verified_sha256.cache_clear()
    with pytest.raises(ValueError) as info:
        imdb.load_data('train')
    assert str(info.value).startswith(f'{path} is damaged (not a readable tar.gz archive)')
    assert '\n' not in str(info.value)
    without_test = {name: text for name, text in REVIEWS.items() if '/test/pos/' not in name}
    small_imdb(without_test)
    with pytest.raises(ValueError, match='holds no review in aclImdb/test/pos/: it is not the aclImdb archive'):
        imdb.load_data('train')


# ---- the real archive (counts and sizes: the README of the shared data folder, Maas et al. 2011)

@pytest.mark.usefixtures('needs_imdb')
def test_the_real_reviews_have_their_published_counts_and_sizes():
    bytes_per_folder = {('train', 1): 16_842_831, ('train', 0): 16_289_992, ('test', 1): 16_283_357,
                        ('test', 0): 16_067_328}
    for split in imdb.SPLITS:
        reviews, labels = imdb.load_data(split)
        assert len(reviews) == 25_000 and np.bincount(labels).tolist() == [12_500, 12_500]
        assert labels[:12_500].max() == 0  # negative first
        for label in (0, 1):
            size = sum(len(r.encode('utf-8')) for r, y in zip(reviews, labels) if y == label)
            assert size == bytes_per_folder[split, label]
    unlabelled = imdb.load_unlabelled()
    assert len(unlabelled) == 50_000 and sum(len(r.encode('utf-8')) for r in unlabelled) == 66_506_794

"""dataset.ptb on the real Penn Treebank files (needs DLFS_DATA_DIR), plus its argument errors."""
import numpy as np
import pytest

from dataset import ptb

FILES = ('ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt')


@pytest.fixture
def data_dir(needs_ptb):
    return ptb.local_file('ptb.train.txt').parent


def test_sizes_and_vocabulary(data_dir):
    sizes = {'train': 929_589, 'valid': 73_760, 'test': 82_430}
    for data_type, size in sizes.items():
        corpus, word_to_id, id_to_word = ptb.load_data(data_type)
        assert corpus.shape == (size,) and corpus.dtype == np.int32
        assert len(word_to_id) == len(id_to_word) == 10_000
        assert 0 <= corpus.min() and corpus.max() < 10_000
    assert len(np.unique(ptb.load_data('train')[0])) == 10_000


def test_train_starts_with_the_first_line_and_ids_follow_first_appearance(data_dir):
    corpus, word_to_id, id_to_word = ptb.load_data('train')
    first = ['aer', 'banknote', 'berlitz', 'calloway', 'centrust', 'cluett', 'fromstein', 'gitano']
    assert [id_to_word[i] for i in corpus[:8]] == first
    np.testing.assert_array_equal(corpus[:8], np.arange(8))
    assert id_to_word[corpus[24]] == '<eos>'  # the first line holds 24 words
    assert all(word_to_id[word] == i for i, word in id_to_word.items())


def test_val_is_valid_and_splits_share_the_train_vocabulary(data_dir):
    val, val_w2i, _ = ptb.load_data('val')
    valid, valid_w2i, _ = ptb.load_data('valid')
    np.testing.assert_array_equal(val, valid)
    _, train_w2i, _ = ptb.load_data('train')
    test, test_w2i, test_i2w = ptb.load_data('test')
    assert val_w2i == valid_w2i == train_w2i == test_w2i
    # decode the start of test and compare with the raw file, read here independently
    lines = (data_dir / 'ptb.test.txt').read_text().splitlines()[:3]
    words = [word for line in lines for word in line.split() + ['<eos>']]
    assert [test_i2w[i] for i in test[:len(words)]] == words


def test_results_are_copies(data_dir):
    corpus, word_to_id, id_to_word = ptb.load_data('train')
    corpus[:] = 0
    word_to_id.clear()
    id_to_word[0] = 'changed'
    again, word_to_id2, id_to_word2 = ptb.load_data('train')
    assert again[1] == 1 and len(word_to_id2) == 10_000 and id_to_word2[0] == 'aer'


def test_bad_data_type_lists_the_accepted_values():
    with pytest.raises(ValueError, match="'train', 'val', 'valid', 'test'.*'training'"):
        ptb.load_data('training')


def test_missing_data_dir_is_named(tmp_path, monkeypatch):
    missing = tmp_path / 'no-such-folder'
    monkeypatch.setenv('DLFS_DATA_DIR', str(missing))
    with pytest.raises(FileNotFoundError, match='no-such-folder'):
        ptb.load_data('train')

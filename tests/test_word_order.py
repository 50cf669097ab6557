"""dataset.word_order and dataset.ptb.load_sentences on the real PTB files (need DLFS_DATA_DIR)."""
import os
from collections import Counter

import numpy as np
import pytest

from dataset import ptb, word_order


@pytest.fixture(scope='module')
def ptb_files():
    if not os.environ.get('DLFS_DATA_DIR'):
        pytest.skip('real PTB test: set DLFS_DATA_DIR to the folder holding the PTB files')


def test_load_sentences_rebuild_the_corpus(ptb_files):
    corpus, word_to_id, _ = ptb.load_data('valid')
    sentences = ptb.load_sentences('valid')
    assert len(sentences) == 3370 == np.count_nonzero(corpus == word_to_id['<eos>'])
    eos = np.array([word_to_id['<eos>']], dtype=np.int32)
    np.testing.assert_array_equal(np.concatenate([np.concatenate([s, eos]) for s in sentences]), corpus)


def test_splits_are_balanced_disjoint_and_use_each_sentence_once(ptb_files):
    splits = word_order.load_data(n_train=600, n_valid=400, n_test=400, seed=3)
    keys = []
    for (sentences, labels), n in zip(splits, (600, 400, 400)):
        assert len(sentences) == len(labels) == n
        assert labels.sum() == n // 2 and set(labels.tolist()) == {0, 1}
        assert min(len(s) for s in sentences) >= word_order.MIN_LENGTH
        keys.append({tuple(sorted(s.tolist())) + (len(s),) for s in sentences})  # bag of words
        assert len(keys[-1]) == n  # no bag twice in a split: each sentence used once
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])


def test_every_swapped_sentence_differs_in_exactly_two_positions(ptb_files):
    (sentences, labels), _, _ = word_order.load_data(n_train=400, n_valid=2, n_test=2, seed=5)
    originals = {}
    for sentence in word_order.candidate_sentences()['train']:
        originals.setdefault(tuple(sorted(sentence.tolist())), []).append(sentence)
    for sentence, label in zip(sentences, labels):
        matches = originals[tuple(sorted(sentence.tolist()))]
        differences = [np.flatnonzero(m != sentence) for m in matches if len(m) == len(sentence)]
        if label == 1:
            assert any(d.size == 0 for d in differences)
        else:
            two = [d for d in differences if d.size == 2]
            assert two and all(d.size != 0 for d in differences)
            i, j = two[0]
            assert sentence[i] != sentence[j]


def test_same_seed_same_data_and_bad_sizes_are_refused(ptb_files):
    a = word_order.load_data(20, 20, 20, seed=7)
    b = word_order.load_data(20, 20, 20, seed=7)
    c = word_order.load_data(20, 20, 20, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a[2][0], b[2][0]))
    assert not all(np.array_equal(x, y) for x, y in zip(a[2][0], c[2][0]))
    bigger_train = word_order.load_data(40, 20, 20, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a[2][0], bigger_train[2][0]))  # same test split
    with pytest.raises(ValueError, match='even'):
        word_order.load_data(n_train=21)
    with pytest.raises(ValueError, match='usable sentences of PTB test'):
        word_order.load_data(n_test=100_000)


def test_swap_keeps_the_bag_of_words_and_changes_two_places():
    rng = np.random.default_rng(0)
    sentence = np.array([4, 4, 4, 7, 4, 9])
    for _ in range(200):
        swapped = word_order.swap_two_words(sentence, rng)
        assert Counter(swapped.tolist()) == Counter(sentence.tolist())
        assert np.count_nonzero(swapped != sentence) == 2
    with pytest.raises(ValueError, match='two different words'):
        word_order.swap_two_words(np.array([3, 3, 3, 3, 3]), rng)



def test_all_swaps_lists_each_copy_a_swap_can_make_once():
    sentence = np.array([4, 7, 4, 9])  # pairs of different words: (0,1) (0,3) (1,2) (1,3) (2,3)
    copies = word_order.all_swaps(sentence)
    assert copies.tolist() == [[7, 4, 4, 9], [9, 7, 4, 4], [4, 4, 7, 9], [4, 9, 4, 7], [4, 7, 9, 4]]
    rng = np.random.default_rng(0)
    drawn = {tuple(word_order.swap_two_words(sentence, rng)) for _ in range(200)}
    assert drawn == {tuple(row) for row in copies}
    assert word_order.all_swaps(np.array([3, 3, 3])).shape == (0, 3)

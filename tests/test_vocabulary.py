"""dataset.vocabulary: ids, encoding, the round trip through an .npz file and the mismatch error."""
import numpy as np
import pytest

from common.npz_file import atomic_savez, read_npz
from dataset.vocabulary import EOS_ID, PAD_ID, UNK_ID, Vocabulary


def test_special_ids_come_first_then_the_words_most_frequent_first():
    vocabulary = Vocabulary.from_counts({'film': 5, 'dull': 2, 'clever': 2, 'a': 9, 'rare': 1}, size=7)
    assert vocabulary.words == ('<pad>', '<unk>', '<eos>', 'a', 'film', 'clever', 'dull')  # ties: a-z
    assert (PAD_ID, UNK_ID, EOS_ID) == (0, 1, 2) and len(vocabulary) == 7
    assert vocabulary.word_to_id['clever'] == 5
    assert len(Vocabulary.from_counts({'a': 1}, size=100)) == 4  # fewer words than asked for


def test_encode_maps_unknown_words_to_unk_and_decode_inverts_it():
    vocabulary = Vocabulary(['a', 'clever', 'film'])
    ids = vocabulary.encode(['a', 'very', 'clever', 'film', '<eos>'])
    assert ids.dtype == np.int32 and ids.tolist() == [3, UNK_ID, 4, 5, EOS_ID]
    assert vocabulary.decode(ids) == ['a', '<unk>', 'clever', 'film', '<eos>']
    assert vocabulary.encode([]).shape == (0,)


def test_round_trip_through_an_npz_file(tmp_path):
    vocabulary = Vocabulary(['a', 'café', "n't", '10/10'])
    path = tmp_path / 'model.npz'
    atomic_savez(path, {'W': np.zeros((len(vocabulary), 2), np.float32), **vocabulary.to_arrays()})
    arrays = read_npz(path)  # no pickle
    assert arrays['vocabulary'].dtype.kind == 'U'
    again = Vocabulary.from_arrays(arrays)
    assert again.words == vocabulary.words and again.fingerprint == vocabulary.fingerprint
    assert again.encode(['café', 'x']).tolist() == [4, UNK_ID]


def test_the_fingerprint_depends_on_every_word_and_its_place():
    base = Vocabulary(['a', 'b']).fingerprint
    assert len(base) == 16 and int(base, 16) >= 0
    assert Vocabulary(['b', 'a']).fingerprint != base != Vocabulary(['a', 'b', 'c']).fingerprint
    assert Vocabulary(['a', 'b']).fingerprint == base


def test_another_vocabulary_is_a_clear_error():
    trained = Vocabulary(['a', 'clever', 'film'])
    trained.check_same(Vocabulary(['a', 'clever', 'film']))
    with pytest.raises(ValueError) as info:
        Vocabulary(['a', 'dull', 'film']).check_same(trained)
    assert str(info.value) == (f'this model was trained with another vocabulary (6 ids, fingerprint '
                               f'{trained.fingerprint}) than this one (6 ids, fingerprint '
                               f"{Vocabulary(['a', 'dull', 'film']).fingerprint}): id 4 is 'clever' there, "
                               f"'dull' here")
    shorter = r'was trained with another vocabulary \(6 ids.*\(5 ids.*it has 6 ids, this one 5'
    with pytest.raises(ValueError, match=shorter):
        Vocabulary(['a', 'clever']).check_same(trained, what='checkpoint.npz')


@pytest.mark.parametrize('words, problem', [
    (['a', 'a'], "the word 'a' is given twice"),
    (['a', '<unk>'], "the word '<unk>' is given twice"),
    (['two words'], "must be a str without white space; got 'two words'"),
    ([''], 'must be a str without white space'),
    ([3], 'must be a str without white space; got 3'),
])
def test_bad_words_are_refused(words, problem):
    with pytest.raises(ValueError, match=problem):
        Vocabulary(words)


def test_bad_arrays_are_refused():
    with pytest.raises(ValueError, match="checkpoint holds no vocabulary"):
        Vocabulary.from_arrays({'W': np.zeros(3)})
    with pytest.raises(ValueError, match='must be a 1-D unicode array'):
        Vocabulary.from_arrays({'vocabulary': np.arange(3)})
    with pytest.raises(ValueError, match=r"must start with \('<pad>', '<unk>', '<eos>'\)"):
        Vocabulary.from_arrays({'vocabulary': np.array(['<unk>', '<pad>', '<eos>', 'a'])})
    with pytest.raises(ValueError, match='size must be at least 4'):
        Vocabulary.from_counts({'a': 1}, size=3)

"""dataset.sst on small archives built here (the tree parser, sentences, phrases, bad input) and
on the real Stanford Sentiment Treebank when it is found (its published counts)."""
import hashlib
import zipfile

import numpy as np
import pytest

from dataset import sst

TRAIN = [
    "(3 (2 It) (3 (2 's) (3 (3 clever) (2 fun))))",
    '(2 (2 A) (2 film))',                                   # a neutral root
    '(1 (2 Not) (1 (1 clever) (2 fun)))',                   # 'clever' again, with another label
]
DEV = ["(4 (2 -LRB-) (4 (4 great) (2 -RRB-)))"]
TEST = ['(0 (0 Dull) (2 .))', "(1 (2 2\xa01\\/2) (1 hours))"]


def write_archive(path, members):
    """A zip holding trees/<split>.txt for each {split: lines}; -> its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('trees/', '')
        for split, lines in members.items():
            archive.writestr(f'trees/{split}.txt', ''.join(line + '\n' for line in lines))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small_sst(tmp_path, monkeypatch):
    """sst pointed at a small archive in DLFS_DATA_DIR/sst/; returns its path (rewrite it with
    ``use``, which also makes the loader accept the new file's SHA-256)."""
    path = tmp_path / 'data' / 'sst' / sst.ARCHIVE
    monkeypatch.setenv('DLFS_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))
    sst._read_archive.cache_clear()

    def use(members):
        monkeypatch.setattr(sst, 'SHA256', write_archive(path, members))
        sst._read_archive.cache_clear()
        return path

    use({'train': TRAIN, 'dev': DEV, 'test': TEST})
    yield use
    sst._read_archive.cache_clear()


def test_sentences_are_the_leaves_verbatim_and_binary_drops_the_neutral_root(small_sst):
    sentences, labels = sst.load_data('train')
    assert sentences == [['It', "'s", 'clever', 'fun'], ['Not', 'clever', 'fun']]
    assert labels.dtype == np.int32 and labels.tolist() == [1, 0]
    sentences, labels = sst.load_data('train', binary=False)
    assert [len(s) for s in sentences] == [4, 2, 3] and labels.tolist() == [3, 2, 1]
    assert sst.load_data('dev', binary=False)[0] == [['-LRB-', 'great', '-RRB-']]
    # a no-break space inside a leaf
    assert sst.load_data('test')[0] == [['Dull', '.'], ['2\xa01\\/2', 'hours']]


def test_phrases_are_every_node_once_root_first_and_keep_their_first_label(small_sst):
    phrases, labels = sst.load_phrases('train', binary=False)
    expected = [("It 's clever fun", 3), ('It', 2), ("'s clever fun", 3), ("'s", 2), ('clever fun', 3),
                ('clever', 3), ('fun', 2), ('A film', 2), ('A', 2), ('film', 2), ('Not clever fun', 1),
                ('Not', 2)]  # then 'clever fun' and 'clever' again (labels 1), 'fun': not repeated
    assert [(' '.join(p), label) for p, label in zip(phrases, labels.tolist())] == expected
    phrases, labels = sst.load_phrases('train')
    assert [(' '.join(p), label) for p, label in zip(phrases, labels.tolist())] == [
        ("It 's clever fun", 1), ("'s clever fun", 1), ('clever fun', 1), ('clever', 1),
        ('Not clever fun', 0)]


def test_parse_tree_gives_leaves_and_pre_order_spans():
    leaves, spans = sst.parse_tree('(3 (2 It) (3 (2 works) (4 well)))')
    assert leaves == ['It', 'works', 'well']
    assert spans == [(0, 3, 3), (0, 1, 2), (1, 3, 3), (1, 2, 2), (2, 3, 4)]


@pytest.mark.parametrize('line, problem', [
    ('(3 (2 It) (2 works)', r'ends with 1 node\(s\) not closed'),
    ('(3 (2 It) (2 works)))', r'a "\)" that closes no node'),
    ('(7 (2 It) (2 works))', "label '7' is outside the classes 0-4"),
    ('(x (2 It) (2 works))', "label 'x' is outside the classes 0-4"),
    ('( (2 It))', 'a node without a label'),
    ('(3 (2 It) works)', "the word 'works' stands outside a leaf"),
    ('(3 (2 It works))', "the leaf 'It' is not closed"),
    ('(3 (2 It) (2))', 'a node without words'),
    ('(2 It) (2 works)', 'a second tree'),
    ('', 'no tree on the line'),
])
def test_a_malformed_tree_says_what_is_wrong(line, problem):
    with pytest.raises(ValueError, match=problem):
        sst.parse_tree(line)


def test_a_malformed_line_names_the_archive_the_member_and_the_line(small_sst):
    path = small_sst({'train': TRAIN, 'dev': [DEV[0], '(3 (2 good) (9 fun))'], 'test': TEST})
    with pytest.raises(ValueError) as info:
        sst.load_data('train')
    assert str(info.value) == f"{path}: trees/dev.txt line 2: label '9' is outside the classes 0-4"


def test_an_unknown_split_lists_the_choices():
    with pytest.raises(ValueError, match="split must be one of 'train', 'dev', 'test'; got 'valid'"):
        sst.load_data('valid')
    with pytest.raises(ValueError, match="'train', 'dev', 'test'"):
        sst.load_phrases('training')


def test_a_damaged_archive_is_refused_in_one_line_naming_the_file(small_sst, monkeypatch):
    path = small_sst({'train': TRAIN, 'dev': DEV, 'test': TEST})
    path.write_bytes(path.read_bytes()[:-40])  # truncated: not the archive with the known SHA-256
    with pytest.raises(ValueError) as info:
        sst.load_data('train')
    message = str(info.value)
    assert message.startswith(f'{path} is not the expected SST file') and sst.URL in message
    assert '\n' not in message
    monkeypatch.setattr(sst, 'SHA256', hashlib.sha256(path.read_bytes()).hexdigest())
    sst._read_archive.cache_clear()
    damaged = r'^\S+trainDevTestTrees_PTB\.zip is damaged \(not a readable zip'
    with pytest.raises(ValueError, match=damaged) as info:
        sst.load_data('train')
    assert '\n' not in str(info.value)
    small_sst({'train': TRAIN, 'test': TEST})
    with pytest.raises(ValueError, match=r"is damaged: it has no member trees/dev\.txt"):
        sst.load_data('train')


# ---- the real archive (published counts: the README of the shared data folder, Socher et al. 2013)

@pytest.mark.usefixtures('needs_sst')
def test_the_real_treebank_has_its_published_counts():
    published = {'train': (8_544, [1_092, 2_218, 1_624, 2_322, 1_288], 163_563, 318_582),
                 'dev': (1_101, [139, 289, 229, 279, 165], 21_274, 41_447),
                 'test': (2_210, [279, 633, 389, 510, 399], 42_405, 82_600)}
    for split, (sentences, per_class, tokens, nodes) in published.items():
        words, labels = sst.load_data(split, binary=False)
        assert len(words) == sentences and np.bincount(labels).tolist() == per_class
        assert sum(map(len, words)) == tokens
        binary_words, binary_labels = sst.load_data(split)
        assert len(binary_words) == sentences - per_class[2]
        negative, positive = per_class[0] + per_class[1], per_class[3] + per_class[4]
        assert np.bincount(binary_labels).tolist() == [negative, positive]
        trees = sst._read_split(split)
        assert sum(len(spans) for _, spans in trees) == nodes  # 'labelled nodes' in the README


@pytest.mark.usefixtures('needs_sst')
def test_the_real_phrases_hold_every_sentence_once():
    phrases, labels = sst.load_phrases('train')
    sentences, sentence_labels = sst.load_data('train')
    index = {tuple(p): label for p, label in zip(phrases, labels.tolist())}
    assert len(index) == len(phrases) > 10 * len(sentences)
    assert all(index[tuple(s)] == label for s, label in zip(sentences, sentence_labels.tolist()))

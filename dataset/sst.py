"""Stanford Sentiment Treebank (SST): movie-review sentences with a sentiment on every phrase.

Socher et al., "Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank",
EMNLP 2013.  The archive trainDevTestTrees_PTB.zip (URL) holds trees/train.txt, trees/dev.txt and
trees/test.txt: one sentence a line as a binary parse tree in bracket form, every node labelled
with a class 0-4 (very negative, negative, neutral, positive, very positive), the leaves being
the sentence's tokens, already split the Penn Treebank way (``do n't``, ``-LRB-`` for '('):

    (3 (2 It) (4 (4 (2 's) (4 (3 (2 a) (4 (3 lovely) (2 film))) ...

The archive is found as ``dataset.files`` says (DLFS_DATA_DIR, its subfolder sst/, the cache
folder, a download) and checked against its SHA-256 before it is read.

Sentences per split (train / dev / test): 8,544 / 1,101 / 2,210 with the five classes; 6,920 /
872 / 1,821 in the binary task, which keeps roots 0-1 as negative (0) and 3-4 as positive (1)
and drops the neutral ones.
"""
import functools
import hashlib
import io
import re
import zipfile
import zlib

import numpy as np

from dataset.files import Corpus, DataFileError

ARCHIVE = 'trainDevTestTrees_PTB.zip'
URL = 'https://nlp.stanford.edu/sentiment/' + ARCHIVE
SHA256 = '5c613a4f673fc74097d523a2c83f38e0cc462984d847b82c7aaf36b01cbbbfcc'
SPLITS = ('train', 'dev', 'test')
NUM_CLASSES = 5
NEUTRAL = 2
_CORPUS = Corpus('sst', 'SST', ARCHIVE, URL)
_LABELS = tuple(str(label) for label in range(NUM_CLASSES))
# '(' , ')' or a label/word; words are separated by ASCII spaces only (a leaf such as '2\xa01\/2'
# holds a no-break space).
_TREE_TOKEN = re.compile(r'[()]|[^ ()]+')


def load_data(split='train', binary=True):
    """The sentences of one split with the sentiment of each (the label of its tree's root).

    split: 'train' | 'dev' | 'test'; binary: True for the two-class task (roots 0-1 -> 0,
    3-4 -> 1, neutral roots dropped), False for the five classes 0-4.
    Returns (sentences, labels): sentences a list of lists of str, each the leaves of one tree,
    verbatim and in file order; labels (n,) int32.
    """
    trees = _read_split(split)
    return _labelled([(leaves, spans[0][2]) for leaves, spans in trees], binary)


def load_phrases(split='train', binary=True):
    """Every labelled phrase of one split's trees (each node's words), each distinct phrase once.

    This is the phrase-level training set of SST (GLUE's SST-2 trains on the phrases of the
    training trees).  Two phrases are the same when their words are, case included; a phrase that
    occurs more than once keeps the label of its first occurrence (in the real treebank a repeated
    phrase always has the same label).  Phrases come in the order of first occurrence: trees in
    file order, the nodes of a tree root first, then the left subtree before the right one (so a
    sentence comes before its parts).  Binary and split as in ``load_data``: with binary=True the
    neutral phrases are dropped.
    Returns (phrases, labels): a list of lists of str, (n,) int32.
    """
    phrases = {}
    for leaves, spans in _read_split(split):
        for start, end, label in spans:
            phrases.setdefault(tuple(leaves[start:end]), label)
    return _labelled([(list(words), label) for words, label in phrases.items()], binary)


def find_archive():
    """Path of trainDevTestTrees_PTB.zip: DLFS_DATA_DIR, else the cache folder, else downloaded there."""
    return _CORPUS.find_file((ARCHIVE,), URL, SHA256)


def found_without_download():
    """Whether the archive is in DLFS_DATA_DIR or the cache folder (what tests need)."""
    try:
        return _CORPUS.local_file(ARCHIVE) is not None
    except OSError:
        return False


def parse_tree(line):
    """One labelled tree in bracket form -> (leaves, spans).

    leaves: the words, left to right (list of str); spans: one (start, end, label) per node, root
    first, then each node before its children, left child before right (pre-order); the node
    covers leaves[start:end].  Raises ValueError saying what is wrong with the line.
    """
    tokens = _TREE_TOKEN.findall(line)
    leaves, spans, open_nodes = [], [], []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == '(':
            if open_nodes == [] and spans:
                raise ValueError('a second tree after the end of the first')
            label = tokens[i + 1] if i + 1 < len(tokens) else ')'
            if label in ('(', ')'):
                raise ValueError("a node without a label: '(' must be followed by a class 0-4")
            if label not in _LABELS:
                raise ValueError(f'label {label!r} is outside the classes 0-{NUM_CLASSES - 1}')
            open_nodes.append(len(spans))
            spans.append([len(leaves), None, int(label)])
            i += 2
            if i < len(tokens) and tokens[i] not in ('(', ')'):
                leaves.append(tokens[i])
                i += 1
                if i == len(tokens) or tokens[i] != ')':
                    raise ValueError(f'the leaf {leaves[-1]!r} is not closed by ")" right after its word')
        elif token == ')':
            if not open_nodes:
                raise ValueError('a ")" that closes no node')
            node = spans[open_nodes.pop()]
            node[1] = len(leaves)
            if node[0] == node[1]:
                raise ValueError('a node without words')
            i += 1
        else:
            raise ValueError(f'the word {token!r} stands outside a leaf "(label word)"')
    if open_nodes:
        raise ValueError(f'the line ends with {len(open_nodes)} node(s) not closed')
    if not spans:
        raise ValueError('no tree on the line')
    return leaves, [tuple(span) for span in spans]


def _labelled(examples, binary):
    """[(words, label 0-4)] -> (words list, labels int32), mapped to 0/1 and neutral dropped if binary."""
    if binary:
        examples = [(words, int(label > NEUTRAL)) for words, label in examples if label != NEUTRAL]
    return [words for words, _ in examples], np.array([label for _, label in examples], dtype=np.int32)


def _read_split(split):
    """The parsed trees of one split: [(leaves, spans)] (``parse_tree``), parsed once per process."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {", ".join(map(repr, SPLITS))}; got {split!r}')
    return _read_archive(str(find_archive()))[split]


@functools.lru_cache(maxsize=None)
def _read_archive(path):
    """{split: [(leaves, spans)]} from the verified archive at ``path``."""
    with open(path, 'rb') as f:
        data = f.read()
    _CORPUS.check_sha256(path, hashlib.sha256(data).hexdigest(), SHA256, URL)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            members = {split: archive.read(f'trees/{split}.txt') for split in SPLITS
                       if f'trees/{split}.txt' in names}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
        raise DataFileError(f'{path} is damaged (not a readable zip archive): {err}') from None
    missing = [f'trees/{split}.txt' for split in SPLITS if split not in members]
    if missing:
        raise DataFileError(f'{path} is damaged: it has no member {", ".join(missing)}')
    return {split: _parse_member(path, f'trees/{split}.txt', data) for split, data in members.items()}


def _parse_member(path, member, data):
    """The trees of one member file, one a line; ValueError naming the archive, member and line."""
    try:
        lines = data.decode('utf-8').split('\n')
    except UnicodeDecodeError as err:
        raise DataFileError(f'{path}: {member} is not UTF-8 ({err})') from None
    if lines[-1] == '':
        lines.pop()  # the newline that ends the last line
    trees = []
    for number, line in enumerate(lines, 1):
        try:
            trees.append(parse_tree(line))
        except ValueError as err:
            raise DataFileError(f'{path}: {member} line {number}: {err}') from None
    return trees

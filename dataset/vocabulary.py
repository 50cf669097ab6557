"""Vocabulary: the words a model knows, each with an id, saved with the model's parameters.

Ids 0, 1 and 2 are special tokens, the same in every vocabulary; the words follow from id 3 on:

    PAD_ID = 0  '<pad>'  filler after the end of a short sequence in a batch (never a target)
    UNK_ID = 1  '<unk>'  every word the vocabulary does not hold
    EOS_ID = 2  '<eos>'  the end of a sentence or a review

A model trained with one vocabulary reads its inputs as those ids, so a checkpoint keeps the
vocabulary (``to_arrays``: one unicode array of the words in id order, no pickle) and a run that
loads it checks that its own vocabulary is the same (``check_same``).
"""
import hashlib

import numpy as np

PAD, UNK, EOS = '<pad>', '<unk>', '<eos>'
SPECIALS = (PAD, UNK, EOS)
PAD_ID, UNK_ID, EOS_ID = range(len(SPECIALS))
ARRAY_NAME = 'vocabulary'


class Vocabulary:
    """Words <-> ids: the special tokens (ids 0-2), then ``words`` in the order given.

    words: the ordinary words (str without white space, each once, none of them a special token).
    Attributes: ``words`` (tuple: every token in id order, specials first), ``word_to_id``
    {token: id}; ``len(vocabulary)`` is the number of ids V.
    """

    def __init__(self, words):
        words = tuple(words)
        for word in words:
            if not isinstance(word, str) or not word or word.split() != [word]:
                raise ValueError(f'a vocabulary word must be a str without white space; got {word!r}')
        self.words = SPECIALS + words
        self.word_to_id = {word: i for i, word in enumerate(self.words)}
        if len(self.word_to_id) != len(self.words):
            repeated = next(word for i, word in enumerate(self.words) if self.word_to_id[word] != i)
            raise ValueError(f'the word {repeated!r} is given twice (the first ids are {SPECIALS})')

    @classmethod
    def from_counts(cls, counts, size):
        """The ``size`` - 3 most frequent words of ``counts`` {word: count} after the 3 special
        tokens (fewer if counts holds fewer), most frequent first, ties in alphabetical order."""
        if size < len(SPECIALS) + 1:
            raise ValueError(f'size must be at least {len(SPECIALS) + 1} (the special tokens and a word); '
                             f'got {size}')
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(word for word, _ in ranked[:size - len(SPECIALS)])

    def __len__(self):
        return len(self.words)

    def encode(self, tokens):
        """tokens: list of str -> (n,) int32 ids, UNK_ID for a token not in the vocabulary."""
        get = self.word_to_id.get
        return np.array([get(token, UNK_ID) for token in tokens], dtype=np.int32)

    def decode(self, ids):
        """ids: (n,) ints in [0, V) -> list of n tokens."""
        return [self.words[i] for i in np.asarray(ids).tolist()]

    @property
    def fingerprint(self):
        """First 16 hex digits of the SHA-256 of the words in id order (one a line)."""
        return hashlib.sha256('\n'.join(self.words).encode('utf-8')).hexdigest()[:16]

    def to_arrays(self):
        """{'vocabulary': (V,) unicode array of the tokens in id order}, to store in an .npz file."""
        return {ARRAY_NAME: np.array(self.words, dtype=str)}

    @classmethod
    def from_arrays(cls, arrays, source='checkpoint'):
        """The vocabulary stored by ``to_arrays`` in ``arrays`` (e.g. an .npz file's arrays);
        ``source`` names them in the messages."""
        if ARRAY_NAME not in arrays:
            raise ValueError(f'{source} holds no vocabulary (no array {ARRAY_NAME!r})')
        stored = arrays[ARRAY_NAME]
        if stored.ndim != 1 or stored.dtype.kind != 'U':
            raise ValueError(f'{source}: the array {ARRAY_NAME!r} must be a 1-D unicode array of words; '
                             f'got shape {stored.shape}, dtype {stored.dtype}')
        words = tuple(stored.tolist())
        if words[:len(SPECIALS)] != SPECIALS:
            raise ValueError(f'{source}: the vocabulary must start with {SPECIALS}; it starts with '
                             f'{words[:len(SPECIALS)]}')
        return cls(words[len(SPECIALS):])

    def check_same(self, trained, what='this model'):
        """ValueError, naming the first difference, unless ``trained`` (the vocabulary ``what``
        was trained with) is this one."""
        if trained.words == self.words:
            return
        first = next((i for i, (a, b) in enumerate(zip(trained.words, self.words)) if a != b), None)
        if first is None:
            difference = f'it has {len(trained)} ids, this one {len(self)}'
        else:
            difference = f'id {first} is {trained.words[first]!r} there, {self.words[first]!r} here'
        raise ValueError(f'{what} was trained with another vocabulary ({len(trained)} ids, fingerprint '
                         f'{trained.fingerprint}) than this one ({len(self)} ids, fingerprint '
                         f'{self.fingerprint}): {difference}')

"""The book's own trained parameter files (``Rnnlm.pkl``, ``BetterRnnlm.pkl``,
``AttentionSeq2seq.pkl``, ``cbow_params.pkl``), read without running any code they might name.

The book's ``save_params`` writes ``[p.astype(np.float16) for p in self.params]`` with
``pickle.dump``, and its chapter 4 pickles a dict of word vectors and vocabulary.  ``pickle.load``
on such a file would call whatever function the file names, so these files are read by an
unpickler that admits only what they hold: NumPy arrays (rebuilt through NumPy's
``_reconstruct``, ``numpy.ndarray`` and ``numpy.dtype``; ``numpy.core`` is ``numpy._core`` since
NumPy 2) of floating-point numbers, and the lists, dicts, str and int that pickle builds with its
own instructions.  Any other global (``os.system``, ``builtins.eval``, a class of this library) is
refused when the file names it, before anything is called.

Errors are one line naming the file: FileNotFoundError when it does not exist, ValueError when it
is not a pickle, is truncated or damaged, names a refused global, holds an array of Python
objects, or holds something other than what the book saves.
"""
import io
import os
import pickle

import numpy as np

# The function NumPy itself pickles arrays with (found without importing numpy.core, which
# NumPy 2 warns about).
_reconstruct = np.empty(0).__reduce__()[0]


class _Refused(Exception):
    """A file names or builds something a parameter file never holds (message: what it is)."""


def _float_dtype(code, align=False, copy=False):
    """numpy.dtype(code, align, copy) for the codes of floating-point numbers only ('f2', 'f4', 'f8')."""
    if not isinstance(code, str):
        raise _Refused(f'builds a dtype from {type(code).__name__} {code!r}, not from a type code')
    dtype = np.dtype(code, align, copy)
    if dtype.hasobject:
        raise _Refused(f'holds an array of Python objects (dtype {code!r}), which a parameter file '
                       'never holds')
    if dtype.kind != 'f':
        raise _Refused(f'holds an array of dtype {dtype}; the book\'s parameter files hold '
                       'floating-point arrays only')
    return dtype


ADMITTED = {
    ('numpy.core.multiarray', '_reconstruct'): _reconstruct,   # files written under NumPy 1
    ('numpy._core.multiarray', '_reconstruct'): _reconstruct,  # and under NumPy 2
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): _float_dtype,
}


class _BookUnpickler(pickle.Unpickler):
    """An unpickler whose only globals are those of ADMITTED; any other is refused when named."""

    def find_class(self, module, name):
        found = ADMITTED.get((module, name))
        if found is None:
            raise _Refused(f'names the global {module}.{name}, which a parameter file never needs')
        return found


def read_book_pickle(path):
    """The object pickled in the book's file ``path``, read by the restricted unpickler -> list or dict.

    Every array in it is checked to be a plain float ``numpy.ndarray``.  Use ``read_book_arrays``
    or ``read_book_word_vectors``, which also check the shape of what the file holds.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f'book parameter file {name!r} does not exist')
    if os.path.isdir(name):
        raise ValueError(f'book parameter file {name!r} is a folder, not a .pkl file')
    with open(name, 'rb') as file:
        data = file.read()
    # Pickle protocols 2 to 5 (every pickle.dump of Python 3) open with PROTO and the version.
    if len(data) < 2 or data[0] != pickle.PROTO[0] or not 2 <= data[1] <= 5:
        raise ValueError(f'{name!r} is not a pickle file (it does not start with a pickle protocol '
                         'header); the book\'s parameter files are pickles')
    stream = io.BytesIO(data)
    try:
        found = _BookUnpickler(stream).load()
    except _Refused as refusal:
        raise ValueError(f'{name!r} {refusal}: refused') from None
    except Exception as error:  # whatever a damaged pickle makes the unpickler raise
        raise ValueError(f'{name!r} is truncated or damaged: it could not be read as a pickle '
                         f'({type(error).__name__}: {error})') from None
    if stream.tell() != len(data):
        raise ValueError(f'{name!r} is damaged: {len(data) - stream.tell()} bytes follow the end of '
                         'its pickle')
    for array in _arrays_in(found):
        if type(array) is not np.ndarray or array.dtype.kind != 'f':
            raise ValueError(f'{name!r} holds an array of dtype {array.dtype} ({type(array).__name__}); '
                             'the book\'s parameter files hold float arrays only: refused')
    return found


def _arrays_in(found):
    """Every ndarray inside lists, tuples and dicts (keys and values) of ``found``."""
    pending = [found]
    while pending:
        item = pending.pop()
        if isinstance(item, np.ndarray):
            yield item
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())


def describe_shapes(arrays):
    """'(10000, 100), (100, 400)': the shapes of a list of arrays, for messages."""
    return ', '.join(str(tuple(a.shape)) for a in arrays)


def read_book_arrays(path):
    """The list of arrays the book's ``save_params`` wrote to ``path`` -> list of float16 arrays.

    The list follows the order of the book's ``model.params``: every layer's parameters in turn,
    a tied weight once for each layer that uses it (see ``BaseModel.load_params``).
    ValueError when the file holds anything but a non-empty list of arrays.
    """
    found = read_book_pickle(path)
    name = os.fspath(path)
    if isinstance(found, dict):
        raise ValueError(f'{name!r} holds a dict (keys {sorted(map(str, found))}), not the list of '
                         'arrays the book\'s save_params writes (the word vectors of cbow_params.pkl '
                         'are read with read_book_word_vectors)')
    if not isinstance(found, list) or not found:
        raise ValueError(f'{name!r} holds {_what(found)}, not the list of arrays the book\'s '
                         'save_params writes')
    others = [i for i, item in enumerate(found) if not isinstance(item, np.ndarray)]
    if others:
        raise ValueError(f'{name!r}: item {others[0]} of its list is {_what(found[others[0]])}, not '
                         'an array: it is not a file of the book\'s save_params')
    return found


def _what(found):
    """'a list of 0 items', 'a str', ...: what a file holds, for messages."""
    if isinstance(found, (list, tuple, dict)):
        return f'a {type(found).__name__} of {len(found)} items'
    return f'a {type(found).__name__}'


BOOK_VECTOR_KEYS = ('word_vecs', 'word_to_id', 'id_to_word')


def read_book_word_vectors(path):
    """The book's ``cbow_params.pkl``: a dict of word vectors and their vocabulary, checked.

    -> (word_vecs (V, D) as stored (float16), word_to_id {str: int}, id_to_word {int: str}),
    where the ids are 0 .. V-1, row i of word_vecs is the vector of id_to_word[i], and the two
    dicts are inverse to each other.  ValueError naming the file and the first thing that differs.
    """
    found = read_book_pickle(path)
    name = os.fspath(path)
    if not isinstance(found, dict) or set(found) != set(BOOK_VECTOR_KEYS):
        keys = f' with keys {sorted(map(str, found))}' if isinstance(found, dict) else ''
        raise ValueError(f'{name!r} holds {_what(found)}{keys}, not the dict of the book\'s '
                         f'cbow_params.pkl (keys {", ".join(BOOK_VECTOR_KEYS)})')
    word_vecs, word_to_id, id_to_word = (found[key] for key in BOOK_VECTOR_KEYS)
    if not isinstance(word_vecs, np.ndarray) or word_vecs.ndim != 2:
        raise ValueError(f'{name!r}: word_vecs is {_what(word_vecs)}, not a (V, D) array')
    if not (isinstance(word_to_id, dict) and isinstance(id_to_word, dict)):
        raise ValueError(f'{name!r}: word_to_id and id_to_word must be dicts, found '
                         f'{_what(word_to_id)} and {_what(id_to_word)}')
    V = len(word_vecs)
    if set(id_to_word) != set(range(V)) or any(type(i) is not int for i in id_to_word):
        raise ValueError(f'{name!r}: id_to_word has {len(id_to_word)} entries; the {V} rows of '
                         f'word_vecs need the ids 0 .. {V - 1}')
    for i in range(V):
        word = id_to_word[i]
        if not isinstance(word, str) or word_to_id.get(word) != i:
            raise ValueError(f'{name!r}: id_to_word[{i}] is {word!r}, but word_to_id gives that '
                             f'word {word_to_id.get(word)!r}: the two dicts disagree')
    if len(word_to_id) != V:
        raise ValueError(f'{name!r}: word_to_id has {len(word_to_id)} words, id_to_word {V}')
    return word_vecs, word_to_id, id_to_word

"""Transfer learning: start a new model with the arrays a pre-trained model shares with it.

A checkpoint names each array ``'02.TimeLSTM.Wx'`` (layer index, layer type, parameter).  Two
models share a layer when it is the k-th layer of the same type in both: the second TimeLSTM of
a BetterRnnlm is the second TimeLSTM of a two-layer LstmClassifier, whatever their indices.
A model that reads its ids in a vocabulary (attached to it, ``BaseModel.attach``) takes arrays
only from a checkpoint saved with the same vocabulary.
"""
from common.backend import array_module
from common.base_model import read_attached, read_checkpoint
from dataset.vocabulary import ARRAY_NAME, Vocabulary


def vocabulary_of(path):
    """The vocabulary saved in the checkpoint ``path`` (``Vocabulary.to_arrays`` attached to its
    model) -> Vocabulary; ValueError (one line naming the file) when it holds none."""
    return Vocabulary.from_arrays(read_attached(path), source=repr(str(path)))


def check_vocabulary(path, vocabulary):
    """ValueError, one line naming ``path`` and the first difference, unless the checkpoint
    ``path`` was saved with ``vocabulary``."""
    vocabulary.check_same(vocabulary_of(path), what=repr(str(path)))


def layer_keys(names):
    """Checkpoint names -> keys without the layer index: '02.TimeLSTM.Wx' -> 'TimeLSTM[0].Wx'
    (the k-th layer of its type, counted in order)."""
    occurrence, counts, keys = {}, {}, []
    for name in names:
        index, layer_type, param = name.split('.', 2)
        if index not in occurrence:
            occurrence[index] = counts.get(layer_type, 0)
            counts[layer_type] = occurrence[index] + 1
        keys.append(f'{layer_type}[{occurrence[index]}].{param}')
    return keys


def layer_counts(names):
    """{layer type: number of layers of that type} of checkpoint names."""
    counts = {}
    for _, layer_type in dict.fromkeys(tuple(name.split('.', 2)[:2]) for name in names):
        counts[layer_type] = counts.get(layer_type, 0) + 1
    return counts


def load_shared_params(model, path):
    """Copy into ``model`` every array of the checkpoint ``path`` that it shares (same key).

    A model with a vocabulary attached (``model.attach(**vocabulary.to_arrays())``) takes arrays
    only from a checkpoint saved with the same vocabulary (``check_vocabulary``).

    Arrays of a layer type only one side has are skipped (the new classification head, the
    language-model output layer); a layer type both have must occur as often in both (a
    two-block checkpoint does not start a one-block model).  Every shared array's shape is
    checked before any is written: a mismatch raises ValueError naming the array and both
    shapes, and leaves the model untouched; so does a checkpoint that shares nothing.  Returns the model's names of the arrays copied.
    """
    if ARRAY_NAME in model.attached:
        check_vocabulary(path, Vocabulary.from_arrays(model.attached, source=f'the {type(model).__name__}'))
    saved = {name: array for name, array in read_checkpoint(path).items()
             if not name.startswith('__') and name.count('.') >= 2}
    saved_by_key = dict(zip(layer_keys(saved), saved.values()))
    saved_counts, model_counts = layer_counts(saved), layer_counts(model.param_names)
    for layer_type in saved_counts.keys() & model_counts.keys():
        if saved_counts[layer_type] != model_counts[layer_type]:
            raise ValueError(f'{path!r} does not fit {type(model).__name__}: it has '
                             f'{saved_counts[layer_type]} {layer_type} layer(s), the model '
                             f'{model_counts[layer_type]}')
    pairs = [(name, param, saved_by_key[key])
             for name, param, key in zip(model.param_names, model.params, layer_keys(model.param_names))
             if key in saved_by_key]
    if not pairs:
        raise ValueError(f'{path!r} shares no array with {type(model).__name__}: it holds '
                         f'{sorted(saved)}, the model needs {list(model.param_names)}')
    for name, param, array in pairs:
        if array.shape != param.shape:
            raise ValueError(f'{path!r} does not fit {type(model).__name__}: array {name!r} has shape '
                             f'{array.shape} in the checkpoint, the model expects {param.shape}')
    for _, param, array in pairs:
        param[...] = array_module(param).asarray(array, dtype=param.dtype)
    return [name for name, _, _ in pairs]

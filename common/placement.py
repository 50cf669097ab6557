"""Moving a built model between the host and the GPU (``BaseModel.to_gpu`` / ``to_cpu``).

Models draw their initial weights on the host from a seeded NumPy Generator, so a seed gives the
same model on either device; ``move_arrays`` then copies every array the model and its layers
hold to the device (or back).  Three things must survive the move:

- shared arrays stay shared: a layer's ``params`` list may be the very list of an inner layer,
  and a one-step layer may hold the same weight arrays as its Time layer, so every array is
  copied once and every reference to it gets the same copy;
- tied weights stay tied: ``TimeAffine(embed_W.T, b)`` holds a transposed view of the embedding
  matrix, and after the move it is the transposed view of the moved matrix;
- host-side helpers stay on the host: only the model and objects with ``params`` (layers) are
  searched, so a negative sampler's probability table and the NumPy Generators are left alone.
"""
def move_arrays(model, convert):
    """Replace every array held by ``model`` and its layers by ``convert(array)`` (in place).

    convert: array -> array on the target device (``to_gpu`` or ``to_cpu``).  Arrays are found
    in attributes, lists, tuples and dicts of the model and of every object with a ``params``
    attribute reachable from it.  A view of another moved array must be its transpose (weight
    tying); any other view raises ValueError, because a copy would silently untie it.
    """
    found = {}
    _walk(model, lambda a: found.setdefault(id(a), a), set())
    moved = {}
    for key, array in found.items():
        if _root(array, found) is None:
            moved[key] = convert(array)
    for key, array in found.items():
        root = _root(array, found)
        if root is None:
            continue
        if array.shape != root.shape[::-1] or array.strides != root.strides[::-1]:
            raise ValueError(f'cannot move a model that holds a partial view (shape {array.shape}) '
                             f'of another of its arrays (shape {root.shape}); only transposed '
                             'views (tied weights) are kept')
        moved[key] = moved[id(root)].T
    _walk(model, lambda a: moved[id(a)], set())
    return model


def _root(array, found):
    """The moved array that ``array`` is a view of, or None when it owns its data (or views
    something the model does not hold)."""
    base = array.base
    return found.get(id(base)) if base is not None and id(base) in found else None


def _is_array(value):
    return hasattr(value, 'shape') and hasattr(value, 'dtype') and hasattr(value, 'strides')


def _walk(value, visit, seen):
    """Apply ``visit`` to every array below ``value``; return ``value`` with arrays replaced by
    what ``visit`` returns (lists, dicts and objects are changed in place, tuples rebuilt)."""
    if _is_array(value):
        return visit(value)
    if isinstance(value, (list, tuple, dict)) or hasattr(value, 'params') or not seen:
        if isinstance(value, tuple):  # immutable: rebuilt; never cyclic without a list or object
            return tuple(_walk(v, visit, seen) for v in value)
        if id(value) in seen:
            return value
        seen.add(id(value))
        if isinstance(value, list):
            value[:] = [_walk(v, visit, seen) for v in value]
        elif isinstance(value, dict):
            for k in list(value):
                value[k] = _walk(value[k], visit, seen)
        else:
            for name, attribute in list(vars(value).items()):
                setattr(value, name, _walk(attribute, visit, seen))
    return value


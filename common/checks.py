"""Input checks that turn silent NumPy surprises into clear errors.

NumPy happily indexes with a negative id (it wraps around to the end of the table) and raises an
opaque IndexError for an id that is too large; a float array of ids is another common slip.  The
layers call these checks on their inputs so a reader learns what was wrong and what is expected.
"""
from common.backend import array_module


def check_ids(ids, size, what='word id'):
    """Raise unless ``ids`` is an integer array with every value in ``[0, size)``.

    ids: any shape of integers; size: the number of rows of the table being indexed.
    """
    xp = array_module(ids)
    ids = xp.asarray(ids)
    if ids.dtype.kind not in 'iu':
        raise TypeError(f'{what}s must be integers, got an array of dtype {ids.dtype}')
    if ids.size == 0:
        return
    low, high = int(ids.min()), int(ids.max())
    if low < 0:
        raise ValueError(f'negative {what} {low}: ids must lie in [0, {size})')
    if high >= size:
        raise ValueError(f'{what} {high} is out of range: ids must lie in [0, {size}) '
                         f'(the table has {size} rows)')


def check_ndim(array, ndim, name, shape_text):
    """Raise unless ``array`` has ``ndim`` dimensions; ``shape_text`` describes the expected shape."""
    if getattr(array, 'ndim', None) != ndim:
        got = getattr(array, 'shape', type(array).__name__)
        raise ValueError(f'{name} must have shape {shape_text}, got {got}')


def check_last_dim(array, size, name, shape_text):
    """Raise unless ``array.shape[-1] == size``; ``shape_text`` describes the expected shape."""
    if array.shape[-1] != size:
        raise ValueError(f'{name} must have shape {shape_text} with last dimension {size}, '
                         f'got {array.shape}')

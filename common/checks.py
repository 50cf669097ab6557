"""Input checks that turn silent NumPy surprises into clear errors.

NumPy happily indexes with a negative id (it wraps around to the end of the table) and raises an
opaque IndexError for an id that is too large; a float array of ids is another common slip.  The
layers call these checks on their inputs so a reader learns what was wrong and what is expected.
"""
import functools

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


def check_one_hot(t, name='labels'):
    """Raise unless ``t`` (..., C) holds one-hot rows: zeros and exactly one 1 each.

    The softmax losses take class ids or one-hot rows; soft targets (label smoothing,
    probabilities) would be silently read as their argmax, so they are refused.
    """
    xp = array_module(t)
    if t.size and not (((t == 0) | (t == 1)).all() and bool(xp.all(t.sum(axis=-1) == 1))):
        raise ValueError(f'{name} of shape {t.shape} are not one-hot (each row zeros and a single 1): '
                         'soft targets are not supported; pass class ids or one-hot rows')


def check_not_empty(array, name, shape_text):
    """Raise unless every dimension of ``array`` is at least 1 (N = 0 or T = 0 is an empty batch)."""
    if 0 in getattr(array, 'shape', ()):
        raise ValueError(f'{name} is empty: shape {array.shape}, expected {shape_text} with every '
                         'size >= 1 (an empty batch has no loss or gradient)')


def needs_forward(attribute):
    """Decorator for ``backward``: raise a clear RuntimeError when ``self.<attribute>`` (what
    forward caches; a dotted path for a sub-layer's cache, where a number indexes a list:
    'layers.0.x') is still None, i.e. backward was called before forward (or twice after one
    forward, for layers that consume their cache)."""
    def decorate(backward):
        @functools.wraps(backward)
        def checked(self, *args, **kwargs):
            value = self
            for name in attribute.split('.'):
                value = value[int(name)] if name.isdigit() else getattr(value, name, None)
            if value is None:
                raise RuntimeError(f'{type(self).__name__}.backward was called before forward: '
                                   'backward uses what forward computed, so call forward first')
            return backward(self, *args, **kwargs)
        return checked
    return decorate

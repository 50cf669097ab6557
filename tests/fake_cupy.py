"""A strict stand-in for CuPy, so the tests can run the library "on a device" without a GPU.

Its arrays (``ndarray``) hold a NumPy array inside and behave like CuPy's where the library is
concerned:

- created on the "device" by ``asarray``/``array`` (the one way in from the host, an explicit
  copy, as ``cupy.asarray``) or by the module's own functions (``zeros``, ``arange``, ...);
  computing and indexing with device arrays, Python scalars and NumPy scalars works, and
  results are device arrays (reductions give 0-d arrays, as in CuPy, never NumPy scalars);
- ``.get()`` (and ``asnumpy``) is the one way out to the host; ``int()``, ``float()``,
  ``bool()`` and ``format`` of a one-element array work (CuPy synchronises and copies);
- mixing a device array with a host ``numpy.ndarray`` in one operation raises
  ``TypeError: Unsupported type <class 'numpy.ndarray'>`` (CuPy's message), and so does a
  host array used as an index or assigned into a device array;
- implicit conversion to NumPy (``np.asarray(a)``, ``np.array(a)``, ``a.__array__()``) raises
  CuPy's ``TypeError: Implicit conversion to a NumPy array is not allowed``;
- ``__index__`` is missing and arrays are unhashable, as in CuPy, so a device 0-d array from
  ``argsort`` cannot index a Python list or look up a dict: ``int(i)`` first;
- ufunc methods exist only where CuPy 12+ has them: ``add.at``, ``add.reduceat``,
  ``add.reduce``, ``add.accumulate`` (``maximum.at``/``minimum.at`` too); every other
  ``ufunc.at``/``reduceat`` raises NotImplementedError; ``cupy.scatter_add`` does not exist
  (CuPy 8 moved it to ``cupyx.scatter_add``; ``Embedding.backward`` scatter-adds with
  ``xp.add.at``, the fast mode's ``sum_rows_by_id`` sorts the ids and sums with
  ``xp.add.reduceat``, the same on host and device);
- ``repeat`` refuses array-valued ``repeats`` (CuPy accepts an int, list or tuple only).

Stricter than CuPy, on purpose (each catches a hidden per-step copy or host-only code):

- CuPy silently copies a host NumPy array used as an index (``W[ids]``) to the device; here
  it raises, so every host-to-device transfer in the library is an explicit ``xp.asarray``;
- CuPy implements ``__array_function__``/``__array_ufunc__``, so ``np.exp(a)`` or
  ``np.argsort(a)`` on a device array runs CuPy's version; here every NumPy function or ufunc
  called on a device array raises, so library code must take its module from
  ``common.backend.array_module``.

Not emulated: ``cupy.random`` (the library never draws random numbers on the device: it draws
from its seeded NumPy Generator on the host and moves the result, so a run gives the same
numbers on either device; CuPy's Generator offers fewer distributions and other streams),
streams, kernels, memory pools.  ``cuda.runtime.getDeviceCount()`` reports one device.
"""
import sys
import types

import numpy

_IMPLICIT = ('Implicit conversion to a NumPy array is not allowed. '
             'Please use `.get()` to construct a NumPy array explicitly.')


def _unsupported(value):
    return TypeError(f'Unsupported type {type(value)}')


def _to_numpy(value):
    """The NumPy array inside a device array; scalars pass; host arrays are refused."""
    if isinstance(value, ndarray):
        return value._data
    if isinstance(value, numpy.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, complex, numpy.generic, slice,
                                           str, numpy.dtype, type)) or value is Ellipsis:
        return value
    raise _unsupported(value)


def _index(key):
    """An index for the inner array: device arrays, ints, slices, None, ..., lists of ints."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, numpy.ndarray):
        raise IndexError('stand-in device: a host numpy.ndarray used as an index; move it with '
                         'xp.asarray first (CuPy would copy it to the device on every call)')
    if isinstance(key, ndarray):
        return key._data
    if isinstance(key, list):
        return numpy.asarray(key)
    return key


def _wrap(result, like=None):
    """Device arrays for every array or NumPy scalar in ``result`` (tuples kept)."""
    if isinstance(result, tuple):
        return tuple(_wrap(r, like) for r in result)
    if isinstance(result, numpy.ndarray):
        wrapped = ndarray(result)
        if like is not None and result.base is not None and (
                result.base is like._data or result.base is like._data.base):
            wrapped._base = like if like._base is None else like._base
        return wrapped
    if isinstance(result, numpy.generic):
        return ndarray(numpy.asarray(result))
    return result


class _Flags:
    def __init__(self, flags):
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous
        self.owndata = flags.owndata


class ndarray:  # noqa: N801 - CuPy's name
    """A device array of the stand-in (see the module docstring)."""
    __array_ufunc__ = None       # NumPy ufuncs and binary operators defer to us (then refuse host arrays)
    __hash__ = None              # unhashable, as CuPy's arrays

    def __init__(self, data):
        self._data = data
        self._base = None

    # -- the ways in and out --------------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented  # np.argsort(a), np.concatenate([a, ...]): refused (see module doc)

    def get(self):
        """The data as a NumPy array (an explicit copy to the host)."""
        return self._data.copy(order='A')

    def tolist(self):
        return self._data.tolist()

    def item(self):
        return self._data.item()

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __bool__(self):
        return bool(self._data)

    def __format__(self, spec):
        return format(self._data.item() if self._data.size == 1 else self._data, spec)

    def __repr__(self):
        return f'stand-in device {self._data!r}'

    __str__ = __repr__

    # -- attributes ------------------------------------------------------------------------
    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    dtype = property(lambda self: self._data.dtype)
    strides = property(lambda self: self._data.strides)
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)
    flags = property(lambda self: _Flags(self._data.flags))
    base = property(lambda self: self._base)
    T = property(lambda self: _wrap(self._data.T, self))

    @shape.setter
    def shape(self, value):
        self._data.shape = value

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError('iteration over a 0-d array')
        return (self[i] for i in range(len(self._data)))

    def __getitem__(self, key):
        return _wrap(self._data[_index(key)], self)

    def __setitem__(self, key, value):
        self._data[_index(key)] = _to_numpy(value)

    def __getattr__(self, name):
        if name.startswith('_') or name not in _METHODS:
            raise AttributeError(f'stand-in device arrays have no attribute {name!r}')
        if name == 'repeat':  # CuPy's method refuses array-valued repeats too
            return lambda repeats, axis=None: repeat(self, repeats, axis)
        method = getattr(self._data, name)

        def call(*args, **kwargs):
            out = kwargs.get('out')
            result = method(*_to_numpy(args), **{k: _to_numpy(v) for k, v in kwargs.items()})
            return out if out is not None else _wrap(result, self)
        return call


def _binary(name, inplace=False):
    operator = getattr(numpy.ndarray, name)

    def method(self, other):
        result = operator(self._data, _to_numpy(other))
        if result is NotImplemented:
            return NotImplemented
        return self if inplace else _wrap(result)
    method.__name__ = name
    return method


for _name in ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'matmul', 'and', 'or',
              'xor', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'):
    for _dunder in (f'__{_name}__', f'__r{_name}__'):
        if hasattr(numpy.ndarray, _dunder):
            setattr(ndarray, _dunder, _binary(_dunder))
    if hasattr(numpy.ndarray, f'__i{_name}__'):
        setattr(ndarray, f'__i{_name}__', _binary(f'__i{_name}__', inplace=True))
for _name in ('__neg__', '__pos__', '__abs__', '__invert__'):
    setattr(ndarray, _name, (lambda op: lambda self: _wrap(op(self._data)))(getattr(numpy.ndarray, _name)))

_METHODS = {
    'all', 'any', 'argmax', 'argmin', 'argsort', 'astype', 'clip', 'copy', 'cumsum', 'dot',
    'fill', 'flatten', 'max', 'mean', 'min', 'prod', 'ravel', 'repeat', 'reshape', 'sort',
    'squeeze', 'std', 'sum', 'swapaxes', 'take', 'transpose', 'var', 'view',
}


# -- module functions ---------------------------------------------------------------------

def asarray(a, dtype=None, order=None):
    """Host data (NumPy array, list, scalar) or a device array -> device array (explicit copy)."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray(numpy.array(a, dtype=dtype, order=order))


def array(a, dtype=None, copy=True, order='K', ndmin=0):
    if isinstance(a, ndarray):
        return ndarray(numpy.array(a._data, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    return ndarray(numpy.array(a, dtype=dtype, order=order, ndmin=ndmin))


def asnumpy(a):
    """Device array -> NumPy array (host data passes through), as ``cupy.asnumpy``."""
    return a.get() if isinstance(a, ndarray) else numpy.asarray(a)


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def _function(name):
    func = getattr(numpy, name)

    def call(*args, **kwargs):
        out = kwargs.get('out')
        result = func(*_to_numpy(args), **{k: _to_numpy(v) for k, v in kwargs.items()})
        return out if out is not None else _wrap(result)
    call.__name__ = name
    return call


def _device_arrays_only(name):
    func = _function(name)

    def call(arrays, *args, **kwargs):
        for a in arrays:
            if not isinstance(a, ndarray):
                raise TypeError('Only cupy arrays can be concatenated' if name == 'concatenate'
                                else f'Unsupported type {type(a)}')
        return func(arrays, *args, **kwargs)
    call.__name__ = name
    return call


concatenate, stack = _device_arrays_only('concatenate'), _device_arrays_only('stack')


def repeat(a, repeats, axis=None):
    if isinstance(repeats, (ndarray, numpy.ndarray)):
        raise ValueError('cupy.ndarray cannot be specified as `repeats` argument.')
    return _wrap(numpy.repeat(_to_numpy(a), repeats, axis))


class ufunc:  # noqa: N801 - CuPy's name
    """A NumPy ufunc on device arrays; methods only where CuPy 12+ provides them."""
    _METHODS = {'add': {'at', 'reduceat', 'reduce', 'accumulate'}, 'multiply': {'reduce'},
                'maximum': {'at'}, 'minimum': {'at'}}

    def __init__(self, name):
        self._ufunc = getattr(numpy, name)
        self._call = _function(name)
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def _method(self, method):
        if method not in self._METHODS.get(self.__name__, ()):
            raise NotImplementedError(f'`cupy_{self.__name__}.{method}` is not supported yet')
        return getattr(self._ufunc, method)

    def at(self, a, indices, b=None):
        self._method('at')(a._data, _index(indices), _to_numpy(b))

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return _wrap(self._method('reduceat')(_to_numpy(array), _to_numpy(indices), axis, dtype))

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        return _wrap(self._method('reduce')(_to_numpy(array), axis, dtype, keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return _wrap(self._method('accumulate')(_to_numpy(array), axis, dtype))

    def outer(self, A, B):
        return _wrap(self._ufunc.outer(_to_numpy(A), _to_numpy(B)))


_UFUNCS = (
    'abs', 'absolute', 'add', 'subtract', 'multiply', 'divide', 'true_divide', 'floor_divide',
    'negative', 'power', 'remainder', 'mod', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10',
    'sqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sign', 'maximum', 'minimum', 'greater',
    'greater_equal', 'less', 'less_equal', 'equal', 'not_equal', 'logical_and', 'logical_or',
    'logical_not', 'isfinite', 'isinf', 'isnan', 'floor', 'ceil', 'matmul',
)
_FUNCTIONS = (
    'all', 'allclose', 'any', 'append', 'arange', 'argmax', 'argmin', 'argsort', 'array_equal',
    'ascontiguousarray',
    'broadcast_to', 'clip', 'count_nonzero', 'cumsum', 'diff', 'dot', 'einsum',
    'empty', 'empty_like', 'expand_dims', 'eye', 'flatnonzero', 'full', 'full_like', 'isclose',
    'linspace', 'max', 'mean', 'min', 'moveaxis', 'nonzero', 'ones', 'ones_like', 'outer',
    'prod', 'ravel', 'reshape', 'searchsorted', 'sort', 'split', 'squeeze',
    'std', 'sum', 'swapaxes', 'take', 'take_along_axis', 'tile', 'transpose', 'tril', 'triu',
    'unique', 'var', 'vdot', 'where', 'zeros', 'zeros_like', 'bincount', 'cumprod', 'tensordot',
)
_module = sys.modules[__name__]
for _name in _UFUNCS:
    if hasattr(numpy, _name):
        setattr(_module, _name, ufunc(_name))
for _name in _FUNCTIONS:
    setattr(_module, _name, _function(_name))
for _name in ('float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8',
              'uint16', 'uint32', 'uint64', 'bool_', 'intp', 'inf', 'nan', 'pi', 'e', 'newaxis', 'dtype',
              'finfo', 'iinfo', 'integer', 'floating', 'float_'):
    if hasattr(numpy, _name):
        setattr(_module, _name, getattr(numpy, _name))

cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

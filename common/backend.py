"""The one place where layers get their array module.

Every layer asks ``array_module(*arrays)`` for the module that owns its arrays: NumPy for
``numpy.ndarray`` and CuPy for ``cupy.ndarray``.  The choice follows the data, so moving a model's
parameters to the GPU (``to_gpu``) is all it takes to run it there; nothing is read from a global
flag at import time, and CuPy is imported only when a CuPy array is actually seen.
"""
import numpy


def array_module(*arrays):
    """Return ``cupy`` if any of ``arrays`` is a CuPy array, else ``numpy``."""
    for array in arrays:
        if type(array).__module__.startswith('cupy'):
            import cupy
            return cupy
    return numpy


def to_cpu(array):
    """Return ``array`` as a NumPy array (copied from the GPU when it lives there)."""
    if type(array).__module__.startswith('cupy'):
        return array.get()
    return numpy.asarray(array)


def to_gpu(array):
    """Return ``array`` as a CuPy array; raises ImportError with advice when CuPy is missing."""
    try:
        import cupy
    except ImportError as error:
        raise ImportError('to_gpu needs CuPy: install the cupy package that matches your CUDA '
                          'version (for example `pip install cupy-cuda12x`)') from error
    return cupy.asarray(array)

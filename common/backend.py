"""The one place where layers get their array module, and where data moves between host and GPU.

Every layer asks ``array_module(*arrays)`` for the module that owns its arrays: NumPy for
``numpy.ndarray`` and CuPy for ``cupy.ndarray``.  The choice follows the data, so moving a model's
parameters to the GPU (``BaseModel.to_gpu()``) is all it takes to run it there; nothing is read
from a global flag at import time, and CuPy is imported only when a CuPy array is actually seen
or a GPU is asked for.

Nothing converts between host and device implicitly (CuPy refuses, and so does the library):
``to_gpu`` and ``to_cpu`` are the explicit copies, and ``as_module_of(like, array)`` moves data
(batches, masks, sampled ids) to wherever ``like`` lives.
"""
import numpy

CUPY_PACKAGE = 'cupy-cuda12x'  # the wheel for CUDA 12; README: pick the one for your CUDA
_stand_in = None


def use_stand_in(module):
    """Let ``module`` play the device instead of CuPy (the tests' strict stand-in); None undoes it.

    ``module`` is CuPy-like: ``module.ndarray`` is its array type, ``module.asarray`` copies
    host data in, ``array.get()`` copies it out.
    """
    global _stand_in
    _stand_in = module


def is_device_array(array):
    """True for a CuPy array (or an array of the stand-in), False for NumPy data and scalars."""
    if _stand_in is not None:
        return isinstance(array, _stand_in.ndarray)
    return type(array).__module__.startswith('cupy')


def device_module():
    """The device array module: CuPy, checked to be installed and to see a CUDA device.

    Raises RuntimeError naming the package to install when CuPy is missing, or saying that no
    device is visible (no GPU, or CUDA_VISIBLE_DEVICES hides it).
    """
    if _stand_in is not None:
        return _stand_in
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(f'--gpu needs CuPy, which is not installed: pip install {CUPY_PACKAGE} '
                           '(the CuPy wheel that matches your CUDA version, e.g. cupy-cuda11x for '
                           "CUDA 11; or pip install -e '.[gpu]')") from error
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError: no driver, no device
        raise RuntimeError(f'--gpu: CuPy is installed but sees no CUDA device ({error}); check the '
                           'driver and CUDA_VISIBLE_DEVICES, or run without --gpu') from error
    if count < 1:
        raise RuntimeError('--gpu: CuPy is installed but sees no CUDA device; check the driver and '
                           'CUDA_VISIBLE_DEVICES, or run without --gpu')
    return cupy


def array_module(*arrays):
    """Return ``cupy`` (or the stand-in) if any of ``arrays`` lives on the device, else ``numpy``."""
    for array in arrays:
        if is_device_array(array):  # a device array exists, so CuPy and a device do: no checks
            if _stand_in is not None:
                return _stand_in
            import cupy
            return cupy
    return numpy


def to_cpu(array):
    """Return ``array`` as a NumPy array (copied from the GPU when it lives there)."""
    if is_device_array(array):
        return array.get()
    return numpy.asarray(array)


def to_gpu(array):
    """Return ``array`` as a device array (copied from the host when it lives there)."""
    return device_module().asarray(array)


def as_module_of(like, array):
    """``array`` on the device of ``like``: copied to the GPU when ``like`` is there, to the host
    when ``like`` is a host array (a no-op when it is already there)."""
    return to_gpu(array) if is_device_array(like) else to_cpu(array)


def as_model_device(model, data):
    """``data`` on the device of ``model.params`` (one explicit copy, or none; a model without
    parameters gets it as it is)."""
    params = getattr(model, 'params', None)
    return as_module_of(params[0], data) if params else data

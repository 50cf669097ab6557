"""``.npz`` files: atomic writes (the file at ``path`` is always the old one or the complete new
one) and reads that say in one line what is wrong with a damaged file."""
import json
import os
import zipfile
import zlib

import numpy as np

from common.temp_files import make_temp_file, remove_stale_temp_files

TEMP_SUFFIX = '.npz.tmp'


def atomic_savez(path, arrays):
    """np.savez ``arrays`` (name -> array) to ``path`` through a temporary file renamed over it.

    An error or Ctrl-C while writing leaves an existing file at ``path`` untouched and removes
    the temporary file; the temporary files of a run killed outright are removed by the next save
    to ``path`` (``common.temp_files``).  The new file gets the usual permissions (0666 less the
    umask).
    """
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    remove_stale_temp_files(path, TEMP_SUFFIX)
    fd, tmp_path = make_temp_file(path, TEMP_SUFFIX)
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, **arrays)
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


ZIP_MAGIC, NPY_MAGIC = b'PK\x03\x04', b'\x93NUMPY'


def read_npz(path, what='checkpoint', records=(), wanted=None):
    """The arrays of the ``.npz`` file ``path`` (read without pickle) -> {name: array}: all of
    them, or those whose name ``wanted(name)`` accepts (the others are not read).

    ``what`` names the kind of file in the messages ('checkpoint', 'training state', ...).
    ``records``: names of entries that hold a JSON string (np.array(json.dumps(value))); each
    must be present (else a ValueError) and comes back decoded.
    FileNotFoundError when it does not exist; ValueError, naming the file and the problem, when
    it is a folder, empty, a single ``.npy`` array, not a zip archive, truncated or corrupted, or
    holds Python objects (which this library never writes).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f'{what} {path!r} does not exist')
    if os.path.isdir(path):
        raise ValueError(f'{what} {path!r} is a folder, not an .npz file')
    with open(path, 'rb') as f:
        head = f.read(6)
    if not head:
        raise ValueError(f'{what} {path!r} is empty (0 bytes): not an .npz file')
    if head.startswith(NPY_MAGIC):
        raise ValueError(f'{what} {path!r} is a single .npy array (np.save), not an .npz archive')
    if not head.startswith(ZIP_MAGIC):
        raise ValueError(f'{what} {path!r} is not an .npz file (it does not start like a zip archive)')
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files if wanted is None or wanted(name)}
    except ValueError as error:
        if 'pickle' in str(error) or 'Object arrays' in str(error):
            raise ValueError(f'{what} {path!r} holds Python objects (pickled data), which this '
                             'library never writes: refused') from None
        raise ValueError(f'{what} {path!r} is damaged: {error}') from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, KeyError) as error:
        raise ValueError(f'{what} {path!r} is damaged (truncated or corrupted): {error}') from None
    for name in records:
        if name not in arrays:
            raise ValueError(f'{what} {path!r} has no {name!r} record: it was not written by this library')
        try:
            arrays[name] = json.loads(str(arrays[name]))
        except json.JSONDecodeError as error:
            raise ValueError(f'{what} {path!r}: its {name!r} record is not JSON ({error})') from None
    return arrays

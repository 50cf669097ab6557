"""Atomic ``.npz`` writes: the file at ``path`` is always the old one or the complete new one."""
import os
import tempfile

import numpy as np


def atomic_savez(path, arrays):
    """np.savez ``arrays`` (name -> array) to ``path`` through a temporary file renamed over it.

    An error or Ctrl-C while writing leaves an existing file at ``path`` untouched and removes
    the temporary file.  The new file gets the usual permissions (0666 less the umask).
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(suffix='.npz.tmp', dir=directory)
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

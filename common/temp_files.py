"""Temporary files beside a destination, and the cleaning of those an interrupted run left behind.

A save or download writes ``.NAME.PID.XXXXXX<suffix>`` in the destination's folder and renames it
over ``NAME`` when complete.  An error or Ctrl-C removes it at once; a run killed outright
(SIGKILL, power loss) cannot, so the next write to the same destination removes the leftovers of
processes that are no longer running (a live process may still be writing its own).
"""
import glob
import os
import tempfile
from pathlib import Path


def make_temp_file(dest, suffix):
    """Create an empty temporary file beside ``dest`` -> (open file descriptor, path)."""
    dest = Path(dest)
    return tempfile.mkstemp(dir=dest.parent, prefix=f'.{dest.name}.{os.getpid()}.', suffix=suffix)


def write_atomically(path, write, suffix):
    """Write the file ``path`` as one unit: ``write(binary file)`` fills a temporary file beside
    it, which is renamed over ``path`` only when complete.  An error or Ctrl-C leaves an existing
    file at ``path`` untouched and removes the temporary file; the leftovers of a run killed
    outright are removed by the next write to ``path``.  The new file gets the usual permissions
    (0666 less the umask).  OSError, naming ``path``, when it is a folder or another non-regular
    file (a device such as /dev/null, a pipe) that a rename would replace, or when writing fails
    (a full disk): the message says whether an earlier file is still there.
    """
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f'cannot write {path!r}: it is a folder; give a file name')
    if os.path.lexists(path) and not os.path.isfile(path):
        raise OSError(f'cannot write {path!r}: it exists and is not a regular file (a device, a pipe '
                      'or a socket), which this write would replace')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    remove_stale_temp_files(path, suffix)
    fd, tmp_path = make_temp_file(path, suffix)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        os.replace(tmp_path, path)
    except BaseException as error:
        os.unlink(tmp_path)
        if isinstance(error, OSError) and error.errno is not None:
            kept = 'the earlier file there is intact' if os.path.exists(path) else 'nothing was written'
            raise OSError(error.errno, f'cannot write {path!r} ({error.strerror}); {kept}') from None
        raise


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temp_files(dest, suffix):
    """Delete the temporary files of ``dest`` whose writing process has ended -> their paths."""
    dest = Path(dest)
    removed = []
    for path in dest.parent.glob(f'.{glob.escape(dest.name)}.*{glob.escape(suffix)}'):
        pid = path.name[len(dest.name) + 2:].split('.', 1)[0]
        if pid.isdigit() and not is_running(int(pid)):
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:  # removed meanwhile by another run
                pass
            except PermissionError:  # another user's file in a shared folder (/tmp): theirs to remove
                pass
    return removed


def is_running(pid):
    """Whether another process with this id is running (our own id counts as not running: a
    leftover of ours is from an earlier, failed write)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True

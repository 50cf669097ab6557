"""Temporary files beside a destination, and the cleaning of those an interrupted run left behind.

A save or download writes ``.NAME.PID.XXXXXX<suffix>`` in the destination's folder and renames it
over ``NAME`` when complete.  An error or Ctrl-C removes it at once; a run killed outright
(SIGKILL, power loss) cannot, so the next write to the same destination removes the leftovers of
processes that are no longer running (a live process may still be writing its own).
"""
import os
import tempfile
from pathlib import Path


def make_temp_file(dest, suffix):
    """Create an empty temporary file beside ``dest`` -> (open file descriptor, path)."""
    dest = Path(dest)
    return tempfile.mkstemp(dir=dest.parent, prefix=f'.{dest.name}.{os.getpid()}.', suffix=suffix)


def remove_stale_temp_files(dest, suffix):
    """Delete the temporary files of ``dest`` whose writing process has ended -> their paths."""
    dest = Path(dest)
    removed = []
    for path in dest.parent.glob(f'.{dest.name}.*{suffix}'):
        pid = path.name[len(dest.name) + 2:].split('.', 1)[0]
        if pid.isdigit() and not _is_running(int(pid)):
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:  # removed meanwhile by another run
                pass
    return removed


def _is_running(pid):
    if pid == os.getpid():
        return False  # our own leftover from an earlier, failed write
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True

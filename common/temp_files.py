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

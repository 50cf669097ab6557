"""Ctrl-C and SIGTERM during training: stop cleanly, and never in the middle of a checkpoint.

Inside ``with StopSignals() as signals:`` both SIGINT (Ctrl-C) and SIGTERM (``kill``, a job
scheduler's stop) raise ``Stopped`` (a KeyboardInterrupt) in the training loop.  Inside
``with signals.deferred():`` they are held: the block (recording an epoch and writing its
checkpoint) runs to its end, then ``Stopped`` is raised.  So a checkpoint and its training state
are one unit that was either written or not, whenever the signal arrives.
"""
import contextlib
import signal
import sys
import threading


class Stopped(KeyboardInterrupt):
    """Raised for a stop signal; ``signum`` is signal.SIGINT or signal.SIGTERM."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self):
        """The shell's convention for a process stopped by a signal: 128 + its number."""
        return 128 + self.signum


class StopSignals:
    """Turn SIGINT and SIGTERM into ``Stopped`` while the block runs (main thread only; elsewhere
    Python delivers no signals, so nothing is installed)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.pending = None
        self.depth = 0
        self.previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous.clear()
        return False

    def _handle(self, signum, frame):
        if self.depth == 0:
            raise Stopped(signum)
        if self.pending is None:
            print(f'\n{signal.Signals(signum).name}: finishing the checkpoint first, then stopping',
                  file=sys.stderr, flush=True)
        self.pending = signum

    @contextlib.contextmanager
    def deferred(self):
        """Hold stop signals until the block has finished, then raise ``Stopped`` if one came."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0 and self.pending is not None:
                signum, self.pending = self.pending, None
                raise Stopped(signum)

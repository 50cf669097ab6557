"""Ctrl-C and SIGTERM during training: a request to stop at the next safe point, not an exception
in the middle of an update.

Inside ``with StopRequest() as stop:`` the first SIGINT (Ctrl-C) or SIGTERM (``kill``, a job
scheduler's stop) only records itself in ``stop.signum`` and says so on stderr; the training loop
looks at it between steps (the checkpoint saves the run there and ends the program).  A second
signal raises KeyboardInterrupt at once.  The previous handlers come back when the block ends.
Signals reach only the main thread, so elsewhere nothing is installed.
"""
import signal
import sys
import threading


class StopRequest:
    """The stop signal received inside the block (``signum``: signal.SIGINT or signal.SIGTERM), or None."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum = None
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
        if self.signum:
            raise KeyboardInterrupt
        self.signum = signum
        print(f'\n{signal.Signals(signum).name}: stopping after this step, with the run saved '
              '(again to stop at once)', file=sys.stderr, flush=True)

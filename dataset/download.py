"""Download one file safely: progress on stderr, SHA-256 check, atomic placement.

The bytes are streamed into a temporary file in the destination folder; only when
the whole file has arrived and its SHA-256 equals the expected one is it renamed
onto the destination with ``os.replace`` (atomic on one file system). On any
failure the temporary file is removed, so the destination is either absent or
complete and verified, never partial; the temporary file of a run killed outright is removed by
the next download of the same file.  Each read has a timeout, and the whole download an overall
deadline (a server that trickles bytes cannot hold it forever).  On a terminal the progress line
is rewritten in place; in a log file (not a terminal) a line is written only every 25%.
"""
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common.temp_files import make_temp_file, remove_stale_temp_files

CHUNK_BYTES = 1 << 16
MAX_BYTES = 1 << 30  # no data set of this library is near 1 GiB: a larger body is refused
clock = time.monotonic  # seconds, for the overall deadline (tests replace it)


class DownloadError(OSError):
    """A download failed (network, HTTP status, cut connection or checksum); nothing was written."""


def download(url, dest, sha256, *, timeout=30.0, deadline=600.0, max_bytes=MAX_BYTES, progress=True,
             advice=''):
    """Fetch ``url`` into the file ``dest`` if and only if its SHA-256 is ``sha256``.

    url: http(s) address; dest: path of the file to create (its folder is created if needed);
    sha256: expected hex digest (lower case); timeout: seconds for connecting and for each read;
    deadline: seconds for the whole download (each read returns as soon as some bytes arrive, so a
    server that trickles one byte a second is stopped at the deadline too); max_bytes: the
    largest body accepted (announced or received); progress: print progress on stderr; advice: text
    appended to every error message (e.g. how to install the file by hand).
    Returns ``Path(dest)``. Raises ``DownloadError`` saying what went wrong.
    """
    dest = Path(dest)
    temp_path = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(dest, '.part')
        handle, temp_path = make_temp_file(dest, '.part')
        with os.fdopen(handle, 'wb') as out:
            digest = _stream(url, out, timeout, deadline, max_bytes, dest.name if progress else None)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_path, 0o644)  # mkstemp creates 0o600; a cache file is readable like any other
        if digest != sha256.lower():
            raise DownloadError(f'checksum mismatch: the received file has SHA-256 {digest}, '
                                f'expected {sha256} (corrupted or changed file)')
        os.replace(temp_path, dest)
        temp_path = None
    except (OSError, http.client.HTTPException) as err:
        raise DownloadError(f'Could not download {url} to {dest}: {_describe(err)}.{advice}') from err
    finally:
        if temp_path is not None:
            os.remove(temp_path)
    return dest


def _stream(url, out, timeout, deadline, max_bytes, label):
    """Copy the body of ``url`` into the binary file ``out``; return its SHA-256 hex digest.

    Raises DownloadError when the connection closes before Content-Length bytes arrived, when
    the whole transfer takes longer than ``deadline`` seconds, or when the body is (or announces
    itself) larger than ``max_bytes``.
    """
    digest = hashlib.sha256()
    give_up = clock() + deadline
    progress = _Progress(label) if label else None
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get('Content-Length')
        total = int(length) if length is not None else None
        if total is not None and total > max_bytes:
            raise DownloadError(f'the server announces {total:,} bytes, more than the {max_bytes:,} '
                                'this file can be')
        done = 0
        while chunk := response.read1(CHUNK_BYTES):  # whatever has arrived, up to a chunk
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress.show(done, total)
            if done > max_bytes:
                raise DownloadError(f'the server sent more than {max_bytes:,} bytes, more than this file '
                                    'can be')
            if clock() > give_up:
                raise DownloadError(f'the download took longer than its deadline of {deadline:g} s '
                                    f'({done} bytes received)')
    if progress:
        progress.finish(done, total)
    if total is not None and done != total:
        raise DownloadError(f'the connection closed after {done} of {total} bytes')
    return digest.hexdigest()


class _Progress:
    """'downloading NAME: 1.2 / 5.1 MB (23%)' on stderr: rewritten in place on a terminal; in a
    log (not a terminal), one line per quarter of the file (per 10 MB when the size is unknown)."""

    def __init__(self, label):
        self.label = label
        self.terminal = sys.stderr.isatty()
        self.last_step, self.last_shown = 0, None

    def show(self, done, total):
        if self.terminal:
            print(f'\r{self._text(done, total)}', end='', file=sys.stderr, flush=True)
            return
        step = 4 * done // total if total else done // 10_000_000
        if step > self.last_step:
            self.last_step, self.last_shown = step, done
            print(self._text(done, total), file=sys.stderr, flush=True)

    def finish(self, done, total):
        """End the line on a terminal; in a log, make sure the final size was written."""
        if self.terminal:
            print(file=sys.stderr, flush=True)
        elif self.last_shown != done:
            print(self._text(done, total), file=sys.stderr, flush=True)

    def _text(self, done, total):
        size = f'{done / 1e6:.1f} MB'
        if total:
            size = f'{done / 1e6:.1f} / {total / 1e6:.1f} MB ({100 * done // total}%)'
        return f'downloading {self.label}: {size}'


def _describe(err):
    """One readable phrase for a download failure."""
    if isinstance(err, DownloadError):
        return str(err)
    if isinstance(err, urllib.error.HTTPError):
        return f'the server answered HTTP {err.code} {err.reason}'
    if isinstance(err, urllib.error.URLError):
        return f'cannot reach the server ({err.reason})'
    if isinstance(err, TimeoutError):
        return 'no answer from the server within the timeout'
    if isinstance(err, http.client.IncompleteRead):
        return f'the connection closed early ({err})'
    return f'{type(err).__name__}: {err}'

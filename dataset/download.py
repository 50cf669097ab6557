"""Download one file safely: progress on stderr, SHA-256 check, atomic placement.

The bytes are streamed into a temporary file in the destination folder; only when
the whole file has arrived and its SHA-256 equals the expected one is it renamed
onto the destination with ``os.replace`` (atomic on one file system). On any
failure the temporary file is removed, so the destination is either absent or
complete and verified, never partial.
"""
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

CHUNK_BYTES = 1 << 16


class DownloadError(OSError):
    """A download failed (network, HTTP status, cut connection or checksum); nothing was written."""


def download(url, dest, sha256, *, timeout=30.0, progress=True, advice=''):
    """Fetch ``url`` into the file ``dest`` if and only if its SHA-256 is ``sha256``.

    url: http(s) address; dest: path of the file to create (its folder is created if needed);
    sha256: expected hex digest (lower case); timeout: seconds for connecting and for each read;
    progress: print a progress line on stderr; advice: text appended to every error message
    (e.g. how to install the file by hand).
    Returns ``Path(dest)``. Raises ``DownloadError`` saying what went wrong.
    """
    dest = Path(dest)
    temp_path = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(dir=dest.parent, prefix=f'.{dest.name}.', suffix='.part')
        with os.fdopen(handle, 'wb') as out:
            digest = _stream(url, out, timeout, dest.name if progress else None)
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


def _stream(url, out, timeout, label):
    """Copy the body of ``url`` into the binary file ``out``; return its SHA-256 hex digest.

    Raises DownloadError when the connection closes before Content-Length bytes arrived.
    """
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get('Content-Length')
        total = int(length) if length is not None else None
        done = 0
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if label:
                _show_progress(label, done, total)
    if label:
        print(file=sys.stderr, flush=True)
    if total is not None and done != total:
        raise DownloadError(f'the connection closed after {done} of {total} bytes')
    return digest.hexdigest()


def _show_progress(label, done, total):
    """Rewrite one stderr line: 'downloading NAME: 1.2 / 5.1 MB (23%)'."""
    size = f'{done / 1e6:.1f} MB'
    if total:
        size = f'{done / 1e6:.1f} / {total / 1e6:.1f} MB ({100 * done // total}%)'
    print(f'\rdownloading {label}: {size}', end='', file=sys.stderr, flush=True)


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

"""``.npz`` files: atomic writes (the file at ``path`` is always the old one or the complete new
one) and reads that say in one line what is wrong with a damaged file."""
import json
import os
import zipfile
import zlib

import numpy as np

from common.temp_files import write_atomically

TEMP_SUFFIX = '.npz.tmp'


def atomic_savez(path, arrays):
    """np.savez ``arrays`` (name -> array) to ``path`` as one unit (``common.temp_files.write_atomically``:
    a temporary file renamed over ``path`` when complete)."""
    write_atomically(path, lambda f: np.savez(f, **arrays), TEMP_SUFFIX)


ZIP_MAGIC, NPY_MAGIC = b'PK\x03\x04', b'\x93NUMPY'
MAX_EXPANSION = 20  # an .npz may unpack to at most 20 times its size (float weights barely compress)


class NpzReader:
    """An ``.npz`` file opened for checked reading, without pickle: every member's name, shape and
    dtype come from its ``.npy`` header before any data is read (``headers``), and ``read(name)``
    reads one member.

    Refused at once with a ValueError naming the file (``what`` names its kind in the message):
    a folder, an empty file, a single ``.npy`` array, a file that is not a zip archive, a member
    that is not an ``.npy`` array, an array of Python objects, a member whose declared size is not
    the one its header gives (a damaged or forged archive), and an archive whose members would
    unpack to more than ``MAX_EXPANSION`` times the file's size (a zip bomb).  So reading never
    takes more memory than a small multiple of the file.  FileNotFoundError when it does not exist.
    """

    def __init__(self, path, what='checkpoint'):
        self.path, self.what = os.fspath(path), what
        self.origin = f'{what} {self.path!r}'
        if not os.path.exists(self.path):
            raise FileNotFoundError(f'{self.origin} does not exist')
        if os.path.isdir(self.path):
            raise ValueError(f'{self.origin} is a folder, not an .npz file')
        with open(self.path, 'rb') as f:
            head = f.read(6)
        if not head:
            raise ValueError(f'{self.origin} is empty (0 bytes): not an .npz file')
        if head.startswith(NPY_MAGIC):
            raise ValueError(f'{self.origin} is a single .npy array (np.save), not an .npz archive')
        if not head.startswith(ZIP_MAGIC):
            raise ValueError(f'{self.origin} is not an .npz file (it does not start like a zip archive)')
        try:
            self.zip = zipfile.ZipFile(self.path)
            self.members = {info.filename[:-4]: info for info in self.zip.infolist()}
            self.headers = {name: self._header(name, info) for name, info in self.members.items()}
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, KeyError) as error:
            raise ValueError(f'{self.origin} is damaged (truncated or corrupted): {error}') from None
        declared = sum(info.file_size for info in self.members.values())
        if declared > MAX_EXPANSION * os.path.getsize(self.path) + (1 << 20):
            raise ValueError(f'{self.origin} declares {declared:,} bytes of arrays in a file of '
                             f'{os.path.getsize(self.path):,}: refused (a compressed archive that '
                             'unpacks to far more than it holds)')

    def _header(self, name, info):
        if not info.filename.endswith('.npy') or info.compress_type not in (zipfile.ZIP_STORED,
                                                                          zipfile.ZIP_DEFLATED):
            raise ValueError(f'{self.origin}: member {info.filename!r} is not an .npy array')
        with self.zip.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
                read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                               (2, 0): np.lib.format.read_array_header_2_0}[version]
                shape, _, dtype = read_header(member)
            except (ValueError, KeyError) as error:
                raise ValueError(f'{self.origin}: member {info.filename!r} is not a readable .npy '
                                 f'array ({error})') from None
            header_size = member.tell()
        if dtype.hasobject:
            raise ValueError(f'{self.origin} holds Python objects (pickled data) in {name!r}, which '
                             'this library never writes: refused')
        expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size != expected:
            raise ValueError(f'{self.origin}: member {info.filename!r} declares {info.file_size:,} bytes, '
                             f'its header {shape} {dtype} means {expected:,}: the file is damaged')
        return shape, dtype

    def read(self, name):
        """The array ``name`` (its size already checked against its header)."""
        try:
            with self.zip.open(self.members[name]) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, ValueError) as error:
            raise ValueError(f'{self.origin} is damaged (truncated or corrupted): {error}') from None

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def read_npz(path, what='checkpoint', records=(), wanted=None):
    """The arrays of the ``.npz`` file ``path`` (read without pickle, checked by ``NpzReader``)
    -> {name: array}: all of them, or those whose name ``wanted(name)`` accepts (the others are
    not read).  ``what`` names the kind of file in the messages ('checkpoint', 'word-vector
    file', ...).  ``records``: names of entries that hold a JSON string
    (np.array(json.dumps(value))); each must be present (else a ValueError) and comes back decoded.
    """
    with NpzReader(path, what) as reader:
        arrays = {name: reader.read(name) for name in reader.headers if wanted is None or wanted(name)}
    for name in records:
        if name not in arrays:
            raise ValueError(f'{what} {os.fspath(path)!r} has no {name!r} record: it was not written by '
                             'this library')
        try:
            arrays[name] = json.loads(str(arrays[name]))
        except json.JSONDecodeError as error:
            raise ValueError(f'{what} {os.fspath(path)!r}: its {name!r} record is not JSON ({error})') from None
    return arrays

"""Where the files of a corpus (PTB, SST, IMDB) are found, and where what is made from them is kept.

A file of the corpus named NAME ('ptb', 'sst' or 'imdb') is looked up in this order:

1. the folder named by the environment variable ``DLFS_DATA_DIR`` (only read, never written):
   first its subfolder ``NAME/``, then the folder itself, so ``DLFS_DATA_DIR`` may name the folder
   that holds the files, or a folder that holds ``ptb/``, ``sst/`` and ``imdb/``;
2. the corpus's cache folder ``cache_root()/NAME``: ``$DLFS_CACHE_DIR/NAME`` if ``DLFS_CACHE_DIR``
   is set, else ``$XDG_CACHE_HOME/dlfs2/NAME``, else ``~/.cache/dlfs2/NAME``;
3. a download into that cache folder (``dataset.download``: a progress line, a SHA-256 check and
   an atomic rename).

Forms that are slow to make (the texts unpacked from an archive, their tokens) are kept in the
cache folder too, never in ``DLFS_DATA_DIR``.
"""
import hashlib
import os
import sys
from pathlib import Path

from dataset.download import download

HASH_CHUNK_BYTES = 1 << 20
class DataFileError(OSError, ValueError):
    """A data file that is there but cannot be used: the wrong file (its checksum), a damaged
    archive, a malformed line.  An OSError, so that a script ends with its one line (a problem
    with the reader's files, not with the code); a ValueError, as other bad input is."""


DATA_DIR_VARIABLE = 'DLFS_DATA_DIR'


def cache_root():
    """$DLFS_CACHE_DIR, else $XDG_CACHE_HOME/dlfs2, else ~/.cache/dlfs2."""
    root = os.environ.get('DLFS_CACHE_DIR')
    if root:
        return Path(root)
    xdg = os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'
    return Path(xdg) / 'dlfs2'


def file_sha256(path):
    """SHA-256 hex digest of the file at ``path``, read in pieces of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        while chunk := f.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class Corpus:
    """The files of one corpus: where they are looked for, where they come from, what to say.

    name: 'ptb' | 'sst' | 'imdb', the subfolder of DLFS_DATA_DIR and of the cache root;
    title: the corpus in messages ('PTB'); files: its files in messages ('ptb.train.txt, ...');
    source: the address to get them from by hand.
    """

    def __init__(self, name, title, files, source):
        self.name, self.title, self.files, self.source = name, title, files, source

    def cache_dir(self):
        """The corpus's cache folder: cache_root() / name."""
        return cache_root() / self.name

    def data_dir_folders(self):
        """[DLFS_DATA_DIR/name, DLFS_DATA_DIR], the folders to read first; [] when it is not set.

        A DLFS_DATA_DIR that does not exist, or names a file instead of a folder, is an error.
        """
        data_dir = os.environ.get(DATA_DIR_VARIABLE)
        if not data_dir:
            return []
        if os.path.isfile(data_dir):
            raise NotADirectoryError(f'{DATA_DIR_VARIABLE} is set to {data_dir!r}, which is a file, not '
                                     f'a folder; point it at the folder that holds {self.files} '
                                     f'(or at its parent, with them in {self.name}/).')
        if not os.path.isdir(data_dir):
            raise FileNotFoundError(f'{DATA_DIR_VARIABLE} is set to {data_dir!r}, but that folder does '
                                    f'not exist; point it at the folder that holds {self.files} '
                                    f'(or at its parent, with them in {self.name}/), or unset it.')
        return [Path(data_dir) / self.name, Path(data_dir)]

    def local_file(self, *file_names):
        """Path of the first of ``file_names`` found in DLFS_DATA_DIR's folders, else in the cache
        folder (each folder is searched for every name before the next folder); None if none is."""
        for folder in self.data_dir_folders() + [self.cache_dir()]:
            for file_name in file_names:
                path = folder / file_name
                if path.is_file():
                    return path
                if path.exists():
                    raise IsADirectoryError(f'{path} is a folder, not the file {file_name}: put the '
                                            f'{self.title} file itself there, or remove the folder')
        return None

    def find_file(self, file_names, url, sha256, deadline=600.0):
        """Path of a local file (``local_file(*file_names)``), else of ``file_names[0]`` downloaded
        from ``url`` into the cache folder if its SHA-256 is ``sha256``, within ``deadline`` seconds.

        A failed download raises ``dataset.download.DownloadError`` ending with where to put the
        files by hand.
        """
        local = self.local_file(*file_names)
        if local is not None:
            return local
        note = ''
        data_dir = os.environ.get(DATA_DIR_VARIABLE)
        if data_dir:
            names = ' or '.join(file_names)
            note = (f'\n{DATA_DIR_VARIABLE} is set to {data_dir!r}, but that folder holds no {names}, '
                    f'nor does its subfolder {self.name}/.')
            print(note.strip() + f' Downloading {file_names[0]} into the cache folder {self.cache_dir()}.',
                  file=sys.stderr, flush=True)
        return download(url, self.cache_dir() / file_names[0], sha256, deadline=deadline,
                        advice=note + self.manual_install_advice())

    def manual_install_advice(self):
        """The end of a download error: where to put the files by hand."""
        return (f'\nTo install the {self.title} files by hand, get {self.files} from {self.source} and '
                f'either put them in a folder and set the environment variable {DATA_DIR_VARIABLE} to '
                f'that folder (or to its parent, with the files in a subfolder {self.name}/), or put '
                f'them in the cache folder {self.cache_dir()}')

    def check_sha256(self, path, digest, expected, url):
        """DataFileError unless ``digest`` (the SHA-256 of the file at ``path``) is ``expected``."""
        if digest != expected:
            raise DataFileError(f'{path} is not the expected {self.title} file: its SHA-256 is {digest}, '
                             f'expected {expected}; replace it with the original from {url}')

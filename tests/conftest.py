"""Shared fixtures.

``device``: runs a test with the strict CuPy stand-in playing the GPU.
``needs_ptb``: the tests that read the real Penn Treebank run whenever ``dataset.ptb`` finds the
three files without a download (in DLFS_DATA_DIR, or in the user cache after the README's main
job), and are skipped otherwise, all with the one message below.  Use it as
``pytestmark = pytest.mark.usefixtures('needs_ptb')`` or ``@pytest.mark.usefixtures('needs_ptb')``.
``needs_sst`` and ``needs_imdb`` do the same for the sentiment archives, with messages of the same form.
"""
import pytest

import fake_cupy
from common import backend
from dataset import imdb, ptb, sst

PTB_SKIP_MESSAGE = ('needs the PTB files (ptb.train.txt, ptb.valid.txt, ptb.test.txt): set DLFS_DATA_DIR '
                    'to their folder, or run the README main job once to download them into the cache')
SST_SKIP_MESSAGE = (f'needs the SST archive ({sst.ARCHIVE}): set DLFS_DATA_DIR to its folder (or its '
                    'parent), or call dataset.sst.load_data() once to download it into the cache')
IMDB_SKIP_MESSAGE = (f'needs the IMDB archive ({imdb.CANONICAL} or {imdb.TEXT_ONLY}): set DLFS_DATA_DIR '
                     'to its folder (or its parent), or call dataset.imdb.load_data() once to download '
                     'it into the cache')


@pytest.fixture
def device():
    """The stand-in device module (tests/fake_cupy.py), active for the duration of one test."""
    backend.use_stand_in(fake_cupy)
    yield fake_cupy
    backend.use_stand_in(None)


@pytest.fixture
def needs_ptb():
    if not ptb.found_without_download():
        pytest.skip(PTB_SKIP_MESSAGE)


@pytest.fixture
def needs_sst():
    if not sst.found_without_download():
        pytest.skip(SST_SKIP_MESSAGE)


@pytest.fixture
def needs_imdb():
    if not imdb.found_without_download():
        pytest.skip(IMDB_SKIP_MESSAGE)

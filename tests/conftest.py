"""Shared fixtures: ``device`` runs a test with the strict CuPy stand-in playing the GPU."""
import pytest

import fake_cupy
from common import backend


@pytest.fixture
def device():
    """The stand-in device module (tests/fake_cupy.py), active for the duration of one test."""
    backend.use_stand_in(fake_cupy)
    yield fake_cupy
    backend.use_stand_in(None)

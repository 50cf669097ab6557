"""Run the chapter notebooks in a real Jupyter kernel (nbclient + ipykernel, the `test` extra).

The tests use ``execute``; authors refresh a notebook's committed outputs with

    python tests/notebook_execution.py notebooks/ch01_nn.ipynb [more.ipynb ...]

which runs each notebook top to bottom at the setting its first cell holds (the quick one, as
committed) in the ``notebooks`` folder, with one BLAS thread, and writes it back with the new
outputs.
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / 'notebooks'
# Each notebook's quick setting runs in at most about a minute on 2 cores; the limit leaves room
# for a machine a few times slower.
CELL_TIMEOUT_S = 300


def execute(path):
    """Execute the notebook at ``path`` in a fresh kernel; return it with its outputs.

    Raises nbclient's CellExecutionError, naming the cell and the error, when a cell fails."""
    notebook = nbformat.read(str(path), as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name='python3', record_timing=False,
                            resources={'metadata': {'path': str(NOTEBOOK_DIR)}})
    # One BLAS thread: the notebooks' models are small, and OpenBLAS threads that wait for a busy
    # core made a 2-second seq2seq epoch take 80 s on a loaded 2-core machine.
    client.execute(env={**os.environ, 'OPENBLAS_NUM_THREADS': '1'})
    return notebook


def main():
    paths = [Path(arg) for arg in sys.argv[1:]]
    if not paths:
        sys.exit('usage: python tests/notebook_execution.py NOTEBOOK.ipynb [...]')
    for path in paths:
        start = time.perf_counter()
        notebook = execute(path)
        nbformat.write(notebook, str(path))
        size_kb = path.stat().st_size / 1024
        print(f'{path}: ran in {time.perf_counter() - start:.1f} s, {size_kb:.0f} KB written')


if __name__ == '__main__':
    main()

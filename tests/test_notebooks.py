"""The chapter notebooks: each one runs top to bottom in a real Jupyter kernel at its quick
setting, and the committed copy carries the outputs of such a run (the plots a hosting site
shows), stays under 1 MB, and imports the library as a reader would."""
import re

import nbformat
import pytest

from notebook_execution import NOTEBOOK_DIR, execute

CHAPTERS = ['ch01_nn', 'ch02_count', 'ch03_word2vec', 'ch04_fast_w2v', 'ch05_rnn', 'ch06_lstm',
            'ch07_seq2seq', 'ch08_attention', 'ch09_transformer', 'ch10_transfer']
NOTEBOOKS = [NOTEBOOK_DIR / f'{chapter}.ipynb' for chapter in CHAPTERS]
MAX_BYTES = 1_000_000
HANGUL = re.compile('[\uac00-\ud7a3]')


def notebook_id(path):
    return path.stem


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == 'code']


def reads_ptb(notebook):
    """Whether the notebook reads the Penn Treebank (then it runs only where the files are)."""
    return any('dataset.ptb' in cell.source or 'from dataset import ptb' in cell.source
               for cell in code_cells(notebook))


def test_there_is_one_notebook_per_chapter():
    assert sorted(NOTEBOOK_DIR.glob('*.ipynb')) == sorted(NOTEBOOKS)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=notebook_id)
def test_committed_notebook_has_outputs_of_a_run_and_fits_in_1_mb(path):
    assert path.stat().st_size < MAX_BYTES, f'{path.name} is {path.stat().st_size:,} bytes'
    notebook = nbformat.read(str(path), as_version=4)
    cells = code_cells(notebook)
    counts = [cell.execution_count for cell in cells]
    assert None not in counts, f'{path.name}: a code cell was not run before committing'
    assert counts == list(range(1, len(cells) + 1)), f'{path.name}: not run top to bottom in one go'
    outputs = [output for cell in cells for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == 'error'], f'{path.name}: committed with an error'
    assert any('image/png' in o.get('data', {}) for o in outputs), f'{path.name}: no plot in the outputs'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=notebook_id)
def test_notebook_reads_like_the_book_in_korean_and_imports_the_library(path):
    notebook = nbformat.read(str(path), as_version=4)
    cells = code_cells(notebook)
    assert re.search(r'^FULL\s*=\s*False\b', cells[0].source, re.M), \
        f'{path.name}: the first code cell must hold the quick setting, FULL = False'
    assert not any('sys.path' in cell.source for cell in cells), f'{path.name}: edits sys.path'
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == 'markdown']
    assert all(HANGUL.search(text) for text in markdown), f'{path.name}: a markdown cell without Korean'
    chapter = int(path.stem[2:4])
    assert re.search(rf'^## {chapter}\.\d', '\n'.join(markdown), re.M), \
        f"{path.name}: no heading naming a section of chapter {chapter} ('## {chapter}.1 ...')"


@pytest.mark.parametrize('path', NOTEBOOKS, ids=notebook_id)
def test_notebook_runs_without_error_in_a_kernel(path, request):
    if reads_ptb(nbformat.read(str(path), as_version=4)):
        request.getfixturevalue('needs_ptb')
    notebook = execute(path)
    outputs = [output for cell in code_cells(notebook) for output in cell.outputs]
    assert any('image/png' in o.get('data', {}) for o in outputs)

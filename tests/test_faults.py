"""Findings of the third fault probe, each as a test that fails without its fix.

The checkpoint's findings (an exact resume from any step, one file per save, the lock, NaN weights,
records and oversized files) are tested with the checkpoint, in test_checkpoint.py and
test_checkpoints.py; here are the rest: output files, temporary files, generation, data files,
downloads, optimizers and clipping.
"""
import http.server
import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from ch06_lstm.rnnlm import Rnnlm
from common.optimizer import SGD, Adam, AdamW, Momentum
from common.plot import plot_curves
from common.trainer import Validation
from common.util import clip_grads, vocabulary_spelling
from dataset import sequence
from dataset.download import DownloadError, download

needs_ptb = pytest.mark.usefixtures('needs_ptb')


def test_a_save_never_replaces_a_device_a_pipe_or_a_folder(tmp_path):
    """Finding 7: a save onto something that is not a regular file is refused, the thing kept."""
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    model = Rnnlm(12, 4, 4, rng=0)
    with pytest.raises(OSError, match="is not a regular file"):
        model.save_params(fifo)
    assert fifo.is_fifo()
    with pytest.raises(IsADirectoryError, match=f"cannot write '{tmp_path}': it is a folder"):
        model.save_params(tmp_path)  # finding 18: the message names the folder, not a temporary file


def test_another_users_stale_temporary_file_does_not_stop_a_save(tmp_path, monkeypatch):
    """Finding 8: in a shared sticky folder another user's leftover cannot be removed: the save
    goes on (the leftover is theirs)."""
    stale = tmp_path / '.model.npz.999999999.abcdef.npz.tmp'  # a process id that runs nowhere
    stale.write_bytes(b'theirs')
    real_unlink = type(stale).unlink

    def not_ours(path, *args, **kwargs):
        if path == stale:
            raise PermissionError(1, 'Operation not permitted', str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(type(stale), 'unlink', not_ours)
    Rnnlm(12, 4, 4, rng=0).save_params(tmp_path / 'model.npz')
    assert (tmp_path / 'model.npz').is_file() and stale.read_bytes() == b'theirs'


def test_stale_temporary_files_of_a_name_with_brackets_are_removed(tmp_path):
    """Finding 20: '[' and ']' in a file name are not glob patterns when leftovers are looked for."""
    leftover = tmp_path / '.run[1].npz.999999999.abcdef.npz.tmp'
    leftover.write_bytes(b'left by a killed run')
    Rnnlm(12, 4, 4, rng=0).save_params(tmp_path / 'run[1].npz')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['run[1].npz']


def test_a_plot_is_written_as_one_unit(tmp_path, monkeypatch):
    """Finding 10: a failing write (a full disk) leaves the earlier PNG whole."""
    path = tmp_path / 'curve.png'
    plot_curves({'a': ([1, 2], [3, 4])}, 'x', 'y', path=str(path))
    good = path.read_bytes()
    from matplotlib.figure import Figure

    def full_disk(self, file, **kwargs):
        file.write(b'\x89PNG half')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(Figure, 'savefig', full_disk)
    with pytest.raises(OSError, match=r"cannot write .*curve.png' \(No space left on device\); the earlier "
                                      'file there is intact'):
        plot_curves({'a': ([1, 2], [4, 3])}, 'x', 'y', path=str(path))
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ['curve.png']


def test_a_question_file_too_small_for_a_test_split_is_refused(tmp_path):
    """Finding 11: fewer than 10 questions leave the test split (a tenth) empty."""
    path = tmp_path / 'few.txt'
    path.write_text(''.join(f'{a}+1'.ljust(5) + f'_{a + 1}'.ljust(4) + '\n' for a in range(9)))
    with pytest.raises(ValueError, match='holds 9 questions; at least 10 are needed'):
        sequence.get_vocab(str(path))


@needs_ptb
def test_the_length_of_a_text_does_not_count_its_prompt_and_ptb_n_can_be_prompted(tmp_path):
    """Finding 5: --length words follow the prompt, however long it is; PTB's number token N is a
    prompt word like any other (not lower-cased to the unknown 'n')."""
    from ch07_seq2seq import generate_better_text
    from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
    checkpoint = str(tmp_path / 'tiny.npz')
    BetterRnnlmGen(10000, 8, 8, rng=0).save_params(checkpoint)
    prompt = 'the company said N shares rose'
    texts = generate_better_text.main(['--load', checkpoint, '--length', '3', '--greedy',
                                       '--prompt', prompt])
    assert texts[1].startswith(prompt + ' ') and len(texts[1].replace('.\n', ' <eos> ').split()) == 6 + 3
    assert vocabulary_spelling('The N <unk> Shares', {'N': 0, '<unk>': 1}) == ['the', 'N', '<unk>', 'shares']


def test_rescore_shows_control_characters_escaped_and_drops_a_byte_order_mark(tmp_path):
    """Findings 16 and 20: a candidate line cannot send escape sequences to the terminal, and a
    UTF-8 byte-order mark is not part of the first candidate."""
    from ch07_seq2seq.rescore import printable, read_candidate_lines
    assert printable('red \x1b[31malert\x07\ttab') == 'red \\x1b[31malert\\x07\\ttab'
    path = tmp_path / 'candidates.txt'
    path.write_bytes('\ufeffthe company said\nsaid the company\n'.encode('utf-8'))
    assert read_candidate_lines(str(path)) == ['the company said', 'said the company']


@pytest.mark.parametrize('cls', [SGD, Momentum, Adam, AdamW])
def test_an_optimizer_refuses_fewer_gradients_than_parameters(cls):
    """Finding 20: update() with a gradient missing would leave a parameter silently unchanged."""
    params = [np.ones(3), np.ones((2, 2))]
    before = [p.copy() for p in params]
    with pytest.raises(ValueError, match='2 parameters but 1 gradients'):
        cls().update(params, [np.ones(3)])
    with pytest.raises(ValueError, match=r'gradient 1 has shape \(2,\), its parameter \(2, 2\)'):
        cls().update(params, [np.ones(3), np.ones(2)])
    for a, b in zip(params, before):
        np.testing.assert_array_equal(a, b)


def test_clipping_refuses_gradients_that_are_not_finite():
    """Finding 20: a NaN norm used to leave NaN in the gradients, unclipped."""
    grads = [np.array([1.0, np.nan]), np.ones(2)]
    with pytest.raises(FloatingPointError, match="the gradients' norm is nan"):
        clip_grads(grads, 1.0)


def test_a_nan_loss_is_neither_a_perplexity_of_inf_nor_a_best_model():
    """Finding 4: a NaN loss was shown as perplexity inf; a NaN score must never become the best."""
    from common.evaluation import perplexity
    assert math.isnan(perplexity(float('nan'))) and perplexity(1e9) == math.inf

    class Trainer:
        class model:
            params = [np.ones(2)]
        optimizer = SGD()
        stop_training = False

    scores = iter([5.0, float('nan')])
    validation = Validation(lambda: next(scores), lr_decay=2, verbose=False)
    validation.epoch_end(Trainer)
    Trainer.model.params[0][...] = np.nan
    validation.epoch_end(Trainer)
    assert validation.best_epoch == 1 and np.all(validation.best_params[0] == 1)


def test_a_corrupted_ptb_file_ends_a_script_in_one_line(tmp_path):
    """Finding 17: the SHA-256 message came inside a traceback."""
    for name in ('ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'):
        (tmp_path / name).write_text(' not the ptb \n')
    env = {**os.environ, 'DLFS_DATA_DIR': str(tmp_path)}
    done = subprocess.run([sys.executable, '-m', 'ch05_rnn.train', '--quiet'], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'Traceback' not in done.stderr
    assert 'ptb.train.txt is not the expected PTB file: its SHA-256 is' in done.stderr


def test_a_folder_where_a_data_file_belongs_is_named(tmp_path, monkeypatch):
    """Finding 18: DLFS_DATA_DIR holding a folder named ptb.train.txt."""
    from dataset import ptb
    (tmp_path / 'ptb.train.txt').mkdir()
    monkeypatch.setenv('DLFS_DATA_DIR', str(tmp_path))
    with pytest.raises(IsADirectoryError, match='ptb.train.txt is a folder, not the file ptb.train.txt'):
        ptb.load_data('train')


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    """/trickle: one byte every 50 ms of an announced 64 kB; /huge: announces 2 GiB; /endless:
    no length, bytes until the client hangs up."""

    def do_GET(self):
        self.send_response(200)
        if self.path == '/huge':
            self.send_header('Content-Length', str(2 << 30))
        elif self.path == '/trickle':
            self.send_header('Content-Length', str(1 << 16))
        self.end_headers()
        try:
            for _ in range(1 << 16):
                self.wfile.write(b'x' * (1 if self.path == '/trickle' else 1 << 16))
                self.wfile.flush()
                if self.path == '/trickle':
                    time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _SlowHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_a_download_deadline_holds_against_a_byte_a_tick_and_a_size_cap_holds(slow_server, tmp_path):
    """Finding 15: a read of 64 kB used to block until all of it trickled in; and there was no cap."""
    start = time.monotonic()
    with pytest.raises(DownloadError, match='longer than its deadline of 0.5 s'):
        download(f'{slow_server}/trickle', tmp_path / 'a', '0' * 64, timeout=5, deadline=0.5, progress=False)
    assert time.monotonic() - start < 3
    with pytest.raises(DownloadError, match='announces 2,147,483,648 bytes, more than the 1,000,000'):
        download(f'{slow_server}/huge', tmp_path / 'b', '0' * 64, max_bytes=10 ** 6, progress=False)
    with pytest.raises(DownloadError, match='sent more than 1,000,000 bytes'):
        download(f'{slow_server}/endless', tmp_path / 'c', '0' * 64, max_bytes=10 ** 6, progress=False)
    assert os.listdir(tmp_path) == []

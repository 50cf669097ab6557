"""dataset.download and ptb's lookup order, against a local HTTP server serving small fake files."""
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from dataset import ptb
from dataset.download import DownloadError, download

FAKE_FILES = {
    'ptb.train.txt': b' the cat sat \n the dog ran \n',
    'ptb.valid.txt': b' the dog sat \n',
    'ptb.test.txt': b' the cat ran \n',
}


def sha(data):
    return hashlib.sha256(data).hexdigest()


class FakeServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` {url path: bytes}; a path in ``cut`` announces twice its size, sends half, closes."""

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.files, self.cut, self.requests = {}, set(), []

    def url(self, path=''):
        return f'http://127.0.0.1:{self.server_address[1]}/{path}'


class Handler(http.server.BaseHTTPRequestHandler):
    timeout = 2

    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        cut = self.path in self.server.cut
        self.send_response(200)
        self.send_header('Content-Length', str(2 * len(body) if cut else len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if cut else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = FakeServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    return f'http://127.0.0.1:{port}/'


@pytest.fixture
def fake_ptb(server, tmp_path, monkeypatch):
    """ptb pointed at the fake server, an empty cache folder and the fake files' checksums."""
    server.files = {'/' + name: data for name, data in FAKE_FILES.items()}
    monkeypatch.delenv('DLFS_DATA_DIR', raising=False)
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))
    monkeypatch.setenv('DLFS_PTB_URL', server.url())
    monkeypatch.setattr(ptb, 'SHA256', {name: sha(data) for name, data in FAKE_FILES.items()})
    return tmp_path / 'cache' / 'ptb'


def test_good_file_is_downloaded_and_placed(server, tmp_path, capsys):
    body = bytes(range(256)) * 1000
    server.files['/f.bin'] = body
    dest = download(server.url('f.bin'), tmp_path / 'sub' / 'f.bin', sha(body), timeout=2)
    assert dest.read_bytes() == body and dest.stat().st_mode & 0o444 == 0o444
    assert [p.name for p in dest.parent.iterdir()] == ['f.bin']  # no temporary file left
    assert 'downloading f.bin' in capsys.readouterr().err


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    server.files['/f.bin'] = b'tampered content'
    with pytest.raises(DownloadError, match='checksum mismatch.*SHA-256'):
        download(server.url('f.bin'), tmp_path / 'f.bin', sha(b'original content'), timeout=2, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_connection_cut_mid_file_leaves_no_file(server, tmp_path):
    body = b'x' * 10_000
    server.files['/f.bin'] = body
    server.cut.add('/f.bin')
    with pytest.raises(DownloadError, match='connection closed after 5000 of 20000 bytes'):
        download(server.url('f.bin'), tmp_path / 'f.bin', sha(body), timeout=2, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_reported(server, tmp_path):
    with pytest.raises(DownloadError, match='HTTP 404'):
        download(server.url('missing.bin'), tmp_path / 'f.bin', sha(b''), timeout=2, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_load_data_downloads_into_the_cache_once(fake_ptb, server):
    corpus, word_to_id, id_to_word = ptb.load_data('train')
    assert [id_to_word[i] for i in corpus] == 'the cat sat <eos> the dog ran <eos>'.split()
    assert word_to_id == {'the': 0, 'cat': 1, 'sat': 2, '<eos>': 3, 'dog': 4, 'ran': 5}
    assert sorted(p.name for p in fake_ptb.iterdir()) == ['ptb.train.txt']
    test, test_w2i, _ = ptb.load_data('test')  # train comes from the cache now, test is fetched
    np.testing.assert_array_equal(test, [0, 1, 5, 3])
    assert test_w2i == word_to_id
    assert server.requests == ['/ptb.train.txt', '/ptb.test.txt']


def test_data_dir_comes_first_and_is_not_written(fake_ptb, server, tmp_path, monkeypatch):
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    for name in ('ptb.train.txt', 'ptb.valid.txt'):
        (data_dir / name).write_bytes(FAKE_FILES[name])
    monkeypatch.setenv('DLFS_DATA_DIR', str(data_dir))
    valid, _, id_to_word = ptb.load_data('valid')
    assert [id_to_word[i] for i in valid] == ['the', 'dog', 'sat', '<eos>']
    assert server.requests == []
    ptb.load_data('test')  # not in DLFS_DATA_DIR: downloaded into the cache, not into DLFS_DATA_DIR
    assert server.requests == ['/ptb.test.txt']
    assert sorted(p.name for p in data_dir.iterdir()) == ['ptb.train.txt', 'ptb.valid.txt']
    assert [p.name for p in fake_ptb.iterdir()] == ['ptb.test.txt']


def test_corrupt_local_file_is_refused(fake_ptb, tmp_path, monkeypatch):
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    (data_dir / 'ptb.train.txt').write_bytes(FAKE_FILES['ptb.train.txt'][:-5])
    monkeypatch.setenv('DLFS_DATA_DIR', str(data_dir))
    with pytest.raises(ValueError, match='not the expected PTB file'):
        ptb.load_data('train')


def test_server_absent_says_where_to_put_the_files(fake_ptb, closed_port_url, monkeypatch):
    monkeypatch.setenv('DLFS_PTB_URL', closed_port_url)
    with pytest.raises(DownloadError) as info:
        ptb.load_data('train')
    message = str(info.value)
    assert 'cannot reach the server' in message and 'ptb.train.txt' in message
    assert 'DLFS_DATA_DIR' in message and str(fake_ptb) in message
    assert list(fake_ptb.iterdir()) == []


def test_progress_in_a_log_is_a_few_lines_not_one_per_chunk(server, tmp_path, capsys):
    body = b'y' * (40 * (1 << 16))  # 40 chunks
    server.files['/big.bin'] = body
    download(server.url('big.bin'), tmp_path / 'big.bin', sha(body), timeout=2)
    lines = capsys.readouterr().err.splitlines()  # pytest's stderr is not a terminal
    assert '\r' not in ''.join(lines)
    percents = [int(line.rsplit('(', 1)[1].rstrip('%)')) for line in lines]
    assert len(percents) == 4 and percents[-1] == 100  # a line per quarter (reads end where bytes do)
    assert all(25 * k <= p < 25 * k + 25 for k, p in enumerate(percents[:3], 1))


def test_an_overall_deadline_stops_a_trickling_server(server, tmp_path, monkeypatch):
    body = b'z' * (4 * (1 << 16))
    server.files['/slow.bin'] = body
    clock = iter(range(0, 10_000, 100))  # every look at the clock: 100 s later
    monkeypatch.setattr('dataset.download.clock', lambda: next(clock))
    with pytest.raises(DownloadError, match='deadline of 250 s'):
        download(server.url('slow.bin'), tmp_path / 'slow.bin', sha(body), timeout=2, deadline=250,
                 progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_killed_download_leaves_a_part_file_the_next_run_removes(server, tmp_path):
    body = b'w' * 1000
    server.files['/f.bin'] = body
    dead_pid = 2 ** 22 + 12345  # above the default pid_max: no such process
    leftover = tmp_path / f'.f.bin.{dead_pid}.abcd.part'
    leftover.write_bytes(b'half')
    download(server.url('f.bin'), tmp_path / 'f.bin', sha(body), timeout=2, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['f.bin']


def test_data_dir_set_to_a_file_or_an_empty_folder_says_so(fake_ptb, closed_port_url, tmp_path,
                                                           monkeypatch, capsys):
    a_file = tmp_path / 'ptb.train.txt'
    a_file.write_bytes(FAKE_FILES['ptb.train.txt'])
    monkeypatch.setenv('DLFS_DATA_DIR', str(a_file))
    with pytest.raises(NotADirectoryError, match='is a file, not a folder'):
        ptb.load_data('train')
    empty = tmp_path / 'empty'
    empty.mkdir()
    monkeypatch.setenv('DLFS_DATA_DIR', str(empty))
    monkeypatch.setenv('DLFS_PTB_URL', closed_port_url)
    with pytest.raises(DownloadError) as info:
        ptb.load_data('train')
    assert f"DLFS_DATA_DIR is set to '{empty}', but that folder holds no ptb.train.txt" in str(info.value)
    assert 'holds no ptb.train.txt' in capsys.readouterr().err

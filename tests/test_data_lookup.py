"""dataset.files: where every corpus looks for its files (DLFS_DATA_DIR/<name>/, DLFS_DATA_DIR, the
cache folder, a download), and the one error that says where to put them."""
import socket

import pytest

from dataset import ptb, sst
from dataset.download import DownloadError
from dataset.files import Corpus


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.delenv('DLFS_DATA_DIR', raising=False)
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))
    return Corpus('toy', 'Toy', 'a.txt, b.txt', 'https://example.org/toy/')


@pytest.fixture
def closed_port_url():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    return f'http://127.0.0.1:{port}/a.txt'


def put(path, text='x'):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_subfolder_of_the_data_dir_then_the_data_dir_then_the_cache(corpus, tmp_path, monkeypatch):
    data = tmp_path / 'data'
    data.mkdir()
    monkeypatch.setenv('DLFS_DATA_DIR', str(data))
    assert corpus.local_file('a.txt') is None
    cached = put(tmp_path / 'cache' / 'toy' / 'a.txt')
    assert corpus.local_file('a.txt') == cached
    top = put(data / 'a.txt')
    assert corpus.local_file('a.txt') == top
    sub = put(data / 'toy' / 'a.txt')
    assert corpus.local_file('a.txt') == sub


def test_every_name_is_tried_in_a_folder_before_the_next_folder(corpus, tmp_path, monkeypatch):
    data = tmp_path / 'data'
    monkeypatch.setenv('DLFS_DATA_DIR', str(data))
    second_name = put(data / 'b.txt')
    put(tmp_path / 'cache' / 'toy' / 'a.txt')
    assert corpus.local_file('a.txt', 'b.txt') == second_name
    first_name = put(data / 'a.txt')
    assert corpus.local_file('a.txt', 'b.txt') == first_name


def test_a_data_dir_that_is_a_file_or_missing_is_named(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv('DLFS_DATA_DIR', str(put(tmp_path / 'a.txt')))
    with pytest.raises(NotADirectoryError, match=r'is a file, not a folder.*a\.txt, b\.txt.*toy/'):
        corpus.local_file('a.txt')
    monkeypatch.setenv('DLFS_DATA_DIR', str(tmp_path / 'none'))
    with pytest.raises(FileNotFoundError, match="'.*none', but that folder does not exist"):
        corpus.local_file('a.txt')


def test_offline_without_the_file_says_where_to_put_it(corpus, tmp_path, monkeypatch, closed_port_url,
                                                        capsys):
    data = tmp_path / 'data'
    data.mkdir()
    monkeypatch.setenv('DLFS_DATA_DIR', str(data))
    with pytest.raises(DownloadError) as info:
        corpus.find_file(('a.txt', 'b.txt'), closed_port_url, '0' * 64)
    message = str(info.value)
    assert 'cannot reach the server' in message
    assert (f"DLFS_DATA_DIR is set to '{data}', but that folder holds no a.txt or b.txt, nor does its "
            'subfolder toy/') in message
    assert 'get a.txt, b.txt from https://example.org/toy/' in message
    assert str(tmp_path / 'cache' / 'toy') in message
    assert 'Downloading a.txt into the cache folder' in capsys.readouterr().err
    assert list(data.iterdir()) == []  # nothing written into DLFS_DATA_DIR


def test_the_shared_layout_serves_ptb_and_sst(tmp_path, monkeypatch):
    """DLFS_DATA_DIR may name the folder that holds ptb/ and sst/ (as CI's shared data folder does)."""
    for name in ('ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'):
        put(tmp_path / 'ptb' / name)
    put(tmp_path / 'sst' / sst.ARCHIVE)
    monkeypatch.setenv('DLFS_DATA_DIR', str(tmp_path))
    monkeypatch.setenv('DLFS_CACHE_DIR', str(tmp_path / 'cache'))
    assert ptb.found_without_download() and sst.found_without_download()
    assert ptb.local_file('ptb.test.txt') == tmp_path / 'ptb' / 'ptb.test.txt'
    assert sst.find_archive() == tmp_path / 'sst' / sst.ARCHIVE

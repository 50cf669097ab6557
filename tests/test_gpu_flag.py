"""``--gpu`` on the training scripts: with the CuPy stand-in (fixture ``device``) a script prints
and returns what it does on the host; without CuPy or a device it stops with a clear message."""
import os
import sys
import types

import numpy as np
import pytest

from ch01_nn import train as train_spiral, train_custom_loop as train_spiral_loop
from ch03_word2vec import train as train_simple_word2vec
from ch07_seq2seq import train_seq2seq
from ch09_transformer import train_transformer
from common import backend
from ch01_nn.two_layer_net import TwoLayerNet
from common.backend import to_cpu
from harness.flags import on_device

needs_ptb = pytest.mark.skipif(not os.environ.get('DLFS_DATA_DIR'),
                               reason='DLFS_DATA_DIR is not set: the PTB files are needed')


def run_both(main, argv, capsys, device):
    """main(argv) on the host, then main(argv + ['--gpu']) -> (host result, device result); the
    printed lines must be the same but for timings."""
    host = main(argv)
    host_out = capsys.readouterr().out
    on_device = main(argv + ['--gpu'])
    device_out = capsys.readouterr().out

    def untimed(text):
        return [line for line in text.splitlines()
                if not any(timing in line for timing in ('time', '[s]', 'words/s'))]
    assert untimed(device_out) == untimed(host_out)
    return host, on_device


def assert_same_params(host_model, device_model):
    assert all(backend.is_device_array(p) for p in device_model.params)
    for h, d in zip(host_model.params, device_model.params):
        np.testing.assert_array_equal(h, to_cpu(d))


@pytest.mark.parametrize('main', [train_spiral.main, train_spiral_loop.main], ids=['Trainer', 'loop'])
def test_spiral_scripts(main, device, capsys, tmp_path):
    argv = ['--epochs', '2', '--quiet'] + (['--boundary-plot', str(tmp_path / 'b.png')]
                                           if main is train_spiral_loop.main else [])
    (host_model, host_losses), (device_model, device_losses) = run_both(main, argv, capsys, device)
    assert host_losses == device_losses
    assert_same_params(host_model, device_model)


def test_simple_word2vec_script(device, capsys):
    host, on_device = run_both(train_simple_word2vec.main, ['--epochs', '20', '--quiet', '--plot', ''],
                               capsys, device)
    for name in host:
        assert host[name][1] == on_device[name][1]
        assert_same_params(host[name][0], on_device[name][0])


@pytest.mark.parametrize('main, argv', [
    (train_seq2seq.main, ['--hidden-size', '8', '--peeky']),
    (train_transformer.main, ['--d-model', '8', '--num-heads', '2', '--num-layers', '1', '--d-ff', '16',
                              '--dropout', '0.1', '--warmup-steps', '2']),
], ids=['peeky', 'transformer'])
def test_seq2seq_scripts_with_beam_search(main, argv, device, capsys):
    argv = argv + ['--epochs', '1', '--train-size', '128', '--test-size', '20', '--beam-width', '2', '--quiet']
    (host_model, host_acc), (device_model, device_acc) = run_both(main, argv, capsys, device)
    assert host_acc == device_acc
    assert_same_params(host_model, device_model)


@needs_ptb
@pytest.mark.parametrize('script, argv', [
    ('ch04_fast_w2v.train', ['--max-words', '1000', '--epochs', '1',
                             '--vectors', '{tmp}/v.npz']),
    ('ch04_fast_w2v.train_fast', ['--max-words', '5000', '--epochs', '1',
                                  '--vectors', '{tmp}/v.npz']),
    ('ch04_fast_w2v.train_fast', ['--model', 'skipgram', '--max-words', '3000', '--epochs', '1',
                                  '--vectors', '{tmp}/v.npz']),
    ('ch05_rnn.train', ['--max-tokens', '300', '--epochs', '2', '--wordvec-size', '8', '--hidden-size', '8']),
    ('ch05_rnn.train_mlp_lm', ['--max-tokens', '600', '--eval-tokens', '100', '--wordvec-size', '4',
                               '--hidden-size', '4', '--context-size', '2', '--batch-size', '64',
                               '--epochs', '2', '--direct', '--save', '{tmp}/mlp.npz']),
    ('ch05_rnn.train_custom_loop', ['--max-tokens', '300', '--epochs', '2', '--wordvec-size', '8',
                                    '--hidden-size', '8']),
    ('ch09_transformer.train_gpt', ['--max-tokens', '600', '--eval-tokens', '100', '--context-size', '8',
                                    '--d-model', '8', '--num-heads', '2', '--num-layers', '1', '--d-ff', '16',
                                    '--batch-size', '4', '--warmup-steps', '3', '--epochs', '1',
                                    '--save', '{tmp}/gpt.npz']),
    ('ch06_lstm.train_better_rnnlm', ['--max-tokens', '400', '--eval-tokens', '60', '--wordvec-size', '4',
                                      '--hidden-size', '4', '--batch-size', '2', '--time-size', '5',
                                      '--epochs', '1', '--variational-dropout', '--recurrent-dropout', '0.2',
                                      '--embedding-dropout', '0.1', '--save', '{tmp}/lm.npz']),
], ids=['w2v-book', 'w2v-fast', 'w2v-fast-skipgram', 'ch05', 'mlp', 'ch05-loop', 'gpt', 'better'])
def test_ptb_scripts(script, argv, device, capsys, tmp_path):
    import importlib
    main = importlib.import_module(script).main
    argv = [a.format(tmp=tmp_path) for a in argv] + ['--quiet']
    host, on_device = run_both(main, argv, capsys, device)
    assert_same_params(host[0], on_device[0])
    if script.startswith(('ch06', 'ch05_rnn.train_mlp', 'ch09')):
        assert host[1] == on_device[1]  # losses or perplexities: train curve, valid, test


def test_gpu_without_cupy_names_the_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'cupy', None)  # import cupy -> ImportError
    with pytest.raises(SystemExit) as stop:  # at parse time, before any data is read
        train_simple_word2vec.main(['--epochs', '1', '--quiet', '--gpu'])
    assert stop.value.code == 2
    assert 'pip install cupy-cuda12x' in capsys.readouterr().err
    with pytest.raises(SystemExit, match='cupy-cuda12x'):  # a model moved from Python code
        on_device(TwoLayerNet(2, 3, 2), True)


def test_gpu_without_a_visible_device(monkeypatch, capsys):
    def no_device():
        raise RuntimeError('cudaErrorNoDevice: no CUDA-capable device is detected')
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(
        getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, 'cupy', fake)
    with pytest.raises(SystemExit):
        train_spiral.main(['--epochs', '1', '--quiet', '--gpu'])
    assert 'sees no CUDA device' in capsys.readouterr().err


def test_a_checkpoint_that_does_not_fit_the_gpu_model(device, tmp_path):
    from ch06_lstm.rnnlm import Rnnlm
    path = tmp_path / 'small.npz'
    Rnnlm(20, 4, 4, rng=0).save_params(path)
    with pytest.raises(ValueError, match="array '00.TimeEmbedding.W' has shape \\(20, 4\\), the model "
                                         'expects \\(20, 6\\)'):
        Rnnlm(20, 6, 6, rng=0).to_gpu().load_params(path)


@needs_ptb
def test_pretrain_bert_resumes_on_the_device_with_the_host_numbers(device, tmp_path):
    from ch09_transformer import pretrain_bert
    tiny = ['--max-sentences', '60', '--eval-sentences', '20', '--batch-size', '15', '--d-model', '8',
            '--num-heads', '2', '--num-layers', '1', '--d-ff', '16', '--context-size', '90', '--warmup', '2',
            '--lr', '0.01', '--eval-interval', '2', '--epochs', '1', '--quiet']
    host = pretrain_bert.main(tiny)
    path = str(tmp_path / 'bert.npz')
    pretrain_bert.main(tiny + ['--gpu', '--save', path, '--max-steps', '2'])  # moments saved from the device
    resumed = pretrain_bert.main(tiny + ['--gpu', '--load', path])            # and read back into it
    assert host['steps'] == resumed['steps'] == [2, 4]
    for key in ('valid_accuracy', 'valid_ppl', 'train_loss'):
        assert host[key] == resumed[key]


@needs_ptb
@pytest.mark.parametrize('model', ['lstm', 'bert'])
def test_finetune_script(model, device, capsys):
    from ch10_transfer import word_order_finetune
    argv = ['--model', model, '--train-size', '20', '--eval-size', '20', '--epochs', '2', '--quiet',
            '--wordvec-size', '6', '--hidden-size', '5', '--d-model', '8', '--num-heads', '2',
            '--num-layers', '1', '--d-ff', '16', '--context-size', '90']
    host, on_device = run_both(word_order_finetune.main, argv, capsys, device)
    assert host == on_device and len(host['valid']) == 2

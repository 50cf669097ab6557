"""Chapter-9 GPT scripts with tiny settings on PTB slices: learning, resume, generation, heat maps."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ch09_transformer import generate_gpt, train_gpt, visualize_attention
from ch09_transformer.gpt import GPT

ROOT = Path(__file__).resolve().parents[1]
needs_ptb = pytest.mark.skipif(not os.environ.get('DLFS_DATA_DIR'),
                               reason='DLFS_DATA_DIR is not set: the PTB files are needed')
TINY = ['--max-tokens', '3000', '--eval-tokens', '300', '--context-size', '16', '--d-model', '16',
        '--num-heads', '2', '--num-layers', '1', '--d-ff', '32', '--batch-size', '8',
        '--warmup-steps', '5', '--lr', '0.005', '--eval-interval', '10', '--quiet']


@needs_ptb
def test_train_gpt_learns_and_resumes_exactly(tmp_path, capsys):
    straight, results = train_gpt.main(TINY + ['--epochs', '2'])
    path = str(tmp_path / 'gpt.npz')
    train_gpt.main(TINY + ['--epochs', '2', '--save', path])
    # resuming a finished run trains nothing more and evaluates the best model it kept
    # (continuing a run mid-way is checked in test_gpt.py)
    capsys.readouterr()
    resumed, resumed_results = train_gpt.main(TINY + ['--epochs', '2', '--load', path])
    for a, b in zip(straight.params, resumed.params):
        np.testing.assert_array_equal(a, b)
    assert resumed_results == results
    assert results['train'][-1] < 0.5 * results['train'][0]  # from about 10,000 (uniform)
    assert len(results['valid']) == 2 and results['test'] < 0.5 * 10000
    assert 'test perplexity' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='d_model: saved 16, now 32'):  # one line, no traceback
        train_gpt.main(TINY + ['--epochs', '2', '--load', path, '--d-model', '32'])


@needs_ptb
def test_generate_gpt_is_reproducible_and_continues_the_prompt(tmp_path):
    checkpoint = str(tmp_path / 'gpt.npz')
    GPT(10000, 16, 16, 2, 1, 32, rng=0).save_params(checkpoint)
    argv = ['--load', checkpoint, '--length', '30']
    first = generate_gpt.main(argv + ['--seed', '1'])
    assert first == generate_gpt.main(argv + ['--seed', '1'])
    assert first != generate_gpt.main(argv + ['--seed', '2'])
    assert first[0].startswith('you ') and first[1].startswith('the meaning of life is ')
    assert not {'N', '<unk>', '$'} & set(' '.join(first).split())
    missing = str(tmp_path / 'none.npz')
    with pytest.raises(SystemExit, match=f'train_gpt --save {missing}'):
        generate_gpt.main(['--load', missing])


@needs_ptb
def test_visualize_attention_draws_every_head_of_every_layer(tmp_path):
    checkpoint = str(tmp_path / 'gpt.npz')
    GPT(10000, 16, 16, 2, 2, 32, rng=0).save_params(checkpoint)
    weights = visualize_attention.main(['--load', checkpoint, '--plot', str(tmp_path / 'att.png'),
                                        '--sentence', 'the company said it', '--quiet'])
    assert [w.shape for w in weights] == [(2, 4, 4)] * 2
    np.testing.assert_allclose(weights[0].sum(axis=-1), 1, rtol=1e-5)
    assert np.all(np.triu(weights[1], k=1) == 0)
    for layer in (1, 2):
        assert (tmp_path / f'att_layer{layer}.png').read_bytes()[:4] == b'\x89PNG'


@needs_ptb
def test_visualize_attention_never_replaces_a_heat_map_it_writes_by_default(tmp_path, monkeypatch,
                                                                             capsys):
    monkeypatch.chdir(tmp_path)
    GPT(10000, 8, 8, 2, 2, 16, rng=0).save_params('gpt.npz')
    for sentence, problem in (('the company said it expects to report a loss', '9 words; this GPT '
                               'reads 1 to 8'), ('the zyzzyva', "'zyzzyva' is not in the vocabulary")):
        with pytest.raises(SystemExit):
            visualize_attention.main(['--sentence', sentence])
        assert f'argument --sentence: {problem}' in capsys.readouterr().err
    argv = ['--quiet', '--sentence', 'the company said it']
    (tmp_path / 'gpt_attention_layer2.png').write_bytes(b'an earlier heat map')
    with pytest.raises(SystemExit) as stop:
        visualize_attention.main(argv)
    assert stop.value.code == 2
    assert "argument --plot: 'gpt_attention_layer2.png' exists" in capsys.readouterr().err
    assert not (tmp_path / 'gpt_attention_layer1.png').exists()
    visualize_attention.main(argv + ['--plot', 'gpt_attention.png'])  # named: replaced
    assert (tmp_path / 'gpt_attention_layer2.png').read_bytes()[:4] == b'\x89PNG'


def test_bad_flags_exit_before_any_work(capsys):
    for flags in (['--d-model', '0'], ['--dropout', '1'], ['--min-lr-ratio', '2']):
        with pytest.raises(SystemExit) as stop:
            train_gpt.main(flags)
        assert stop.value.code == 2


@pytest.mark.parametrize('script', ['train_gpt', 'generate_gpt', 'visualize_attention'])
def test_scripts_run_from_their_path(script):
    result = subprocess.run([sys.executable, str(ROOT / 'ch09_transformer' / f'{script}.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout

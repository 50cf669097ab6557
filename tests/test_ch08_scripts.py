"""Chapter-8 scripts, called through main([...]) with small settings."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ch08_attention import train, visualize_attention
from common.evaluation import seq2seq_accuracy
from dataset import sequence

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b'\x89PNG'


def test_train_saves_a_model_whose_attention_visualize_attention_draws(tmp_path, capsys):
    saved, heatmap = tmp_path / 'attention.npz', tmp_path / 'attention.png'
    model, accuracies = train.main(
        ['--epochs', '1', '--train-size', '640', '--test-size', '50', '--hidden-size', '16',
         '--save', str(saved), '--quiet'])
    assert len(accuracies) == 1 and 0 <= accuracies[0] <= 1
    answers, weights = visualize_attention.main(
        ['--load', str(saved), '--hidden-size', '16', '--samples', '3', '--seed', '0',
         '--plot', str(heatmap), '--quiet'])
    assert heatmap.read_bytes().startswith(PNG_SIGNATURE)
    assert weights.shape == (3, 10, 29)
    np.testing.assert_allclose(weights.sum(axis=2), 1, rtol=1e-5)
    # The drawn answers are the trained model's greedy answers to the picked questions.
    _, (x_test, t_test) = sequence.load_data('date.txt')
    picked = np.random.default_rng(0).choice(len(x_test), size=3, replace=False)
    np.testing.assert_array_equal(answers, model.generate(x_test[picked, ::-1], t_test[picked, 0], 10))
    assert seq2seq_accuracy(model, x_test[:50, ::-1], t_test[:50]) == accuracies[0]


def test_visualize_attention_without_a_checkpoint_says_how_to_make_one(tmp_path):
    missing = str(tmp_path / 'none.npz')
    with pytest.raises(SystemExit, match=f'python -m ch08_attention.train --save {missing}'):
        visualize_attention.main(['--load', missing])


@pytest.mark.parametrize('script', ['train', 'visualize_attention'])
def test_scripts_run_from_their_path(script):
    result = subprocess.run([sys.executable, str(ROOT / 'ch08_attention' / f'{script}.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout

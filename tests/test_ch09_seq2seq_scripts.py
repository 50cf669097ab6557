"""ch09_transformer.train_transformer, called through main([...]) with small settings, and its
learning-rate schedule."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ch09_transformer import train_transformer
from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from common.evaluation import seq2seq_accuracy
from common.optimizer import SGD, WarmupCosineSchedule
from common.trainer import Trainer
from dataset import sequence

ROOT = Path(__file__).resolve().parents[1]


def test_train_transformer_reports_the_accuracy_of_the_saved_model(tmp_path, capsys):
    saved = tmp_path / 'transformer.npz'
    model, accuracies = train_transformer.main(
        ['--data', 'addition.txt', '--epochs', '2', '--train-size', '640', '--test-size', '100',
         '--d-model', '16', '--num-heads', '2', '--num-layers', '1', '--d-ff', '32',
         '--beam-width', '2', '--save', str(saved), '--quiet'])
    out = capsys.readouterr().out
    assert 'epoch 2: val acc' in out and 'beam search (width 2)' in out
    reloaded = TransformerSeq2seq(13, d_model=16, num_heads=2, num_layers=1, d_ff=32)
    reloaded.load_params(saved)
    _, (x_test, t_test) = sequence.load_data('addition.txt')
    assert len(accuracies) == 2
    assert seq2seq_accuracy(reloaded, x_test[:100], t_test[:100]) == accuracies[-1]


class SumOfWeights:
    """loss = sum(w): every step's gradient is 1, so SGD moves w by exactly the step's rate."""

    def __init__(self):
        self.params, self.grads = [np.zeros(1)], [np.zeros(1)]

    def forward(self, x, t):
        return float(self.params[0].sum())

    def backward(self, dout=1):
        self.grads[0][...] = dout


def test_trainer_follows_the_schedule_the_script_uses():
    """Warm-up over 2 of 4 steps to 0.5, then cosine to 0: rates 0.25, 0.5, 0.25, 0."""
    model, sgd = SumOfWeights(), SGD(lr=1.0)
    trainer = Trainer(model, sgd, rng=0, verbose=False, lr_schedule=WarmupCosineSchedule(0.5, 2, 4))
    trainer.fit(np.zeros((4, 1)), np.zeros((4, 1)), max_epoch=1, batch_size=1)
    np.testing.assert_allclose(model.params[0], [-(0.25 + 0.5 + 0.25 + 0.0)])
    assert sgd.lr == 0.0


@pytest.mark.parametrize('flags', [['--d-model', '30', '--num-heads', '4'], ['--dropout', '1'],
                                   ['--num-layers', '0']])
def test_bad_sizes_stop_before_any_work(flags, capsys):
    with pytest.raises(SystemExit) as stop:
        train_transformer.main(flags)
    assert stop.value.code == 2
    assert ('divisible' if '30' in flags else 'expected') in capsys.readouterr().err


def test_script_runs_from_its_path():
    result = subprocess.run([sys.executable, str(ROOT / 'ch09_transformer' / 'train_transformer.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout

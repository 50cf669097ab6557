"""The chapter-3 scripts, run through main() with small arguments."""
import numpy as np
import pytest

from ch03_word2vec import cbow_predict, train


def test_train_both_models_lowers_the_loss_and_plots(tmp_path, capsys):
    plot = tmp_path / 'loss.png'
    results = train.main(['--epochs', '300', '--quiet', '--plot', str(plot)])
    assert set(results) == {'cbow', 'skipgram'}
    cbow_losses = results['cbow'][1]
    assert cbow_losses[0] == pytest.approx(np.log(7), abs=0.01)  # uniform over 7 words at start
    assert cbow_losses[-1] < 0.6 * cbow_losses[0]
    skip_gram_losses = results['skipgram'][1]
    assert skip_gram_losses[0] == pytest.approx(2 * np.log(7), abs=0.02)  # two context positions
    assert skip_gram_losses[-1] < 0.8 * skip_gram_losses[0]
    assert plot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    out = capsys.readouterr().out
    assert 'word vectors' in out and 'goodbye' in out


def test_cbow_predict_scores_are_the_forward_pass():
    s = cbow_predict.main(['--quiet'])
    assert s.shape == (1, 7)
    rng = np.random.default_rng(1984)  # the script's default seed: same W_in, W_out
    W_in, W_out = rng.standard_normal((7, 3)), rng.standard_normal((3, 7))
    np.testing.assert_allclose(s, (0.5 * (W_in[0] + W_in[2]) @ W_out)[None], rtol=1e-5)

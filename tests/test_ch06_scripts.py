"""The chapter-6 scripts with tiny settings on PTB slices: learning, resume, evaluation, failures."""
import numpy as np
import pytest

from ch06_lstm import clip_grads_demo, eval as eval_script, rnn_gradient_graph
from ch06_lstm import train_better_rnnlm, train_rnnlm
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq

needs_ptb = pytest.mark.usefixtures('needs_ptb')  # skips, with one message, without the PTB files
TINY = ['--max-tokens', '2500', '--eval-tokens', '600', '--wordvec-size', '12', '--hidden-size', '12',
        '--batch-size', '5', '--time-size', '10', '--eval-interval', '10', '--quiet']


@needs_ptb
@pytest.mark.parametrize('script, extra', [
    (train_rnnlm, []),
    (train_rnnlm, ['--cell', 'gru']),
    (train_better_rnnlm, ['--variational-dropout', '--dropout', '0.2']),
    (train_better_rnnlm, ['--variational-dropout', '--dropout', '0.2', '--recurrent-dropout', '0.2',
                          '--embedding-dropout', '0.1']),
], ids=['lstm', 'gru', 'better', 'better-through-time'])
def test_resumed_training_equals_uninterrupted_training(script, extra, tmp_path):
    straight, results = script.main(TINY + extra + ['--epochs', '2'])
    path = str(tmp_path / 'lm.npz')
    script.main(TINY + extra + ['--epochs', '1', '--save', path])
    resumed, resumed_results = script.main(TINY + extra + ['--epochs', '2', '--load', path, '--save', path])

    for a, b in zip(straight.params, resumed.params):
        np.testing.assert_array_equal(a, b)
    assert resumed_results == results
    train_ppl = results['train']
    assert train_ppl[-1] < 0.5 * train_ppl[0]  # from about 10,000 (uniform over PTB's words)
    assert results['test'] < 0.5 * 10000
    if script is train_better_rnnlm:
        assert len(results['valid']) == 2


@needs_ptb
def test_eval_reads_the_model_from_the_checkpoint(tmp_path, capsys):
    path = str(tmp_path / 'gru.npz')
    _, results = train_rnnlm.main(TINY + ['--cell', 'gru', '--epochs', '1', '--save', path])
    evaluated = eval_script.main(['--load', path, '--eval-tokens', '600'])
    assert evaluated['test'] == pytest.approx(results['test'], rel=1e-12)
    assert 'valid perplexity' in capsys.readouterr().out
    model = eval_script.load_language_model(path)
    assert type(model).__name__ == 'Rnnlm' and model.param_names[1] == '01.TimeGRU.Wx'
    PeekySeq2seq(13, 4, 4).save_params(tmp_path / 'peeky.npz')
    with pytest.raises(ValueError, match='holds a PeekySeq2seq, not a recurrent language model'):
        eval_script.load_language_model(str(tmp_path / 'peeky.npz'))


@needs_ptb
@pytest.mark.filterwarnings('ignore:overflow:RuntimeWarning', 'ignore:invalid value:RuntimeWarning')
def test_a_diverging_run_stops_and_leaves_the_checkpoint_byte_identical(tmp_path):
    path = tmp_path / 'good.npz'
    train_rnnlm.main(TINY + ['--epochs', '1', '--save', str(path)])
    saved = {p: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SystemExit, match=r'the (loss|perplexity) became (nan|inf).*good.npz\' is left as it was') as stop:
        train_rnnlm.main(TINY + ['--epochs', '2', '--lr', '1e30', '--save', str(path)])
    assert stop.value.code not in (0, None)
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == saved


def test_gradient_norms_explode_and_vanish(tmp_path):
    png = tmp_path / 'gradients.png'
    norms = rnn_gradient_graph.main(['--quiet', '--plot', str(png)])
    assert norms[2.0].shape == (20,)
    assert norms[2.0][-1] > 1e4 * norms[2.0][0]
    assert norms[0.5][-1] < 1e-4 * norms[0.5][0]
    assert png.read_bytes()[:4] == b'\x89PNG'


def test_gradient_norm_after_one_step_is_computed_like_the_book():
    Wh = np.array([[2.0, 0.0], [1.0, 1.0]])
    # dh = ones(2, 2) @ Wh^T = [[2, 2], [2, 2]]: norm sqrt(16) / 2 = 2; then [[4, 4], [4, 4]] -> 4
    np.testing.assert_allclose(rnn_gradient_graph.gradient_norms(Wh, 2), [2.0, 4.0])


def test_clip_grads_demo_scales_to_max_norm_and_keeps_the_direction():
    before, after, norm_before, norm_after = clip_grads_demo.main(['--quiet'])
    assert norm_before > 5 and norm_after == pytest.approx(5.0, rel=1e-6)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a, b * (5.0 / norm_before), rtol=1e-6)
    before, after, norm_before, norm_after = clip_grads_demo.main(['--quiet', '--max-norm', '100'])
    assert norm_after == norm_before and all(np.array_equal(a, b) for a, b in zip(after, before))

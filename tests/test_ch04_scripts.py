"""The chapter-4 scripts on the first words of PTB (needs DLFS_DATA_DIR), through main()."""
import numpy as np
import pytest

from ch04_fast_w2v import eval as eval_script
from ch04_fast_w2v import train, train_fast
from ch04_fast_w2v.word_vectors import load_vectors


pytestmark = pytest.mark.usefixtures('needs_ptb')


@pytest.mark.parametrize('script, words', [(train, 20_000), (train_fast, 200_000)], ids=['book', 'fast'])
def test_train_lowers_the_loss_and_writes_vectors_eval_reads(tmp_path, script, words, capsys):
    vectors = tmp_path / 'vectors.npz'
    model, trainer, words_per_second = script.main(
        ['--max-words', str(words), '--epochs', '1', '--quiet', '--eval-interval', '1',
         '--vectors', str(vectors), '--save', str(tmp_path / 'params.npz')])
    losses = trainer.loss_list
    assert losses[0] == pytest.approx(6 * np.log(2), abs=0.03)  # 6 binary losses at p = 1/2
    assert np.mean(losses[-10:]) < losses[0] - 0.3
    assert words_per_second > 0 and 'words/s' in capsys.readouterr().out
    word_vecs, word_to_id, _ = load_vectors(vectors)
    np.testing.assert_array_equal(word_vecs, model.word_vecs)
    assert len(word_to_id) == 10_000

    results = eval_script.main([str(vectors)])
    ranks = results[str(vectors)]['ranks']
    assert set(ranks) == {'king:man = queen:woman', 'take:took = go:went',
                          'car:cars = child:children', 'good:better = bad:worse'}
    assert all(1 <= r <= 10_000 for r in ranks.values())
    out = capsys.readouterr().out
    assert '[query] toyota' in out
    for question, rank in ranks.items():  # eval's ranks are the ones util.analogy prints
        answer = question.split(':')[-1]
        assert f'==> {answer}: rank {rank},' in out


@pytest.mark.parametrize('script, words, lr, extra, pairs', [
    (train, 5000, '0.01', [], 10),  # 10 context positions
    (train_fast, 200_000, '0.04', ['--full-window'], 10),  # 48 steps: SGD starts slower than Adam
    (train_fast, 200_000, '0.04', [], 6),  # shrinking windows: 2 (5 + 4 + 3 + 2 + 1) / 5 = 6 pairs' worth
], ids=['book', 'fast-full-window', 'fast'])
def test_skip_gram_lowers_the_loss(tmp_path, script, words, lr, extra, pairs):
    _, trainer, _ = script.main(['--model', 'skipgram', '--max-words', str(words),
                                 '--epochs', '1', '--lr', lr, '--eval-interval', '1', '--quiet',
                                 '--vectors', str(tmp_path / 'sg.npz')] + extra)
    # pairs x 6 binary losses at p = 1/2 (fast mode: a shared negative equal to a context word is
    # left out for that pair, so a little less)
    assert trainer.loss_list[0] == pytest.approx(pairs * 6 * np.log(2), abs=0.3)
    assert np.mean(trainer.loss_list[-3:]) < trainer.loss_list[0] - pairs * 0.3


@pytest.mark.parametrize('script, flag', [(train, '--window-size'), (train, '--hidden-size'),
                                          (train, '--max-words'), (train, '--eval-interval'),
                                          (train_fast, '--window-size'), (train_fast, '--segment-length')])
def test_train_refuses_non_positive_sizes(script, flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        script.main([flag, '0'])
    assert exit_info.value.code == 2 and flag in capsys.readouterr().err


def test_eval_missing_file():
    with pytest.raises(SystemExit, match='train first'):
        eval_script.main(['no_such_vectors.npz'])

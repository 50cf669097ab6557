"""The chapter-5 training scripts on the first PTB tokens (skipped without DLFS_DATA_DIR)."""
import pytest

from ch05_rnn import train, train_custom_loop

pytestmark = pytest.mark.usefixtures('needs_ptb')


def test_trainer_and_hand_written_loop_agree_and_learn(tmp_path):
    args = ['--epochs', '6', '--quiet', '--seed', '3']
    model, ppl_trainer = train.main(args + ['--plot', str(tmp_path / 'trainer.png')])
    _, ppl_loop = train_custom_loop.main(args + ['--plot', str(tmp_path / 'loop.png')])
    assert len(ppl_trainer) == 6  # 19 iterations per epoch: one record at each epoch end
    assert ppl_trainer == pytest.approx(ppl_loop, rel=1e-6)  # same batches, same updates
    assert 300 < ppl_trainer[0] < 500  # the book: about 400 in the first epoch
    assert ppl_trainer[-1] < 0.75 * ppl_trainer[0]
    for name in ('trainer.png', 'loop.png'):
        assert (tmp_path / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_custom_loop_rejects_a_corpus_shorter_than_one_batch():
    with pytest.raises(SystemExit):
        train_custom_loop.main(['--max-tokens', '40', '--quiet'])

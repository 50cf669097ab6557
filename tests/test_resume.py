"""Every training script saves each epoch, stops cleanly on a signal, and resumes exactly.

For each script (tiny settings): a straight 2-epoch run is compared, parameter for parameter, with
a run stopped by SIGINT, then resumed with --load to 2 epochs: once with the signal arriving while
the first epoch's checkpoint is written (the epoch must count as saved), once in the middle of an
epoch (after the step its random draw picks: the run must continue from that very step).
"""
import importlib
import os
import random
import signal

import numpy as np
import pytest

from harness import checkpoint
from tiny_sentiment import tiny_sentiment  # noqa: F401 (a fixture: small review archives)

SEQ2SEQ = ['--train-size', '256', '--test-size', '32', '--hidden-size', '16', '--batch-size', '64',
           '--quiet']
W2V = ['--max-words', '4000', '--hidden-size', '8', '--window-size', '2', '--vectors', 'vectors.npz',
       '--quiet']
SIMPLE_RNNLM = ['--max-tokens', '300', '--hidden-size', '10', '--wordvec-size', '10', '--quiet']
# The chapter-6 scripts share the checkpoint with these; their resume on PTB is tested in
# test_ch06_scripts, and the signal during their end-of-epoch save in test_checkpoint.
SCRIPTS = {
    'ch01_nn.train': ['--quiet', '--hidden-size', '6'],
    # fast mode: RowMeanSGD's step count (its decaying rate); book mode: Adam's moments
    'ch04_fast_w2v.train_fast': W2V + ['--batch-size', '128', '--segment-length', '16'],
    'ch04_fast_w2v.train': W2V + ['--max-words', '1500', '--batch-size', '50'],
    'ch05_rnn.train': SIMPLE_RNNLM,
    'ch05_rnn.train_mlp_lm': ['--max-tokens', '2000', '--eval-tokens', '200', '--wordvec-size', '8',
                              '--hidden-size', '8', '--batch-size', '64', '--eval-interval', '10',
                              '--dropout', '0.1', '--quiet'],
    'ch07_seq2seq.train_seq2seq': SEQ2SEQ + ['--peeky'],
    'ch08_attention.train': SEQ2SEQ + ['--train-size', '128', '--test-size', '16'],
    'ch09_transformer.train_gpt': ['--max-tokens', '1200', '--eval-tokens', '100', '--context-size', '8',
                                   '--d-model', '8', '--num-heads', '2', '--num-layers', '1',
                                   '--d-ff', '16', '--batch-size', '8', '--warmup-steps', '3', '--quiet'],
    'ch09_transformer.train_transformer': ['--train-size', '128', '--test-size', '16', '--batch-size', '32',
                                           '--d-model', '8', '--num-heads', '2', '--num-layers', '1',
                                           '--d-ff', '16', '--dropout', '0.1', '--warmup-steps', '3',
                                           '--quiet'],
    'ch10_transfer.train_cbow': ['--hidden-size', '6', '--window-size', '2', '--batch-size', '50',
                                 '--valid-reviews', '5', '--eval-interval', '5', '--vectors', 'vectors.npz',
                                 '--quiet'],
}
NEEDS_REVIEWS = {'ch10_transfer.train_cbow'}
NEEDS_PTB = {'ch04_fast_w2v.train', 'ch04_fast_w2v.train_fast', 'ch05_rnn.train',
             'ch05_rnn.train_mlp_lm', 'ch09_transformer.train_gpt'}


def params_of(result):
    """The parameters of the model a script's main() returned (model, (model, ...), {name: (model, ...)})."""
    if isinstance(result, dict):
        (result,) = result.values()
    model = result[0] if isinstance(result, tuple) else result
    return [p.copy() for p in model.params]


@pytest.mark.parametrize('when', ['while saving', 'mid-epoch'])
@pytest.mark.parametrize('name', sorted(SCRIPTS))
def test_a_stopped_run_resumes_to_the_uninterrupted_result(name, when, tmp_path, monkeypatch, request):
    if name in NEEDS_PTB:
        request.getfixturevalue('needs_ptb')
    if name in NEEDS_REVIEWS:
        request.getfixturevalue('tiny_sentiment')
    argv = SCRIPTS[name]
    monkeypatch.chdir(tmp_path)  # default outputs (plots) land here
    main = importlib.import_module(name.split(':')[0]).main  # 'module:variant'
    straight = params_of(main(argv + ['--epochs', '2']))

    path = str(tmp_path / 'checkpoints' / 'run.npz')
    with monkeypatch.context() as patch:  # only the stop is undone, not the fixtures' settings
        if when == 'while saving':
            real_save = checkpoint.atomic_savez

            def stopped_while_saving(file_path, arrays):
                os.kill(os.getpid(), signal.SIGINT)  # arrives while the epoch-1 checkpoint is written
                real_save(file_path, arrays)

            patch.setattr(checkpoint, 'atomic_savez', stopped_while_saving)
        else:
            real_step_end = checkpoint.Checkpoint.step_end
            chosen = random.Random(name).randrange(1, 4)

            def signalled_step_end(self, trainer):
                if trainer.steps_done == chosen:
                    os.kill(os.getpid(), signal.SIGINT)
                real_step_end(self, trainer)

            patch.setattr(checkpoint.Checkpoint, 'step_end', signalled_step_end)
        with pytest.raises(SystemExit) as stop:
            main(argv + ['--epochs', '2', '--save', path])
        assert stop.value.code == 130

    resumed = params_of(main(argv + ['--epochs', '2', '--load', path, '--save', path]))
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in (tmp_path / 'checkpoints').iterdir()) == ['run.npz']


# Scripts with --save and --epochs whose resume is tested elsewhere, or that do not resume (why).
RESUME_TESTED_ELSEWHERE = {'ch06_lstm.train_rnnlm', 'ch06_lstm.train_better_rnnlm',  # test_ch06_scripts
                           'ch09_transformer.pretrain_bert',  # test_bert (stopped by --max-steps)
                           # test_pretraining_scripts (stopped by --max-steps)
                           'ch10_transfer.pretrain_lstm', 'ch10_transfer.pretrain_gpt', 'ch10_transfer.pretrain_bert'}
NOT_RESUMABLE = {}


def test_every_training_script_with_save_is_covered():
    """A new script with --save and --epochs must join SCRIPTS (or say here why it cannot resume)."""
    from test_cli_flags import chapter_scripts, script_options  # tests/ is on sys.path under pytest
    trainers = [name for name in chapter_scripts()
                if {'--save', '--epochs'} <= script_options(importlib.import_module(name).main)]
    assert len(trainers) >= 8
    tested = {name.split(':')[0] for name in SCRIPTS}
    missing = set(trainers) - tested - RESUME_TESTED_ELSEWHERE - set(NOT_RESUMABLE)
    assert not missing, f'training scripts with --save whose resume nothing tests: {sorted(missing)}'

"""Chapter-7 scripts, called through main([...]) with small settings."""
import subprocess
import sys
from pathlib import Path

import pytest

from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch07_seq2seq import generate_better_text, generate_text, rescore, train_seq2seq
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.rnnlm_gen import RnnlmGen
from common.evaluation import seq2seq_accuracy
from dataset import sequence

ROOT = Path(__file__).resolve().parents[1]
needs_ptb = pytest.mark.usefixtures('needs_ptb')  # skips, with one message, without the PTB files
PNG_SIGNATURE = b'\x89PNG'


def test_train_seq2seq_reports_the_accuracy_of_the_saved_model(tmp_path, capsys):
    plot, saved = tmp_path / 'acc.png', tmp_path / 'peeky.npz'
    model, accuracies = train_seq2seq.main(
        ['--epochs', '2', '--train-size', '1280', '--test-size', '200', '--hidden-size', '32',
         '--peeky', '--reverse', '--beam-width', '2', '--plot', str(plot), '--save', str(saved),
         '--quiet'])
    out = capsys.readouterr().out
    assert 'epoch 2: val acc' in out and 'beam search (width 2)' in out
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    reloaded = PeekySeq2seq(13, 16, 32)
    reloaded.load_params(saved)
    _, (x_test, t_test) = sequence.load_data('addition.txt')
    assert len(accuracies) == 2
    assert seq2seq_accuracy(reloaded, x_test[:200, ::-1], t_test[:200]) == accuracies[-1]


def test_train_seq2seq_trains_on_a_file_in_the_books_format(tmp_path, capsys):
    path = tmp_path / 'book.txt'
    path.write_text(''.join(f'{a}+{b}'.ljust(7) + f'_{a + b}'.ljust(5) + '\n'
                            for a in range(0, 100, 3) for b in range(a, 50, 7)))
    model, accuracies = train_seq2seq.main(['--data', str(path), '--epochs', '1', '--hidden-size', '8',
                                            '--quiet'])
    assert len(accuracies) == 1
    assert model.params[0].shape[0] == len(sequence.get_vocab(path)[0]) == 13
    path.write_text('1+2    _3    \n1+2=3\n')
    with pytest.raises(SystemExit) as exit_info:
        train_seq2seq.main(['--data', str(path), '--quiet'])
    assert exit_info.value.code == 2
    assert "book.txt, line 2: '1+2=3' is not a question, '_' and an answer" in capsys.readouterr().err


@needs_ptb
def test_generate_text_without_a_checkpoint_says_how_to_make_one(tmp_path):
    missing = str(tmp_path / 'none.npz')
    with pytest.raises(SystemExit, match=f'python -m ch06_lstm.train_rnnlm --save {missing}'):
        generate_text.main(['--load', missing])


@needs_ptb
def test_generate_text_is_reproducible_and_skips_numbers_unk_and_dollar(tmp_path):
    checkpoint = str(tmp_path / 'tiny_rnnlm.npz')
    RnnlmGen(10000, 8, 8, rng=0).save_params(checkpoint)
    argv = ['--load', checkpoint, '--length', '200']
    first = generate_text.main(argv + ['--seed', '1'])
    assert first == generate_text.main(argv + ['--seed', '1'])
    assert first != generate_text.main(argv + ['--seed', '2'])
    words = first.split()
    assert words[0] == 'you' and not {'N', '<unk>', '$'} & set(words)


@needs_ptb
def test_generate_better_text_continues_the_prompt(tmp_path, capsys):
    checkpoint = str(tmp_path / 'tiny_better.npz')
    BetterRnnlm(10000, 8, 8, rng=0).save_params(checkpoint)  # generation adds to the saved class
    texts = generate_better_text.main(['--load', checkpoint, '--length', '20', '--greedy'])
    assert texts[0].startswith('you ') and texts[1].startswith('the meaning of life is ')
    with pytest.raises(SystemExit) as stop:
        generate_better_text.main(['--load', checkpoint, '--prompt', 'zzzq is'])
    assert stop.value.code == 2
    assert "argument --prompt: 'zzzq' is not in the vocabulary" in capsys.readouterr().err
    Rnnlm(9999, 8, 8).save_params(checkpoint)
    with pytest.raises(SystemExit, match='has a vocabulary of 9999 words, PTB has 10000'):
        generate_better_text.main(['--load', checkpoint])
    PeekySeq2seq(13, 8, 8).save_params(checkpoint)
    with pytest.raises(SystemExit, match='holds a PeekySeq2seq, which is none of .and no base of. RnnlmGen'):
        generate_better_text.main(['--load', checkpoint])


@needs_ptb
def test_rescore_ranks_the_candidates_of_a_file(tmp_path, capsys):
    checkpoint = str(tmp_path / 'tiny_rnnlm.npz')
    RnnlmGen(10000, 8, 8, cell='gru', rng=0).save_params(checkpoint)
    candidates = tmp_path / 'candidates.txt'
    candidates.write_text('the company said\n\nsaid the company\nthe market fell sharply\n')
    ranking = rescore.main(['--load', checkpoint, str(candidates)])
    assert sorted(s for s, _ in ranking) == ['said the company', 'the company said',
                                             'the market fell sharply']
    log_probs = [result.log_prob for _, result in ranking]
    assert log_probs == sorted(log_probs, reverse=True)
    assert capsys.readouterr().out.splitlines()[0].startswith(' 1. log P')


@pytest.mark.parametrize('script', ['train_seq2seq', 'generate_text', 'generate_better_text', 'rescore'])
def test_scripts_run_from_their_path(script):
    result = subprocess.run([sys.executable, str(ROOT / 'ch07_seq2seq' / f'{script}.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout

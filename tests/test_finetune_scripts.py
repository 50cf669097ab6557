"""Chapter 10's fine-tuning scripts on small archives built here: every classifier beats chance on a
tiny sentiment task, a pre-trained start copies the language model's arrays, and bad input stops
the script with one line."""
import re

import numpy as np
import pytest

from ch10_transfer import finetune, pretrain_lstm
from ch10_transfer.reviews import cut_review, sst_ids
from dataset import imdb, sst
from tiny_sentiment import tiny_sentiment  # noqa: F401 (a fixture)

LSTM = ['--wordvec-size', '8', '--hidden-size', '8']
QUICK = ['--epochs', '8', '--batch-size', '8', '--lr', '0.02', '--patience', '8', '--quiet']


@pytest.fixture
def tiny_lm(tiny_sentiment, tmp_path):
    """A language model pre-trained on the small archive's reviews -> its checkpoint's path."""
    path = str(tmp_path / 'lm.npz')
    pretrain_lstm.main(LSTM + ['--output-size', '20', '--batch-size', '4', '--time-size', '8', '--valid-reviews', '5',
                              '--eval-reviews', '2', '--eval-interval', '50', '--lr', '0.01', '--epochs', '2',
                              '--save', path, '--quiet'])
    return path


def test_sst_ids_read_the_trees_leaves_as_the_reviews_are_read(tiny_sentiment):
    vocabulary = imdb.build_vocabulary()
    sentences, labels = sst_ids('test', vocabulary)
    words, expected = sst.load_data('test')
    assert len(sentences) == len(words) == 30 and labels.tolist() == expected.tolist()
    assert [vocabulary.decode(s) for s in sentences[:3]] == [[w.lower() for w in ws] for ws in words[:3]]
    phrases, _ = sst_ids('train', vocabulary, phrases=True)
    assert len(phrases) > len(sst_ids('train', vocabulary)[0])
    review = np.arange(10)
    assert cut_review(review, 4).tolist() == [0, 7, 8, 9] and cut_review(review, None) is review


@pytest.mark.parametrize('model', ['lstm', 'bow'])
def test_fine_tuning_beats_chance_on_a_tiny_task(tiny_sentiment, model):
    result = finetune.main(['--model', model, *LSTM, '--seed', '3', *QUICK])
    assert result['test'] >= 0.8 and result['train_size'] == 40
    assert result['valid'][result['best_epoch'] - 1] == max(result['valid'])


def test_a_pre_trained_start_and_the_same_network_from_scratch(tiny_lm, capsys):
    pre_trained = finetune.main(['--pretrained', tiny_lm, '--train-size', '20', *QUICK[:-1]])
    assert 'from ' + tiny_lm + ': 4 arrays (00.TimeEmbedding.W' in capsys.readouterr().out
    scratch = finetune.main(['--pretrained', tiny_lm, '--scratch', '--train-size', '20', *QUICK[:-1]])
    assert 'from scratch, 20 labelled examples' in capsys.readouterr().out
    assert pre_trained['train_size'] == scratch['train_size'] == 20
    imdb_run = finetune.main(['--task', 'imdb', '--pretrained', tiny_lm, '--valid-size', '6', '--max-length', '12',
                              '--epochs', '2', '--quiet'])
    assert imdb_run['train_size'] == 18 and 0 <= imdb_run['test'] <= 1


@pytest.mark.parametrize('flags, lr, max_length', [
    (['--task', 'sst', '--model', 'bow'], 1e-2, None), (['--task', 'imdb', '--model', 'bow'], 1e-3, None),
    (['--task', 'imdb', '--model', 'lstm'], 1e-3, 400), (['--task', 'imdb', '--model', 'bow', '--lr', '0.5',
                                                          '--max-length', '7'], 0.5, 7)])
def test_the_rate_and_the_review_length_default_to_the_model_and_the_task(tiny_sentiment, monkeypatch,
                                                                          flags, lr, max_length):
    seen = {}
    one_text = ([np.array([5, 6])], np.array([1]))

    def fake_task_data(args, vocabulary, limit):
        seen['limit'] = limit
        return one_text, one_text, one_text

    def fake_fit(model, optimizer, *args, make_optimizer, **kwargs):
        seen['lr'] = make_optimizer(model.param_names).lr
        return {'best_epoch': 1, 'valid': [1.0], 'loss': [0.5]}

    monkeypatch.setattr(finetune, 'task_data', fake_task_data)
    monkeypatch.setattr(finetune, 'fit_classifier', fake_fit)
    finetune.main(flags + LSTM + ['--quiet'])
    assert seen == {'lr': lr, 'limit': max_length}


def test_the_cbow_baseline_reads_the_vectors_train_cbow_writes(tiny_sentiment, tmp_path):
    from ch10_transfer import train_cbow
    path = str(tmp_path / 'cbow.npz')
    train_cbow.main(['--hidden-size', '6', '--window-size', '2', '--batch-size', '50', '--valid-reviews', '5',
                     '--vectors', path, '--quiet'])
    result = finetune.main(['--model', 'cbow', '--cbow-vectors', path, '--epochs', '2', '--quiet'])
    assert 0 <= result['test'] <= 1 and len(result['valid']) == 2


@pytest.mark.parametrize('argv, message', [
    (['--model', 'cbow'], '--cbow-vectors'),
    (['--scratch'], 'give --pretrained too'),
    (['--model', 'bow', '--pretrained', 'x.npz'], 'not started from a language model'),
    (['--phrases', '--train-size', '10'], 'all SST training trees'),
    (['--train-size', '41'], r'--train-size 41: the training set holds 40 examples'),
    (['--model', 'bert', '--pooling', 'mean'], '--pooling is for --model lstm or gpt'),
    (['--pooling', 'mean'], "pools with one of \\('last', 'concat'\\)"),
])
def test_bad_flags_stop_the_script_with_one_line(tiny_sentiment, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        finetune.main(argv + ['--epochs', '1', '--quiet'])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith('usage: ') is False and re.search(message, error)


def test_a_checkpoint_of_another_vocabulary_is_one_line(tiny_lm, tmp_path):
    other = str(tmp_path / 'other.npz')
    pretrain_lstm.main(LSTM + ['--output-size', '20', '--batch-size', '4', '--time-size', '8', '--valid-reviews', '5',
                              '--eval-reviews', '2', '--vocab-size', '26', '--max-steps', '1', '--save', other,
                              '--quiet'])
    from ch10_transfer.lstm_classifier import LstmClassifier
    from ch10_transfer.transfer import load_shared_params, vocabulary_of
    model = LstmClassifier(30, 8, 8, rng=0)
    model.attach(**vocabulary_of(tiny_lm).to_arrays())
    with pytest.raises(ValueError, match=r"other.npz' was trained with another vocabulary \(26 ids"):
        load_shared_params(model, other)


def test_the_curve_runs_each_budget_and_seed_once_and_gathers_models(tiny_lm, tmp_path, capsys, monkeypatch):
    from ch10_transfer import finetune_curve
    results, plot = str(tmp_path / 'curve.json'), tmp_path / 'curve.png'
    argv = ['--sizes', '10', '30', '--seeds', '2', '--seeded-up-to', '10', '--results', results,
            '--epochs', '2', '--quiet']
    first = finetune_curve.main(['--pretrained', tiny_lm, '--plot', str(plot)] + argv)
    assert sorted(first) == ['LSTM from scratch', 'LSTM pre-trained']
    assert {size: sorted(seeds) for size, seeds in first['LSTM pre-trained'].items()} == {'10': ['1', '2'], '30': ['1']}
    assert plot.stat().st_size > 0 and f'wrote {plot}' in capsys.readouterr().out
    finetune_curve.main(['--model', 'bow', '--plot', ''] + argv)
    table = capsys.readouterr().out
    assert 'bag of words' in table and 'LSTM pre-trained' in table  # the earlier runs were read back
    calls = []
    with monkeypatch.context() as patch:
        patch.setattr(finetune, 'main', lambda argv: calls.append(argv))
        again = finetune_curve.main(['--pretrained', tiny_lm, '--plot', ''] + argv)
    assert calls == [] and again == finetune_curve.load_results(results)  # nothing run twice
    with pytest.raises(SystemExit):
        finetune_curve.main(['--pretrained', tiny_lm, '--seed', '4'] + argv)
    with pytest.raises(SystemExit):
        finetune_curve.main(['--model', 'gpt'] + argv)

"""Sentence scoring for every language model, and the word-order scripts (zero-shot, fine-tuning)."""
import os
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest

from ch05_rnn.ngram import KneserNeyLM
from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.rnnlm_gen import RnnlmGen
from ch07_seq2seq.sentence_scorer import NgramScorer, SentenceScorer
from ch09_transformer.gpt_gen import GPTGen
from ch10_transfer import word_order_finetune, zero_shot
from dataset import word_order

ROOT = Path(__file__).resolve().parents[1]
needs_ptb = pytest.mark.skipif(not os.environ.get('DLFS_DATA_DIR'),
                               reason='DLFS_DATA_DIR is not set: the PTB files are needed')
V = 15


@pytest.mark.parametrize('make', [
    lambda rng: RnnlmGen(V, 6, 6, rng=rng),
    lambda rng: BetterRnnlmGen(V, 6, 6, rng=rng),
    lambda rng: GPTGen(V, context_size=8, d_model=8, num_heads=2, num_layers=1, d_ff=16, rng=rng),
    lambda rng: NgramScorer(KneserNeyLM(V, 3).fit(rng.integers(0, V, 300))),
], ids=['rnnlm', 'better', 'gpt', 'kn3'])
def test_batched_scores_equal_one_sentence_at_a_time(make):
    rng = np.random.default_rng(0)
    scorer = make(rng)
    for p in getattr(scorer, 'params', []):
        p[...] = rng.normal(0, 1, p.shape)
    sentences = [rng.integers(1, V, n) for n in (3, 5, 3, 1, 5, 3)]
    batched = scorer.score_sentences(sentences, eos_id=0)
    single = [scorer.score([0, *s, 0]).log_prob for s in sentences]
    np.testing.assert_allclose(batched, single, rtol=1e-5)
    assert np.all(batched < 0)
    with pytest.raises(ValueError, match='sentence 1 is empty'):
        scorer.score_sentences([np.array([1]), np.array([], dtype=int)], eos_id=0)


def test_ngram_scorer_sums_the_kneser_ney_log_probabilities():
    rng = np.random.default_rng(1)
    kn = KneserNeyLM(V, 4).fit(rng.integers(0, V, 500))
    ids = [0, 4, 7, 7, 2, 0]
    assert NgramScorer(kn).score(ids).log_prob == pytest.approx(kn.log_probs(np.array(ids)).sum())
    with pytest.raises(TypeError, match='KneserNeyLM'):
        NgramScorer(RnnlmGen(V, 4, 4))


@needs_ptb
def test_zero_shot_reports_every_model(tmp_path, capsys):
    path, gpt_path = str(tmp_path / 'rnnlm.npz'), str(tmp_path / 'gpt.npz')
    RnnlmGen(10000, 6, 5, rng=0).save_params(path)
    GPTGen(10000, context_size=8, d_model=8, num_heads=2, num_layers=1, d_ff=16, rng=0).save_params(gpt_path)
    results = zero_shot.main(['--kn-order', '3', '--rnnlm', path, '--gpt', gpt_path, '--max-pairs', '60',
                              '--max-tokens', '100000'])
    assert set(results) == {'KN-3', 'Rnnlm', 'GPT'}
    assert results['KN-3'] > 0.7  # even a small n-gram model knows word order
    assert 'over 60 pairs' in capsys.readouterr().out
    single = zero_shot.main(['--kn-order', '0', '--rnnlm', path, '--max-pairs', '2', '--single', '4'])
    assert set(single) == {'Rnnlm', 'Rnnlm single'} and 0 <= single['Rnnlm single'] <= 1
    assert 'single-sentence accuracy' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='not a checkpoint of an LSTM language model'):
        np.savez(tmp_path / 'other.npz', w=np.zeros(3))
        zero_shot.main(['--kn-order', '0', '--rnnlm', str(tmp_path / 'other.npz')])
    with pytest.raises(SystemExit):
        zero_shot.main(['--kn-order', '0'])


class RisingOrderScorer(SentenceScorer):
    """A toy language model of sentences whose words rise: log P = -5 per descent, or 0 for all."""

    def __init__(self, knows_order=True):
        self.knows_order = knows_order

    def log_probs(self, ids):
        descents = (np.diff(ids[:, 1:-1], axis=1) < 0).sum(axis=1)
        return -5.0 * descents if self.knows_order else np.zeros(len(ids))


def test_single_sentence_bayes_rule():
    rng = np.random.default_rng(3)
    real = [np.sort(rng.choice(np.arange(1, V), 6, replace=False)) for _ in range(10)]
    swapped = [word_order.swap_two_words(s, rng) for s in real[:4]]
    sentences, labels = real[4:] + swapped, np.array([1] * 6 + [0] * 4)
    assert zero_shot.single_sentence_accuracy(RisingOrderScorer(), sentences, labels, 0) == 1.0
    # a model that knows no order finds nothing more probable than its swaps: 'swapped' every time
    assert zero_shot.single_sentence_accuracy(RisingOrderScorer(False), sentences, labels, 0) == 0.4


@needs_ptb
def test_finetune_from_a_language_model_and_from_scratch(tmp_path, capsys):
    path = str(tmp_path / 'rnnlm.npz')
    RnnlmGen(10000, 6, 5, rng=0).save_params(path)
    tiny = ['--train-size', '40', '--eval-size', '40', '--epochs', '2', '--wordvec-size', '6',
            '--hidden-size', '5', '--quiet']
    result = word_order_finetune.main(tiny + ['--pretrained', path])
    assert 0 <= result['test'] <= 1 and len(result['valid']) == 2
    out = capsys.readouterr().out
    assert 'from ' + path in out and 'test accuracy' in out
    with pytest.raises(SystemExit, match=r"'02.TimeLSTM.Wx' has shape \(6, 20\)"):
        word_order_finetune.main(tiny[:-5] + ['--wordvec-size', '6', '--hidden-size', '7', '--pretrained', path])
    surprisal = word_order_finetune.main(tiny + ['--model', 'surprisal', '--pretrained', path])
    assert 0 <= surprisal['test'] <= 1
    assert 'surprisal from ' + path in capsys.readouterr().out
    with pytest.raises(SystemExit):
        word_order_finetune.main(tiny + ['--model', 'surprisal', '--num-layers', '2'])
    with pytest.raises(SystemExit, match='--cbow-vectors'):
        word_order_finetune.main(['--model', 'cbow'])
    with pytest.raises(SystemExit):
        word_order_finetune.main(['--train-size', '41'])


@pytest.mark.parametrize('script', ['ch10_transfer/zero_shot', 'ch10_transfer/word_order_finetune',
                                    'ch10_transfer/word_order_curve', 'ch09_transformer/pretrain_bert'])
def test_scripts_run_from_their_path(script):
    result = subprocess.run([sys.executable, str(ROOT / f'{script}.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout


@needs_ptb
def test_finetune_bert_from_a_pretrained_encoder(tmp_path, capsys):
    from ch09_transformer.bert import BertEncoder
    path = str(tmp_path / 'bert.npz')
    BertEncoder(10000, 90, 8, 2, 1, 16, rng=0).save_params(path)
    result = word_order_finetune.main(['--model', 'bert', '--pretrained', path, '--d-model', '8', '--num-heads', '2',
                            '--num-layers', '1', '--d-ff', '16', '--context-size', '90', '--train-size', '20',
                            '--eval-size', '20', '--epochs', '1'])
    assert 0 <= result['test'] <= 1
    assert '03.LayerNorm.gamma' in capsys.readouterr().out  # the encoder's arrays were copied


@needs_ptb
def test_finetune_curve_runs_both_starts_for_every_size(tmp_path, capsys):
    from ch10_transfer import word_order_curve
    path = str(tmp_path / 'rnnlm.npz')
    RnnlmGen(10000, 6, 5, rng=0).save_params(path)
    plot = tmp_path / 'curve.png'
    results = word_order_curve.main(['--pretrained', path, '--sizes', '20', '40', '--plot', str(plot),
                                   '--eval-size', '20', '--epochs', '1', '--wordvec-size', '6',
                                   '--hidden-size', '5', '--quiet'])
    assert len(results['pre-trained']) == len(results['from scratch']) == 2
    assert plot.stat().st_size > 0
    assert 'labelled sentences |     20 |     40' in capsys.readouterr().out


@needs_ptb
def test_finetune_gpt_takes_its_sizes_from_the_checkpoint(tmp_path, capsys):
    path = str(tmp_path / 'gpt.npz')
    GPTGen(10000, context_size=90, d_model=8, num_heads=2, num_layers=1, d_ff=16, rng=0).save_params(path)
    result = word_order_finetune.main(['--model', 'gpt', '--pretrained', path, '--train-size', '20',
                            '--eval-size', '20', '--epochs', '1'])
    assert 0 <= result['test'] <= 1
    assert '02.TransformerBlock.ffn.W2' in capsys.readouterr().out


def test_cbow_vectors_are_matched_to_ptb_ids_by_the_files_words(tmp_path):
    from ch04_fast_w2v.word_vectors import save_vectors
    word_to_id = {'the': 0, 'cat': 1, 'sat': 2}
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)  # rows: sat, mat, the, cat
    save_vectors(tmp_path / 'shuffled.npz', vectors, {0: 'sat', 1: 'mat', 2: 'the', 3: 'cat'})
    in_ptb_order = word_order_finetune.vectors_in_ptb_order(str(tmp_path / 'shuffled.npz'), word_to_id)
    np.testing.assert_array_equal(in_ptb_order, vectors[[2, 3, 0]])
    save_vectors(tmp_path / 'fewer.npz', vectors[:2], {0: 'sat', 1: 'mat'})
    with pytest.raises(ValueError, match=r"fewer.npz' has no vector for 2 of the 3 PTB words \(such as 'the', 'cat'\)"):
        word_order_finetune.vectors_in_ptb_order(str(tmp_path / 'fewer.npz'), word_to_id)


@needs_ptb
@pytest.mark.parametrize('script, flags', [
    (zero_shot, ['--rnnlm']), (zero_shot, ['--gpt']),
    (word_order_finetune, ['--model', 'gpt', '--pretrained']),
    (word_order_finetune, ['--model', 'lstm', '--pretrained'])], ids=['rnnlm', 'gpt', 'finetune-gpt', 'finetune-lstm'])
def test_another_models_checkpoint_ends_in_one_line(tmp_path, script, flags):
    from ch07_seq2seq.seq2seq import Seq2seq
    seq2seq, legacy = str(tmp_path / 'seq2seq.npz'), str(tmp_path / 'legacy.npz')
    Seq2seq(13, 8, 8).save_params(seq2seq)
    np.savez(legacy, **{'__model__': np.array('GPT'), '00.TimeEmbedding.W': np.zeros((3, 2), np.float32)})
    for path in (seq2seq, legacy):
        with pytest.raises(SystemExit, match=f'^error: {path!r}') as stop:
            script.main([*flags, path, '--epochs', '1'] if script is word_order_finetune else [*flags, path])
        assert '\n' not in str(stop.value)

"""The chapter-10 pre-training scripts on small archives built here: each one learns, resumes bit
for bit from a checkpoint saved mid-run, keeps its vocabulary in the checkpoint and refuses a run
saved with another one."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ch10_transfer import pretrain_bert, pretrain_gpt, pretrain_lstm
from ch10_transfer.reviews import pretraining_reviews, review_chunks, review_stream
from ch10_transfer.transfer import vocabulary_of
from dataset import imdb
from dataset.vocabulary import EOS_ID
from tiny_sentiment import tiny_sentiment  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]
COMMON = ['--valid-reviews', '5', '--eval-reviews', '3', '--eval-interval', '3', '--warmup-steps', '2',
          '--lr', '0.01', '--quiet']
RUNS = {  # script: (its tiny flags, the key of the figure its curve records)
    'lstm': (pretrain_lstm, ['--wordvec-size', '8', '--hidden-size', '8', '--output-size', '20', '--batch-size', '4',
                             '--time-size', '8'], 'valid_ppl'),
    'gpt': (pretrain_gpt, ['--d-model', '8', '--num-heads', '2', '--num-layers', '1', '--d-ff', '16', '--output-size',
                           '20', '--context-size', '8', '--batch-size', '4'], 'valid_ppl'),
    'bert': (pretrain_bert, ['--d-model', '8', '--num-heads', '2', '--num-layers', '1', '--d-ff', '16',
                             '--context-size', '12', '--batch-size', '4'], 'valid_accuracy'),
}


def test_the_pretraining_text_is_unlabelled_and_training_reviews_never_test_ones(tiny_sentiment):
    vocabulary = imdb.build_vocabulary()
    train, valid = pretraining_reviews(vocabulary, valid_reviews=5)
    unlabelled = imdb.load_unlabelled_ids(vocabulary)
    training_texts = imdb.load_ids('train', vocabulary)[0]
    assert [r.tolist() for r in train] == [r.tolist() for r in unlabelled[:-5] + training_texts]
    assert [r.tolist() for r in valid] == [r.tolist() for r in unlabelled[-5:]]
    test_texts = {tuple(r) for r in imdb.load_ids('test', vocabulary)[0]}
    assert not test_texts & {tuple(r) for r in train + valid}
    corpus = review_stream(train, np.random.default_rng(0))
    assert len(corpus) == sum(map(len, train)) + len(train) and (corpus == EOS_ID).sum() == len(train)
    assert sorted(map(tuple, np.split(corpus, np.flatnonzero(corpus == EOS_ID) + 1)[:-1])) == sorted(
        tuple(r) + (EOS_ID,) for r in train)  # every review once, each ended by '<eos>'
    pieces = review_chunks(np.array([5, 6, 7, EOS_ID, 8, 9, 10, 11, 12, EOS_ID, 13]), 2)
    assert [p.tolist() for p in pieces] == [[5, 6], [7], [8, 9], [10, 11], [12], [13]]
    with pytest.raises(ValueError, match=r'valid_reviews must lie in \[1, 29\]'):
        pretraining_reviews(vocabulary, valid_reviews=30)


@pytest.mark.parametrize('name', sorted(RUNS))
def test_pretraining_learns_and_resumes_exactly(name, tiny_sentiment, tmp_path):
    script, flags, figure = RUNS[name]
    tiny = COMMON + flags + ['--epochs', '3']
    straight = script.main(tiny)
    assert len(straight['steps']) >= 3 and straight['steps'][-1] > straight['steps'][0]
    assert straight['train_loss'][-1] < straight['train_loss'][0]
    path = str(tmp_path / f'{name}.npz')
    script.main(tiny + ['--save', path, '--max-steps', str(straight['steps'][1])])
    resumed = script.main(tiny + ['--load', path, '--save', path])
    assert resumed['steps'] == straight['steps']
    assert resumed[figure] == straight[figure] and resumed['train_loss'] == straight['train_loss']
    assert vocabulary_of(path).words == imdb.build_vocabulary().words
    with pytest.raises(SystemExit, match=r"was trained with another vocabulary \(30 ids.* than this one \(26 ids"):
        script.main(tiny + ['--load', path, '--vocab-size', '26'])


@pytest.mark.parametrize('name', sorted(RUNS))
def test_pretraining_scripts_run_from_their_path(name):
    result = subprocess.run([sys.executable, str(ROOT / 'ch10_transfer' / f'pretrain_{name}.py'), '--help'],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and 'usage:' in result.stdout

"""eval_perplexity against a direct computation: each row read in one piece, log-softmax by hand."""
import numpy as np
import pytest

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from common.evaluation import eval_perplexity, perplexity
from harness.checkpoint import carried_state

V = 11


def direct_perplexity(model, corpus, batch_size):
    """exp(mean -log p(next word)) over rows i * jump .. (i + 1) * jump - 1, each row fed to
    ``predict`` in one call from a zero state, log-probabilities from an explicit log-softmax."""
    jump = (len(corpus) - 1) // batch_size
    nll = []
    for row in range(batch_size):
        words = corpus[row * jump:(row + 1) * jump + 1]
        model.reset_state()
        scores = model.predict(words[None, :-1])[0].astype(np.float64)  # (jump, V)
        log_p = scores - scores.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        nll.extend(-log_p[np.arange(jump), words[1:]])
    return float(np.exp(np.mean(nll)))


@pytest.mark.parametrize('make_model', [
    lambda: SimpleRnnlm(V, 6, 5, rng=0, dtype=np.float64),
    lambda: Rnnlm(V, 6, 5, rng=0, dtype=np.float64),
    lambda: BetterRnnlm(V, 6, 6, rng=0, dtype=np.float64),  # dropout must be off when evaluating
], ids=['SimpleRnnlm', 'Rnnlm', 'BetterRnnlm'])
def test_eval_perplexity_is_exp_of_the_mean_negative_log_likelihood(make_model):
    rng = np.random.default_rng(1)
    model = make_model()
    for p in model.params:  # weights large enough that the perplexity is far from V
        p[...] = rng.normal(0, 0.7, p.shape)
    corpus = rng.integers(0, V, 103)  # 3 rows of 34 words: blocks of 8 leave a short last block
    model.forward(corpus[None, :20], corpus[None, 1:21])  # a stale state that must not leak in
    expected = direct_perplexity(model, corpus, batch_size=3)
    assert abs(expected - V) > 1
    assert eval_perplexity(model, corpus, batch_size=3, time_size=8) == pytest.approx(expected, rel=1e-12)
    assert not carried_state(model)  # evaluation leaves the model reset


def test_perfect_and_uniform_models():
    corpus = np.tile(np.arange(5), 20)
    model = Rnnlm(5, 4, 4, rng=0, dtype=np.float64)
    for p in model.params:
        p[...] = 0
    assert eval_perplexity(model, corpus, batch_size=2, time_size=7) == pytest.approx(5)  # uniform
    model.params[-1][...] = np.array([0, 50, 0, 0, 0])  # always predicts word 1 with p ~ 1
    assert eval_perplexity(model, np.ones(30, dtype=int), batch_size=2) == pytest.approx(1)


def test_too_short_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match='too short for batch_size 10'):
        eval_perplexity(Rnnlm(V, 4, 4), np.arange(10), batch_size=10)


def test_perplexity_is_exp_of_the_mean_loss_and_inf_where_that_overflows():
    assert perplexity(np.log(136.0)) == pytest.approx(136.0, rel=1e-12)
    assert perplexity(709.0) == pytest.approx(np.exp(709.0), rel=1e-12)
    assert perplexity(710.0) == float('inf')  # math.exp would raise OverflowError

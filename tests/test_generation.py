"""Text generation (RnnlmGen, BetterRnnlmGen) and sentence scoring / rescoring."""
import numpy as np
import pytest

from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.rescore import rescore, score, sentence_ids
from ch07_seq2seq.rnnlm_gen import RnnlmGen, sample_next_id
from common.functions import log_softmax, softmax
from common.optimizer import Adam
from common.trainer import RnnlmTrainer
from common.util import preprocess

V = 20


@pytest.fixture
def model():
    """A small RnnlmGen with weights large enough to give peaked, uneven next-word distributions."""
    rng = np.random.default_rng(0)
    lm = RnnlmGen(V, 8, 8, rng=rng)
    for param in lm.params:
        param[...] = rng.standard_normal(param.shape) * 1.5
    return lm


def stepwise_scores(lm, word_ids):
    """Next-word scores after each of word_ids, feeding one word per call: (len, V)."""
    lm.reset_state()
    return np.array([lm.predict(np.array([[i]]))[0, 0] for i in word_ids])


def test_same_seed_same_text_and_different_seed_different_text(model):
    texts = []
    for seed in (5, 5, 6):
        model.reset_state()
        texts.append(model.generate(3, sample_size=60, rng=np.random.default_rng(seed)))
    assert texts[0] == texts[1] != texts[2]
    assert len(texts[0]) == 60 and texts[0][0] == 3


def test_skip_ids_are_never_generated_even_when_most_probable(model):
    scores = stepwise_scores(model, range(V))
    skip_ids = list(np.unique(scores.argmax(axis=1)))  # the favourite next word after every word
    model.reset_state()
    word_ids = model.generate(0, skip_ids, sample_size=400, rng=1)
    assert not set(word_ids[1:]) & set(skip_ids)
    with pytest.raises(ValueError, match='every word'):
        model.generate(0, list(range(V)), sample_size=3, rng=1)


def test_top_k_and_greedy_choose_among_the_best_words(model):
    model.reset_state()
    word_ids = model.generate(2, sample_size=200, top_k=3, rng=2)
    ranks = (-stepwise_scores(model, word_ids[:-1])).argsort(axis=1).argsort(axis=1)
    chosen_ranks = ranks[np.arange(len(word_ids) - 1), word_ids[1:]]
    assert chosen_ranks.max() <= 2 and len(set(chosen_ranks)) == 3
    model.reset_state()
    word_ids = model.generate(2, sample_size=50, greedy=True)
    np.testing.assert_array_equal(stepwise_scores(model, word_ids[:-1]).argmax(axis=1), word_ids[1:])
    model.reset_state()
    assert model.generate(2, sample_size=50, temperature=1e-4, rng=3) == word_ids


def test_sampling_follows_the_renormalised_softmax():
    scores = np.array([2.0, 1.0, 0.0, -1.0, 3.0])
    rng = np.random.default_rng(4)
    draws = [sample_next_id(scores, rng, skip_ids=[4], temperature=2.0) for _ in range(20000)]
    expected = softmax(np.append(scores[:4] / 2.0, -np.inf))
    np.testing.assert_allclose(np.bincount(draws, minlength=5) / 20000, expected, atol=0.012)
    with pytest.raises(ValueError, match='temperature'):
        sample_next_id(scores, rng, temperature=0)
    with pytest.raises(ValueError, match='skip_ids'):
        sample_next_id(scores, rng, skip_ids=[5])


def test_prompt_is_read_before_generating(model):
    model.reset_state()
    word_ids = model.generate([4, 7, 1], sample_size=10, greedy=True)
    assert word_ids[:3] == [4, 7, 1]
    np.testing.assert_array_equal(stepwise_scores(model, word_ids[:-1])[2:].argmax(axis=1), word_ids[3:])


def test_better_rnnlm_gen_generates_without_dropout():
    lm = BetterRnnlmGen(V, 8, 8, rng=0)
    texts = []
    for _ in range(2):
        lm.reset_state()
        texts.append(lm.generate(1, sample_size=30, greedy=True))
    assert texts[0] == texts[1]  # dropout masks would make greedy runs differ


def test_score_is_the_sum_of_stepwise_log_probabilities(model):
    word_ids = [0, 5, 9, 2, 0]
    log_p = log_softmax(stepwise_scores(model, word_ids[:-1]).astype(np.float64))
    expected = log_p[np.arange(4), word_ids[1:]].sum()
    result = model.score(word_ids)
    assert result.log_prob == pytest.approx(expected, rel=1e-5)
    assert result.perplexity == pytest.approx(np.exp(-expected / 4), rel=1e-5)


def test_rescore_prefers_the_sentence_the_model_was_trained_on():
    text = 'you say goodbye and i say hello . <eos> ' * 50
    corpus, word_to_id, _ = preprocess(text + '<unk>')
    model = RnnlmGen(len(word_to_id), 16, 32, rng=0)
    RnnlmTrainer(model, Adam(0.01), verbose=False).fit(corpus[:-1], corpus[1:], max_epoch=30,
                                                       batch_size=4, time_size=10)
    candidates = ['say you goodbye and i say hello .', 'you say goodbye and i say hello .',
                  'you say hello and i say goodbye .']
    ranking = rescore(model, candidates, word_to_id)
    assert ranking[0][0] == 'you say goodbye and i say hello .'
    assert ranking[0][1].log_prob > ranking[1][1].log_prob >= ranking[2][1].log_prob
    assert ranking[0][1].perplexity < 2


def test_unknown_words_are_scored_as_unk_with_a_warning(model):
    word_to_id = {'<eos>': 0, '<unk>': 1, 'you': 2, 'say': 3}
    with pytest.warns(UserWarning, match="'hi'"):
        ids = sentence_ids('you say hi', word_to_id)
    assert ids == [0, 2, 3, 1, 0]
    assert sentence_ids('You SAY', word_to_id) == [0, 2, 3, 0]
    with pytest.warns(UserWarning):
        assert score(model, ['hi'], word_to_id) == model.score([0, 1, 0])
    with pytest.raises(ValueError, match='empty'):
        sentence_ids('', word_to_id)

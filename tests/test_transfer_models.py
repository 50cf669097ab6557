"""Chapter 10's models and layers: the language models for a large vocabulary, the new heads and
poolings of the sentence classifiers (float64 gradient checks, each result also computed a
second way), and the vocabulary that a pre-trained model hands on."""
import numpy as np
import pytest

from ch09_transformer.gpt import GPT
from ch10_transfer.bag_of_words_classifier import BagOfWordsClassifier
from ch10_transfer.gpt_classifier import GptClassifier
from ch10_transfer.gpt_lm import GptLm
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.lstm_lm import LstmLm
from ch10_transfer.transfer import load_shared_params
from common.gradient_check import check_gradients
from common.sequence_pooling import ConcatPooling, MaskedMax, pad_sentences
from dataset.vocabulary import UNK_ID, Vocabulary

V = 12
TINY_GPT = dict(context_size=6, d_model=8, num_heads=2, num_layers=1, d_ff=12)


def batch(rng, lengths=(4, 2, 3)):
    sentences = [rng.integers(3, V, n) for n in lengths]
    ids, lengths = pad_sentences(sentences, pad_id=0)
    return ids, lengths, rng.integers(0, 2, len(sentences))


def rescale(model, rng, scale=0.5):
    """N(0, scale^2) weights, so gradients are far above finite-difference noise."""
    for p in model.params:
        p[...] = rng.normal(0, scale, p.shape)


def model_gradient_error(model, loss, skip=()):
    """Largest relative error of the model's analytic gradients (after one forward and backward of
    ``loss``) against numerical ones, over the parameters whose names end with none of ``skip``."""
    loss()
    model.backward()
    checked = [(p, g.copy()) for name, p, g in zip(model.param_names, model.params, model.grads)
               if not name.endswith(skip)]
    return check_gradients(loss, [p for p, _ in checked], [g for _, g in checked])


def test_masked_max_and_concat_pooling_against_loops_and_their_gradients():
    rng = np.random.default_rng(0)
    hs, lengths = rng.normal(0, 1, (3, 5, 4)), np.array([5, 1, 3])
    hs[0, 4] = 50.0  # a maximum in the real steps ...
    hs[1, 2] = 60.0  # ... and one in the padding, which must not count
    pooled = MaskedMax().forward(hs, lengths)
    np.testing.assert_array_equal(pooled, [hs[n, :k].max(axis=0) for n, k in enumerate(lengths)])
    concat = ConcatPooling()
    out = concat.forward(hs, lengths)
    expected = [np.concatenate([hs[n, k - 1], hs[n, :k].max(axis=0), hs[n, :k].mean(axis=0)])
                for n, k in enumerate(lengths)]
    np.testing.assert_allclose(out, expected)
    weights = rng.normal(0, 1, out.shape)
    concat.forward(hs, lengths)
    dhs = concat.backward(weights)
    assert np.all(dhs[1, 1:] == 0) and np.all(dhs[2, 3:] == 0)  # nothing flows into the padding
    error = check_gradients(lambda: float((concat.forward(hs, lengths) * weights).sum()), [hs], [dhs])
    assert error < 1e-7
    with pytest.raises(ValueError, match='lengths'):
        MaskedMax().forward(hs, np.array([0, 1, 1]))
    with pytest.raises(RuntimeError, match='before forward'):
        ConcatPooling().backward(weights)


@pytest.mark.parametrize('num_layers', [1, 2])
def test_lstm_classifier_with_concat_pooling_gradients_and_padding(num_layers):
    rng = np.random.default_rng(num_layers)
    model = LstmClassifier(V, 4, 3, num_layers, dropout_ratio=0.3, pooling='concat', rng=0, dtype=np.float64)
    rescale(model, rng)
    ids, lengths, labels = batch(rng)
    assert model.head.params[0].shape == (9, 2)  # [last, max, mean] of H = 3
    assert model_gradient_error(model, lambda: model.forward(ids, lengths, labels, train_flg=False)) < 1e-6
    scores = model.predict(ids, lengths)
    padded = ids.copy()
    padded[np.arange(ids.shape[1])[None, :] >= lengths[:, None]] = 7
    np.testing.assert_array_equal(model.predict(padded, lengths), scores)
    np.testing.assert_allclose(model.predict(ids[1:2, :2], lengths[1:2])[0], scores[1], rtol=1e-12)
    with pytest.raises(ValueError, match="pooling must be one of"):
        LstmClassifier(V, 4, 3, pooling='max')
    started = LstmClassifier(V, 4, 3, start_id=2, rng=0)  # the '<eos>' a language model read first
    ids, lengths = started.batch([np.array([5, 6]), np.array([7])])
    np.testing.assert_array_equal(ids, [[2, 5, 6], [2, 7, 0]])
    assert lengths.tolist() == [3, 2]


def test_gpt_classifier_with_mean_pooling_gradients():
    rng = np.random.default_rng(3)
    model = GptClassifier(V, **TINY_GPT, dropout_ratio=0.0, pooling='mean', rng=0, dtype=np.float64)
    rescale(model, rng, 0.3)
    ids, lengths, labels = batch(rng)
    error = model_gradient_error(model, lambda: model.forward(ids, lengths, labels, train_flg=False),
                                 skip=('attn.bk',))  # the key bias has a zero gradient (softmax shift)
    assert error < 1e-6
    H = model.gpt.hidden_states(ids)
    means = np.stack([H[n, :k].mean(axis=0) for n, k in enumerate(lengths)])
    np.testing.assert_allclose(model.predict(ids, lengths), means @ model.head.params[0] + model.head.params[1])


def test_bag_of_words_classifier_is_a_logistic_regression_on_word_presence():
    rng = np.random.default_rng(4)
    model = BagOfWordsClassifier(V, dtype=np.float64)
    assert not model.params[0].any()  # W = 0: both classes equally likely at first
    rescale(model, rng)
    ids, lengths, labels = batch(rng, (5, 2, 3))
    ids[0, :3] = 6  # a word three times counts once
    bag = np.zeros((3, V))
    for n, k in enumerate(lengths):
        bag[n, ids[n, :k]] = 1
    np.testing.assert_array_equal(model.encode(ids, lengths), bag)
    W, b = model.params
    np.testing.assert_allclose(model.predict(ids, lengths), bag @ W + b)
    assert model_gradient_error(model, lambda: model.forward(ids, lengths, labels)) < 1e-7
    with pytest.raises(ValueError, match=r'word ids must lie in \[0, 12\)'):
        model.predict(np.array([[3, 12]]), np.array([2]))


def test_lstm_lm_predicts_the_frequent_words_and_counts_rarer_ones_as_unk():
    rng = np.random.default_rng(5)
    model = LstmLm(V, 7, 4, 3, num_layers=2, dropout_ratio=0.0, rng=0, dtype=np.float64)
    rescale(model, rng)
    xs, ts = rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 5))
    ts[0, 0], ts[1, 4] = 9, -1  # a rare next word; a position not counted
    assert model.predict(xs).shape == (2, 5, 7)

    def loss():
        model.reset_state()
        return model.forward(xs, ts)
    assert model_gradient_error(model, loss) < 1e-6
    model.reset_state()
    scores = model.predict(xs)
    log_p = scores - np.log(np.exp(scores).sum(axis=2, keepdims=True))
    picked = [log_p[n, t, UNK_ID if ts[n, t] >= 7 else ts[n, t]] for n in range(2) for t in range(5) if ts[n, t] >= 0]
    assert loss() == pytest.approx(-np.mean(picked), rel=1e-12)
    with pytest.raises(ValueError, match=r'output_size must lie in \[1, vocab_size = 12\]'):
        LstmLm(V, 13)


def test_gpt_lm_gradients_and_its_body_starts_a_gpt_classifier(tmp_path):
    rng = np.random.default_rng(6)
    model = GptLm(V, 7, **TINY_GPT, dropout_ratio=0.0, rng=0, dtype=np.float64)
    rescale(model, rng, 0.3)
    xs, ts = rng.integers(0, V, (2, 6)), rng.integers(0, V, (2, 6))
    ts[0, 1] = 10
    assert model_gradient_error(model, lambda: model.forward(xs, ts, train_flg=False), skip=('attn.bk',)) < 1e-6
    unk = ts.copy()
    unk[0, 1] = UNK_ID
    assert model.forward(xs, ts, train_flg=False) == model.forward(xs, unk, train_flg=False)
    model.save_params(tmp_path / 'gpt_lm.npz')
    classifier = GptClassifier(V, **TINY_GPT, rng=1)
    assert load_shared_params(classifier, tmp_path / 'gpt_lm.npz') == classifier.param_names[:-2]
    assert [n for n in model.param_names if n not in classifier.param_names] == ['04.TimeAffine.W', '04.TimeAffine.b']
    assert not any(p.base is model.params[0] for p in model.params[1:])  # the output layer is untied


def test_a_pre_trained_model_hands_its_arrays_only_to_a_model_of_the_same_vocabulary(tmp_path):
    words = [f'w{i}' for i in range(V - 3)]
    lm = LstmLm(V, 6, 4, 3, rng=0)
    lm.attach(**Vocabulary(words).to_arrays())
    lm.save_params(tmp_path / 'lm.npz')
    GPT(V, **TINY_GPT, rng=0).save_params(tmp_path / 'bare.npz')
    same = LstmClassifier(V, 4, 3, pooling='concat', rng=1)
    same.attach(**Vocabulary(words).to_arrays())
    assert load_shared_params(same, tmp_path / 'lm.npz') == same.param_names[:-2]
    np.testing.assert_array_equal(same.params[0], lm.params[0])
    other = LstmClassifier(V, 4, 3, rng=1)
    other.attach(**Vocabulary(words[:-1] + ['film']).to_arrays())
    with pytest.raises(ValueError, match=r"lm.npz' was trained with another vocabulary .* id 11 is 'w8' "
                                         r"there, 'film' here"):
        load_shared_params(other, tmp_path / 'lm.npz')
    with pytest.raises(ValueError, match="bare.npz' holds no vocabulary"):
        load_shared_params(same, tmp_path / 'bare.npz')


def order_task(rng, n):
    """Sentences of 4 ids whose label says whether the first id is below the last."""
    sentences = [rng.choice(np.arange(3, V), 4, replace=False) for _ in range(n)]
    return sentences, np.array([int(s[0] < s[-1]) for s in sentences])


def test_freezing_trains_the_head_first_and_keeps_frozen_parameters_as_they_came():
    from ch10_transfer.sentence_classifier import GroupedOptimizer, fit_classifier
    from common.optimizer import SGD
    rng = np.random.default_rng(7)
    train, valid = order_task(rng, 60), order_task(rng, 30)
    model = LstmClassifier(V, 4, 5, pooling='concat', rng=0)
    start = {name: p.copy() for name, p in zip(model.param_names, model.params)}
    optimizers = []

    def make_optimizer(names):
        optimizers.append(names)
        return SGD(0.1) if len(names) == 2 else GroupedOptimizer([(SGD(0.1), [0]), (SGD(0.0), range(1, len(names)))])
    history = fit_classifier(model, None, train, valid, max_epoch=2, batch_size=20, patience=5, rng=0, verbose=False,
                             freeze_epochs=1, frozen=['00.TimeEmbedding.W'], make_optimizer=make_optimizer)
    assert optimizers == [model.param_names[-2:], model.param_names[1:]]  # the head; all but the embedding
    assert len(history['valid']) == 2
    assert np.array_equal(model.params[0], start['00.TimeEmbedding.W'])  # frozen through both phases
    grouped = GroupedOptimizer([(SGD(1.0), [1]), (SGD(0.0), [0, 2])])
    params, grads = [np.ones(2), np.ones(3), np.ones(1)], [np.ones(2), np.full(3, 0.5), np.ones(1)]
    grouped.update(params, grads)
    assert [p.tolist() for p in params] == [[1, 1], [0.5] * 3, [1]] and grouped.lr == 1.0
    with pytest.raises(ValueError, match='freeze_epochs needs make_optimizer'):
        fit_classifier(model, SGD(0.1), train, valid, max_epoch=2, freeze_epochs=1, verbose=False)

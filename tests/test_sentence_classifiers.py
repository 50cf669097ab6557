"""Sentence classifiers (LSTM, mean of word vectors), their pooling layers, transfer and training."""
import numpy as np
import pytest

from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.mean_vector_classifier import MeanVectorClassifier
from ch10_transfer.sentence_classifier import fit_classifier
from ch10_transfer.surprisal_classifier import SurprisalClassifier
from ch10_transfer.transfer import layer_keys, load_shared_params
from common.gradient_check import check_gradients
from common.optimizer import Adam
from common.sequence_pooling import MaskedMean, SelectTime, SmallestK, pad_sentences

V = 12


def batch(rng, lengths=(4, 2, 3)):
    sentences = [rng.integers(1, V, n) for n in lengths]
    ids, lengths = pad_sentences(sentences, pad_id=0)
    return ids, lengths, rng.integers(0, 2, len(sentences))


def rescale(model, rng, scale=0.5):
    """N(0, scale^2) weights, so gradients are far above finite-difference noise."""
    for p in model.params:
        p[...] = rng.normal(0, scale, p.shape)


def check_classifier(model, ids, lengths, labels):
    model.forward(ids, lengths, labels, train_flg=False)
    model.backward()
    grads = [g.copy() for g in model.grads]
    return check_gradients(lambda: model.forward(ids, lengths, labels, train_flg=False),
                           model.params, grads)


@pytest.mark.parametrize('num_layers', [1, 2])
def test_lstm_classifier_gradients(num_layers):
    rng = np.random.default_rng(num_layers)
    model = LstmClassifier(V, 4, 3, num_layers, dropout_ratio=0.3, rng=0, dtype=np.float64)
    rescale(model, rng)
    assert check_classifier(model, *batch(rng)) < 1e-6


def test_mean_vector_classifier_gradients_and_frozen_vectors():
    rng = np.random.default_rng(3)
    vectors = rng.normal(0, 1, (V, 4))
    model = MeanVectorClassifier(vectors, train_vectors=True, rng=0)
    assert check_classifier(model, *batch(rng)) < 1e-6
    frozen = MeanVectorClassifier(vectors, rng=0)
    assert [p.shape for p in frozen.params] == [(4, 2), (2,)]  # only the head learns


def test_padding_never_changes_the_scores():
    rng = np.random.default_rng(4)
    ids, lengths, _ = batch(rng)
    models = [LstmClassifier(V, 4, 3, 2, rng=0), MeanVectorClassifier(rng.normal(0, 1, (V, 4)), rng=0)]
    for model in models:
        scores = model.predict(ids, lengths)
        other = ids.copy()
        other[np.arange(ids.shape[1])[None, :] >= lengths[:, None]] = 7
        np.testing.assert_array_equal(model.predict(other, lengths), scores)
        alone = model.predict(ids[1:2, :lengths[1]], lengths[1:2])
        np.testing.assert_allclose(alone[0], scores[1], rtol=1e-5)


def test_pooling_layers_against_loops():
    rng = np.random.default_rng(5)
    hs, lengths = rng.normal(0, 1, (3, 4, 2)), np.array([4, 1, 2])
    select, mean = SelectTime(), MaskedMean()
    np.testing.assert_array_equal(select.forward(hs, lengths - 1), [hs[n, k - 1] for n, k in enumerate(lengths)])
    np.testing.assert_allclose(mean.forward(hs, lengths), [hs[n, :k].mean(axis=0) for n, k in enumerate(lengths)])
    dout = rng.normal(0, 1, (3, 2))
    dhs = mean.backward(dout)
    assert np.all(dhs[0] == dout[0] / 4) and np.all(dhs[1, 1:] == 0)
    with pytest.raises(ValueError, match=r'positions must lie in \[0, 4\)'):
        select.forward(hs, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match='lengths'):
        mean.forward(hs, np.array([0, 1, 1]))


def test_language_models_start_the_lstm_classifier(tmp_path):
    Rnnlm(V, 4, 3, rng=0).save_params(tmp_path / 'rnnlm.npz')
    BetterRnnlm(V, 3, 3, rng=0).save_params(tmp_path / 'better.npz')
    model = LstmClassifier(V, 4, 3, rng=1)
    copied = load_shared_params(model, tmp_path / 'rnnlm.npz')
    assert copied == ['00.TimeEmbedding.W', '02.TimeLSTM.Wx', '02.TimeLSTM.Wh', '02.TimeLSTM.b']
    lm = Rnnlm(V, 4, 3, rng=0)
    lm_by_key = dict(zip(layer_keys(lm.param_names), lm.params))
    for name, key, param in zip(model.param_names, layer_keys(model.param_names), model.params):
        if name in copied:
            np.testing.assert_array_equal(param, lm_by_key[key])
    two_layers = LstmClassifier(V, 3, 3, num_layers=2, rng=1)
    assert len(load_shared_params(two_layers, tmp_path / 'better.npz')) == 7
    wrong = LstmClassifier(V, 4, 5, rng=1)
    before = [p.copy() for p in wrong.params]
    with pytest.raises(ValueError, match=r"'02.TimeLSTM.Wx' has shape \(4, 12\) in the checkpoint, the model expects \(4, 20\)"):
        load_shared_params(wrong, tmp_path / 'rnnlm.npz')
    assert all(np.array_equal(a, b) for a, b in zip(before, wrong.params))  # untouched
    with pytest.raises(ValueError, match=r'it has 2 TimeLSTM layer\(s\), the model 1'):
        load_shared_params(LstmClassifier(V, 3, 3, rng=1), tmp_path / 'better.npz')
    with pytest.raises(ValueError, match='shares no array'):
        load_shared_params(MeanVectorClassifier(np.ones((V, 4)), rng=0), tmp_path / 'rnnlm.npz')
    with pytest.raises(FileNotFoundError):
        load_shared_params(model, tmp_path / 'missing.npz')


def order_task(rng, n):
    """Sentences of 5 ids in rising order (label 1) or with two of them swapped (label 0)."""
    sentences, labels = [], np.arange(n) % 2
    for label in labels:
        sentence = np.sort(rng.choice(np.arange(1, V), 5, replace=False))
        if not label:
            i, j = rng.choice(5, 2, replace=False)
            sentence[[i, j]] = sentence[[j, i]]
        sentences.append(sentence)
    return sentences, labels


def test_short_fine_tuning_beats_chance_and_cbow_cannot():
    rng = np.random.default_rng(6)
    train, valid, test = order_task(rng, 200), order_task(rng, 100), order_task(rng, 200)
    lstm = LstmClassifier(V, 8, 16, rng=0)
    history = fit_classifier(lstm, Adam(0.02), train, valid, max_epoch=15, batch_size=20, rng=0,
                             verbose=False)
    assert lstm.accuracy(*test) > 0.8
    assert lstm.accuracy(*valid) == max(history['valid'])  # the best epoch was restored
    cbow = MeanVectorClassifier(rng.normal(0, 1, (V, 8)), rng=0)
    fit_classifier(cbow, Adam(0.02), train, valid, max_epoch=5, batch_size=20, rng=0, verbose=False)
    assert 0.35 < cbow.accuracy(*test) < 0.65


def test_head_only_training_moves_the_head_and_nothing_else():
    rng = np.random.default_rng(7)
    train, valid = order_task(rng, 100), order_task(rng, 50)
    lstm = LstmClassifier(V, 8, 16, rng=0)
    encoder_before = [p.copy() for p in lstm.params[:-2]]
    head_before = [p.copy() for p in lstm.head.params]
    fit_classifier(lstm, Adam(0.02), train, valid, max_epoch=3, batch_size=20, rng=0, verbose=False,
                   head_only=True)
    assert all(np.array_equal(a, b) for a, b in zip(encoder_before, lstm.params[:-2]))
    assert not any(np.array_equal(a, b) for a, b in zip(head_before, lstm.head.params))


def test_bad_batches_give_clear_errors():
    model = LstmClassifier(V, 4, 3, rng=0)
    with pytest.raises(ValueError, match='sentence 1 is empty'):
        model.batch([np.array([1, 2]), np.array([], dtype=int)])
    with pytest.raises(ValueError, match='out of range'):
        model.predict(*model.batch([np.array([1, V])]))
    with pytest.raises(ValueError, match='3 sentences but 2 labels'):
        model.accuracy([np.array([1])] * 3, np.array([0, 1]))


def test_pad_sentences_puts_first_and_last_ids_and_cuts_long_rows():
    ids, lengths = pad_sentences([np.array([5, 6, 7]), np.array([8])], pad_id=0, first_ids=[1], last_ids=[2])
    np.testing.assert_array_equal(ids, [[1, 5, 6, 7, 2], [1, 8, 2, 0, 0]])
    np.testing.assert_array_equal(lengths, [5, 3])
    ids, lengths = pad_sentences([np.array([5, 6, 7])], pad_id=0, first_ids=[1], last_ids=[2], max_length=4)
    np.testing.assert_array_equal(ids, [[1, 5, 6, 2]])
    with pytest.raises(ValueError, match='no room'):
        pad_sentences([np.array([5])], pad_id=0, first_ids=[1], last_ids=[2], max_length=2)


def test_gpt_classifier_gradients_and_loading_a_gpt_checkpoint(tmp_path):
    from ch09_transformer.gpt import GPT
    from ch10_transfer.gpt_classifier import GptClassifier
    sizes = dict(context_size=6, d_model=8, num_heads=2, num_layers=1, d_ff=12)
    rng = np.random.default_rng(8)
    model = GptClassifier(V, **sizes, dropout_ratio=0.0, rng=0, dtype=np.float64)
    rescale(model, rng, 0.3)
    ids, lengths, labels = batch(rng)
    model.forward(ids, lengths, labels, train_flg=False)
    model.backward()
    checked = [(p, g.copy()) for n, p, g in zip(model.param_names, model.params, model.grads)
               if not n.endswith('attn.bk')]  # the key bias has a zero gradient (softmax shift)
    assert check_gradients(lambda: model.forward(ids, lengths, labels, train_flg=False),
                           [p for p, _ in checked], [g for _, g in checked]) < 1e-6

    gpt = GPT(V, **sizes, rng=3)
    gpt.save_params(tmp_path / 'gpt.npz')
    classifier = GptClassifier(V, **sizes, rng=4)
    copied = load_shared_params(classifier, tmp_path / 'gpt.npz')
    assert copied == classifier.param_names[:-2]  # every array but the new head
    gpt_by_name = dict(zip(gpt.param_names, gpt.params))
    for name in copied:
        np.testing.assert_array_equal(classifier.params[classifier.param_names.index(name)], gpt_by_name[name])
    with pytest.raises(ValueError, match=r"'02.TransformerBlock.ffn.W1' has shape \(8, 12\) in the "
                                         r"checkpoint, the model expects \(8, 16\)"):
        load_shared_params(GptClassifier(V, **{**sizes, 'd_ff': 16}, rng=4), tmp_path / 'gpt.npz')


def test_smallest_k_reads_only_the_real_steps():
    xs = np.array([[3.0, -1.0, 2.0, -9.0], [5.0, 4.0, -2.0, 0.5]])
    pool = SmallestK(2)
    out = pool.forward(xs, np.array([3, 4]))  # row 0: the -9.0 is padding
    np.testing.assert_array_equal(out, [[-1.0, 2.0], [-2.0, 0.5]])
    np.testing.assert_array_equal(pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]])),
                                  [[0, 10, 20, 0], [0, 0, 30, 40]])
    with pytest.raises(ValueError, match='at least 3 steps, got one of 2'):
        SmallestK(3).forward(xs, np.array([2, 4]))


def surprisal_model(rng, dtype=np.float64):
    unigram = np.log(rng.dirichlet(np.ones(V)))
    return SurprisalClassifier(unigram, eos_id=0, wordvec_size=4, hidden_size=3, k=2, rng=0, dtype=dtype)


def test_surprisal_classifier_gradients():
    rng = np.random.default_rng(8)
    model = surprisal_model(rng)
    rescale(model, rng)
    sentences = [rng.integers(1, V, n) for n in (4, 2, 3)]
    model.fit_feature_scale(sentences)
    assert not np.allclose(model.feature_scale, 1)
    ids, lengths = model.batch(sentences)
    assert check_classifier(model, ids, lengths, np.array([1, 0, 1])) < 1e-6


def test_surprisal_features_follow_the_equation_from_an_rnnlm(tmp_path):
    rng = np.random.default_rng(9)
    rnnlm = Rnnlm(V, 4, 3, rng=1, dtype=np.float64)
    rescale(rnnlm, rng)
    rnnlm.save_params(tmp_path / 'rnnlm.npz')
    model = surprisal_model(rng)
    assert len(load_shared_params(model, tmp_path / 'rnnlm.npz')) == 6  # all but the head
    sentences = [rng.integers(1, V, n) for n in (5, 3)]
    features = model.features(*model.batch(sentences))
    for sentence, row in zip(sentences, features):
        ids = np.concatenate([[0], sentence, [0]])
        rnnlm.reset_state()
        scores = rnnlm.predict(ids[None, :-1])[0]                       # (L + 1, V)
        lp = scores[np.arange(len(ids) - 1), ids[1:]] - np.log(np.exp(scores).sum(axis=1))
        surprise = lp - model.unigram_log_probs[ids[1:]]
        np.testing.assert_allclose(row, [surprise.mean(), *np.sort(surprise)[:2]], rtol=1e-10)

"""BertEncoder with its masked-LM head, the masking rule, padding, BertClassifier, pretrain_bert."""
import os

import numpy as np
import pytest

from ch09_transformer import pretrain_bert
from ch09_transformer.bert import IGNORE, BertEncoder, mask_tokens, special_ids
from ch10_transfer.bert_classifier import BertClassifier
from ch10_transfer.transfer import load_shared_params
from common.gradient_check import check_gradients

needs_ptb = pytest.mark.skipif(not os.environ.get('DLFS_DATA_DIR'),
                               reason='DLFS_DATA_DIR is not set: the PTB files are needed')
V = 9
SIZES = dict(context_size=8, d_model=8, num_heads=2, num_layers=2, d_ff=12, dropout_ratio=0.0)


def tiny_batch():
    """Two rows: [CLS] 3 words [SEP] [PAD] [PAD] and [CLS] 5 words [SEP]."""
    s = special_ids(V)
    xs = np.array([[s['[CLS]'], 1, 2, 3, s['[SEP]'], s['[PAD]'], s['[PAD]']],
                   [s['[CLS]'], 4, 5, s['[MASK]'], 7, 8, s['[SEP]']]])
    ts = np.full(xs.shape, IGNORE)
    ts[0, 2], ts[1, 3], ts[1, 5] = 6, 0, 8
    return xs, ts


def rescale(model, rng, scale=0.3):
    for p in model.params:
        p[...] = rng.normal(0, scale, p.shape)


def gradient_error(model, loss):
    """Max relative error of model.grads (after loss(); backward()) against numerical gradients.

    The key bias bk has a zero gradient (softmax is blind to adding q.bk to every score of a
    query): it is checked to be zero instead of by relative error.
    """
    loss()
    model.backward()
    checked = [(p, g.copy()) for n, p, g in zip(model.param_names, model.params, model.grads)
               if not n.endswith('attn.bk')]
    assert all(np.abs(g).max() < 1e-12 for n, g in zip(model.param_names, model.grads) if n.endswith('attn.bk'))
    return check_gradients(loss, [p for p, _ in checked], [g for _, g in checked])


def test_bert_encoder_and_mlm_head_gradients():
    model = BertEncoder(V, **SIZES, rng=0, dtype=np.float64)
    rescale(model, np.random.default_rng(1))
    xs, ts = tiny_batch()
    assert gradient_error(model, lambda: model.forward(xs, ts, train_flg=False)) < 1e-6
    assert model.params[0].shape == (V + 4, 8)  # [CLS] [SEP] [MASK] [PAD] after the V words
    assert sum(p is model.params[0] for p in model.params) == 1  # the output is tied, listed once


def test_bert_classifier_gradients_and_pretrained_start(tmp_path):
    rng = np.random.default_rng(2)
    model = BertClassifier(V, **SIZES, rng=0, dtype=np.float64)
    rescale(model, rng)
    ids, lengths = model.batch([np.array([1, 2, 3]), np.array([4, 5, 6, 7, 8])])
    assert ids[0, 0] == V and ids[0, 4] == V + 1 and ids[0, 5] == V + 3  # [CLS] .. [SEP] [PAD]
    labels = np.array([1, 0])
    assert gradient_error(model, lambda: model.forward(ids, lengths, labels, train_flg=False)) < 1e-6

    encoder = BertEncoder(V, **SIZES, rng=3)
    encoder.save_params(tmp_path / 'bert.npz')
    classifier = BertClassifier(V, **SIZES, rng=4)
    copied = load_shared_params(classifier, tmp_path / 'bert.npz')
    assert len(copied) == len(classifier.params) - 2  # all but the new head
    for name in copied:
        k = classifier.param_names.index(name)
        np.testing.assert_array_equal(classifier.params[k], encoder.params[encoder.param_names.index(name)])
    with pytest.raises(ValueError, match=r"'01.PositionEmbedding.W' has shape \(8, 8\) in the checkpoint, "
                                         r"the model expects \(10, 8\)"):
        load_shared_params(BertClassifier(V, **{**SIZES, 'context_size': 10}, rng=4), tmp_path / 'bert.npz')


def test_padding_is_never_attended_and_never_in_the_loss():
    model = BertEncoder(V, **SIZES, rng=5)
    rescale(model, np.random.default_rng(6))
    xs, ts = tiny_batch()
    H = model.encode(xs)
    for block in model.body.blocks:
        assert np.all(block.self_attention.attention_weights[0, :, :, 5:] == 0)
    wider = np.concatenate([xs, np.full((2, 1), V + 3)], axis=1)  # one more [PAD] column
    np.testing.assert_allclose(model.encode(wider)[0, :5], H[0, :5], rtol=1e-5, atol=1e-6)
    bad = ts.copy()
    bad[0, 6] = 4
    with pytest.raises(ValueError, match=r'\[PAD\] position has a target'):
        model.forward(xs, bad)
    with pytest.raises(ValueError, match='no position has a target'):
        model.forward(xs, np.full(xs.shape, IGNORE))
    with pytest.raises(ValueError, match='context_size = 8'):
        model.encode(np.zeros((1, 9), dtype=int))
    with pytest.raises(ValueError, match='out of range'):
        model.encode(np.array([[V + 4]]))


def test_masking_rule_frequencies():
    vocab, rng = 10000, np.random.default_rng(7)
    xs = rng.integers(0, vocab, (400, 60))
    maskable = np.ones(xs.shape, dtype=bool)
    maskable[:, :2] = False
    inputs, targets = mask_tokens(xs, maskable, vocab, rng)
    chosen = targets != IGNORE
    n = chosen.sum()  # about 0.15 * 400 * 58 = 3480: binomial sd about 21
    assert abs(n / maskable.sum() - 0.15) < 0.006
    assert not chosen[:, :2].any() and np.all(inputs[~chosen] == xs[~chosen])
    np.testing.assert_array_equal(targets[chosen], xs[chosen])
    as_mask = (inputs[chosen] == vocab + 2).mean()
    kept = (inputs[chosen] == xs[chosen]).mean()
    randomised = 1 - as_mask - kept
    assert abs(as_mask - 0.8) < 0.03 and abs(kept - 0.1) < 0.02 and abs(randomised - 0.1) < 0.02
    assert inputs[chosen].max() < vocab + 3  # never [PAD], [CLS] or [SEP]


@needs_ptb
def test_pretraining_learns_and_resumes_exactly(tmp_path, capsys, monkeypatch):
    tiny = ['--max-sentences', '200', '--eval-sentences', '50', '--batch-size', '20', '--d-model', '16',
            '--num-heads', '2', '--num-layers', '1', '--d-ff', '32', '--context-size', '90',
            '--warmup', '5', '--lr', '0.01', '--eval-interval', '10', '--quiet']
    straight = pretrain_bert.main(tiny + ['--epochs', '2'])
    assert straight['steps'] == [10, 20]
    assert straight['train_loss'][-1] < straight['train_loss'][0] < np.log(10004)
    path = str(tmp_path / 'bert.npz')
    pretrain_bert.main(tiny + ['--epochs', '2', '--save', path, '--max-steps', '10'])
    resumed = pretrain_bert.main(tiny + ['--epochs', '2', '--load', path, '--save', path])
    assert resumed['valid_accuracy'] == straight['valid_accuracy']
    assert resumed['valid_ppl'] == straight['valid_ppl']
    with pytest.raises(SystemExit, match='another learning-rate schedule .*total_steps saved 20, now 30'):
        pretrain_bert.main(tiny + ['--epochs', '3', '--load', path])

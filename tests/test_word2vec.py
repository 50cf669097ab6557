"""word2vec models of chapters 3 and 4: values against independent formulas, float64 gradient
checks, the fast mode (segments, row-sparse embeddings and optimizers) against the dense
computation, a short PTB run, and the errors of the word-vector utilities."""
import numpy as np
import pytest

from ch03_word2vec.simple_cbow import SimpleCBOW
from ch03_word2vec.simple_skip_gram import SimpleSkipGram
from ch04_fast_w2v.cbow import CBOW
from ch04_fast_w2v.fast.row_sparse_embedding import RowSparseEmbedding, sum_rows_by_id
from ch04_fast_w2v.fast.segment_cbow import (SegmentCBOW, banded_blocks, banded_product,
                                             window_mean_matrix)
from ch04_fast_w2v.fast.segment_model import context_weights, segment_windows
from ch04_fast_w2v.fast.sparse_optimizer import LazyAdam, RowMeanSGD, RowSparseSGD, SparseGradAdam
from ch04_fast_w2v.skip_gram import SkipGram
from ch04_fast_w2v.eval import answer_rank
from ch04_fast_w2v.word_vectors import load_vectors, save_vectors
from common.gradient_check import check_gradients
from common.optimizer import SGD, Adam
from common.layers import Embedding
from common.util import analogy, convert_one_hot, create_contexts_target, most_similar, preprocess
from test_negative_sampling import FixedSampler, minus_log_sigmoid

TEXT = 'You say goodbye and I say hello.'


def log_softmax(s):
    s = s - s.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def toy_data(window_size):
    corpus, word_to_id, _ = preprocess(TEXT)
    contexts, target = create_contexts_target(corpus, window_size)
    return contexts, target, len(word_to_id)


def model_gradient_error(model, x, t):
    model.forward(x, t)
    model.backward()
    grads = [g.copy() for g in model.grads]
    return check_gradients(lambda: model.forward(x, t), model.params, grads)


@pytest.mark.parametrize('window_size', [1, 2])
def test_simple_cbow_loss_and_gradients(window_size):
    contexts, target, vocab_size = toy_data(window_size)
    model = SimpleCBOW(vocab_size, 5, rng=0, dtype=np.float64)
    model.params[0][...] = np.random.default_rng(1).standard_normal(model.params[0].shape)
    x, t = convert_one_hot(contexts, vocab_size).astype(float), convert_one_hot(target, vocab_size)
    W_in, W_out = model.params
    h = W_in[contexts].mean(axis=1)
    expected = -log_softmax(h @ W_out)[np.arange(len(target)), target].mean()
    assert model.forward(x, t) == pytest.approx(expected, rel=1e-12)
    assert model_gradient_error(model, x, t) < 1e-6


@pytest.mark.parametrize('window_size', [1, 2])
def test_simple_skip_gram_loss_and_gradients(window_size):
    contexts, target, vocab_size = toy_data(window_size)
    model = SimpleSkipGram(vocab_size, 5, rng=0, dtype=np.float64)
    model.params[0][...] = np.random.default_rng(1).standard_normal(model.params[0].shape)
    x, t = convert_one_hot(contexts, vocab_size), convert_one_hot(target, vocab_size).astype(float)
    W_in, W_out = model.params
    log_p = log_softmax(W_in[target] @ W_out)
    expected = sum(-log_p[np.arange(len(target)), contexts[:, j]].mean()
                   for j in range(contexts.shape[1]))
    assert model.forward(x, t) == pytest.approx(expected, rel=1e-12)
    assert model_gradient_error(model, x, t) < 1e-6


def small_corpus_model(cls, rng, vocab_size=12, hidden=4, window_size=2, n=5):
    corpus = rng.integers(0, vocab_size, 300)
    model = cls(vocab_size, hidden, window_size, corpus, rng=rng, dtype=np.float64)
    for p in model.params:  # larger weights than the 0.01 initialisation: gradients far from 0
        p[...] = rng.standard_normal(p.shape) * 0.5
    contexts, target = create_contexts_target(corpus, window_size)
    return model, contexts[:n], target[:n]


def fix_negatives(model, rng, positive, vocab_size=12, sample_size=5):
    """Replace the sampler by fixed negatives that never equal the positive ids (N,)."""
    negative = (positive[:, None] + rng.integers(1, vocab_size, (len(positive), sample_size))) % vocab_size
    model.ns_loss.sampler = FixedSampler(negative)
    return negative


def test_cbow_loss_and_gradients():
    rng = np.random.default_rng(2)
    model, contexts, target = small_corpus_model(CBOW, rng)
    negative = fix_negatives(model, rng, target)
    W_in, W_out = model.params
    h = W_in[contexts].mean(axis=1)
    expected = (minus_log_sigmoid((h * W_out[target]).sum(1))
                + minus_log_sigmoid(-np.einsum('nd,nsd->ns', h, W_out[negative])).sum(1)).mean()
    assert model.forward(contexts, target) == pytest.approx(expected, rel=1e-12)
    assert model_gradient_error(model, contexts, target) < 1e-6


def test_skip_gram_loss_and_gradients():
    rng = np.random.default_rng(3)
    model, contexts, target = small_corpus_model(SkipGram, rng)
    negative = fix_negatives(model, rng, contexts.reshape(-1)).reshape(*contexts.shape, -1)
    W_in, W_out = model.params
    h = W_in[target]
    expected = sum((minus_log_sigmoid((h * W_out[contexts[:, j]]).sum(1))
                    + minus_log_sigmoid(-np.einsum('nd,nsd->ns', h, W_out[negative[:, j]])).sum(1)).mean()
                   for j in range(contexts.shape[1]))
    assert model.forward(contexts, target) == pytest.approx(expected, rel=1e-12)
    assert model_gradient_error(model, contexts, target) < 1e-6


def test_models_reject_wrong_context_shapes():
    rng = np.random.default_rng(4)
    model, contexts, target = small_corpus_model(CBOW, rng)
    with pytest.raises(ValueError, match='CBOW contexts must have shape \\(N, 4\\)'):
        model.forward(contexts[:, 0], target)
    with pytest.raises(ValueError, match='out of range: ids must lie in \\[0, 12\\)'):
        model.forward(contexts + 12, target)


# ---- the fast mode: segments of consecutive targets, shared negatives, row-sparse optimizers

def test_segment_windows_hold_every_pair_of_create_contexts_target():
    corpus = np.arange(100) * 7 % 31
    contexts, target = create_contexts_target(corpus, 3)
    windows, targets = segment_windows(corpus, 3, 8)
    assert windows.shape == (11, 14) and targets.shape == (11, 8)  # (100 - 6) // 8 = 11 segments
    band = window_mean_matrix(8, 3, np.float64) * 6
    for s in range(11):
        for i in range(8):
            pair = s * 8 + i
            assert targets[s, i] == target[pair]
            np.testing.assert_array_equal(np.sort(windows[s][band[i] == 1]), np.sort(contexts[pair]))
    with pytest.raises(ValueError, match='a segment needs 14'):
        segment_windows(corpus[:13], 3, 8)


def test_shrinking_window_means_weigh_contexts_by_the_chance_the_window_reaches_them():
    """word2vec draws b from 1..w for every target: a context at distance d is used if d <= b."""
    length, window_size = 5, 3
    reached = np.zeros((length, length + 2 * window_size))
    for b in range(1, window_size + 1):
        offset = window_size - b  # the window of size b, inside the one of size w
        reached[:, offset:offset + length + 2 * b] += window_mean_matrix(length, b, np.float64) > 0
    np.testing.assert_allclose(context_weights(length, window_size, True, np.float64),
                               reached / window_size, rtol=1e-12)
    weights = window_mean_matrix(length, window_size, np.float64, shrink_window=True)
    np.testing.assert_allclose(weights, reached / reached.sum(axis=1, keepdims=True), rtol=1e-12)
    corpus = np.arange(40) % 9
    model = SegmentCBOW(9, 4, window_size, corpus, rng=0, dtype=np.float64, shrink_window=True)
    windows, targets = segment_windows(corpus, window_size, length)
    model.forward(windows, targets)
    np.testing.assert_array_equal(model.band, weights)  # the model's h uses these weights


@pytest.mark.parametrize('rows_per_block', [1, 3, 8, 100])
def test_banded_products_equal_the_whole_band_matrix_both_ways(rows_per_block):
    rng = np.random.default_rng(13)
    band = window_mean_matrix(11, 2, np.float64, shrink_window=True)  # (11, 15)
    X = rng.standard_normal((15, 3, 4))  # position-major rows of 3 segments
    dh = rng.standard_normal((11, 3, 4))
    h = banded_product(banded_blocks(band, rows_per_block), X, out=np.empty((11, 3, 4)))
    np.testing.assert_allclose(h, np.einsum('ij,jsd->isd', band, X), rtol=1e-12)
    dX = banded_product(banded_blocks(band.T, rows_per_block), dh, out=np.empty((15, 3, 4)))
    np.testing.assert_allclose(dX, np.einsum('ji,jsd->isd', band, dh), rtol=1e-12)
    blocks = banded_blocks(band, rows_per_block)  # every nonzero of the band lies in a block
    assert sum(np.count_nonzero(block) for *_, block in blocks) == np.count_nonzero(band)


def segment_model_and_pairs(rng, segments=3, length=4, shared=5):
    vocab_size, window_size = 12, 2
    corpus = rng.integers(0, vocab_size, 200)
    model = SegmentCBOW(vocab_size, 4, window_size, corpus, rng=rng, dtype=np.float64,
                        shared_negatives=shared)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    windows, targets = segment_windows(corpus, window_size, length)
    return model, corpus, windows[:segments], targets[:segments]


def test_segment_cbow_equals_cbow_with_the_same_negatives():
    """The band-matrix formulation gives CBOW's loss and dense gradients, pair by pair."""
    rng = np.random.default_rng(5)
    model, corpus, windows, targets = segment_model_and_pairs(rng)
    shared = rng.integers(0, 12, (4, 5))  # the negatives of each target position (group)
    while (shared[None, :, :] == targets[:, :, None]).any():  # negatives must differ from targets
        shared = rng.integers(0, 12, (4, 5))
    model.ns_loss.sampler.draw = lambda size: shared
    loss = model.forward(windows, targets)
    model.backward()

    cbow = CBOW(12, 4, 2, corpus, dtype=np.float64)
    for p, q in zip(cbow.params, model.params):
        p[...] = q
    band = window_mean_matrix(4, 2, np.float64) > 0
    contexts = np.array([windows[s][band[i]] for s in range(3) for i in range(4)])
    cbow.ns_loss.sampler = FixedSampler(np.tile(shared, (3, 1)))  # pair s * 4 + i: shared[i]
    assert cbow.forward(contexts, targets.reshape(-1)) == pytest.approx(loss, rel=1e-12)
    cbow.backward()
    for g_segment, g_pairs in zip(model.grads, cbow.grads):
        np.testing.assert_allclose(g_segment, g_pairs, rtol=1e-10, atol=1e-14)


def test_segment_cbow_gradients_with_shared_negatives_that_hit_targets():
    rng = np.random.default_rng(6)
    model, _, windows, targets = segment_model_and_pairs(rng, shared=8)
    shared = np.concatenate([targets.T[:, :2], rng.integers(0, 12, (4, 6))], axis=1)  # (L, K = 8)
    model.ns_loss.sampler.draw = lambda size: shared
    assert model_gradient_error(model, windows, targets) < 1e-6


def test_segment_cbow_rejects_mismatched_targets():
    model, _, windows, targets = segment_model_and_pairs(np.random.default_rng(7))
    with pytest.raises(ValueError, match='target must have shape \\(S, L\\) = \\(3, 4\\)'):
        model.forward(windows, targets[:, :3])


@pytest.mark.parametrize('high', [30, 2 ** 16 + 30])  # ids sorted as 16-bit keys, or not
@pytest.mark.parametrize('layers', [1, 2, 4, 1000])  # 1000: no id reaches the reduceat
def test_sum_rows_by_id_matches_a_loop(layers, high):
    rng = np.random.default_rng(1234)
    ids = high - 30 + rng.integers(0, 30, size=(50, 3))  # about 5 rows per id, some 1, some over 10
    rows = rng.standard_normal((50, 3, 4))
    unique_ids, sums, counts = sum_rows_by_id(ids, rows, layers=layers)
    np.testing.assert_array_equal(unique_ids, np.unique(ids))
    for uid, total, count in zip(unique_ids, sums, counts):
        np.testing.assert_allclose(total, rows[ids == uid].sum(axis=0), rtol=1e-12)
        assert count == np.count_nonzero(ids == uid)


def test_row_sparse_embedding_gives_embeddings_gradient_and_reports_its_rows():
    """Step after step, its dW equals the book's Embedding's (rows of an earlier step cleared),
    and it says which rows it wrote, how often each id occurred and how many rows it gathered."""
    rng = np.random.default_rng(14)
    W = rng.standard_normal((12, 3))
    sparse, dense = RowSparseEmbedding(W), Embedding(W)
    for idx in (np.array([[4, 1, 4], [9, 4, 0]]), np.array([7, 7]), np.array([[1], [11]])):
        dout = rng.standard_normal(idx.shape + (3,))
        np.testing.assert_array_equal(sparse.forward(idx), dense.forward(idx))
        sparse.backward(dout)
        dense.backward(dout)
        np.testing.assert_allclose(sparse.grads[0], dense.grads[0], rtol=1e-13, atol=1e-15)
        rows, counts = np.unique(idx, return_counts=True)
        np.testing.assert_array_equal(sparse.touched_rows, rows)
        np.testing.assert_array_equal(sparse.row_counts, counts)
        assert sparse.rows_gathered == idx.size


class Table:
    """A RowSparseEmbedding-like holder: one table and the rows its last backward touched."""

    def __init__(self, W):
        self.params = [W]
        self.touched_rows = None


def sparse_gradient_steps(rng, steps, vocab_size=40, dim=3, tables=2):
    """Random row-sparse gradients: a list per step of (rows, dense gradient) per table."""
    for _ in range(steps):
        step = []
        for _ in range(tables):
            rows = np.unique(rng.integers(0, vocab_size, 6))
            grad = np.zeros((vocab_size, dim))
            grad[rows] = rng.standard_normal((len(rows), dim))
            step.append((rows, grad))
        yield step


@pytest.mark.parametrize('dense, sparse, steps', [
    (lambda: SGD(lr=0.1), lambda layers: RowSparseSGD(layers, lr=0.1), 20),
    (lambda: Adam(lr=0.01), lambda layers: SparseGradAdam(layers, lr=0.01), 400),
    (lambda: Adam(lr=0.01, beta2=0.95), lambda layers: SparseGradAdam(layers, lr=0.01, beta2=0.95), 400),
])
def test_row_sparse_updates_equal_the_dense_ones(dense, sparse, steps):
    """400 steps take SparseGradAdam through several refolds of its scales (a < 1e-10)."""
    rng = np.random.default_rng(8)
    dense_params = [rng.standard_normal((40, 3)) for _ in range(2)]
    sparse_params = [p.copy() for p in dense_params]
    layers = [Table(p) for p in sparse_params]
    dense_optimizer, sparse_optimizer = dense(), sparse(layers)
    for step in sparse_gradient_steps(rng, steps):
        grads = [grad for _, grad in step]
        for layer, (rows, _) in zip(layers, step):
            layer.touched_rows = rows
        dense_optimizer.update(dense_params, grads)
        sparse_optimizer.update(sparse_params, grads)
    for p, q in zip(dense_params, sparse_params):
        np.testing.assert_allclose(q, p, rtol=1e-10, atol=1e-12)


def test_lazy_adam_is_adam_on_the_touched_rows_only():
    rng = np.random.default_rng(9)
    W = rng.standard_normal((40, 3))
    start = W.copy()
    layer = Table(W)
    lazy = LazyAdam([layer], lr=0.01)
    rows = np.array([2, 5, 11])
    reference = W[rows].copy()  # dense Adam on just those rows, which are touched every step
    adam = Adam(lr=0.01)
    for _ in range(30):
        grad = np.zeros_like(W)
        grad[rows] = rng.standard_normal((3, 3))
        layer.touched_rows = rows
        lazy.update([W], [grad])
        adam.update([reference], [grad[rows]])
    np.testing.assert_allclose(W[rows], reference, rtol=1e-12)
    others = np.setdiff1d(np.arange(40), rows)
    np.testing.assert_array_equal(W[others], start[others])


def test_row_mean_sgd_moves_each_row_by_the_mean_gradient_of_its_uses():
    rng = np.random.default_rng(11)
    W = rng.standard_normal((10, 3))
    layer = RowSparseEmbedding(W)
    optimizer = RowMeanSGD([layer], lr=0.1, lr_scales=(2,), decay_steps=4)
    for step, ids in enumerate([np.array([1, 4, 4, 4, 7, 1]), np.array([[0, 4], [9, 0]])]):
        before = W.copy()
        layer.forward(ids)
        dout = rng.standard_normal(ids.shape + (3,))
        layer.backward(dout)
        optimizer.update([W], layer.grads)
        rate = 0.1 * 2 * (1 - step / 4)  # lr * scale, decaying over 4 steps
        for row in range(10):
            uses = dout[ids == row]  # the per-use gradients of the row
            expected = before[row] - rate * uses.sum(axis=0) / (len(uses) / ids.size) if len(uses) \
                else before[row]  # share of the batch's uses: len(uses) / ids.size
            np.testing.assert_allclose(W[row], expected, rtol=1e-12)
    with pytest.raises(ValueError, match='one multiplier per table \\(1\\); got 2'):
        RowMeanSGD([layer], lr_scales=(1, 2))


def test_a_fast_cbow_step_equals_a_pair_by_pair_reference_in_float32():
    """SegmentCBOW + RowMeanSGD (float32) against CBOW's pair-by-pair gradients (float64) and a
    row-by-row loop of the update, with the same negatives."""
    rng = np.random.default_rng(12)
    vocab_size, window_size, length, segments = 12, 2, 4, 3
    corpus = rng.integers(0, vocab_size, 200)
    model = SegmentCBOW(vocab_size, 4, window_size, corpus, rng=rng, shared_negatives=5)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    windows, targets = (a[:segments] for a in segment_windows(corpus, window_size, length))
    shared = rng.integers(0, vocab_size, (length, 5))  # the negatives of each target position
    while (shared[None, :, :] == targets[:, :, None]).any():  # as CBOW's sampler: none a target
        shared = rng.integers(0, vocab_size, (length, 5))
    model.ns_loss.sampler.draw = lambda size: shared
    start = [p.astype(np.float64) for p in model.params]
    optimizer = RowMeanSGD(model.embeddings, lr=0.2, lr_scales=(3, 1))
    model.forward(windows, targets)
    model.backward()
    optimizer.update(model.params, model.grads)

    cbow = CBOW(vocab_size, 4, window_size, corpus, dtype=np.float64)
    for p, q in zip(cbow.params, start):
        p[...] = q
    band = window_mean_matrix(length, window_size, np.float64) > 0
    contexts = np.array([windows[s][band[i]] for s in range(segments) for i in range(length)])
    cbow.ns_loss.sampler = FixedSampler(np.tile(shared, (segments, 1)))  # pair s * L + i: shared[i]
    cbow.forward(contexts, targets.reshape(-1))
    cbow.backward()
    uses = [windows.reshape(-1), np.concatenate([targets.reshape(-1), shared.reshape(-1)])]
    for table, grad, used, scale, updated in zip(start, cbow.grads, uses, (3, 1), model.params):
        expected = table.copy()
        for row in np.unique(used):  # each row used c times of N moves by lr * scale * g / (c / N)
            share = np.count_nonzero(used == row) / used.size
            expected[row] -= 0.2 * scale * grad[row] / share
        np.testing.assert_allclose(updated, expected, rtol=2e-5, atol=1e-6)


def test_sparse_optimizer_errors_and_decay():
    W = np.zeros((4, 2))
    optimizer = RowSparseSGD([Table(W)], lr=1.0, decay_steps=4)
    with pytest.raises(ValueError, match='call backward\\(\\) before update'):
        optimizer.update([W], [W])
    with pytest.raises(ValueError, match='exactly those tables'):
        optimizer.update([W.copy()], [W])
    assert [optimizer.current_lr() for optimizer.iter in range(5)] == [1.0, 0.75, 0.5, 0.25, 1e-4]


# ---- PTB training (needs DLFS_DATA_DIR) and the word-vector utilities

@pytest.fixture
def ptb_corpus(needs_ptb):
    from dataset import ptb
    return ptb.load_data('train')


def test_short_cbow_run_on_ptb_lowers_the_loss(ptb_corpus):
    from common.trainer import Trainer
    corpus, word_to_id, _ = ptb_corpus
    corpus = corpus[:20_000]
    contexts, target = create_contexts_target(corpus, 5)
    model = CBOW(len(word_to_id), 100, 5, corpus, rng=0)
    trainer = Trainer(model, Adam(), rng=0, verbose=False)
    trainer.fit(contexts, target, max_epoch=1, batch_size=100, eval_interval=20)
    first, last = trainer.loss_list[0], np.mean(trainer.loss_list[-3:])
    assert first == pytest.approx(6 * np.log(2), abs=0.02)  # 6 binary losses at p = 1/2
    assert last < first - 1.0


def test_vectors_round_trip_and_unknown_words(tmp_path):
    words = {0: 'king', 1: 'man', 2: 'queen', 3: 'woman'}
    vecs = np.array([[1, 1, 0], [1, 0, 0], [0.9, 1, 0.2], [0.9, 0, 0.2]], dtype=np.float32)
    path = tmp_path / 'vectors.npz'
    save_vectors(path, vecs, words)
    loaded, word_to_id, id_to_word = load_vectors(path)
    np.testing.assert_array_equal(loaded, vecs)
    assert id_to_word == words and word_to_id['woman'] == 3
    assert analogy('king', 'man', 'queen', word_to_id, id_to_word, loaded, top=1,
                   verbose=False)[0][0] == 'woman'
    with pytest.raises(ValueError, match="'kingdom' is not in the vocabulary"):
        analogy('kingdom', 'man', 'queen', word_to_id, id_to_word, loaded, verbose=False)
    with pytest.raises(ValueError, match="'princess' is not in the vocabulary"):
        most_similar('princess', word_to_id, id_to_word, loaded, verbose=False)


def test_load_vectors_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='train first'):
        load_vectors(tmp_path / 'missing.npz')
    np.savez(tmp_path / 'other.npz', W=np.zeros(3))
    with pytest.raises(ValueError, match='not a word-vector file'):
        load_vectors(tmp_path / 'other.npz')


def test_answer_rank_follows_util_analogy_order():
    rng = np.random.default_rng(10)
    words = {i: f'w{i}' for i in range(50)}
    word_to_id = {w: i for i, w in words.items()}
    vecs = rng.standard_normal((50, 8))
    order = [w for w, _ in analogy('w1', 'w2', 'w3', word_to_id, words, vecs, top=50, verbose=False)]
    for answer in ('w0', 'w7', 'w49'):
        assert answer_rank('w1', 'w2', 'w3', answer, word_to_id, vecs) == order.index(answer) + 1
    with pytest.raises(ValueError, match="'w50' is not in the vocabulary"):
        answer_rank('w1', 'w2', 'w3', 'w50', word_to_id, vecs)

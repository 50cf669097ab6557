"""Optimizers: first steps against hand-computed values, in-place updates, convergence."""
import json

import numpy as np
import pytest

from common.optimizer import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

W0 = np.array([1.0, -2.0])
G = np.array([0.5, 0.25])


def two_steps(optimizer):
    """Apply the same gradient twice; return the parameter after each step."""
    param = W0.copy()
    same_array = param
    after = []
    for _ in range(2):
        optimizer.update([param], [G.copy()])
        after.append(param.copy())
    assert param is same_array  # updated in place
    return after


def test_sgd():
    first, second = two_steps(SGD(lr=0.1))
    np.testing.assert_allclose(first, [0.95, -2.025])
    np.testing.assert_allclose(second, [0.90, -2.05])


def test_momentum():
    # v1 = -lr g; W1 = W0 + v1;  v2 = 0.9 v1 - lr g = -1.9 lr g; W2 = W1 + v2
    first, second = two_steps(Momentum(lr=0.1, momentum=0.9))
    np.testing.assert_allclose(first, W0 - 0.1 * G)
    np.testing.assert_allclose(second, W0 - 0.1 * G - 0.19 * G)


def test_nesterov():
    # v1 = -lr g; W1 = W0 + 0.9 v1 - lr g = W0 - 1.9 lr g
    # v2 = 0.9 v1 - lr g = -1.9 lr g; W2 = W1 + 0.9 v2 - lr g = W1 - 2.71 lr g
    first, second = two_steps(Nesterov(lr=0.1, momentum=0.9))
    np.testing.assert_allclose(first, W0 - 0.19 * G)
    np.testing.assert_allclose(second, W0 - 0.19 * G - 0.271 * G)


def test_adagrad():
    # h1 = g^2 -> step lr g / |g| = lr sign(g); h2 = 2 g^2 -> step lr / sqrt(2)
    first, second = two_steps(AdaGrad(lr=0.1))
    np.testing.assert_allclose(first, W0 - 0.1, rtol=1e-6)
    np.testing.assert_allclose(second, W0 - 0.1 - 0.1 / np.sqrt(2), rtol=1e-6)


def test_rmsprop():
    # h1 = 0.01 g^2 -> step lr g / (0.1 |g|) = 10 lr;  h2 = (0.99 * 0.01 + 0.01) g^2
    first, second = two_steps(RMSprop(lr=0.01, decay_rate=0.99))
    np.testing.assert_allclose(first, W0 - 0.1, rtol=1e-5)
    np.testing.assert_allclose(second, W0 - 0.1 - 0.01 / np.sqrt(0.0199), rtol=1e-5)


def test_adam():
    # m1 = 0.1 g, v1 = 0.001 g^2, lr_1 = lr sqrt(0.001) / 0.1  -> step lr * sign(g)
    # m2 = 0.19 g, v2 = 0.001999 g^2, lr_2 = lr sqrt(1 - 0.999^2) / (1 - 0.81)
    first, second = two_steps(Adam(lr=0.001))
    np.testing.assert_allclose(first, W0 - 0.001, rtol=1e-6)
    step2 = 0.001 * np.sqrt(1 - 0.999 ** 2) / 0.19 * 0.19 / np.sqrt(0.001999)
    np.testing.assert_allclose(second, W0 - 0.001 - step2, rtol=1e-6)


@pytest.mark.parametrize('optimizer', [SGD(0.1), Momentum(0.05), Nesterov(0.05), AdaGrad(0.5),
                                       RMSprop(0.05), Adam(0.1)])
def test_minimises_a_quadratic_in_float32(optimizer):
    target = np.array([3.0, -1.0, 0.5], dtype=np.float32)
    param = np.zeros(3, dtype=np.float32)
    for _ in range(500):
        optimizer.update([param], [2 * (param - target)])
    assert param.dtype == np.float32
    np.testing.assert_allclose(param, target, atol=0.05)


def test_adamw_decays_matrices_only():
    # step 1: W <- W (1 - lr wd), then the Adam step lr sign(g);  b (a vector) gets no decay
    from common.optimizer import AdamW
    W, b = np.array([[1.0, -2.0]]), np.array([1.0, -2.0])
    optimizer = AdamW(lr=0.1, weight_decay=0.5)
    optimizer.update([W, b], [G.reshape(1, 2).copy(), G.copy()])
    np.testing.assert_allclose(W, [[1.0 * 0.95 - 0.1, -2.0 * 0.95 - 0.1]], rtol=1e-6)
    np.testing.assert_allclose(b, [1.0 - 0.1, -2.0 - 0.1], rtol=1e-6)
    # step 2: decay with the current lr (changed by a schedule), then Adam's second step
    optimizer.lr = 0.01
    W1 = W.copy()
    optimizer.update([W, b], [G.reshape(1, 2).copy(), G.copy()])
    step2 = 0.01 * np.sqrt(1 - 0.999 ** 2) / 0.19 * 0.19 / np.sqrt(0.001999)
    np.testing.assert_allclose(W, W1 * (1 - 0.01 * 0.5) - step2, rtol=1e-6)


def test_warmup_cosine_schedule():
    from common.optimizer import SGD, WarmupCosineSchedule
    schedule = WarmupCosineSchedule(peak_lr=1.0, warmup_steps=4, total_steps=14, min_lr=0.1)
    assert [schedule(s) for s in range(4)] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert schedule(8) == pytest.approx(0.1 + 0.9 * (1 + np.cos(np.pi * 0.5)) / 2)  # half way: 0.55
    assert schedule(13) == pytest.approx(0.1)  # the last step
    assert schedule(20) == pytest.approx(0.1)
    optimizer = SGD(lr=123)
    lrs = []
    for _ in range(14):
        schedule.step(optimizer)
        lrs.append(optimizer.lr)
    assert lrs == pytest.approx([schedule(s) for s in range(14)]) and schedule.steps_done == 14
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))
    with pytest.raises(ValueError, match='warmup_steps'):
        WarmupCosineSchedule(1.0, 10, 5)


def _optimizer_classes():
    """Every optimizer class of common.optimizer and ch04_fast_w2v.fast.sparse_optimizer (found, not
    listed)."""
    import inspect

    from ch04_fast_w2v.fast import sparse_optimizer
    from common import optimizer
    return sorted((cls for module in (optimizer, sparse_optimizer) for cls in vars(module).values()
                   if inspect.isclass(cls) and cls.__module__ == module.__name__
                   and hasattr(cls, 'update') and cls is not sparse_optimizer.RowSparseOptimizer),
                  key=lambda cls: cls.__name__)


class _Rows:
    """A RowSparseEmbedding-like holder for the row-sparse optimizers: a table, the rows a step
    touched, how often each was used and how many ids the step had."""

    def __init__(self, W):
        self.params = [W]
        self.touched_rows = self.row_counts = self.rows_gathered = None


@pytest.mark.parametrize('cls', _optimizer_classes(), ids=lambda cls: cls.__name__)
def test_a_saved_and_restored_optimizer_continues_exactly(cls):
    """What ``state_buffers`` and ``state_scalars`` name is all a resumed run needs: an optimizer
    rebuilt from them (``optimizer_state`` / ``load_optimizer_state``) takes the same next steps, bit for bit."""
    from common.optimizer import load_optimizer_state, optimizer_state
    rng = np.random.default_rng(3)
    start = [rng.standard_normal((30, 4)).astype(np.float32) for _ in range(2)]
    steps = []
    for _ in range(12):
        ids = [rng.integers(0, 30, 5) for _ in start]
        grads = [np.zeros_like(p) for p in start]
        for g, i in zip(grads, ids):
            g[i] = rng.standard_normal((len(i), 4))
        steps.append((ids, grads))

    def build(params):
        holders = [_Rows(p) for p in params]
        kwargs = {'decay_steps': 12} if hasattr(cls, 'update_rows') else {}
        optimizer = cls(holders, lr=0.05, **kwargs) if hasattr(cls, 'update_rows') else cls(lr=0.05)
        if hasattr(optimizer, 'refold_below'):
            optimizer.refold_below = 0.5  # fold its scales back within the run
        return optimizer, holders

    def run(optimizer, holders, params, some_steps):
        for ids, grads in some_steps:
            for holder, i in zip(holders, ids):
                holder.rows_gathered = i.size
                holder.touched_rows, holder.row_counts = np.unique(i, return_counts=True)
            optimizer.update(params, [g.copy() for g in grads])

    straight = [p.copy() for p in start]
    run(*build(straight), straight, steps)

    first = [p.copy() for p in start]
    optimizer, holders = build(first)
    run(optimizer, holders, first, steps[:7])
    state = optimizer_state(optimizer)
    state = {name: [b.copy() for b in value] if isinstance(value, list) else json.loads(json.dumps(value))
             for name, value in state.items()}  # arrays copied, numbers through JSON as in a file
    resumed = [p.copy() for p in first]  # a new process: new parameter arrays and optimizer
    optimizer, holders = build(resumed)
    load_optimizer_state(optimizer, state, resumed)
    run(optimizer, holders, resumed, steps[7:])
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a, b)

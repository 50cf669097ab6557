"""dataset.spiral: the book's three spiral arms, rebuilt point by point and compared."""
import math

import numpy as np

from dataset import spiral


def test_shapes_and_one_hot_rows():
    x, t = spiral.load_data()
    assert x.shape == (300, 2) and x.dtype == np.float64
    assert t.shape == (300, 3)
    assert set(np.unique(t)) == {0, 1}
    np.testing.assert_array_equal(t.sum(axis=1), np.ones(300))
    np.testing.assert_array_equal(t.argmax(axis=1), np.repeat([0, 1, 2], 100))


def test_points_follow_the_book_formula():
    """Loop version of the book: theta = 4j + 4i/N + 0.2 e, radius = i/N, with the same noise draws."""
    seed = 7
    x, _ = spiral.load_data(seed=seed)
    noise = np.random.default_rng(seed).standard_normal((3, 100))
    for j in range(3):
        for i in range(100):
            rate = i / 100
            theta = j * 4.0 + 4.0 * rate + noise[j, i] * 0.2
            expected = (rate * math.sin(theta), rate * math.cos(theta))
            np.testing.assert_allclose(x[100 * j + i], expected, rtol=0, atol=1e-15)


def test_deterministic_per_seed_and_seeds_differ():
    x1, t1 = spiral.load_data(seed=3)
    x2, t2 = spiral.load_data(seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(t1, t2)
    x3, _ = spiral.load_data(seed=4)
    assert np.abs(x1 - x3).max() > 0.01


def test_does_not_touch_the_global_rng():
    state = np.random.get_state()[1].copy()
    spiral.load_data(seed=1)
    np.testing.assert_array_equal(np.random.get_state()[1], state)

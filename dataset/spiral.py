"""Three-arm spiral, the book's toy classification data (chapter 1)."""
import numpy as np

POINTS_PER_CLASS = 100
NUM_CLASSES = 3


def load_data(seed=1984):
    """Spiral arms of 100 points for each of 3 classes, drawn from ``np.random.default_rng(seed)``.

    Point i of class j, with rate r = i / 100 and noise e ~ N(0, 1):
        theta = 4 j + 4 r + 0.2 e,    x = (r sin(theta), r cos(theta)),    t = one_hot(j).
    Returns x: (300, 2) float64 and t: (300, 3) int32 one-hot rows, class by class.
    """
    rng = np.random.default_rng(seed)
    rate = np.arange(POINTS_PER_CLASS) / POINTS_PER_CLASS                # (100,)
    label = np.arange(NUM_CLASSES)[:, None]                              # (3, 1)
    theta = 4.0 * label + 4.0 * rate + 0.2 * rng.standard_normal((NUM_CLASSES, POINTS_PER_CLASS))
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=-1).reshape(-1, 2)
    t = np.eye(NUM_CLASSES, dtype=np.int32)[np.repeat(np.arange(NUM_CLASSES), POINTS_PER_CLASS)]
    return x, t

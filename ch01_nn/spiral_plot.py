"""Figures of chapter 1: the spiral data, a loss curve, and a classifier's decision regions."""
import numpy as np

from common.backend import as_model_device, to_cpu
from common.plot import finish_figure, new_figure, plot_curves

MARKERS = ('o', 'x', '^')


def draw_spiral(ax, x, t):
    """Scatter the points x: (N, 2) with one marker per class of the one-hot labels t: (N, C)."""
    labels = t.argmax(axis=1)
    for label in range(t.shape[1]):
        points = x[labels == label]
        ax.scatter(points[:, 0], points[:, 1], s=40, marker=MARKERS[label % len(MARKERS)],
                   label=f'class {label}')
    ax.legend(loc='upper right')


def plot_spiral(x, t, path=None):
    """The spiral data alone; saved to ``path`` (PNG) or shown inline."""
    fig = new_figure(path, figsize=(5, 5))
    draw_spiral(fig.add_subplot(), x, t)
    finish_figure(fig, path)


def plot_loss(loss_list, iterations, path=None):
    """The mean training loss, each point at the iteration (counted over all epochs) where it was
    recorded."""
    plot_curves({'train': (iterations, loss_list)}, 'iterations', 'loss', path=path)


def plot_decision_boundary(model, x, t, path=None, resolution=300):
    """Colour the plane by the class ``model.predict`` picks, with the data points on top.

    The grid spans the data's range plus a margin of 0.1, ``resolution`` points per axis;
    points are cast to the model's dtype and copied to its device (host or GPU).
    """
    low, high = x.min(axis=0) - 0.1, x.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(model.params[0].dtype)
    regions = to_cpu(model.predict(as_model_device(model, grid))).argmax(axis=1).reshape(xx.shape)
    fig = new_figure(path, figsize=(5, 5))
    ax = fig.add_subplot()
    ax.contourf(xx, yy, regions, levels=np.arange(t.shape[1] + 1) - 0.5, alpha=0.3)
    draw_spiral(ax, x, t)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    finish_figure(fig, path)

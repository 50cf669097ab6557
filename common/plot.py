"""Figures that are saved to PNG by scripts and shown inline in Jupyter.

With a ``path`` the figure is built without pyplot (no GUI backend, safe on a headless machine,
never blocks) and written as one unit (a full disk never leaves half a PNG over a good one);
without one it is a pyplot figure shown with ``plt.show()`` (inline in Jupyter).
"""
import os

from common.temp_files import write_atomically


def new_figure(path=None, figsize=(6.4, 4.8)):
    """A matplotlib Figure: a bare one when it will be saved to ``path``, a pyplot one otherwise."""
    if path:
        from matplotlib.figure import Figure
        return Figure(figsize=figsize)
    import matplotlib.pyplot as plt
    return plt.figure(figsize=figsize)


def finish_figure(fig, path=None):
    """Save ``fig`` to ``path`` as PNG (and say so: 'wrote PATH'), or show it when no path is
    given (laid out tightly either way, so the labels of neighbouring panels do not overlap)."""
    fig.tight_layout()
    if path:
        image_format = os.path.splitext(path)[1][1:].lower() or 'png'
        write_atomically(path, lambda f: fig.savefig(f, format=image_format, dpi=100), '.plot.tmp')
        print(f'wrote {path}')
        return
    import matplotlib.pyplot as plt
    plt.show()


def plot_curves(curves, xlabel, ylabel, path=None, log_y=False, ylim=None, marker=None,
                legend=None, integer_x=False):
    """One line per entry of ``curves`` ({label: (xs, ys)}), saved to ``path`` or shown inline.

    legend: draw the labels (default: when there is more than one curve); integer_x: ticks only at
    whole numbers of the x-axis (epochs: one epoch is not drawn as 0.96 ... 1.04).
    """
    fig = new_figure(path)
    ax = fig.add_subplot()
    for label, (xs, ys) in curves.items():
        ax.plot(xs, ys, marker=marker, label=label)
    if log_y:
        ax.set_yscale('log')
    if ylim is not None:
        ax.set_ylim(*ylim)
    if integer_x:
        from matplotlib.ticker import MaxNLocator
        xs = [x for xs, _ in curves.values() for x in xs]
        if xs and max(xs) - min(xs) < 2:  # one or two points: a tick at each, half an epoch aside
            ax.set_xticks(range(int(min(xs)), int(max(xs)) + 1))
            ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) > 1 if legend is None else legend:
        ax.legend()
    finish_figure(fig, path)

"""The book's figure beside ours, at the end of a script that repeats one of the book's experiments.

Run with the book's settings (every flag at its default but the ones that do not change the result:
--seed, --save, --load, --plot, --quiet, --gpu, --eval-interval), the script prints the book's
figure beside its own; run with other settings (a quick run: fewer epochs or tokens), it says in one
line what such a run should expect instead, so a short run's figure is not mistaken for a failure.
"""
NEUTRAL_FLAGS = frozenset({'seed', 'save', 'load', 'plot', 'quiet', 'gpu', 'eval_interval',
                           'boundary_plot', 'beam_width'})


def at_book_settings(parser, args, varied=()):
    """Whether every flag of ``args`` that shapes the result has its default (the book's) value;
    ``varied``: flags that choose among the book's own experiments (--reverse, --peeky)."""
    ignored = NEUTRAL_FLAGS | set(varied) | {'help'}
    return all(getattr(args, action.dest) == action.default for action in parser._actions
               if action.option_strings and action.dest not in ignored)


def beside_the_book(parser, args, ours, book, shorter, varied=()):
    """Print 'book: BOOK | ours: OURS' at the book's settings, else 'with other settings than the
    book's: SHORTER'."""
    if at_book_settings(parser, args, varied):
        print(f'book: {book} | ours: {ours}')
    else:
        print(f"with other settings than the book's: {shorter}")

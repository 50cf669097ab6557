"""What the chapter scripts need and the book's listings do not: the run machinery.

- ``harness.flags``: the command-line flags every script shares, checked before any work, and
  the one-line errors of a script (``run_main``);
- ``harness.checkpoint``: ``Checkpoint``, the observer that saves a training run to one file after
  every epoch (and on Ctrl-C or SIGTERM) and resumes it exactly;
- ``harness.signals``: Ctrl-C and SIGTERM turned into a request to stop at the next step;
- ``harness.memory``: keep freed memory for reuse (a speed setting a script may ask for).

Only the scripts' ``main`` functions use this package; the layers, models, trainers and data
loaders a reader imports in Jupyter never do.
"""

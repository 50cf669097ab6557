"""The fast mode of chapter 4: the same word2vec, trained on text segments with shared negatives,
row-sparse gradients and updates, and optionally several worker processes.

- ``segment_model``: a corpus cut into segments of consecutive targets; SegmentModel, their base;
- ``segment_cbow``, ``segment_skip_gram``: SegmentCBOW and SegmentSkipGram;
- ``shared_negative_sampling``: negatives shared by a group of targets;
- ``sparse_optimizer``: optimizers that update only the rows a step touched;
- ``hogwild``: the steps of an epoch in several processes on shared tables.

``python -m ch04_fast_w2v.train_fast`` trains with them; the book's run is ``ch04_fast_w2v.train``.
"""

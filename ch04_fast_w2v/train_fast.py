"""Train CBOW (or skip-gram) on PTB in the fast mode: the book's model in well under a minute.

    python -m ch04_fast_w2v.train_fast
    python -m ch04_fast_w2v.train_fast --model skipgram --workers 2
    python -m ch04_fast_w2v.eval cbow_book_vectors.npz cbow_fast_vectors.npz

The book's run is ``python -m ch04_fast_w2v.train`` (batch 100, Adam).  Here the same model is
trained otherwise (the modules of ch04_fast_w2v.fast): a batch of 4096 targets is cut into text
segments of consecutive targets (SegmentCBOW: 16 segments of 256, window means as band-matrix
products, 3 negatives per target position shared by the 16 targets at that position, each
weighted 5/3; SegmentSkipGram: 64 segments of 64, every centre scored against its segment's
window in one product, 25 shared negatives weighted 5/25), contexts weighted by distance as
word2vec's shrinking windows weigh them in expectation (--full-window: all alike), and only the
rows a batch touches are updated, by RowMeanSGD, which moves each row by the mean of its uses'
gradients in the batch, at a rate that decays linearly to 1e-4 of --lr as in word2vec (--lr
default: 0.15 for CBOW, the input table's rate 3 times that; 0.04 for skip-gram).

--workers N runs the steps in N processes, forked once and kept for the run, Hogwild-style, on
parameter tables in shared memory (ch04_fast_w2v.fast.hogwild): each takes every N-th batch of
the epoch, with the learning rate of that batch's global step and negatives from its own random
stream, as word2vec's and gensim's worker threads do; each uses one BLAS thread, so N should not
exceed the idle cores.  With N > 1 a run is not bit-reproducible (the workers' updates
interleave differently each time); --workers 1 (the default) is one process.  Ctrl-C or SIGTERM
stops the workers before anything is saved; a worker that fails or dies stops the run with its
error.

It writes the word vectors and the vocabulary to --vectors (.npz, no pickle) and prints the
speed in words/s: (contexts, target) pairs trained on / training time.  With --save every epoch
is a checkpoint that --load resumes exactly, the optimizer's step count included (its rate
decays over the --epochs of the run, so a resumed run keeps the same --epochs); with --workers
N > 1 it resumes at the epoch boundary, with the same random streams, but not bit for bit.
"""
import os
import time

from ch04_fast_w2v.fast.hogwild import HogwildTrainer, fork_available
from ch04_fast_w2v.fast.segment_cbow import SegmentCBOW
from ch04_fast_w2v.fast.segment_model import segment_windows
from ch04_fast_w2v.fast.segment_skip_gram import SegmentSkipGram
from ch04_fast_w2v.fast.sparse_optimizer import RowMeanSGD
from ch04_fast_w2v.train import finish, make_w2v_parser
from common.trainer import Trainer
from dataset import ptb
from harness.checkpoint import start_checkpoint
from harness.flags import default_output, int_in, make_rng, on_device, positive_int, run_main

BATCH_SIZE = 4096  # targets per batch: --batch-size, rounded down to a multiple of --segment-length
LR = {'cbow': 0.15, 'skipgram': 0.04}
SEGMENT_LENGTH = {'cbow': 256, 'skipgram': 64}
INPUT_LR_SCALE = {'cbow': 3, 'skipgram': 1}  # W_in's rate over W_out's (benchmarks/README.md)


def fast_optimizer(model, name, lr, decay_steps):
    """The fast mode's optimizer for ``model`` (``name``: 'cbow' or 'skipgram'): RowMeanSGD, its
    rate decaying linearly over ``decay_steps``."""
    return RowMeanSGD(model.embeddings, lr=lr, lr_scales=(INPUT_LR_SCALE[name], 1),
                      decay_steps=decay_steps)


def main(argv=None):
    """Returns ``(model, trainer, words_per_second)``."""
    parser = make_w2v_parser(__doc__, 'fast', batch_size=BATCH_SIZE, lr=None)
    parser.add_argument('--segment-length', type=positive_int, default=None,
                        help='consecutive targets per segment (default: 256 for CBOW, 64 for '
                             'skip-gram; --batch-size is rounded down to a multiple of it)')
    parser.add_argument('--full-window', action='store_true',
                        help='count every context alike, instead of weighting one at distance d '
                             'by (w + 1 - d) / w, the chance that word2vec\'s random window reaches '
                             'it (CBOW: a weighted mean)')
    parser.add_argument('--workers', type=int_in(1, os.cpu_count() or 1), default=1,
                        help='train in this many processes (at most the number of CPUs, '
                             f'{os.cpu_count()} here), Hogwild-style on shared tables; above 1 a run '
                             'is not bit-reproducible (needs fork: Linux, macOS)')
    args = parser.parse_args(argv)
    if args.workers > 1 and args.gpu:
        parser.error('argument --workers: several workers train on the CPU; drop --gpu or --workers')
    if args.workers > 1 and not fork_available():
        parser.error('argument --workers: several workers are forked processes, and this platform '
                     'cannot fork (only spawn); use --workers 1')
    vectors_path = args.vectors or default_output(parser, '--vectors', f'{args.model}_fast_vectors.npz')
    lr = LR[args.model] if args.lr is None else args.lr
    if args.segment_length is None:
        args.segment_length = SEGMENT_LENGTH[args.model]
    rng = make_rng(args.seed)

    corpus, word_to_id, id_to_word = ptb.load_data('train')
    corpus = corpus[:args.max_words]
    windows, targets = segment_windows(corpus, args.window_size, args.segment_length)
    segments_per_batch = max(args.batch_size // args.segment_length, 1)

    model_class = SegmentCBOW if args.model == 'cbow' else SegmentSkipGram
    model = on_device(model_class(len(word_to_id), args.hidden_size, args.window_size, corpus, rng=rng,
                                  shrink_window=not args.full_window), args.gpu)
    steps_per_epoch = max(len(windows) // segments_per_batch, 1)
    optimizer = fast_optimizer(model, args.model, lr, args.epochs * steps_per_epoch)
    if args.workers > 1:
        trainer = HogwildTrainer(model, optimizer, rng=rng, verbose=not args.quiet,
                                 workers=args.workers)
    else:
        trainer = Trainer(model, optimizer, rng=rng, verbose=not args.quiet)
    # The rate decays over all --epochs: a resumed run must keep them.
    checkpoint = start_checkpoint(args, trainer, free=('workers',), keep=('epochs',),
                                  interrupt_name=f'{args.model}_fast_interrupted.npz')
    epochs_before = trainer.current_epoch
    start = time.perf_counter()
    try:
        with checkpoint:
            trainer.fit(windows, targets, max_epoch=checkpoint.epochs_left(args.epochs),
                        batch_size=segments_per_batch, eval_interval=args.eval_interval,
                        observers=[checkpoint])
    finally:
        if args.workers > 1:
            trainer.close()  # the workers wait between epochs: end them
    elapsed = time.perf_counter() - start
    targets_per_epoch = steps_per_epoch * segments_per_batch * args.segment_length
    words = (trainer.current_epoch - epochs_before) * targets_per_epoch
    words_per_second = finish(args, 'fast', model, trainer, words, elapsed, vectors_path, id_to_word)
    return model, trainer, words_per_second


if __name__ == '__main__':
    run_main(main)

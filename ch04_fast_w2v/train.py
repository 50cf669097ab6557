"""Train CBOW (or skip-gram) with negative sampling on PTB (book chapter 4, train.py).

    python -m ch04_fast_w2v.train                # the book's run
    python -m ch04_fast_w2v.train --mode fast    # in well under a minute
    python -m ch04_fast_w2v.eval cbow_book_vectors.npz cbow_fast_vectors.npz

--mode book (the book's configuration): window 5, hidden size 100, batch size 100, 10 epochs,
Adam with lr 0.001, 5 negatives per target from P(w)^0.75.  The optimizer is Adam exactly; by
default SparseGradAdam computes it in a few passes over the tables (--dense-adam uses the
textbook update of common.optimizer.Adam: the same numbers, slower).

--mode fast: the same model, but a batch of 4096 targets is cut into text segments of
consecutive targets (SegmentCBOW: 16 segments of 256, window means as band-matrix products,
3 negatives per target position shared by the 16 targets at that position, each weighted 5/3;
SegmentSkipGram: 64 segments of 64, every centre scored against its segment's window in one
product, 25 shared negatives weighted 5/25), contexts weighted by distance as word2vec's
shrinking windows weigh them in expectation (--full-window: all alike), and only the rows a batch
touches are updated, by RowMeanSGD, which moves each row by the mean of its uses' gradients in
the batch, at a rate that decays linearly to 1e-4 of --lr as in word2vec (CBOW: lr 0.15, the
input table's rate 3 times that; skip-gram: lr 0.04).  --workers N (fast mode) runs its steps
in N processes, forked once and kept for the run, Hogwild-style, on parameter tables in shared
memory (ch04_fast_w2v.parallel): each takes every
N-th batch of the epoch, with the learning rate of that batch's global step and negatives from
its own random stream, as word2vec's and gensim's worker threads do; each uses one BLAS
thread, so N should not exceed the idle cores.  With N > 1 a run is not bit-reproducible (the workers' updates interleave
differently each time); --workers 1 (the default) is one process.  Ctrl-C or SIGTERM stops
the workers before anything is saved; a worker that fails or dies stops the run with its error.

Both write the word vectors and the vocabulary to --vectors (.npz, no pickle) and print the
speed in words/s: (contexts, target) pairs trained on / training time.  With --save every
epoch is a checkpoint that --load resumes exactly, optimizer state included (book mode's Adam
moments; fast mode's step count: its rate decays over the --epochs of the run, so resume with
the same --epochs to get the same result;
with --workers N > 1 it resumes at the epoch boundary, with the same random streams, but not
bit for bit).
"""
import os
import time

from ch04_fast_w2v.cbow import CBOW
from ch04_fast_w2v.parallel import HogwildTrainer, fork_available
from ch04_fast_w2v.segment_cbow import SegmentCBOW, segment_windows
from ch04_fast_w2v.segment_skip_gram import SegmentSkipGram
from ch04_fast_w2v.skip_gram import SkipGram
from ch04_fast_w2v.word_vectors import save_vectors
from common.optimizer import Adam
from common.sparse_optimizer import RowMeanSGD, SparseGradAdam
from common.trainer import Trainer
from common.util import create_contexts_target
from dataset import ptb
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (DEFAULT_OUTPUT_HELP, default_output, int_in, make_parser,
                           make_rng, model_width, on_device, positive_int, run_main, writable_path)

MODE_DEFAULTS = {'book': {'batch_size': 100, 'lr': 0.001},
                 'fast': {'batch_size': 4096, 'lr': {'cbow': 0.15, 'skipgram': 0.04},
                          'segment_length': {'cbow': 256, 'skipgram': 64}}}
INPUT_LR_SCALE = {'cbow': 3, 'skipgram': 1}  # W_in's rate over W_out's (benchmarks/README.md)


def fast_optimizer(model, name, lr, decay_steps):
    """Fast mode's optimizer for ``model`` (``name``: 'cbow' or 'skipgram'): RowMeanSGD, its
    rate decaying linearly over ``decay_steps``."""
    return RowMeanSGD(model.embeddings, lr=lr, lr_scales=(INPUT_LR_SCALE[name], 1),
                      decay_steps=decay_steps)


def main(argv=None):
    """Returns ``(model, trainer, words_per_second)``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=10, batch_size=None, lr=None,
                         seed=1984, save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--mode', choices=['book', 'fast'], default='book',
                        help='book: batch 100, Adam (lr 0.001); fast: batch 4096 of text segments, '
                             'RowMeanSGD with a linearly decaying rate (CBOW: lr 0.15; skip-gram: '
                             'lr 0.04); sets --batch-size/--lr defaults')
    parser.add_argument('--model', choices=['cbow', 'skipgram'], default='cbow',
                        help='which word2vec model')
    parser.add_argument('--window-size', type=positive_int, default=5,
                        help='context words on each side')
    parser.add_argument('--hidden-size', type=model_width, default=100,
                        help='dimensions of the word vectors')
    parser.add_argument('--segment-length', type=positive_int, default=None,
                        help='fast mode: consecutive targets per segment (default: 256 for CBOW, '
                             '64 for skip-gram; --batch-size is rounded down to a multiple of it)')
    parser.add_argument('--full-window', action='store_true',
                        help='fast mode: count every context alike, instead of weighting one at '
                             'distance d by (w + 1 - d) / w, the chance that word2vec\'s random window '
                             'reaches it (CBOW: a weighted mean)')
    parser.add_argument('--workers', type=int_in(1, os.cpu_count() or 1), default=1,
                        help='fast mode: train in this many processes (at most the number of CPUs, '
                             f'{os.cpu_count()} here), Hogwild-style on shared tables; above 1 a run '
                             'is not bit-reproducible (needs fork: Linux, macOS)')
    parser.add_argument('--dense-adam', action='store_true',
                        help='book mode: use the textbook dense Adam update (same result, slower)')
    parser.add_argument('--max-words', type=positive_int, default=None,
                        help='train on the first this many words of PTB only (quick runs)')
    parser.add_argument('--eval-interval', type=positive_int, default=20,
                        help='record (and print) the mean loss every this many iterations')
    parser.add_argument('--vectors', metavar='PATH', type=writable_path,
                        help='where to write the word vectors (default MODEL_MODE_vectors.npz, e.g. '
                             'cbow_book_vectors.npz' + DEFAULT_OUTPUT_HELP + ')')
    args = parser.parse_args(argv)
    if args.workers > 1 and args.mode == 'book':
        parser.error('argument --workers: book mode trains in one process (the book\'s algorithm); '
                     'use --mode fast for several workers')
    if args.workers > 1 and args.gpu:
        parser.error('argument --workers: several workers train on the CPU; drop --gpu or --workers')
    if args.workers > 1 and not fork_available():
        parser.error('argument --workers: several workers are forked processes, and this platform '
                     'cannot fork (only spawn); use --workers 1')
    vectors_path = args.vectors or default_output(parser, '--vectors',
                                                  f'{args.model}_{args.mode}_vectors.npz')
    defaults = MODE_DEFAULTS[args.mode]
    batch_size = defaults['batch_size'] if args.batch_size is None else args.batch_size
    lr = defaults['lr'] if args.lr is None else args.lr
    if isinstance(lr, dict):
        lr = lr[args.model]
    if args.segment_length is None:
        args.segment_length = MODE_DEFAULTS['fast']['segment_length'][args.model]
    rng = make_rng(args.seed)

    corpus, word_to_id, id_to_word = ptb.load_data('train')
    corpus = corpus[:args.max_words]
    vocab_size = len(word_to_id)
    model_args = (vocab_size, args.hidden_size, args.window_size, corpus)
    if args.mode == 'book':
        x, t = create_contexts_target(corpus, args.window_size)
        model = (CBOW if args.model == 'cbow' else SkipGram)(*model_args, rng=rng)
        rows_per_batch, targets_per_row = batch_size, 1
    else:
        x, t = segment_windows(corpus, args.window_size, args.segment_length)
        model = (SegmentCBOW if args.model == 'cbow' else SegmentSkipGram)(
            *model_args, rng=rng, shrink_window=not args.full_window)
        rows_per_batch = max(batch_size // args.segment_length, 1)  # segments per batch
        targets_per_row = args.segment_length
    model = on_device(model, args.gpu)

    steps_per_epoch = max(len(x) // rows_per_batch, 1)
    if args.mode == 'fast':
        optimizer = fast_optimizer(model, args.model, lr, args.epochs * steps_per_epoch)
    elif args.dense_adam:
        optimizer = Adam(lr=lr)
    else:
        optimizer = SparseGradAdam(model.embeddings, lr=lr)
    if args.workers > 1:
        trainer = HogwildTrainer(model, optimizer, rng=rng, verbose=not args.quiet,
                                 workers=args.workers)
    else:
        trainer = Trainer(model, optimizer, rng=rng, verbose=not args.quiet)
    # The fast mode's rate decays over all --epochs: a resumed run must keep them.
    checkpoint = start_checkpoint(args, trainer, free=('workers',),
                                  keep=('epochs',) if args.mode == 'fast' else (),
                                  interrupt_name=f'{args.model}_{args.mode}_interrupted.npz')
    epochs_before = trainer.current_epoch
    start = time.perf_counter()
    try:
        with checkpoint:
            trainer.fit(x, t, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=rows_per_batch,
                        eval_interval=args.eval_interval, observers=[checkpoint])
    finally:
        if args.workers > 1:
            trainer.close()  # the workers wait between epochs: end them
    elapsed = time.perf_counter() - start
    words = (trainer.current_epoch - epochs_before) * steps_per_epoch * rows_per_batch * targets_per_row
    words_per_second = words / elapsed if words else 0.0  # 0: a resumed run had no epoch left
    print(f'{args.model} ({args.mode} mode): {words:,} words in {elapsed:.1f} s = '
          f'{words_per_second:,.0f} words/s; final loss {trainer.loss_list[-1]:.3f}')

    save_vectors(vectors_path, model.word_vecs, id_to_word)
    print(f'wrote {vectors_path}: the word vectors and their vocabulary')
    if args.plot:
        trainer.plot(path=args.plot)
    return model, trainer, words_per_second


if __name__ == '__main__':
    run_main(main)

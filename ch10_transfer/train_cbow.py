"""Train chapter 4's CBOW on the movie reviews: the word vectors of the 'mean of CBOW vectors' baseline.

    python -m ch10_transfer.train_cbow --vectors cbow_reviews.npz
    python -m ch10_transfer.finetune --model cbow --cbow-vectors cbow_reviews.npz

The book's CBOW with negative sampling (``ch04_fast_w2v.cbow.CBOW``: the mean of the 2 x
--window-size context vectors predicts the centre word against 5 negatives drawn from P(w)^0.75),
trained by the book's ``Trainer`` with Adam on the text the language models learn from
(``ch10_transfer.reviews.pretraining_reviews``: IMDB's unlabelled reviews and the text of its
training reviews, never a label or a test review), shuffled into one corpus in the vocabulary of
the language models.  Batches are larger than the book's 100 (--batch-size 1,000, --lr 0.002), as
the corpus is 20 times PTB's.  Defaults: vectors of 100, window 5, the first 10 million of the 20
million shuffled tokens, 2 epochs.  --vectors receives the vectors and their words
(``ch04_fast_w2v.word_vectors``), which ``finetune --model cbow`` reads.
"""
import time

from ch04_fast_w2v.cbow import CBOW
from ch04_fast_w2v.word_vectors import save_vectors
from ch10_transfer.reviews import pretraining_reviews, review_stream
from common.optimizer import Adam
from common.trainer import Trainer
from common.util import create_contexts_target
from dataset.imdb import build_vocabulary
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (DEFAULT_OUTPUT_HELP, default_output, int_in, make_parser, make_rng, model_width,
                           positive_int, run_main, writable_path)
from harness.memory import reuse_freed_memory


def main(argv=None):
    """Returns ``(model, trainer)``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=2, batch_size=1000, lr=0.002, seed=1984,
                         save=None, load=None, plot=None)
    parser.add_argument('--vocab-size', type=int_in(4, 1_000_000), default=30_000,
                        help='words of the vocabulary (the most frequent of the unlabelled and training reviews)')
    parser.add_argument('--valid-reviews', type=int_in(1, 49_999), default=1000,
                        help='unlabelled reviews left out, as the language models leave them out')
    parser.add_argument('--max-tokens', type=positive_int, default=10_000_000,
                        help='train on the first N tokens of the shuffled reviews')
    parser.add_argument('--window-size', type=positive_int, default=5, help='context words on each side')
    parser.add_argument('--hidden-size', type=model_width, default=100, help='dimensions of the word vectors')
    parser.add_argument('--eval-interval', type=positive_int, default=1000,
                        help='record (and print) the mean loss every this many iterations')
    parser.add_argument('--vectors', metavar='PATH', type=writable_path,
                        help='where to write the word vectors (default cbow_reviews_vectors.npz'
                             + DEFAULT_OUTPUT_HELP + ')')
    args = parser.parse_args(argv)
    vectors_path = args.vectors or default_output(parser, '--vectors', 'cbow_reviews_vectors.npz')
    reuse_freed_memory()

    vocabulary = build_vocabulary(args.vocab_size)
    rng = make_rng(args.seed)  # the order of the reviews, the initial weights, the negatives, the batches
    train, _ = pretraining_reviews(vocabulary, args.valid_reviews)
    corpus = review_stream(train, rng)[:args.max_tokens]
    contexts, target = create_contexts_target(corpus, args.window_size)
    model = CBOW(len(vocabulary), args.hidden_size, args.window_size, corpus, rng=rng)
    trainer = Trainer(model, Adam(args.lr), rng=rng, verbose=not args.quiet)
    checkpoint = start_checkpoint(args, trainer, interrupt_name='train_cbow_interrupted.npz')
    start, cpu_start = time.perf_counter(), time.process_time()
    with checkpoint:
        trainer.fit(contexts, target, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=args.batch_size,
                    eval_interval=args.eval_interval, observers=[checkpoint])
    print(f'CBOW on {len(corpus):,} review tokens: final loss {trainer.loss_list[-1]:.3f} '
          f'({time.process_time() - cpu_start:.0f} s CPU, {time.perf_counter() - start:.0f} s wall)')
    save_vectors(vectors_path, model.word_vecs, dict(enumerate(vocabulary.words)))
    print(f'wrote {vectors_path}: the word vectors and their vocabulary')
    if args.plot:
        trainer.plot(path=args.plot)
    return model, trainer


if __name__ == '__main__':
    run_main(main)

"""Train CBOW (or skip-gram) with negative sampling on PTB (book chapter 4, train.py).

    python -m ch04_fast_w2v.train                    # the book's run
    python -m ch04_fast_w2v.train --model skipgram
    python -m ch04_fast_w2v.eval cbow_book_vectors.npz

The book's configuration: CBOW (ch04_fast_w2v.cbow: an Embedding of W_in, the mean of the
context vectors, NegativeSamplingLoss with 5 negatives per target from P(w)^0.75), window 5,
hidden size 100, batch size 100, 10 epochs, Adam with lr 0.001 (common.optimizer.Adam).
The fast mode trains the same model in well under a minute: ``python -m ch04_fast_w2v.train_fast``.

It writes the word vectors and the vocabulary to --vectors (.npz, no pickle) and prints the
speed in words/s: (contexts, target) pairs trained on / training time.  With --save every
epoch is a checkpoint that --load resumes exactly, Adam's moments included.
"""
import time

from ch04_fast_w2v.cbow import CBOW
from ch04_fast_w2v.skip_gram import SkipGram
from ch04_fast_w2v.word_vectors import save_vectors
from common.optimizer import Adam
from common.trainer import Trainer
from common.util import create_contexts_target
from dataset import ptb
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (DEFAULT_OUTPUT_HELP, default_output, make_parser, make_rng, model_width,
                           on_device, positive_int, run_main, writable_path)


def make_w2v_parser(description, mode, batch_size, lr):
    """The flags of both chapter-4 training scripts; ``mode`` ('book' or 'fast') names the
    default vectors file, MODEL_MODE_vectors.npz."""
    parser = make_parser(description + '\n' + CHECKPOINT_HELP, epochs=10, batch_size=batch_size, lr=lr,
                         seed=1984, save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--model', choices=['cbow', 'skipgram'], default='cbow',
                        help='which word2vec model')
    parser.add_argument('--window-size', type=positive_int, default=5,
                        help='context words on each side')
    parser.add_argument('--hidden-size', type=model_width, default=100,
                        help='dimensions of the word vectors')
    parser.add_argument('--max-words', type=positive_int, default=None,
                        help='train on the first this many words of PTB only (quick runs)')
    parser.add_argument('--eval-interval', type=positive_int, default=20,
                        help='record (and print) the mean loss every this many iterations')
    parser.add_argument('--vectors', metavar='PATH', type=writable_path,
                        help=f'where to write the word vectors (default MODEL_{mode}_vectors.npz, e.g. '
                             f'cbow_{mode}_vectors.npz' + DEFAULT_OUTPUT_HELP + ')')
    return parser


def finish(args, mode, model, trainer, words, elapsed, vectors_path, id_to_word):
    """Print the speed, write the word vectors (and the plot) -> words per second."""
    words_per_second = words / elapsed if words else 0.0  # 0: a resumed run had no epoch left
    print(f'{args.model} ({mode} mode): {words:,} words in {elapsed:.1f} s = '
          f'{words_per_second:,.0f} words/s; final loss {trainer.loss_list[-1]:.3f}')
    save_vectors(vectors_path, model.word_vecs, id_to_word)
    print(f'wrote {vectors_path}: the word vectors and their vocabulary')
    if args.plot:
        trainer.plot(path=args.plot)
    return words_per_second


def main(argv=None):
    """Returns ``(model, trainer, words_per_second)``."""
    parser = make_w2v_parser(__doc__, 'book', batch_size=100, lr=0.001)
    args = parser.parse_args(argv)
    vectors_path = args.vectors or default_output(parser, '--vectors', f'{args.model}_book_vectors.npz')
    rng = make_rng(args.seed)

    corpus, word_to_id, id_to_word = ptb.load_data('train')
    corpus = corpus[:args.max_words]
    contexts, target = create_contexts_target(corpus, args.window_size)

    model_class = CBOW if args.model == 'cbow' else SkipGram
    model = on_device(model_class(len(word_to_id), args.hidden_size, args.window_size, corpus, rng=rng),
                      args.gpu)
    trainer = Trainer(model, Adam(lr=args.lr), rng=rng, verbose=not args.quiet)
    checkpoint = start_checkpoint(args, trainer, interrupt_name=f'{args.model}_book_interrupted.npz')
    epochs_before = trainer.current_epoch
    start = time.perf_counter()
    with checkpoint:
        trainer.fit(contexts, target, max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, eval_interval=args.eval_interval, observers=[checkpoint])
    elapsed = time.perf_counter() - start
    steps_per_epoch = max(len(contexts) // args.batch_size, 1)
    words = (trainer.current_epoch - epochs_before) * steps_per_epoch * args.batch_size
    words_per_second = finish(args, 'book', model, trainer, words, elapsed, vectors_path, id_to_word)
    return model, trainer, words_per_second


if __name__ == '__main__':
    run_main(main)

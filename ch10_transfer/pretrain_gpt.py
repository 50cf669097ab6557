"""Pre-train the GPT language model on movie reviews (beyond the book).

    python -m ch10_transfer.pretrain_gpt --save gpt_lm.npz --plot gpt_lm.png
    python -m ch10_transfer.pretrain_gpt --load gpt_lm.npz --save gpt_lm.npz     # resume

Chapter 9's GPT (``GptLm``: its body, with an output layer over the --output-size most frequent
words; rarer next words count as '<unk>') reads the reviews of
``ch10_transfer.reviews.pretraining_reviews`` (IMDB's unlabelled reviews and the text of its
training reviews, never a label or a test review) shuffled into one corpus, each review ended by
'<eos>', in windows of --context-size tokens at a new random offset every epoch
(``WindowTrainer``, as ``ch09_transformer.train_gpt`` reads PTB).  AdamW with a linear warm-up
and a cosine decay over the run, gradients clipped to --max-grad.

Defaults: 4 blocks of width 256 (4 heads, feed-forward 1,024), windows of 128, batches of 32, no
dropout (the run reads each token once), the first 5 million of the 20 million shuffled tokens:
1,220 steps, sized for about an hour of CPU on 2 cores (docs/results.md gives the measured rate).
Every --eval-interval steps the perplexity on the held-out reviews (read in disjoint windows of
--context-size; over the output words and '<unk>') is printed with the CPU and wall time, and --save
writes the run (the model with its vocabulary, and all --load needs to continue it exactly).
"""

from ch09_transformer.train_gpt import add_step_flags
from ch10_transfer.gpt_lm import GptLm
from ch10_transfer.pretraining import add_pretraining_flags, finish_curve, start_curve
from ch10_transfer.reviews import pretraining_reviews, review_stream
from ch10_transfer.transfer import check_vocabulary
from common.evaluation import eval_perplexity_windows
from common.optimizer import AdamW, WarmupCosineSchedule
from common.trainer import WindowTrainer
from dataset.imdb import build_vocabulary
from harness.checkpoint import CHECKPOINT_HELP
from harness.flags import check_heads, int_in, load_or_exit, make_parser, make_rng, on_device, run_main
from harness.memory import reuse_freed_memory


def main(argv=None):
    """Returns ``{'steps': [...], 'train_loss': [...], 'valid_ppl': [...], 'cpu_s': [...], 'wall_s': [...]}``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=1, batch_size=32, lr=1e-3, seed=1984,
                         save=None, load=None, plot=None, gpu=False)
    add_step_flags(parser)
    parser.add_argument('--output-size', type=int_in(4, 1_000_000), default=5000,
                        help='words the output layer predicts (the most frequent; at most --vocab-size)')
    add_pretraining_flags(parser, eval_interval=250, warmup_steps=200)
    parser.set_defaults(context_size=128, d_model=256, num_heads=4, num_layers=4, d_ff=1024, dropout=0.0,
                        max_tokens=5_000_000)
    args = parser.parse_args(argv)
    check_heads(parser, args.d_model, args.num_heads)
    if args.output_size > args.vocab_size:
        parser.error(f'--output-size {args.output_size} exceeds --vocab-size {args.vocab_size}')
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages

    vocabulary = build_vocabulary(args.vocab_size)
    if args.load:
        load_or_exit(check_vocabulary, args.load, vocabulary)
    rng = make_rng(args.seed)  # the order of the reviews, the initial weights, then dropout and windows
    train, valid = pretraining_reviews(vocabulary, args.valid_reviews)
    corpus = review_stream(train, rng)[:args.max_tokens]
    valid_corpus = review_stream(valid[:args.eval_reviews])
    steps = WindowTrainer.steps_per_epoch(len(corpus) - 1, args.batch_size, args.context_size)
    if steps == 0:
        parser.error(f'--max-tokens {len(corpus)} holds less than one batch of --batch-size '
                     f'{args.batch_size} windows of --context-size {args.context_size}')

    model = GptLm(len(vocabulary), args.output_size, args.context_size, args.d_model, args.num_heads,
                  args.num_layers, args.d_ff, args.dropout, rng=rng)
    model.attach(**vocabulary.to_arrays())  # saved with the parameters
    model = on_device(model, args.gpu)
    total_steps = steps * args.epochs
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup_steps, total_steps), total_steps,
                                    args.lr * args.min_lr_ratio)
    trainer = WindowTrainer(model, AdamW(args.lr, weight_decay=args.weight_decay), rng, verbose=False,
                            lr_schedule=schedule)
    if not args.quiet:
        print(f'GptLm: {sum(p.size for p in model.params):,} parameters; {len(corpus):,} training tokens '
              f'of {len(train):,} reviews, {steps} steps an epoch; {len(valid_corpus):,} held-out tokens')

    def valid_perplexity():
        xs, ts = valid_corpus[:-1], valid_corpus[1:]
        return {'valid_ppl': eval_perplexity_windows(model, xs, ts, args.context_size, stride=args.context_size)}

    curve, checkpoint = start_curve(args, trainer, valid_perplexity, total_steps, 'pretrain_gpt')
    with checkpoint:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, time_size=args.context_size, max_grad=args.max_grad,
                    eval_interval=None, observers=[curve, checkpoint])

    return finish_curve(args, curve, 'valid_ppl', 'held-out perplexity')


if __name__ == '__main__':
    run_main(main)

"""Pre-train the LSTM language model on movie reviews (beyond the book: ULMFiT's first stage).

    python -m ch10_transfer.pretrain_lstm --save lstm_lm.npz --plot lstm_lm.png
    python -m ch10_transfer.pretrain_lstm --load lstm_lm.npz --save lstm_lm.npz     # resume

The chapter-6 language model (``LstmLm``: TimeEmbedding -> TimeLSTM -> TimeAffine -> softmax)
reads the reviews of ``ch10_transfer.reviews.pretraining_reviews`` (IMDB's unlabelled reviews and
the text of its training reviews, never a label or a test review) shuffled into one corpus, each
review ended by '<eos>', with truncated BPTT as the book trains on PTB (``RnnlmTrainer``).  The
vocabulary holds --vocab-size words; the output layer predicts the --output-size most frequent
(rarer next words count as '<unk>'), which makes a step several times cheaper.  Adam with a linear
warm-up and a cosine decay of its rate over the run, gradients clipped to --max-grad.

Defaults: 1 LSTM layer of 512 on word vectors of 256, 5,000 output words, batches of 64 x 70 tokens,
6.5 million tokens (the first 6.5 million of the shuffled 20 million, read once): 1,450 steps, sized
for about an hour of CPU on 2 cores (docs/results.md gives the measured rate).  Every
--eval-interval steps the perplexity on the held-out reviews (over the output words and '<unk>') is
printed with the CPU and wall time, and --save writes the run (the model with its vocabulary, and
all --load needs to continue it exactly).
"""


from ch10_transfer.lstm_lm import LstmLm
from ch10_transfer.pretraining import add_pretraining_flags, finish_curve, start_curve
from ch10_transfer.reviews import pretraining_reviews, review_stream
from ch10_transfer.transfer import check_vocabulary
from common.evaluation import eval_perplexity
from common.optimizer import Adam, WarmupCosineSchedule
from common.trainer import RnnlmTrainer
from dataset.imdb import build_vocabulary
from harness.checkpoint import CHECKPOINT_HELP
from harness.flags import (check_tokens_for_one_batch, dropout_ratio, int_in, layer_count, load_or_exit,
                           make_parser, make_rng, model_width, on_device, positive_float, positive_int,
                           run_main)
from harness.memory import reuse_freed_memory


def main(argv=None):
    """Returns ``{'steps': [...], 'train_loss': [...], 'valid_ppl': [...], 'cpu_s': [...], 'wall_s': [...]}``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=1, batch_size=64, lr=2e-3, seed=1984,
                         save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--output-size', type=int_in(4, 1_000_000), default=5000,
                        help='words the output layer predicts (the most frequent; at most --vocab-size)')
    parser.add_argument('--wordvec-size', type=model_width, default=256, help='size of the word vectors')
    parser.add_argument('--hidden-size', type=model_width, default=512, help='size of the LSTM states')
    parser.add_argument('--num-layers', type=layer_count, default=1, help='LSTM layers')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.0, help='dropout between the layers (0: none)')
    parser.add_argument('--time-size', type=positive_int, default=70, help='time steps per truncated-BPTT block')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this global norm')
    add_pretraining_flags(parser, eval_interval=250, warmup_steps=100)
    parser.set_defaults(max_tokens=6_500_000)
    args = parser.parse_args(argv)
    if args.output_size > args.vocab_size:
        parser.error(f'--output-size {args.output_size} exceeds --vocab-size {args.vocab_size}')
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages

    vocabulary = build_vocabulary(args.vocab_size)
    if args.load:
        load_or_exit(check_vocabulary, args.load, vocabulary)
    rng = make_rng(args.seed)  # the order of the reviews, the initial weights, the dropout masks
    train, valid = pretraining_reviews(vocabulary, args.valid_reviews)
    corpus = review_stream(train, rng)[:args.max_tokens]
    check_tokens_for_one_batch(parser, len(corpus), args.batch_size, args.time_size)
    valid_corpus = review_stream(valid[:args.eval_reviews])

    model = LstmLm(len(vocabulary), args.output_size, args.wordvec_size, args.hidden_size, args.num_layers,
                   args.dropout, rng=rng)
    model.attach(**vocabulary.to_arrays())  # saved with the parameters
    model = on_device(model, args.gpu)
    steps = len(corpus[:-1]) // (args.batch_size * args.time_size)
    total_steps = steps * args.epochs
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup_steps, total_steps), total_steps,
                                    args.lr * args.min_lr_ratio)
    trainer = RnnlmTrainer(model, Adam(args.lr), verbose=False, lr_schedule=schedule)
    if not args.quiet:
        print(f'LstmLm: {sum(p.size for p in model.params):,} parameters; {len(corpus):,} training tokens '
              f'of {len(train):,} reviews, {steps} steps an epoch; {len(valid_corpus):,} held-out tokens')

    def valid_perplexity():
        return {'valid_ppl': eval_perplexity(model, valid_corpus, batch_size=50, time_size=args.time_size)}

    curve, checkpoint = start_curve(args, trainer, valid_perplexity, total_steps, 'pretrain_lstm')
    with checkpoint:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, time_size=args.time_size, max_grad=args.max_grad,
                    eval_interval=None, observers=[curve, checkpoint])

    return finish_curve(args, curve, 'valid_ppl', 'held-out perplexity')


if __name__ == '__main__':
    run_main(main)

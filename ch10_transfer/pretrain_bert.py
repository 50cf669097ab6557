"""Pre-train a BERT encoder on movie reviews as a masked language model (beyond the book).

    python -m ch10_transfer.pretrain_bert --save bert_mlm.npz --plot bert_mlm.png
    python -m ch10_transfer.pretrain_bert --load bert_mlm.npz --save bert_mlm.npz     # resume

Chapter 9's ``BertEncoder`` learns to fill in hidden words (``ch09_transformer.bert_training``:
15% of the words chosen, 80% of those replaced by [MASK], 10% by a random word, 10% kept) in the
reviews of ``ch10_transfer.reviews.pretraining_reviews`` (IMDB's unlabelled reviews and the text
of its training reviews, never a label or a test review), shuffled, each cut into pieces of
--context-size - 2 tokens read as '[CLS] piece [SEP]'.  AdamW with a linear warm-up and a cosine
decay over the run, gradients clipped to --max-grad.

Defaults: 4 blocks of width 256 (4 heads, feed-forward 1,024), pieces of up to 126 tokens, batches
of 32, no dropout (the run reads each token once), the first 5.5 million of the 20 million shuffled
tokens: about 1,700 steps, sized for about an hour of CPU on 2 cores (docs/results.md gives the
measured rate).  Every --eval-interval steps the masked-token accuracy and perplexity on the
held-out reviews (masked once, the same every time) are printed with the CPU and wall time, and
--save writes the run (the encoder with its vocabulary, and all --load needs to continue it
exactly).
"""
import numpy as np

from ch09_transformer.bert import BertEncoder
from ch09_transformer.bert_training import MaskedLMTrainer, evaluate, masked_batches
from ch10_transfer.pretraining import add_pretraining_flags, finish_curve, start_curve
from ch10_transfer.reviews import pretraining_reviews, review_chunks, review_stream
from ch10_transfer.transfer import check_vocabulary
from common.optimizer import AdamW, WarmupCosineSchedule
from dataset.imdb import build_vocabulary
from harness.checkpoint import CHECKPOINT_HELP
from harness.flags import (check_heads, context_length, dropout_ratio, float_in, layer_count, load_or_exit,
                           make_parser, make_rng, model_width, nonnegative_float, on_device, positive_float,
                           run_main, seed_int)
from harness.memory import reuse_freed_memory


def main(argv=None):
    """Returns ``{'steps': [...], 'train_loss': [...], 'valid_accuracy': [...], 'valid_ppl': [...],
    'cpu_s': [...], 'wall_s': [...]}``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=1, batch_size=32, lr=1e-3, seed=1984,
                         save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--d-model', type=model_width, default=256, help='model width D')
    parser.add_argument('--num-heads', type=model_width, default=4, help='attention heads')
    parser.add_argument('--num-layers', type=layer_count, default=4, help='Transformer blocks')
    parser.add_argument('--d-ff', type=model_width, default=1024, help='feed-forward width')
    parser.add_argument('--context-size', type=context_length, default=128,
                        help='longest input ([CLS] + piece + [SEP]): reviews are cut into pieces of this less 2')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.0, help='dropout ratio (0: none)')
    parser.add_argument('--weight-decay', type=nonnegative_float, default=0.01, help='AdamW weight decay (0: none)')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this global norm')
    parser.add_argument('--mask-prob', type=float_in(0.0, 1.0, low_open=True, high_open=True),
                        default=0.15, help='share of the words chosen for the loss')
    parser.add_argument('--valid-mask-seed', type=seed_int, default=2019,
                        help='seed of the one masking of the held-out reviews')
    add_pretraining_flags(parser, eval_interval=250, warmup_steps=200)
    parser.set_defaults(max_tokens=5_500_000)
    args = parser.parse_args(argv)
    check_heads(parser, args.d_model, args.num_heads)
    if args.context_size < 3:
        parser.error(f'--context-size {args.context_size} leaves no room for a word between [CLS] and [SEP]')
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages

    vocabulary = build_vocabulary(args.vocab_size)
    if args.load:
        load_or_exit(check_vocabulary, args.load, vocabulary)
    rng = make_rng(args.seed)  # the order of the reviews, the initial weights, then dropout masks
    train, valid = pretraining_reviews(vocabulary, args.valid_reviews)
    pieces = review_chunks(review_stream(train, rng)[:args.max_tokens], args.context_size - 2)
    valid_pieces = review_chunks(review_stream(valid[:args.eval_reviews]), args.context_size - 2)

    model = BertEncoder(len(vocabulary), args.context_size, args.d_model, args.num_heads, args.num_layers,
                        args.d_ff, args.dropout, rng=rng)
    model.attach(**vocabulary.to_arrays())  # saved with the parameters
    model = on_device(model, args.gpu)
    steps = MaskedLMTrainer.steps_per_epoch(len(pieces), args.batch_size)
    total_steps = steps * args.epochs
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup_steps, total_steps), total_steps,
                                    args.lr * args.min_lr_ratio)
    trainer = MaskedLMTrainer(model, AdamW(args.lr, weight_decay=args.weight_decay), args.seed,
                              lr_schedule=schedule, mask_prob=args.mask_prob)
    valid_batches = masked_batches(model, valid_pieces, np.random.default_rng(args.valid_mask_seed), args.mask_prob)
    if not args.quiet:
        print(f'BertEncoder: {sum(p.size for p in model.params):,} parameters; {len(pieces):,} pieces of '
              f'{sum(map(len, pieces)):,} training tokens, {steps} steps an epoch; '
              f'{sum(map(len, valid_pieces)):,} held-out tokens')

    def valid_figures():
        accuracy, ppl = evaluate(model, valid_batches)
        return {'valid_accuracy': accuracy, 'valid_ppl': ppl}

    curve, checkpoint = start_curve(args, trainer, valid_figures, total_steps, 'pretrain_bert')
    with checkpoint:
        trainer.fit(pieces, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=args.batch_size,
                    max_grad=args.max_grad, observers=[curve, checkpoint])

    return finish_curve(args, curve, 'valid_accuracy', 'held-out masked-token accuracy')


if __name__ == '__main__':
    run_main(main)

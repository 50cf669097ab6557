"""Pre-train a BertEncoder on PTB train as a masked language model (beyond the book).

    python -m ch09_transformer.pretrain_bert --save bert.npz --plot bert_mlm.png
    python -m ch09_transformer.pretrain_bert --load bert.npz --save bert.npz     # resume

Each PTB sentence becomes '[CLS] words [SEP]' (batches padded with [PAD]).  BERT's masking rule
(``bert.mask_tokens``): 15% of the words chosen, of those 80% replaced by [MASK], 10% by a random
word, 10% kept; the model is trained to give back the original words (AdamW, linear warm-up then
cosine decay).  Every ``--eval-interval`` steps it measures, on PTB valid with one fixed masking,
the masked-token accuracy (the original word ranked first) and perplexity (exp of the mean
cross-entropy over the masked words), and with ``--save`` writes the run (the parameters that
``ch10_transfer.word_order_finetune`` reads, and everything ``--load`` needs to continue it
exactly).  Defaults: 20 epochs of 658 steps.
"""
import numpy as np

from ch09_transformer.bert import BertEncoder
from ch09_transformer.bert_training import MaskedLMTrainer, evaluate, masked_batches
from common.optimizer import AdamW, WarmupCosineSchedule
from common.plot import plot_curves
from common.trainer import ValidationCurve
from dataset.ptb import load_sentences
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (check_heads, context_length, dropout_ratio, float_in, layer_count, make_parser,
                           model_width, nonnegative_float, on_device, positive_float, positive_int,
                           run_main)
from harness.memory import reuse_freed_memory

VALID_MASK_SEED = 2019  # one fixed masking of PTB valid, the same for every evaluation


def main(argv=None):
    """Returns ``{'steps': [...], 'valid_accuracy': [...], 'valid_ppl': [...], 'train_loss': [...]}``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=20, batch_size=64, lr=1e-3, seed=1984,
                         save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--d-model', type=model_width, default=128, help='model width D')
    parser.add_argument('--num-heads', type=model_width, default=4, help='attention heads')
    parser.add_argument('--num-layers', type=layer_count, default=2, help='Transformer blocks')
    parser.add_argument('--d-ff', type=model_width, default=512, help='feed-forward width')
    parser.add_argument('--context-size', type=context_length, default=96,
                        help='longest input ([CLS] + words + [SEP]); longer sentences are cut')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.1, help='dropout ratio (0: none)')
    parser.add_argument('--weight-decay', type=nonnegative_float, default=0.01, help='AdamW weight decay (0: none)')
    parser.add_argument('--warmup', type=positive_int, default=300, help='warm-up steps')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this norm')
    parser.add_argument('--mask-prob', type=float_in(0.0, 1.0, low_open=True, high_open=True),
                        default=0.15, help='share of the words chosen for the loss')
    parser.add_argument('--eval-interval', type=positive_int, default=200,
                        help='evaluate on valid and save every this many steps')
    parser.add_argument('--max-steps', type=positive_int,
                        help='stop (evaluate and save) once the run has made this many steps in all')
    parser.add_argument('--max-sentences', type=positive_int, help='train on the first N sentences only')
    parser.add_argument('--eval-sentences', type=positive_int, help='evaluate on the first N valid sentences')
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages
    check_heads(parser, args.d_model, args.num_heads)

    train = load_sentences('train')[:args.max_sentences]
    valid = load_sentences('valid')[:args.eval_sentences]
    rng = np.random.default_rng(args.seed)  # initial weights, then dropout masks
    model = BertEncoder(10000, args.context_size, args.d_model, args.num_heads, args.num_layers,
                        args.d_ff, args.dropout, rng=rng)
    model = on_device(model, args.gpu)
    steps_per_epoch = MaskedLMTrainer.steps_per_epoch(len(train), args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup, total_steps), total_steps)
    trainer = MaskedLMTrainer(model, AdamW(args.lr, weight_decay=args.weight_decay), args.seed,
                              lr_schedule=schedule, mask_prob=args.mask_prob)
    valid_batches = masked_batches(model, valid, np.random.default_rng(VALID_MASK_SEED), args.mask_prob)

    def valid_figures():
        accuracy, ppl = evaluate(model, valid_batches)
        return {'valid_accuracy': accuracy, 'valid_ppl': ppl}

    progress = ValidationCurve(valid_figures, args.eval_interval, min(total_steps, args.max_steps or total_steps),
                               args.quiet)
    checkpoint = start_checkpoint(args, trainer, [progress], free=('max_steps',),
                                  every_steps=args.eval_interval, interrupt_name='bert_interrupted.npz')
    with checkpoint:
        trainer.fit(train, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=args.batch_size,
                    max_grad=args.max_grad, observers=[progress, checkpoint])

    curve = progress.curve
    if args.plot and curve['steps']:
        plot_curves({'masked-token accuracy (PTB valid)': (curve['steps'], curve['valid_accuracy'])},
                    xlabel='training step', ylabel='accuracy', path=args.plot, marker='o')
    if curve['steps']:
        print(f'valid masked-token accuracy {100 * curve["valid_accuracy"][-1]:.2f}%, '
              f'perplexity {curve["valid_ppl"][-1]:.1f} after {curve["steps"][-1]} steps '
              f'({curve["cpu_s"][-1]:.0f} s CPU, {curve["wall_s"][-1]:.0f} s wall)')
    return curve


if __name__ == '__main__':
    run_main(main)

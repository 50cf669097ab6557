"""Train the GPT language model on PTB (beyond the book; compare with chapter 6's LSTMs).

    python -m ch09_transformer.train_gpt --save gpt.npz --plot gpt.png

The training corpus is cut into windows of --context-size words at a new random offset every
epoch (``WindowTrainer``); AdamW with decoupled weight decay, a linear warm-up to --lr and a
cosine decay to --lr * --min-lr-ratio over all --epochs, gradients clipped to --max-grad.
--epochs is the total to reach, also when resuming with --load; the schedule spans all --epochs,
so a run is resumed with the --epochs it was started with (--epochs equal to the epochs done
trains nothing: it evaluates the saved run's best model).
After every epoch the validation perplexity is measured; the best model is kept (and saved
with --save).  At the end the best model is evaluated on the whole test corpus: every one of
its 82,430 words is predicted once (the first from the '<eos>' that ends the previous text),
by strided sliding windows that give each word at least half a window of context, so the
figure compares fairly with the LSTMs' (which carry their state through the whole corpus).
"""
from ch09_transformer.gpt import GPT
from common.evaluation import eval_perplexity_windows
from common.optimizer import AdamW, WarmupCosineSchedule
from common.trainer import Validation, WindowTrainer
from dataset.ptb import EOS, load_data
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (add_corpus_flags, check_heads, context_length, dropout_ratio, float_in,
                           layer_count, make_parser, make_rng, model_width, nonnegative_float,
                           nonnegative_int, on_device, positive_float, run_main)
from harness.memory import reuse_freed_memory

SHAPE_FLAGS = ('context_size', 'd_model', 'num_heads', 'num_layers', 'd_ff')


STEP_DEFAULTS = {'batch_size': 32, 'lr': 2e-3, 'seed': 1984}  # the common flags a step needs


def add_step_flags(parser):
    """The model's shape and the optimizer's recipe: all that one training step depends on
    (train_gpt and benchmarks/gpt_step.py), with the configuration measured best here."""
    parser.add_argument('--context-size', type=context_length, default=64, help='words per window')
    parser.add_argument('--d-model', type=model_width, default=128, help='width of the model')
    parser.add_argument('--num-heads', type=model_width, default=4, help='attention heads')
    parser.add_argument('--num-layers', type=layer_count, default=2, help='Transformer blocks')
    parser.add_argument('--d-ff', type=model_width, default=512, help='width of the feed-forward layers')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.2, help='dropout ratio (0: none)')
    parser.add_argument('--weight-decay', type=nonnegative_float, default=0.1,
                        help="AdamW's weight decay (0: none)")
    parser.add_argument('--max-grad', type=positive_float, default=1.0,
                        help='clip gradients to this global norm')


def make_parser_gpt(description):
    """The flags of train_gpt: a step's flags, the schedule, and the run's files and corpus."""
    parser = make_parser(description + '\n' + CHECKPOINT_HELP, epochs=20, save=None, load=None,
                         plot=None, gpu=False, **STEP_DEFAULTS)
    add_step_flags(parser)
    parser.add_argument('--warmup-steps', type=nonnegative_int, default=100,
                        help='steps of linear learning-rate warm-up (0: none)')
    parser.add_argument('--min-lr-ratio', type=float_in(0.0, 1.0), default=0.1,
                        help='the cosine decay ends at --lr times this (0: at 0)')
    add_corpus_flags(parser)
    return parser


def next_word_pairs(corpus, eos_id):
    """Inputs and targets that predict every word of ``corpus`` once: ([<eos>] + c[:-1], c)."""
    xs = corpus.copy()
    xs[1:], xs[0] = corpus[:-1], eos_id
    return xs, corpus


def main(argv=None):
    """Returns ``(model with the best parameters, {'train': perplexity every eval_interval
    iterations, 'valid': [perplexity after each epoch], 'test': float})``."""
    parser = make_parser_gpt(__doc__)
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages
    check_heads(parser, args.d_model, args.num_heads)

    corpus, word_to_id, _ = load_data('train')
    corpus = corpus[:args.max_tokens]
    eos_id = word_to_id[EOS]
    valid = next_word_pairs(load_data('valid')[0][:args.eval_tokens], eos_id)
    test = next_word_pairs(load_data('test')[0][:args.eval_tokens], eos_id)

    rng = make_rng(args.seed)  # initial weights, then dropout masks and window offsets
    model = on_device(GPT(len(word_to_id), args.context_size, args.d_model, args.num_heads, args.num_layers,
                          args.d_ff, args.dropout, rng=rng), args.gpu)
    steps = WindowTrainer.steps_per_epoch(len(corpus) - 1, args.batch_size, args.context_size)
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup_steps, steps * args.epochs),
                                    steps * args.epochs, args.lr * args.min_lr_ratio)
    trainer = WindowTrainer(model, AdamW(args.lr, weight_decay=args.weight_decay), rng,
                            verbose=not args.quiet, lr_schedule=schedule)
    if not args.quiet:
        print(f'GPT: {sum(p.size for p in model.params):,} parameters; {steps} steps an epoch')

    def valid_perplexity():
        ppl = eval_perplexity_windows(model, *valid, args.context_size)
        print(f'valid perplexity: {ppl:.2f} (learning rate now {trainer.optimizer.lr:.2e})', flush=True)
        return ppl

    validation = Validation(valid_perplexity)  # keeps (and --save saves) the best model
    checkpoint = start_checkpoint(args, trainer, [validation], interrupt_name='train_gpt_interrupted.npz')
    with checkpoint:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, time_size=args.context_size, max_grad=args.max_grad,
                    eval_interval=args.eval_interval, observers=[validation, checkpoint])
    if args.plot:
        trainer.plot(ylim=(0, 500), path=args.plot)

    validation.use_best(model)
    print(f'best model: epoch {validation.best_epoch}, valid perplexity {validation.best_score:.2f}')
    test_ppl = eval_perplexity_windows(model, *test, args.context_size)
    print(f'test perplexity: {test_ppl:.2f} (all {len(test[1]):,} test words, each predicted once with '
          f'at least {args.context_size - args.context_size // 2} words of context after the first window)')
    return model, {'train': trainer.ppl_list, 'valid': validation.scores, 'test': test_ppl}


if __name__ == '__main__':
    run_main(main)

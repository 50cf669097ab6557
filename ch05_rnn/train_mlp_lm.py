"""Train the feed-forward language model MlpLm (Bengio et al. 2003) on PTB.

    python -m ch05_rnn.train_mlp_lm --save mlp_lm.npz

Defaults: 6 words of context, word vectors of 256, 256 tanh units with the output weight tied to
the word vectors (W2 = C^T; --no-tie-weights unties it), dropout 0.5 on the tanh units and 0.2 on
the word vectors, batch 256, Adam with learning rate 0.001 (halved whenever the validation
perplexity improves by less than 1% on the best so far; --optimizer sgd takes the book's SGD,
learning rate 1.0), gradients clipped to norm 5, 15 epochs; the output bias starts at the log
unigram frequencies.

Every token of the training corpus is one example: its previous --context-size words (padded
with <eos> before the first word) and the word itself.  The examples are shuffled every epoch
and fed in mini-batches to the optimizer with gradient clipping.  After every epoch the validation
perplexity over every validation token is measured: if it improved, the model is kept (and
saved) as the best one; if it improved by less than --min-improvement of the best so far (or
worsened), the learning rate is divided by --lr-decay.  At the end the
best model gives the perplexity over every test token (Mikolov et al. 2011 report 140.2 for a
feed-forward network language model on this split; ch05_rnn.train_ngram's Kneser-Ney 5-gram
gives 141.06).
"""
import argparse

from ch05_rnn.mlp_lm import MlpLm, ngram_contexts
from common.backend import as_model_device
from common.evaluation import perplexity
from common.optimizer import SGD, Adam
from common.trainer import Trainer, Validation
from dataset.ptb import load_data
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (context_length, dropout_ratio, float_in, make_parser,
                           make_rng, model_width, on_device, positive_float, positive_int, run_main)
from harness.memory import reuse_freed_memory


OPTIMIZERS = {'adam': (Adam, 0.001), 'sgd': (SGD, 1.0)}  # name -> (class, default learning rate)


def eval_mlp_perplexity(model, contexts, targets, batch_size=1000):
    """exp(mean over all examples of -log P(target | context)), dropout off.

    contexts: (L, n), targets: (L,) word ids -> float; ``batch_size`` examples per forward.
    """
    contexts, targets = as_model_device(model, contexts), as_model_device(model, targets)
    total = 0.0
    for start in range(0, len(targets), batch_size):
        batch = slice(start, start + batch_size)
        total += model.forward(contexts[batch], targets[batch], train_flg=False) * len(targets[batch])
    return perplexity(total / len(targets))


def main(argv=None):
    """Returns ``(model with the best parameters, {'train': mean loss every eval_interval
    iterations, 'valid': [perplexity after each epoch], 'test': float})``."""
    parser = make_parser(__doc__ + '\n' + CHECKPOINT_HELP, epochs=15, batch_size=256, lr=None,
                         seed=1984, save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--context-size', type=context_length, default=6,
                        help='number of previous words the model sees (n of the (n+1)-gram)')
    parser.add_argument('--wordvec-size', type=model_width, default=256, help='size of the word vectors')
    parser.add_argument('--hidden-size', type=model_width, default=256, help='size of the tanh layer')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.5,
                        help='dropout ratio on the tanh layer (0: none)')
    parser.add_argument('--input-dropout', type=dropout_ratio, default=0.2,
                        help='dropout ratio on the concatenated word vectors (0: none)')
    parser.add_argument('--tie-weights', action=argparse.BooleanOptionalAction, default=True,
                        help='output weight = transposed word vectors (needs --wordvec-size == --hidden-size)')
    parser.add_argument('--direct', action='store_true',
                        help="add Bengio's direct connections from the word vectors to the output")
    parser.add_argument('--optimizer', choices=sorted(OPTIMIZERS), default='adam',
                        help='adam (learning rate 0.001 unless --lr) or sgd (1.0 unless --lr)')
    parser.add_argument('--max-grad', type=positive_float, default=5.0,
                        help='clip gradients to this global norm')
    parser.add_argument('--lr-decay', type=float_in(1.0, None), default=2.0,
                        help='divide the learning rate by this when the validation perplexity stalls')
    parser.add_argument('--min-improvement', type=float_in(0.0, 1.0, high_open=True), default=0.01,
                        help='stalls: improves on the best so far by less than this share (0: worsens)')
    parser.add_argument('--max-tokens', type=positive_int, help='train on the first N tokens of PTB only')
    parser.add_argument('--eval-tokens', type=positive_int,
                        help='measure perplexities on the first N tokens of the corpus only')
    parser.add_argument('--eval-interval', type=positive_int, default=200,
                        help='record (and print) the mean loss every this many iterations')
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages
    if args.tie_weights and args.wordvec_size != args.hidden_size:
        parser.error(f'--tie-weights needs --wordvec-size == --hidden-size, got {args.wordvec_size} '
                     f'and {args.hidden_size}')

    corpus, word_to_id, _ = load_data('train')
    pad = word_to_id['<eos>']
    n = args.context_size
    data = {}
    for name, tokens in (('train', corpus[:args.max_tokens]),
                         ('valid', load_data('valid')[0][:args.eval_tokens]),
                         ('test', load_data('test')[0][:args.eval_tokens])):
        data[name] = (ngram_contexts(tokens, n, pad), tokens)

    rng = make_rng(args.seed)  # initial weights, then dropout masks and shuffling
    model = on_device(MlpLm(len(word_to_id), n, args.wordvec_size, args.hidden_size, args.dropout,
                            args.direct, rng=rng, input_dropout=args.input_dropout,
                            tie_weights=args.tie_weights), args.gpu)
    model.init_output_bias(data['train'][1])  # start from the unigram distribution
    optimizer_class, default_lr = OPTIMIZERS[args.optimizer]
    optimizer = optimizer_class(lr=default_lr if args.lr is None else args.lr)
    trainer = Trainer(model, optimizer, rng=rng, verbose=not args.quiet)

    def valid_perplexity():
        ppl = eval_mlp_perplexity(model, *data['valid'])
        print(f'epoch {trainer.current_epoch}: valid perplexity {ppl:.2f}', flush=True)
        return ppl

    # Keep (and save) the best model; decay the rate when the perplexity improves by less than
    # --min-improvement of the best so far.
    validation = Validation(valid_perplexity, lr_decay=args.lr_decay, min_improvement=args.min_improvement)
    checkpoint = start_checkpoint(args, trainer, [validation], interrupt_name='train_mlp_lm_interrupted.npz')
    with checkpoint:
        trainer.fit(*data['train'], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, max_grad=args.max_grad,
                    eval_interval=args.eval_interval, observers=[validation, checkpoint])
    if args.plot:
        trainer.plot(path=args.plot)

    validation.use_best(model)
    print(f'best model: epoch {validation.best_epoch}, valid perplexity {validation.best_score:.2f}')
    test_ppl = eval_mlp_perplexity(model, *data['test'])
    print(f'test perplexity: {test_ppl:.2f}')
    return model, {'train': trainer.loss_list, 'valid': validation.scores, 'test': test_ppl}


if __name__ == '__main__':
    run_main(main)

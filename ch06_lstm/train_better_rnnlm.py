"""Train BetterRnnlm on PTB with learning-rate decay on the validation perplexity (book 6.5.4).

    python -m ch06_lstm.train_better_rnnlm --save better_rnnlm.npz

Book settings (the defaults): word vectors and hidden state of 650, dropout 0.5, batch 20, 35 time
steps, SGD with learning rate 20, gradients clipped to norm 0.25, 40 epochs (hours on a CPU; use a
GPU, or --max-tokens/--epochs for a quick run).  After every epoch the validation perplexity is
measured: if it improved, the model is kept (and saved) as the best one, otherwise the learning
rate is divided by 4.  At the end the best model (not the last one, as in the book's listing) is
evaluated on the test corpus; the book reports a test perplexity of about 75.

Dropout through time (Gal & Ghahramani's variational LSTM), beyond the book:
--variational-dropout shares each between-layer mask over all time steps of a sequence;
--recurrent-dropout P also drops h_{t-1} where it enters each LSTM's h_{t-1} Wh (one mask per
sequence); --embedding-dropout P drops whole word types (one mask per sequence).  See
ch06_lstm.better_rnnlm.BetterRnnlm for exactly which connections each one drops.
"""
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.train_rnnlm import make_lm_parser
from common.evaluation import eval_perplexity
from common.optimizer import SGD
from common.trainer import RnnlmTrainer, Validation
from dataset.ptb import load_data
from harness.book_figures import beside_the_book
from harness.checkpoint import start_checkpoint
from harness.flags import (check_tokens_for_one_batch, dropout_ratio, float_in, make_rng, on_device,
                           run_main)
from harness.memory import reuse_freed_memory


def main(argv=None):
    """Returns ``(model with the best parameters, {'train': perplexity every eval_interval iterations,
    'valid': [perplexity after each epoch], 'test': float})``."""
    parser = make_lm_parser(__doc__, epochs=40, size=650)  # word vectors = hidden size: tied weights
    parser.add_argument('--dropout', type=dropout_ratio, default=0.5,
                        help='dropout ratio between layers (0: no dropout)')
    parser.add_argument('--variational-dropout', action='store_true',
                        help='one dropout mask per sequence, shared by all time steps')
    parser.add_argument('--recurrent-dropout', type=dropout_ratio, default=0.0,
                        help='dropout ratio on h_{t-1} entering each LSTM (one mask per sequence; 0: none)')
    parser.add_argument('--embedding-dropout', type=dropout_ratio, default=0.0,
                        help='ratio of word types dropped from the embedding (one mask per sequence; '
                             '0: none)')
    parser.add_argument('--lr-decay', type=float_in(1.0, None), default=4.0,
                        help='divide the learning rate by this when the validation perplexity worsens '
                             '(1: keep it)')
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages

    corpus, word_to_id, _ = load_data('train')
    corpus = corpus[:args.max_tokens]
    check_tokens_for_one_batch(parser, len(corpus), args.batch_size, args.time_size)
    corpus_val = load_data('valid')[0][:args.eval_tokens]
    corpus_test = load_data('test')[0][:args.eval_tokens]

    rng = make_rng(args.seed)  # initial weights, then the dropout masks
    model = on_device(BetterRnnlm(len(word_to_id), args.wordvec_size, args.hidden_size, args.dropout,
                                  args.variational_dropout, args.recurrent_dropout, args.embedding_dropout,
                                  rng=rng), args.gpu)
    optimizer = SGD(lr=args.lr)
    trainer = RnnlmTrainer(model, optimizer, verbose=not args.quiet)

    def valid_perplexity():
        ppl = eval_perplexity(model, corpus_val)  # resets the LSTM state before and after
        print(f'valid perplexity: {ppl:.2f}')
        return ppl

    # After every epoch: keep the model if the validation perplexity improved, else lr /= 4.
    validation = Validation(valid_perplexity, lr_decay=args.lr_decay)
    # --lr-decay only shapes what comes next, so a resumed run may change it.
    checkpoint = start_checkpoint(args, trainer, [validation], free=('lr_decay',),
                                  interrupt_name='train_better_rnnlm_interrupted.npz')
    with checkpoint:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, time_size=args.time_size, max_grad=args.max_grad,
                    eval_interval=args.eval_interval, observers=[validation, checkpoint])
    if args.plot:
        trainer.plot(ylim=(0, 500), path=args.plot)

    validation.use_best(model)
    print(f'best model: epoch {validation.best_epoch}, valid perplexity {validation.best_score:.2f}')
    test_ppl = eval_perplexity(model, corpus_test)
    print(f'test perplexity: {test_ppl:.2f}')
    beside_the_book(parser, args, f'test perplexity {test_ppl:.2f}', 'test perplexity 75.76 after 40 epochs',
                    'the 650-unit model on a CPU reached a test perplexity of 84.09 after 14 of the 40 '
                    'epochs (docs/results.md)', varied=('lr_decay',))
    return model, {'train': trainer.ppl_list, 'valid': validation.scores, 'test': test_ppl}


if __name__ == '__main__':
    run_main(main)

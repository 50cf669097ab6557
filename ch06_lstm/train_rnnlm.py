"""Train the LSTM language model Rnnlm on PTB (book section 6.4, train_rnnlm.py).

    python -m ch06_lstm.train_rnnlm --save rnnlm.npz --plot rnnlm.png

Book settings (the defaults): word vectors and hidden state of 100, batch 20, 35 time steps,
SGD with learning rate 20, gradients clipped to norm 0.25, 4 epochs; test perplexity about 136.
--cell gru trains the same model with a GRU.  At the end the state is reset and the perplexity
of the test corpus is printed.
"""
from ch06_lstm.rnnlm import CELLS, Rnnlm
from common.evaluation import eval_perplexity
from common.optimizer import SGD
from common.trainer import RnnlmTrainer
from dataset.ptb import load_data
from harness.book_figures import beside_the_book
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (add_corpus_flags, check_tokens_for_one_batch, make_parser, make_rng,
                           model_width, on_device, positive_float, positive_int, run_main)
from harness.memory import reuse_freed_memory


def make_lm_parser(description, epochs, size):
    """The flags of both chapter-6 training scripts, with the book's values as defaults."""
    parser = make_parser(description + '\n' + CHECKPOINT_HELP, epochs=epochs, batch_size=20, lr=20.0,
                         seed=1984, save=None, load=None, plot=None, gpu=False)
    parser.add_argument('--wordvec-size', type=model_width, default=size, help='size of the word vectors')
    parser.add_argument('--hidden-size', type=model_width, default=size,
                        help='size of the LSTM hidden states')
    parser.add_argument('--time-size', type=positive_int, default=35,
                        help='time steps per truncated-BPTT block')
    parser.add_argument('--max-grad', type=positive_float, default=0.25,
                        help='clip gradients to this global norm')
    add_corpus_flags(parser)
    return parser


def main(argv=None):
    """Returns ``(model, {'train': perplexity every eval_interval iterations, 'test': float})``."""
    parser = make_lm_parser(__doc__, epochs=4, size=100)
    parser.add_argument('--cell', choices=sorted(CELLS), default='lstm', help='recurrent layer')
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages

    corpus, word_to_id, _ = load_data('train')
    corpus = corpus[:args.max_tokens]
    check_tokens_for_one_batch(parser, len(corpus), args.batch_size, args.time_size)
    corpus_test = load_data('test')[0][:args.eval_tokens]

    model = on_device(Rnnlm(len(word_to_id), args.wordvec_size, args.hidden_size, args.cell,
                            rng=make_rng(args.seed)), args.gpu)
    trainer = RnnlmTrainer(model, SGD(lr=args.lr), verbose=not args.quiet)
    checkpoint = start_checkpoint(args, trainer, interrupt_name='train_rnnlm_interrupted.npz')
    with checkpoint:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=checkpoint.epochs_left(args.epochs),
                    batch_size=args.batch_size, time_size=args.time_size, max_grad=args.max_grad,
                    eval_interval=args.eval_interval, observers=[checkpoint])
    if args.plot:
        trainer.plot(ylim=(0, 500), path=args.plot)

    test_ppl = eval_perplexity(model, corpus_test)
    print(f'test perplexity: {test_ppl:.2f}')
    beside_the_book(parser, args, f'test perplexity {test_ppl:.2f}', 'test perplexity 136.08 after 4 epochs',
                    'fewer epochs or tokens end higher: the perplexity falls most in the first epoch')
    return model, {'train': trainer.ppl_list, 'test': test_ppl}


if __name__ == '__main__':
    run_main(main)

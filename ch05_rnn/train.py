"""Train SimpleRnnlm on the first 1,000 PTB tokens with RnnlmTrainer (book section 5.5.4, train.py).

    python -m ch05_rnn.train --plot simple_rnnlm.png

Book settings (the defaults): batch 10, word vectors and hidden state of 100, 5 time steps, SGD
with learning rate 0.1, 100 epochs; the perplexity falls from about 400 to about 5 (the model
learns this small corpus by heart: it is not a test of generalisation).
"""
from ch05_rnn.simple_rnnlm import SimpleRnnlm
from common.optimizer import SGD
from common.trainer import RnnlmTrainer
from dataset.ptb import load_data
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import (check_tokens_for_one_batch, make_parser, make_rng, model_width, on_device,
                           positive_int, run_main)


def make_simple_parser(description, resumable=False):
    """The flags of both chapter-5 training scripts, with the book's values as defaults;
    ``resumable`` adds --save and --load (the run with ``RnnlmTrainer``)."""
    checkpoint_flags = {'save': None, 'load': None} if resumable else {}
    parser = make_parser(description, epochs=100, batch_size=10, lr=0.1, seed=1984, plot=None,
                         gpu=False, **checkpoint_flags)
    parser.add_argument('--wordvec-size', type=model_width, default=100, help='size of the word vectors')
    parser.add_argument('--hidden-size', type=model_width, default=100, help='size of the RNN hidden state')
    parser.add_argument('--time-size', type=positive_int, default=5,
                        help='time steps per truncated-BPTT block')
    parser.add_argument('--max-tokens', type=positive_int, default=1000,
                        help='train on the first N tokens of PTB')
    return parser


def load_corpus_start(max_tokens):
    """The first ``max_tokens`` PTB words -> (corpus, vocab_size = the largest id in it + 1)."""
    corpus = load_data('train')[0][:max_tokens]
    return corpus, int(corpus.max()) + 1


def main(argv=None):
    """Returns ``(model, ppl_list)``: the trained model and the perplexity recorded every epoch."""
    parser = make_simple_parser(__doc__ + '\n' + CHECKPOINT_HELP, resumable=True)
    args = parser.parse_args(argv)
    corpus, vocab_size = load_corpus_start(args.max_tokens)
    check_tokens_for_one_batch(parser, len(corpus), args.batch_size, args.time_size)
    xs, ts = corpus[:-1], corpus[1:]

    model = SimpleRnnlm(vocab_size, args.wordvec_size, args.hidden_size, rng=make_rng(args.seed))
    model = on_device(model, args.gpu)
    trainer = RnnlmTrainer(model, SGD(lr=args.lr), verbose=not args.quiet)
    checkpoint = start_checkpoint(args, trainer, interrupt_name='simple_rnnlm_interrupted.npz')
    with checkpoint:
        trainer.fit(xs, ts, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=args.batch_size,
                    time_size=args.time_size, observers=[checkpoint])
    print(f'perplexity: first epoch {trainer.ppl_list[0]:.2f}, last epoch {trainer.ppl_list[-1]:.2f}')

    if args.plot:
        trainer.plot(path=args.plot)
    return model, trainer.ppl_list


if __name__ == '__main__':
    run_main(main)

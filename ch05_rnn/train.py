"""Train SimpleRnnlm on the first 1,000 PTB tokens with RnnlmTrainer (book section 5.5.4, train.py).

    python -m ch05_rnn.train --plot simple_rnnlm.png

Book settings (the defaults): batch 10, word vectors and hidden state of 100, 5 time steps, SGD
with learning rate 0.1, 100 epochs; the perplexity falls from about 400 to about 5 (the model
learns this small corpus by heart: it is not a test of generalisation).
"""
from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch05_rnn.simple_script import (SIMPLE_RNNLM_BOOK, SIMPLE_RNNLM_SHORTER, load_corpus_start,
                                    make_simple_parser)
from common.optimizer import SGD
from common.trainer import RnnlmTrainer
from harness.book_figures import beside_the_book
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import check_tokens_for_one_batch, make_rng, on_device, run_main


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
    first_last = f'perplexity {trainer.ppl_list[0]:.2f} -> {trainer.ppl_list[-1]:.2f} (first -> last epoch)'
    print(first_last)
    beside_the_book(parser, args, first_last, SIMPLE_RNNLM_BOOK, SIMPLE_RNNLM_SHORTER)

    if args.plot:
        trainer.plot(path=args.plot)
    return model, trainer.ppl_list


if __name__ == '__main__':
    run_main(main)

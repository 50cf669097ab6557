"""Train SimpleRnnlm on the first 1,000 PTB tokens with a hand-written truncated-BPTT loop
(book section 5.5.3, train_custom_loop.py).

    python -m ch05_rnn.train_custom_loop --plot simple_rnnlm.png

Book settings (the defaults): batch 10, word vectors and hidden state of 100, 5 time steps, SGD
with learning rate 0.1, 100 epochs; the perplexity falls from about 400 to about 5.
"""
import numpy as np

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch05_rnn.simple_script import (SIMPLE_RNNLM_BOOK, SIMPLE_RNNLM_SHORTER, load_corpus_start,
                                    make_simple_parser)
from common.backend import array_module, as_model_device
from common.optimizer import SGD
from common.plot import plot_curves
from harness.book_figures import beside_the_book
from harness.flags import check_tokens_for_one_batch, make_rng, on_device, run_main


def main(argv=None):
    """Returns ``(model, ppl_list)``: the trained model and the perplexity of every epoch."""
    parser = make_simple_parser(__doc__)
    args = parser.parse_args(argv)
    batch_size, time_size, max_epoch = args.batch_size, args.time_size, args.epochs

    corpus, vocab_size = load_corpus_start(args.max_tokens)
    check_tokens_for_one_batch(parser, len(corpus), batch_size, time_size)
    xs, ts = corpus[:-1], corpus[1:]  # input words and the words that follow them
    data_size = len(xs)
    max_iters = data_size // (batch_size * time_size)

    model = SimpleRnnlm(vocab_size, args.wordvec_size, args.hidden_size, rng=make_rng(args.seed))
    model = on_device(model, args.gpu)
    optimizer = SGD(lr=args.lr)
    xs, ts = as_model_device(model, xs), as_model_device(model, ts)  # the data where the model is
    xp = array_module(xs)

    # Row i of every batch reads the corpus from offset i * jump onwards, time_size words at a
    # time, so the hidden state of one batch is the right start for the next (truncated BPTT).
    jump = data_size // batch_size
    offsets = xp.arange(batch_size)[:, None] * jump  # (batch_size, 1)
    time_idx = 0
    total_loss, loss_count = 0.0, 0
    ppl_list = []

    for epoch in range(max_epoch):
        for iters in range(max_iters):
            # the next time_size words of every row: (batch_size, time_size)
            positions = (offsets + time_idx + xp.arange(time_size)[None, :]) % data_size
            batch_x, batch_t = xs[positions], ts[positions]
            time_idx += time_size

            # compute the gradients and update the parameters
            loss = model.forward(batch_x, batch_t)
            model.backward()
            optimizer.update(model.params, model.grads)
            total_loss += loss
            loss_count += 1

        # perplexity of the epoch: exp of the mean loss
        ppl = float(np.exp(total_loss / loss_count))
        if not args.quiet:
            print(f'| epoch {epoch + 1} | perplexity {ppl:.2f}')
        ppl_list.append(ppl)
        total_loss, loss_count = 0.0, 0

    first_last = f'perplexity {ppl_list[0]:.2f} -> {ppl_list[-1]:.2f} (first -> last epoch)'
    print(first_last)
    beside_the_book(parser, args, first_last, SIMPLE_RNNLM_BOOK, SIMPLE_RNNLM_SHORTER)
    if args.plot:
        plot_curves({'train': (np.arange(1, len(ppl_list) + 1), ppl_list)}, 'epochs', 'perplexity',
                    path=args.plot, integer_x=True)
    return model, ppl_list


if __name__ == '__main__':
    run_main(main)

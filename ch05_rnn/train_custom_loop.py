"""Train SimpleRnnlm on the first 1,000 PTB tokens with a hand-written truncated-BPTT loop
(book section 5.5.3, train_custom_loop.py).

    python -m ch05_rnn.train_custom_loop --plot simple_rnnlm.png

Book settings (the defaults): batch 10, word vectors and hidden state of 100, 5 time steps, SGD
with learning rate 0.1, 100 epochs; the perplexity falls from about 400 to about 5.
``TrainingRun`` calls the epoch once per epoch: with --save it writes a checkpoint after each
one (and on Ctrl-C or SIGTERM), which --load resumes exactly (see Checkpoints below).
"""
import numpy as np

from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch05_rnn.train import load_corpus_start, make_simple_parser, start_run
from common.backend import array_module, as_model_device
from common.optimizer import SGD
from common.plot import plot_curves
from harness.checkpoint import LoopState
from harness.flags import check_tokens_for_one_batch, make_rng, on_device, run_main


def main(argv=None):
    """Returns ``(model, ppl_list)``: the trained model and the perplexity of every epoch."""
    parser = make_simple_parser(__doc__)
    args = parser.parse_args(argv)
    batch_size, time_size = args.batch_size, args.time_size

    corpus, vocab_size = load_corpus_start(args.max_tokens)
    check_tokens_for_one_batch(parser, len(corpus), batch_size, time_size)
    xs, ts = corpus[:-1], corpus[1:]  # input words and the words that follow them
    data_size = len(xs)
    max_iters = data_size // (batch_size * time_size)

    model = SimpleRnnlm(vocab_size, args.wordvec_size, args.hidden_size, rng=make_rng(args.seed))
    model = on_device(model, args.gpu)
    xs, ts = as_model_device(model, xs), as_model_device(model, ts)  # the data where the model is
    xp = array_module(xs)
    # The optimizer, the perplexity list and the position in the corpus, saved with each epoch.
    loop = LoopState(SGD(lr=args.lr), time_idx=0)
    run = start_run(args, model, loop)
    optimizer, ppl_list = loop.optimizer, loop.history

    # Row i of every batch reads the corpus from offset i * jump onwards, time_size words at a
    # time, so the hidden state of one batch is the right start for the next (truncated BPTT).
    jump = data_size // batch_size
    offsets = xp.arange(batch_size)[:, None] * jump

    def one_epoch():
        total_loss = 0.0
        for _ in range(max_iters):
            positions = (offsets + loop.time_idx + xp.arange(time_size)[None, :]) % data_size
            loop.time_idx += time_size
            loss = model.forward(xs[positions], ts[positions])
            model.backward()
            optimizer.update(model.params, model.grads)
            total_loss += loss
        ppl_list.append(float(np.exp(total_loss / max_iters)))  # perplexity = exp(mean loss)
        if not args.quiet:
            print(f'| epoch {run.epoch + 1} | perplexity {ppl_list[-1]:.2f}')

    run.train(args.epochs, one_epoch, save_path=args.save, interrupt_path='simple_rnnlm_interrupted.npz')
    print(f'perplexity: first epoch {ppl_list[0]:.2f}, last epoch {ppl_list[-1]:.2f}')

    if args.plot:
        plot_curves({'train': (np.arange(1, len(ppl_list) + 1), ppl_list)}, 'epochs', 'perplexity',
                    path=args.plot)
    return model, ppl_list


if __name__ == '__main__':
    run_main(main)

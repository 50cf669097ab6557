"""Train SimpleCBOW and SimpleSkipGram on "You say goodbye and I say hello." (book chapter 3, train.py).

    python -m ch03_word2vec.train --plot word2vec_loss.png

Book settings: window 1, hidden size 5, batch size 3, 1000 epochs, Adam.  The book trains only
CBOW; both models are trained here (--model picks one), their loss curves drawn in one plot,
and the learned word vectors (the rows of W_in) printed.
"""
import numpy as np

from ch03_word2vec.simple_cbow import SimpleCBOW
from ch03_word2vec.simple_skip_gram import SimpleSkipGram
from common.backend import to_cpu
from common.optimizer import Adam
from common.plot import plot_curves
from common.trainer import Trainer
from common.util import convert_one_hot, create_contexts_target, preprocess
from harness.flags import make_parser, make_rng, model_width, on_device, positive_int, run_main

TEXT = 'You say goodbye and I say hello.'
MODELS = {'cbow': SimpleCBOW, 'skipgram': SimpleSkipGram}


def main(argv=None):
    """Returns ``{model name: (model, loss_list)}`` for the models trained."""
    parser = make_parser(__doc__, epochs=1000, batch_size=3, lr=0.001, seed=1984,
                         plot='word2vec_loss.png', gpu=False)
    parser.add_argument('--model', choices=['cbow', 'skipgram', 'both'], default='both',
                        help='which model(s) to train')
    parser.add_argument('--window-size', type=positive_int, default=1, help='context words on each side')
    parser.add_argument('--hidden-size', type=model_width, default=5, help='dimensions of the word vectors')
    args = parser.parse_args(argv)
    names = list(MODELS) if args.model == 'both' else [args.model]
    rng = make_rng(args.seed)

    corpus, word_to_id, id_to_word = preprocess(TEXT)
    vocab_size = len(word_to_id)
    contexts, target = create_contexts_target(corpus, args.window_size)
    contexts = convert_one_hot(contexts, vocab_size).astype(np.float32)
    target = convert_one_hot(target, vocab_size).astype(np.float32)

    results = {}
    for name in names:
        model = on_device(MODELS[name](vocab_size, args.hidden_size, rng=rng), args.gpu)
        trainer = Trainer(model, Adam(lr=args.lr), rng=rng, verbose=not args.quiet)
        trainer.fit(contexts, target, max_epoch=args.epochs, batch_size=args.batch_size)
        print(f'\n{name}: final loss {trainer.loss_list[-1]:.4f}; word vectors (rows of W_in):')
        word_vecs = to_cpu(model.word_vecs)  # printing is host work: one copy
        for word_id, word in id_to_word.items():
            print(f'{word:>8} {np.array2string(word_vecs[word_id], precision=3)}')
        results[name] = (model, trainer.loss_list)

    if args.plot:
        # A batch of 3 of the 6 contexts: 2 iterations an epoch, one loss recorded at each epoch's end.
        curves = {name: (np.arange(1, len(losses) + 1), losses) for name, (_, losses) in results.items()}
        plot_curves(curves, 'epochs', 'loss', path=args.plot, integer_x=True)
    return results


if __name__ == '__main__':
    run_main(main)

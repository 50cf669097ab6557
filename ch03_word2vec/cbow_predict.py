"""The CBOW forward pass by hand, before any training (book chapter 3, cbow_predict.py).

    python -m ch03_word2vec.cbow_predict

The contexts "you" (id 0) and "goodbye" (id 2) of the toy corpus, as one-hot rows, go through
one MatMul(W_in) each (the same W_in); the mean of the two hidden vectors goes through
MatMul(W_out) and gives one score per word of the 7-word vocabulary.
"""
import numpy as np

from common.functions import softmax
from common.layers import MatMul
from harness.flags import make_parser, make_rng, run_main


def main(argv=None):
    """Returns the scores s: (1, 7) of the 7 words for the contexts "you" and "goodbye"."""
    parser = make_parser(__doc__, seed=1984)
    args = parser.parse_args(argv)
    rng = make_rng(args.seed)

    c0 = np.array([[1, 0, 0, 0, 0, 0, 0]], dtype=np.float32)  # "you"
    c1 = np.array([[0, 0, 1, 0, 0, 0, 0]], dtype=np.float32)  # "goodbye"
    W_in = rng.standard_normal((7, 3)).astype(np.float32)
    W_out = rng.standard_normal((3, 7)).astype(np.float32)

    in_layer0 = MatMul(W_in)
    in_layer1 = MatMul(W_in)
    out_layer = MatMul(W_out)

    h = 0.5 * (in_layer0.forward(c0) + in_layer1.forward(c1))
    s = out_layer.forward(h)
    print('scores s =', np.array2string(s, precision=4))
    if not args.quiet:
        print('softmax(s) =', np.array2string(softmax(s), precision=4))
    return s


if __name__ == '__main__':
    run_main(main)

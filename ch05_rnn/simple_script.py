"""What the two chapter-5 training scripts share: their flags, the start of PTB they train on, and
the book's figure."""
from dataset.ptb import load_data
from harness.flags import make_parser, model_width, positive_int


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


SIMPLE_RNNLM_BOOK = 'perplexity about 400 -> about 5 over 100 epochs'
SIMPLE_RNNLM_SHORTER = ('the model learns the tokens by heart, epoch by epoch: from about 400 to about 185 '
                        'after 20 epochs and 86 after 50')


def load_corpus_start(max_tokens):
    """The first ``max_tokens`` PTB words -> (corpus, vocab_size = the largest id in it + 1)."""
    corpus = load_data('train')[0][:max_tokens]
    return corpus, int(corpus.max()) + 1

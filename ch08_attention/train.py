"""Train seq2seq with attention on the date-format problems (book section 8.3, train.py).

    python -m ch07_seq2seq.train_attention --plot acc.png --heatmap attention.png

Book settings (the defaults): character vectors of 16, hidden size 256, batch 128, Adam
(lr 0.001), gradients clipped to norm 5, 10 epochs, questions fed reversed.  The book's code
reached 99.9% test accuracy from epoch 3.  --heatmap draws, for a few test questions, which
input characters the decoder attended to while writing each character of its answer.
"""
from ch07_seq2seq.attention_plot import plot_attention
from ch07_seq2seq.attention_seq2seq import AttentionSeq2seq
from ch07_seq2seq.seq2seq_training import (compare_beam_search, load_seq2seq_data, plot_accuracy,
                                           seq2seq_parser, train_and_test)
from common.cli import make_rng


def main(argv=None):
    """Returns ``(model, accuracies)``: the trained model and the test accuracy of every epoch."""
    parser = seq2seq_parser(__doc__, data='date.txt', epochs=10, hidden_size=256, reverse=True)
    parser.add_argument('--heatmap', metavar='PATH', help='save attention maps of test questions (PNG)')
    parser.add_argument('--heatmap-samples', type=int, default=4, help='questions in the heat map')
    args = parser.parse_args(argv)

    rng = make_rng(args.seed)  # initial weights, then the shuffling
    (train, test), char_to_id, id_to_char = load_seq2seq_data(args)
    model = AttentionSeq2seq(len(char_to_id), args.wordvec_size, args.hidden_size, rng=rng)
    accuracies = train_and_test(model, (train, test), id_to_char, args, rng)

    if args.beam_width > 1:
        compare_beam_search(model, *test, args.beam_width)
    if args.plot:
        plot_accuracy(accuracies, args.plot, 'attention')
    if args.heatmap:
        x_test, t_test = test
        samples = slice(0, args.heatmap_samples)
        plot_attention(model, x_test[samples], t_test[samples, 0], t_test.shape[1] - 1, id_to_char,
                       args.reverse, args.heatmap)
    return model, accuracies


if __name__ == '__main__':
    main()

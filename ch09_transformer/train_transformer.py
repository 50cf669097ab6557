"""Train a Transformer seq2seq on the date-format or addition problems (beyond the book: the seed
notes' Transformer, next to chapter 7's LSTMs and chapter 8's attention on the same data).

    python -m ch09_transformer.train_transformer                           # dates, 5 epochs
    python -m ch09_transformer.train_transformer --data addition.txt       # addition, 25 epochs
    python -m ch09_transformer.train_transformer --beam-width 3 --save transformer.npz --plot acc.png

The questions are read in their written order (no reversal: every answer position attends to
every question position).  Defaults (the settings measured in the README): model width 64,
4 heads, 2 encoder and 2 decoder blocks, feed-forward width 128, no dropout; batch 128, Adam
whose rate rises linearly to 0.005 over 200 steps and then falls to 0 at the last step (cosine),
gradients clipped to norm 5.  --epochs defaults to 5 on dates and 25 on addition (the book's
addition runs).
"""
from ch07_seq2seq.seq2seq_training import load_seq2seq_data, report, seq2seq_parser, train_and_test
from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from harness.flags import (check_heads, dropout_ratio, layer_count, make_rng, model_width,
                           nonnegative_int, run_main)

DEFAULT_EPOCHS = {'date.txt': 5, 'addition.txt': 25}


def main(argv=None):
    """Returns ``(model, accuracies)``: the trained model and the test accuracy of every epoch."""
    parser = seq2seq_parser(__doc__, data='date.txt', epochs=None, reverse=False, lr=0.005)
    parser.add_argument('--d-model', type=model_width, default=64, help='model width D (divisible by --num-heads)')
    parser.add_argument('--num-heads', type=model_width, default=4, help='attention heads per layer')
    parser.add_argument('--num-layers', type=layer_count, default=2, help='blocks in the encoder and in the decoder')
    parser.add_argument('--d-ff', type=model_width, default=128, help='width of the feed-forward layers')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.0,
                        help='residual and attention dropout (0: none)')
    parser.add_argument('--warmup-steps', type=nonnegative_int, default=200,
                        help='steps of linear learning-rate warm-up (0: none); then a cosine decay to 0 '
                             'at the last step')
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS[args.data]
    check_heads(parser, args.d_model, args.num_heads)

    rng = make_rng(args.seed)  # initial weights, then the dropout masks and the shuffling
    (train, test), char_to_id, id_to_char = load_seq2seq_data(args)
    model = TransformerSeq2seq(len(char_to_id), args.d_model, args.num_heads, args.num_layers, args.d_ff,
                               args.dropout, rng=rng)
    accuracies = train_and_test(model, (train, test), id_to_char, args, rng, args.warmup_steps)
    report(model, test, accuracies, args, 'Transformer')
    return model, accuracies


if __name__ == '__main__':
    run_main(main)

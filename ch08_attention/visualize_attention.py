"""Attention heat maps (book section 8.3.3, ch08/visualize_attention.py, figure 8-26): which input
characters the decoder looked at while it wrote each character of its answer.

    python -m ch08_attention.train --save attention_seq2seq.npz      (once; it prints its ETA)
    python -m ch08_attention.visualize_attention --load attention_seq2seq.npz --plot attention.png
    python -m ch08_attention.visualize_attention --book-weights AttentionSeq2seq.pkl   # the book's model

Draws ``--samples`` test questions of the date set picked at random (``--seed``), one heat map
each: rows are the model's greedy answer characters, columns the question characters in reading
order.  The model's sizes and ``--reverse`` must be those it was trained with.
"""
import argparse

from ch08_attention.attention_seq2seq import AttentionSeq2seq, book_date_vocab
from common.backend import to_cpu
from common.plot import finish_figure, new_figure
from dataset import sequence
from harness.flags import (load_or_exit, make_parser, make_rng, model_width, positive_int,
                           require_checkpoint, run_main)


def plot_attention(model, xs, start_id, answer_length, id_to_char, is_reverse=False, path=None):
    """One heat map per question: rows = answer characters, columns = question characters.

    model: AttentionSeq2seq; xs: (N, T_in) question ids (reversed if ``is_reverse``; they are
    shown in reading order); start_id: int or (N,) ids.  The answers (answer_length characters)
    are the model's own greedy answers, with the weights of ``generate_with_attention``.
    Saved to ``path`` (PNG) or shown inline.  -> (answers (N, answer_length),
    weights (N, answer_length, T_in)) as drawn (columns in reading order).
    """
    answers, weights = model.generate_with_attention(xs, start_id, answer_length)
    answers, weights, xs = to_cpu(answers), to_cpu(weights), to_cpu(xs)
    if is_reverse:
        xs, weights = xs[:, ::-1], weights[:, :, ::-1]
    fig = new_figure(path, figsize=(8, 2.2 * len(xs)))
    for n in range(len(xs)):
        ax = fig.add_subplot(len(xs), 1, n + 1)
        ax.imshow(weights[n], cmap='Greys_r', vmin=0, vmax=1, aspect='auto')
        ax.set_xticks(range(xs.shape[1]), list(sequence.decode(xs[n], id_to_char)))
        ax.set_yticks(range(answers.shape[1]), list(sequence.decode(answers[n], id_to_char)))
        ax.set_xlabel('question')
        ax.set_ylabel('answer')
    finish_figure(fig, path)
    return answers, weights


def in_book_formats(x_test, t_test, id_to_char):
    """The test questions written in the four formats of the book's own date.txt
    (``sequence.BOOK_DATE_FORMATS``), and their answers, re-encoded with the book's date vocabulary
    (``book_date_vocab``): the book's model has seen nothing else."""
    book_char_to_id, _ = book_date_vocab()
    pairs = [(sequence.decode(x, id_to_char).rstrip(), sequence.decode(t, id_to_char))
             for x, t in zip(x_test, t_test)]
    pairs = [(q, a) for q, a in pairs if sequence.date_format(q, a) in sequence.BOOK_DATE_FORMATS]
    questions, answers = zip(*pairs)
    return (sequence.encode(questions, book_char_to_id, x_test.shape[1]),
            sequence.encode(answers, book_char_to_id, t_test.shape[1]))


def main(argv=None):
    """Returns ``(answers, weights)`` of the drawn questions (see ``plot_attention``)."""
    parser = make_parser(__doc__, seed=None, load='attention_seq2seq.npz', plot='attention.png', save=None)
    parser.add_argument('--samples', type=positive_int, default=5, help='test questions to draw')
    parser.add_argument('--wordvec-size', type=model_width, default=16, help='size of the character vectors')
    parser.add_argument('--hidden-size', type=model_width, default=256, help='size of the LSTM states')
    parser.add_argument('--reverse', action=argparse.BooleanOptionalAction, default=True,
                        help='the model reads the questions reversed (as ch08_attention.train does)')
    parser.add_argument('--book-weights', metavar='FILE.pkl',
                        help="the book's trained AttentionSeq2seq.pkl in place of --load (its own "
                             "59-character vocabulary; --save writes it as our .npz checkpoint)")
    args = parser.parse_args(argv)

    _, (x_test, t_test) = sequence.load_data('date.txt')
    char_to_id, id_to_char = sequence.get_vocab('date.txt')
    if args.book_weights:  # the book's model reads the book's characters, in the book's order
        x_test, t_test = in_book_formats(x_test, t_test, id_to_char)
        char_to_id, id_to_char = book_date_vocab()
    else:
        require_checkpoint(args.load, 'ch08_attention.train')
    model = AttentionSeq2seq(len(char_to_id), args.wordvec_size, args.hidden_size)
    load_or_exit(model.load_params, args.book_weights or args.load)
    if args.save:
        model.save_params(args.save)
        print(f'wrote {args.save}')

    picked = make_rng(args.seed).choice(len(x_test), size=min(args.samples, len(x_test)), replace=False)
    xs = x_test[picked, ::-1] if args.reverse else x_test[picked]
    answers, weights = plot_attention(model, xs, t_test[picked, 0], t_test.shape[1] - 1, id_to_char,
                                      args.reverse, args.plot)
    if not args.quiet:
        for question, answer in zip(x_test[picked], answers):
            print(f'{sequence.decode(question, id_to_char)} -> {sequence.decode(answer, id_to_char)}')
    return answers, weights


if __name__ == '__main__':
    run_main(main)

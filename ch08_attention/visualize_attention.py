"""Attention heat maps (book figure 8-26): which input characters each output character used."""
from common.backend import to_cpu
from common.plot import finish_figure, new_figure
from dataset.sequence import decode


def plot_attention(model, xs, start_id, answer_length, id_to_char, is_reverse=False, path=None):
    """One heat map per question: rows = answer characters, columns = question characters.

    model: AttentionSeq2seq; xs: (N, T_in) question ids (reversed if ``is_reverse``; they are
    shown in reading order); start_id: int or (N,) ids.  The answers (answer_length characters)
    are the model's own greedy answers, with the weights of ``generate_with_attention``.
    Saved to ``path`` (PNG) or shown inline.
    """
    answers, weights = model.generate_with_attention(xs, start_id, answer_length)
    answers, weights, xs = to_cpu(answers), to_cpu(weights), to_cpu(xs)
    if is_reverse:
        xs, weights = xs[:, ::-1], weights[:, :, ::-1]
    fig = new_figure(path, figsize=(8, 2.2 * len(xs)))
    for n in range(len(xs)):
        ax = fig.add_subplot(len(xs), 1, n + 1)
        ax.imshow(weights[n], cmap='Greys_r', vmin=0, vmax=1, aspect='auto')
        ax.set_xticks(range(xs.shape[1]), list(decode(xs[n], id_to_char)))
        ax.set_yticks(range(answers.shape[1]), list(decode(answers[n], id_to_char)))
        ax.set_xlabel('question')
        ax.set_ylabel('answer')
    finish_figure(fig, path)

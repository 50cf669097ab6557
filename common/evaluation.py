"""Evaluation of trained models on held-out data (book chapters 6 and 7)."""
import inspect
import math
import sys

from common.backend import array_module, as_model_device, to_cpu

LARGEST_EXPONENT = math.log(sys.float_info.max)  # exp of more overflows a float: report inf


def eval_perplexity(model, corpus, batch_size=10, time_size=35, skip_partial=False):
    """Perplexity of a stateful language model on ``corpus``: exp(mean negative log-likelihood).

    PP = exp(-(1/K) sum_k log P(w_{k+1} | w_1 .. w_k)), as in the book: the corpus is cut into
    ``batch_size`` rows of ``jump = (len(corpus) - 1) // batch_size`` tokens; each row is read in
    blocks of ``time_size`` steps (the last block may be shorter) and the hidden state carries
    over from block to block, so every word of a row is predicted from the whole row before it.
    The K = batch_size * jump predictions cover all tokens but the last fewer than ``batch_size``.
    skip_partial=True reads only the ``jump // time_size`` blocks that fill ``time_size`` steps,
    K = batch_size * time_size * (jump // time_size), as the book's version does: its figures
    (136.08 for the book's Rnnlm on the PTB test set) are measured so.

    model: has ``forward(xs, ts) -> mean loss`` over (N, T) ids and ``reset_state()``; a model
    with dropout gets ``train_flg=False``.  corpus: (L,) word ids -> float; it is copied once
    to the device of the model's parameters.
    The model's state is reset before and after, so evaluation never leaks into training.
    """
    corpus = as_model_device(model, corpus)
    xp = array_module(corpus)
    jump = (len(corpus) - 1) // batch_size
    if jump < 1:
        raise ValueError(f'the corpus ({len(corpus)} tokens) is too short for batch_size {batch_size}: '
                         'it needs at least batch_size + 1 tokens')
    test_mode = {'train_flg': False} if 'train_flg' in inspect.signature(model.forward).parameters else {}
    end = jump // time_size * time_size if skip_partial else jump
    if end < 1:
        raise ValueError(f'the corpus ({len(corpus)} tokens) is too short for one full block of '
                         f'batch_size {batch_size} x time_size {time_size} (skip_partial=True)')
    row_starts = xp.arange(batch_size)[:, None] * jump
    total_loss = 0.0
    model.reset_state()
    for start in range(0, end, time_size):
        positions = row_starts + xp.arange(start, min(start + time_size, jump))[None, :]
        loss = model.forward(corpus[positions], corpus[positions + 1], **test_mode)
        total_loss += loss * positions.shape[1]
    model.reset_state()
    return perplexity(total_loss / end)


def eval_perplexity_windows(model, xs, ts, context_size, stride=None, batch_size=32):
    """Perplexity of a model that reads windows of at most ``context_size`` words (no carried state).

    PP = exp(-(1/K) sum_k log P(ts[k] | xs[..k])) over all K = len(xs) targets, each counted
    exactly once.  Strided sliding windows: windows of ``context_size`` start every ``stride``
    positions (default context_size // 2); the first window counts all its targets, every later
    one only the targets it has not counted yet, its last ``stride`` or fewer, so each of those
    has at least context_size - stride words of context (half a window by default; only the first
    window's early targets have less, as they have all there is).  A target that is not counted
    gets the label -1, which the model's loss must ignore (``TimeSoftmaxWithLoss``).
    model: ``forward(xs, ts, train_flg=False) -> mean loss`` over (B, T) windows; xs, ts: (K,),
    copied once to the device of the model's parameters.
    """
    xs, ts = as_model_device(model, xs), as_model_device(model, ts)
    xp = array_module(xs)
    K = len(xs)
    window = min(context_size, K)
    stride = min(stride or max(context_size // 2, 1), window)
    if stride < 1:
        raise ValueError(f'stride must be a positive number of words, got {stride}')
    starts = list(range(0, K - window + 1, stride))
    if starts[-1] != K - window:
        starts.append(K - window)
    counted_from = xp.asarray([0] + [start + window for start in starts[:-1]])  # the previous end
    starts = xp.asarray(starts)
    total_loss = 0.0
    for first in range(0, len(starts), batch_size):
        positions = starts[first:first + batch_size, None] + xp.arange(window)[None, :]  # (B, window)
        counted = positions >= counted_from[first:first + batch_size, None]
        labels = xp.where(counted, ts[positions], -1)
        total_loss += model.forward(xs[positions], labels, train_flg=False) * int(counted.sum())
    return perplexity(total_loss / K)


def perplexity(mean_loss):
    """exp(mean negative log-likelihood), or inf where that overflows a float (a diverged model);
    a NaN loss stays NaN (undefined, not infinitely bad)."""
    if math.isnan(mean_loss):
        return math.nan
    return math.exp(mean_loss) if mean_loss < LARGEST_EXPONENT else math.inf


def eval_seq2seq(model, question, correct, id_to_char, verbos=False, is_reverse=False):
    """The book's check of one seq2seq answer: 1 if the greedy answer is entirely right, else 0.

    question: (1, T_in) ids; correct: (1, T_out) ids, the start id ('_') first; id_to_char:
    dict id -> character.  The model generates T_out - 1 ids after the start id.
    verbos (the book's spelling): print the question (un-reversed when ``is_reverse``), the
    expected answer and the guess marked ☑ (right) or ☒ (wrong).  For a whole test set use
    ``seq2seq_accuracy``, which decodes thousands of questions per call.
    """
    correct = to_cpu(correct).reshape(-1).tolist()  # Python ints on the host, copied once
    start_id, correct = correct[0], correct[1:]
    guess = to_cpu(model.generate(question, start_id, len(correct))).reshape(-1).tolist()
    if verbos:
        question_ids = to_cpu(question).reshape(-1).tolist()
        if is_reverse:
            question_ids = question_ids[::-1]
        to_text = lambda ids: ''.join(id_to_char[i] for i in ids)  # noqa: E731
        print('Q', to_text(question_ids))
        print('T', to_text(correct))
        print('☑' if guess == correct else '☒', to_text(guess))
        print('---')
    return int(guess == correct)


def seq2seq_accuracy(model, questions, answers, batch_size=1000, **generate_options):
    """Fraction of questions whose whole answer the model generates right (batched decoding).

    accuracy = (1/N) sum_n [generate(x_n) == t_n[1:]] with the start id t_n[0] fed first.
    questions: (N, T_in) ids; answers: (N, T_out) ids, start id first -> float in [0, 1].
    ``batch_size`` questions are decoded per call of ``model.generate(xs, start_ids, T_out - 1,
    **generate_options)`` (for example ``beam_width=3`` with the ch07 models).
    """
    if len(questions) != len(answers) or len(questions) == 0:
        raise ValueError(f'need as many answers as questions (at least one), got {len(questions)} '
                         f'questions and {len(answers)} answers')
    questions, answers = as_model_device(model, questions), as_model_device(model, answers)
    right = 0
    for start in range(0, len(questions), batch_size):
        xs, ts = questions[start:start + batch_size], answers[start:start + batch_size]
        guess = model.generate(xs, ts[:, 0], ts.shape[1] - 1, **generate_options)
        right += int((guess == ts[:, 1:]).all(axis=1).sum())
    return right / len(questions)

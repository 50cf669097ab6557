"""Toy seq2seq data of chapter 7, generated here (no files are copied), or read from a reader's file.

'addition.txt': 50,000 questions 'a+b' -> '_' + str(a + b), made by the rule of the book's data
    (the Keras addition_rnn example): each operand has a random number (1 to 3) of random digits
    (so 0 <= a, b <= 999, and '007' is 7), and a question is dropped when the *unordered* pair
    {a, b} was drawn before, so a+b and b+a never both occur. Small pairs run out first: about
    9.7% of the operands have one digit, 32.7% two and 57.5% three (the book's file: 9.7, 32.6,
    57.6), and all 55 unordered one-digit pairs are in the set.
    Example: '16+75  ' -> '_91  '. Questions are 7 characters, answers 5.
'date.txt': 50,000 distinct dates between 1970-01-01 and 2029-12-31, each written in one of
    15 human formats in lower, Title or UPPER case -> '_' + ISO date.
    Example: 'tuesday, september 27, 1994' -> '_1994-09-27'. Questions are 29 characters, answers 11.

The content comes from a fixed seed (CONTENT_SEED), so it is the same in every call and run;
only the train/test split depends on the ``seed`` of load_data. Texts are padded with spaces.
Vocabulary: the sorted characters of the data set, so the padding ' ' has id 0.

A path to a file in the book's format (for example the book's own dataset/addition.txt, given as
'./addition.txt' or a pathlib.Path) is read instead: one question per line, the question padded
with spaces, then '_' and the answer ('16+75  _91  '). Its widths are the file's longest question
and answer.
"""
import datetime
import functools
import os
from typing import Callable, NamedTuple

import numpy as np

CONTENT_SEED = 2016
SET_SIZE = 50_000
PAD = ' '

MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
          'September', 'October', 'November', 'December')
WEEKDAYS = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
DATE_FORMATS = (
    '{Month} {d}, {Y}',              # September 27, 1994
    '{d} {Mon} {Y}',                 # 27 Sep 1994
    '{m}/{d}/{y}',                   # 9/27/94
    '{Weekday}, {Month} {d}, {Y}',   # Tuesday, September 27, 1994
    '{dd}.{mm}.{Y}',                 # 27.09.1994
    '{Mon} {d}, {Y}',                # Sep 27, 1994
    '{d} {Month} {Y}',               # 27 September 1994
    '{mm}/{dd}/{Y}',                 # 09/27/1994
    '{dd}.{mm}.{y}',                 # 27.09.94
    '{Wkd}, {Mon} {d}, {Y}',         # Tue, Sep 27, 1994
    '{Month} {d} {Y}',               # September 27 1994
    '{d} {Mon}, {Y}',                # 27 Sep, 1994
    '{Weekday} {d} {Month} {Y}',     # Tuesday 27 September 1994
    '{d}-{Mon}-{Y}',                 # 27-Sep-1994
    '{Y}/{mm}/{dd}',                 # 1994/09/27
)
LETTER_CASES = (str.lower, str, str.upper)
BOOK_DATE_FORMATS = (0, 2, 3, 5)  # the formats (of DATE_FORMATS) the book's own date.txt is written in
FIRST_DAY = datetime.date(1970, 1, 1)
LAST_DAY = datetime.date(2029, 12, 31)


def _distinct_pairs(draw_batch):
    """The first SET_SIZE (question, answer) pairs with distinct keys, in the order drawn.

    draw_batch() returns an iterable of (key, question, answer); a pair whose key was drawn
    before is dropped.
    """
    seen, questions, answers = set(), [], []
    while True:
        for key, question, answer in draw_batch():
            if key not in seen:
                seen.add(key)
                questions.append(question)
                answers.append(answer)
                if len(questions) == SET_SIZE:
                    return tuple(questions), tuple(answers)


def _addition_pairs(rng):
    """(questions, answers): 'a+b' -> '_a+b'; a and b have k ~ U{1, 2, 3} digits, each digit ~ U{0..9}.

    The key is the unordered pair {a, b}: a+b and b+a never both occur (the book's rule).
    """
    def draw_batch():
        digits = rng.integers(1, 4, size=(SET_SIZE, 2))
        a, b = rng.integers(0, 10 ** digits).T.tolist()
        return (((min(x, y), max(x, y)), f'{x}+{y}', f'_{x + y}') for x, y in zip(a, b))
    return _distinct_pairs(draw_batch)


def _date_pairs(rng):
    """(questions, answers): a uniform day, a uniform format and letter case -> '_YYYY-MM-DD'."""
    first, last = FIRST_DAY.toordinal(), LAST_DAY.toordinal()

    def draw_batch():
        days = rng.integers(first, last + 1, size=SET_SIZE).tolist()
        formats = rng.integers(len(DATE_FORMATS), size=SET_SIZE).tolist()
        cases = rng.integers(len(LETTER_CASES), size=SET_SIZE).tolist()
        for ordinal, form, case in zip(days, formats, cases):
            day = datetime.date.fromordinal(ordinal)
            question = LETTER_CASES[case](_write_date(DATE_FORMATS[form], day))
            yield question, question, '_' + day.isoformat()
    return _distinct_pairs(draw_batch)


def _write_date(form, day):
    """``day`` written in ``form`` (a DATE_FORMATS entry), with English month and weekday names."""
    month, weekday = MONTHS[day.month - 1], WEEKDAYS[day.weekday()]
    return form.format(Month=month, Mon=month[:3], Weekday=weekday, Wkd=weekday[:3],
                       d=day.day, dd=f'{day.day:02d}', m=day.month, mm=f'{day.month:02d}',
                       Y=day.year, y=f'{day.year % 100:02d}')


class DataSpec(NamedTuple):
    """How one data set is made: generate(rng) -> (questions, answers), and the padded widths."""
    generate: Callable
    question_length: int
    answer_length: int


DATASETS = {
    'addition.txt': DataSpec(_addition_pairs, question_length=7, answer_length=5),
    'date.txt': DataSpec(_date_pairs, question_length=29, answer_length=11),
}


def date_format(question, answer):
    """Index in DATE_FORMATS of the format the date ``question`` is written in (its ``answer``:
    '_1994-09-27'), in any of the LETTER_CASES; None if none is."""
    day = datetime.date.fromisoformat(answer.strip().lstrip('_'))
    for index, form in enumerate(DATE_FORMATS):
        written = _write_date(form, day)
        if question.strip() in {case(written) for case in LETTER_CASES}:
            return index
    return None


def load_data(file_name='addition.txt', seed=1984):
    """Train/test split of a toy seq2seq set as character ids.

    file_name: 'addition.txt' | 'date.txt' (generated here), or the path of a file in the book's
    format (str or pathlib.Path; a path that is one of those two names must have a directory part,
    as in './addition.txt'). seed: seeds np.random.default_rng for the shuffle before the split
    (the content itself never changes).
    Returns (x_train, t_train), (x_test, t_test): int32 arrays, x (N, question_length),
    t (N, answer_length) with question_length/answer_length 7/5 (addition) or 29/11 (date),
    N = 45,000 for train and 5,000 for test (a file: its widths, and the last tenth of the
    shuffled lines for test). Decode rows with get_vocab(file_name)[1].
    """
    x, t = _encoded(_source(file_name))
    order = np.random.default_rng(seed).permutation(len(x))
    split_at = len(x) - len(x) // 10
    train, test = order[:split_at], order[split_at:]
    return (x[train], t[train]), (x[test], t[test])


def get_vocab(file_name='addition.txt'):
    """(char_to_id, id_to_char) of a data set: its sorted characters (' ' has id 0).

    The same for every call; the dicts are new each time, so changing them changes nothing here.
    """
    chars = _characters(_source(file_name))
    return {char: i for i, char in enumerate(chars)}, dict(enumerate(chars))


def encode(texts, char_to_id, length):
    """Character ids of texts padded with ' ' to ``length``: N str (or one str) -> (N, length) int32.

    Raises ValueError for a text longer than ``length`` or a character not in char_to_id.
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    for text in texts:
        if len(text) > length:
            raise ValueError(f'text {text!r} has {len(text)} characters; the maximum length is {length}')
        unknown = [char for char in text.ljust(length, PAD) if char not in char_to_id]
        if unknown:
            raise ValueError(f'character {unknown[0]!r} in text {text!r} is not in the vocabulary '
                             f'({"".join(sorted(char_to_id))!r})')
    ids = [[char_to_id[char] for char in text.ljust(length, PAD)] for text in texts]
    return np.array(ids, dtype=np.int32).reshape(len(texts), length)


def decode(ids, id_to_char):
    """Text of a row of character ids: (T,) ints -> str of T characters (padding kept)."""
    try:
        return ''.join(id_to_char[int(i)] for i in ids)
    except KeyError as err:
        raise ValueError(f'id {err.args[0]} is not in the vocabulary '
                         f'(ids 0..{len(id_to_char) - 1})') from None


def read_pairs(path):
    """(questions, answers, question_length, answer_length) of a file in the book's format.

    Each line is a question padded with spaces, '_' and the answer padded with spaces
    ('16+75  _91  '); the texts come back without their padding, the answers with their '_',
    the lengths are the widest question and answer (with '_') in the file.
    Raises ValueError naming the first line without a question, a '_' and an answer, or when the
    file holds fewer than 10 (too few for a test split of a tenth).
    """
    questions, answers = [], []
    question_length = answer_length = 0
    with open(path, encoding='utf-8') as file:
        for number, line in enumerate(file, start=1):
            line = line.rstrip('\r\n')
            question, underscore, answer = line.partition('_')
            if not (underscore and question.strip() and answer.strip()):
                raise ValueError(f"{path}, line {number}: {line!r} is not a question, '_' and an "
                                 f"answer, as in '16+75  _91  '")
            question_length = max(question_length, len(question))
            answer_length = max(answer_length, len(underscore + answer))
            questions.append(question.rstrip(PAD))
            answers.append(underscore + answer.rstrip(PAD))
    if len(questions) < 10:
        raise ValueError(f'{path} holds {len(questions)} questions; at least 10 are needed (the '
                         'last tenth of them is the test split)')
    return tuple(questions), tuple(answers), question_length, answer_length


def _source(file_name):
    """What identifies a data set in the caches: a name of DATASETS, or a file's
    (absolute path, modification time, size), so an edited file is read again.
    """
    if isinstance(file_name, str) and file_name in DATASETS:
        return file_name
    if isinstance(file_name, (str, os.PathLike)) and os.path.isfile(file_name):
        stat = os.stat(file_name)
        return os.path.abspath(file_name), stat.st_mtime_ns, stat.st_size
    raise ValueError(f'unknown data set {file_name!r}; available: {", ".join(DATASETS)}, or the path '
                     f"of an existing file in the book's format ('16+75  _91  ' per line)")


@functools.lru_cache(maxsize=None)
def _data(source):
    """(questions, answers, question_length, answer_length) of a _source(): generated once per
    process from CONTENT_SEED, or read from the file.
    """
    if isinstance(source, str):
        spec = DATASETS[source]
        return (*spec.generate(np.random.default_rng(CONTENT_SEED)),
                spec.question_length, spec.answer_length)
    return read_pairs(source[0])


@functools.lru_cache(maxsize=None)
def _characters(source):
    """Sorted tuple of the characters of a data set's questions and answers, plus the padding ' '."""
    questions, answers, _, _ = _data(source)
    return tuple(sorted(set(''.join(questions + answers)) | {PAD}))


@functools.lru_cache(maxsize=None)
def _encoded(source):
    """(x, t) id arrays of the whole set, in generation order; load_data indexes copies out of them."""
    questions, answers, question_length, answer_length = _data(source)
    char_to_id = {char: i for i, char in enumerate(_characters(source))}
    return encode(questions, char_to_id, question_length), encode(answers, char_to_id, answer_length)

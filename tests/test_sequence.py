"""dataset.sequence: every answer is checked by an independent reading of its question."""
import datetime
import re
import string

import numpy as np
import pytest

from dataset import sequence

# The test's own reading of the date formats (strptime, case-insensitive for names).
STRPTIME_FORMATS = ['%B %d, %Y', '%d %b %Y', '%m/%d/%y', '%A, %B %d, %Y', '%d.%m.%Y', '%b %d, %Y',
                    '%d %B %Y', '%m/%d/%Y', '%d.%m.%y', '%a, %b %d, %Y', '%B %d %Y', '%d %b, %Y',
                    '%A %d %B %Y', '%d-%b-%Y', '%Y/%m/%d']


def all_texts(file_name):
    """(questions, answers) of the whole set, decoded from load_data's arrays with padding stripped."""
    (x_train, t_train), (x_test, t_test) = sequence.load_data(file_name)
    _, id_to_char = sequence.get_vocab(file_name)
    questions = [sequence.decode(row, id_to_char).rstrip() for row in np.concatenate([x_train, x_test])]
    answers = [sequence.decode(row, id_to_char).rstrip() for row in np.concatenate([t_train, t_test])]
    return questions, answers


@pytest.mark.parametrize('file_name, question_length, answer_length',
                         [('addition.txt', 7, 5), ('date.txt', 29, 11)])
def test_shapes_and_split_sizes(file_name, question_length, answer_length):
    (x_train, t_train), (x_test, t_test) = sequence.load_data(file_name)
    assert x_train.shape == (45_000, question_length) and t_train.shape == (45_000, answer_length)
    assert x_test.shape == (5_000, question_length) and t_test.shape == (5_000, answer_length)
    vocab_size = len(sequence.get_vocab(file_name)[0])
    for array in (x_train, t_train, x_test, t_test):
        assert array.dtype == np.int32 and array.min() >= 0 and array.max() < vocab_size


def sorted_pairs(split):
    """All (question, answer) id rows of a load_data result, as sorted bytes."""
    (x_train, t_train), (x_test, t_test) = split
    rows = np.concatenate([np.hstack([x_train, t_train]), np.hstack([x_test, t_test])])
    return sorted(map(bytes, rows))


def test_content_is_fixed_and_only_the_split_depends_on_seed():
    first = sequence.load_data('addition.txt', seed=5)
    again = sequence.load_data('addition.txt', seed=5)
    other = sequence.load_data('addition.txt', seed=6)
    for (x, t), (y, u) in zip(first, again):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(t, u)
    assert not np.array_equal(first[1][0], other[1][0])  # another test split ...
    assert sorted_pairs(first) == sorted_pairs(other)  # ... of the same 50,000 pairs


def test_addition_questions_are_distinct_and_answers_correct():
    questions, answers = all_texts('addition.txt')
    assert len(set(questions)) == 50_000
    assert len({tuple(sorted(map(int, q.split('+')))) for q in questions}) == 50_000  # no a+b with b+a
    for question, answer in zip(questions, answers):
        a, b = question.split('+')
        assert a == str(int(a)) and b == str(int(b)) and 0 <= int(a) <= 999 and 0 <= int(b) <= 999
        assert answer == f'_{int(a) + int(b)}', question
    assert any(len(q) == 7 for q in questions) and any(len(q) == 3 for q in questions)


def test_addition_mix_of_operand_lengths_is_the_books():
    """The unordered rule exhausts small pairs: the book's file has 9.7% / 32.6% / 57.6% one-, two-
    and three-digit operands and all 55 unordered one-digit pairs. (Dropping only repeated ordered
    questions, the earlier rule, gives 15.1% one-digit operands and 100 one-digit questions.)
    """
    questions, _ = all_texts('addition.txt')
    operands = [operand for question in questions for operand in question.split('+')]
    share = {k: sum(len(o) == k for o in operands) / len(operands) for k in (1, 2, 3)}
    assert 0.092 <= share[1] <= 0.102, share  # book 0.097
    assert 0.316 <= share[2] <= 0.336, share  # book 0.326
    assert 0.566 <= share[3] <= 0.586, share  # book 0.576
    one_digit = {tuple(sorted(map(int, q.split('+')))) for q in questions if len(q) == 3}
    assert one_digit == {(a, b) for a in range(10) for b in range(a, 10)}  # all 55 unordered pairs


BOOK_LINES = ['16+75  _91  ', '52+607 _659 ', '999+999_1998', '0+1    _1   ']


def test_a_file_in_the_books_format_is_read(tmp_path, monkeypatch):
    path = tmp_path / 'addition.txt'
    path.write_text('\n'.join(BOOK_LINES * 5) + '\n')  # 20 lines: 18 train, 2 test
    (x_train, t_train), (x_test, t_test) = sequence.load_data(path, seed=3)
    assert x_train.shape == (18, 7) and t_train.shape == (18, 5)
    assert x_test.shape == (2, 7) and t_test.shape == (2, 5)
    char_to_id, id_to_char = sequence.get_vocab(str(path))
    assert ''.join(id_to_char[i] for i in range(len(id_to_char))) == ' +01256789_'
    lines = {sequence.decode(x, id_to_char) + sequence.decode(t, id_to_char)
             for x, t in zip(np.concatenate([x_train, x_test]), np.concatenate([t_train, t_test]))}
    assert lines == set(BOOK_LINES)
    # The bare name still means the generated set; a directory part means the file.
    monkeypatch.chdir(tmp_path)
    assert sequence.load_data('addition.txt')[0][0].shape == (45_000, 7)
    assert sequence.load_data('./addition.txt')[0][0].shape == (18, 7)
    path.write_text('\n'.join(BOOK_LINES[:2] * 10))  # an edited file is read again
    assert len(sequence.get_vocab(path)[0]) == 10 and sequence.load_data(path)[1][0].shape == (2, 7)


@pytest.mark.parametrize('line', ['16+75  91  ', '_91  ', '16+75  _  ', ''])
def test_a_malformed_line_is_named(tmp_path, line):
    path = tmp_path / 'mine.txt'
    path.write_text(f'{BOOK_LINES[0]}\n{BOOK_LINES[1]}\n{line}\n{BOOK_LINES[2]}\n')
    message = re.escape(f"mine.txt, line 3: '{line}' is not a question, '_' and an answer")
    with pytest.raises(ValueError, match=message):
        sequence.load_data(path)


def read_date(question, formats):
    """(date, format) of the first strptime format that reads ``question``, or (None, None)."""
    for form in formats:
        try:
            return datetime.datetime.strptime(question, form).date(), form
        except ValueError:
            pass
    return None, None


def test_every_date_answer_is_the_iso_date_of_its_question():
    questions, answers = all_texts('date.txt')
    assert len(set(questions)) == 50_000
    shape_of = str.maketrans('0123456789' + string.ascii_letters, '9' * 10 + 'a' * 52)
    format_of_shape = {}  # questions of one shape (digits -> 9, letters -> a) share a format: try it first
    used = set()
    for question, answer in zip(questions, answers):
        shape = question.translate(shape_of)
        parsed, form = read_date(question, format_of_shape.get(shape, []))
        if parsed is None:
            parsed, form = read_date(question, STRPTIME_FORMATS)
        assert parsed is not None, f'no known format reads {question!r}'
        format_of_shape[shape] = [form]
        used.add(form)
        assert answer == '_' + parsed.isoformat(), question
        assert 1970 <= parsed.year <= 2029
        if '%A' in form or '%a' in form:
            weekday = parsed.strftime('%a').lower()
            assert question.lower().startswith(weekday), f'wrong weekday in {question!r}'
    assert len(used) >= 10
    worded = [q for q in questions if any(c.isalpha() for c in q)]
    assert any(q.islower() for q in worded) and any(q.isupper() for q in worded)
    assert any(not q.islower() and not q.isupper() for q in worded)


def test_get_vocab_is_stable_and_does_not_grow():
    char_to_id, id_to_char = sequence.get_vocab('addition.txt')
    assert ''.join(id_to_char[i] for i in range(len(id_to_char))) == ' +0123456789_'
    assert char_to_id == {c: i for i, c in id_to_char.items()}
    sequence.get_vocab('date.txt')
    char_to_id['x'] = 99  # a caller's change must not leak into the next call
    again, _ = sequence.get_vocab('addition.txt')
    assert len(again) == 13 and 'x' not in again
    date_chars, _ = sequence.get_vocab('date.txt')
    assert date_chars[' '] == 0 and '_' in date_chars and '-' in date_chars
    assert sequence.get_vocab('date.txt') == sequence.get_vocab('date.txt')


def test_encode_decode_round_trip_and_errors():
    char_to_id, id_to_char = sequence.get_vocab('addition.txt')
    ids = sequence.encode(['16+75', '999+999'], char_to_id, 7)
    assert ids.shape == (2, 7) and ids.dtype == np.int32
    assert sequence.decode(ids[0], id_to_char) == '16+75  '
    assert sequence.decode(ids[1], id_to_char) == '999+999'
    assert sequence.encode('1+1', char_to_id, 7).shape == (1, 7)
    assert sequence.encode([], char_to_id, 7).shape == (0, 7)
    with pytest.raises(ValueError, match=r"character '\*' in text '12\*3'"):
        sequence.encode(['1+2', '12*3'], char_to_id, 7)
    with pytest.raises(ValueError, match='maximum length is 7'):
        sequence.encode(['1000+1000'], char_to_id, 7)
    with pytest.raises(ValueError, match='not in the vocabulary'):
        sequence.decode([0, 13], id_to_char)


def test_unknown_file_name_lists_the_available_sets():
    with pytest.raises(ValueError, match='addition.txt, date.txt'):
        sequence.load_data('multiplication.txt')
    with pytest.raises(ValueError, match='addition.txt, date.txt'):
        sequence.get_vocab('dates.txt')
    with pytest.raises(ValueError, match="path of an existing file in the book's format"):
        sequence.load_data('./no/such/file.txt')

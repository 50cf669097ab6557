"""The book's own parameter files (.pkl): read without running code, mapped onto our models.

Files in the book's format are written here with ``pickle.dumps`` (writing is harmless; only
reading runs code), as the book's ``save_params`` writes them: ``[p.astype(np.float16) for p in
model.params]``, where the book's ``model.params`` is every layer's parameters in turn.  The three
real files (Rnnlm.pkl, AttentionSeq2seq.pkl, cbow_params.pkl) are looked for in
$DLFS_DATA_DIR/book and $DLFS_DATA_DIR/../book.
"""
import datetime
import os
import pickle
import pickletools
from pathlib import Path

import numpy as np
import pytest

from ch04_fast_w2v.word_vectors import load_book_vectors
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch08_attention.attention_seq2seq import BOOK_DATE_CHARS, AttentionSeq2seq, book_date_vocab
from common.base_model import load_model
from common.book_params import read_book_arrays, read_book_pickle, read_book_word_vectors
from common.evaluation import eval_perplexity
from common.util import most_similar
from dataset import ptb
from dataset.sequence import decode, encode

BOOK_FILES = ('Rnnlm.pkl', 'AttentionSeq2seq.pkl', 'cbow_params.pkl')
BOOK_SKIP_MESSAGE = ("needs the book's parameter files (Rnnlm.pkl, AttentionSeq2seq.pkl, cbow_params.pkl) "
                     'in $DLFS_DATA_DIR/book or $DLFS_DATA_DIR/../book')


def find_book_folder():
    root = os.environ.get('DLFS_DATA_DIR')
    if root:
        for folder in (Path(root) / 'book', Path(root).parent / 'book'):
            if all((folder / name).is_file() for name in BOOK_FILES):
                return folder
    return None


@pytest.fixture
def book():
    folder = find_book_folder()
    if folder is None:
        pytest.skip(BOOK_SKIP_MESSAGE)
    return folder


def book_list(model):
    """What the book's save_params pickles for ``model``: every layer's parameters in turn."""
    return [p.astype(np.float16) for layer in model.layers for p in layer.params]


def write(path, obj):
    path.write_bytes(pickle.dumps(obj, protocol=3))
    return path


def trained_looking(model, seed=0):
    """Weights far from the initial ones, so a wrong mapping shows in the predictions, and
    exact in float16, so the book's file holds them unchanged."""
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.normal(0, 0.5, p.shape).astype(np.float16)
    return model


def one_line_naming(error, path):
    message = str(error.value)
    assert '\n' not in message
    assert repr(str(path)) in message
    return message


# ----------------------------------------------------------------- safety: nothing in the file runs

def call_pickle(module, name, args):
    """A protocol-3 pickle that calls module.name(*args) when loaded with pickle.load."""
    arguments = pickle.dumps(args, protocol=3)[2:-1]  # the tuple, without header and STOP
    return b'\x80\x03c' + f'{module}\n{name}\n'.encode() + arguments + b'R.'


@pytest.mark.parametrize('module, name, args', [
    ('os', 'system', ('touch {marker}',)),
    ('builtins', 'eval', ("open({marker!r}, 'w').close()",)),
    ('subprocess', 'Popen', (['touch', '{marker}'],)),
    ('common.npz_file', 'atomic_savez', ('{marker}', {})),  # a function of ours that writes a file
    ('ch06_lstm.rnnlm', 'Rnnlm', (10, 4, 4)),
])
def test_a_pickle_naming_any_other_global_is_refused_and_nothing_runs(tmp_path, module, name, args):
    marker = tmp_path / 'ran'
    args = tuple(a.format(marker=str(marker)) if isinstance(a, str) else
                 [x.format(marker=str(marker)) for x in a] if isinstance(a, list) else a for a in args)
    arrays = [np.ones(3, dtype=np.float16)]
    payload = pickle.dumps(arrays, protocol=3)[:-1]  # a real array first, then the call
    payload += call_pickle(module, name, args)[2:-1] + b'\x86.'  # TUPLE2: (arrays, call)
    calls = [(op.name, arg) for op, arg, _ in pickletools.genops(payload) if op.name in ('GLOBAL', 'STOP')]
    assert calls[-2:] == [('GLOBAL', f'{module} {name}'), ('STOP', None)]  # a well-formed pickle
    path = tmp_path / 'Rnnlm.pkl'
    path.write_bytes(payload)
    with pytest.raises(ValueError) as error:
        Rnnlm(10, 4, 4).load_params(path)
    message = one_line_naming(error, path)
    assert f'names the global {module}.{name}, which a parameter file never needs: refused' in message
    assert not marker.exists()


def test_object_arrays_are_refused_before_they_are_built(tmp_path):
    path = write(tmp_path / 'objects.pkl', [np.array([1.0, 'x'], dtype=object)])
    with pytest.raises(ValueError) as error:
        read_book_arrays(path)
    assert 'holds an array of Python objects' in one_line_naming(error, path)


def test_integer_arrays_are_refused(tmp_path):
    path = write(tmp_path / 'ints.pkl', [np.arange(6)])
    with pytest.raises(ValueError) as error:
        read_book_arrays(path)
    assert 'floating-point arrays only' in one_line_naming(error, path)


def test_numpy_1_and_numpy_2_module_names_both_read(tmp_path):
    array = np.arange(6, dtype=np.float16).reshape(2, 3)
    written = pickle.dumps([array], protocol=3)
    for old, new in [(b'cnumpy._core.multiarray\n', b'cnumpy.core.multiarray\n'),
                     (b'cnumpy.core.multiarray\n', b'cnumpy._core.multiarray\n')]:
        path = tmp_path / 'one.pkl'
        path.write_bytes(written.replace(old, new))
        assert new in path.read_bytes()
        (found,) = read_book_arrays(path)
        np.testing.assert_array_equal(found, array)
        assert found.dtype == np.float16


# ------------------------------------------------------------------ damaged or foreign files

def test_a_file_that_is_not_a_pickle(tmp_path):
    text = tmp_path / 'Rnnlm.pkl'
    text.write_text('these are not parameters\n')
    npz = tmp_path / 'BetterRnnlm.pkl'
    Rnnlm(10, 4, 4).save_params(tmp_path / 'ours.npz')
    npz.write_bytes((tmp_path / 'ours.npz').read_bytes())
    for path in (text, npz):
        with pytest.raises(ValueError) as error:
            Rnnlm(10, 4, 4).load_params(path)
        assert 'is not a pickle file' in one_line_naming(error, path)
    with pytest.raises(FileNotFoundError) as error:
        Rnnlm(10, 4, 4).load_params(tmp_path / 'missing.pkl')
    one_line_naming(error, tmp_path / 'missing.pkl')


def test_a_truncated_or_lengthened_file(tmp_path):
    whole = pickle.dumps(book_list(Rnnlm(10, 4, 4)), protocol=3)
    for cut in (len(whole) // 2, len(whole) - 1, 3):
        path = tmp_path / 'Rnnlm.pkl'
        path.write_bytes(whole[:cut])
        with pytest.raises(ValueError) as error:
            Rnnlm(10, 4, 4).load_params(path)
        assert 'is truncated or damaged' in one_line_naming(error, path)
    path.write_bytes(whole + b'\x00\x00')
    with pytest.raises(ValueError) as error:
        Rnnlm(10, 4, 4).load_params(path)
    assert '2 bytes follow the end of its pickle' in one_line_naming(error, path)


@pytest.mark.parametrize('content, expected', [
    ({'W': np.ones(2, np.float16)}, "holds a dict (keys ['W']), not the list of arrays"),
    ('a string', 'holds a str, not the list of arrays'),
    ([], 'holds a list of 0 items, not the list of arrays'),
    ([np.ones(2, np.float16), 'x'], 'item 1 of its list is a str, not an array'),
])
def test_a_pickle_of_something_else(tmp_path, content, expected):
    path = write(tmp_path / 'Rnnlm.pkl', content)
    with pytest.raises(ValueError) as error:
        Rnnlm(10, 4, 4).load_params(path)
    assert expected in one_line_naming(error, path)


def test_the_file_of_another_model_or_size_names_the_shapes(tmp_path):
    path = write(tmp_path / 'Rnnlm.pkl', book_list(Rnnlm(10, 4, 6, rng=0)))
    with pytest.raises(ValueError) as error:
        BetterRnnlm(10, 6, 6).load_params(path)
    message = one_line_naming(error, path)
    assert 'holds 6 arrays of shapes (10, 4), (4, 24), (6, 24), (24,), (6, 10), (10,); ' in message
    assert 'BetterRnnlm expects 9: (10, 6), (6, 24), (6, 24), (24,), (6, 24), (6, 24), (24,), (6, 10), (10,)' in message
    with pytest.raises(ValueError) as error:
        Rnnlm(10, 4, 5).load_params(path)
    message = one_line_naming(error, path)
    assert 'array 1 has shape (4, 24), Rnnlm expects (4, 20) (01.TimeLSTM.Wx' in message
    assert 'built with vocab_size=10, wordvec_size=4, hidden_size=5' in message


# ------------------------------------------------------------------ mapping onto our models

def test_rnnlm_takes_the_books_list_in_order_cast_to_its_dtype(tmp_path):
    source = trained_looking(Rnnlm(12, 5, 6, rng=0, dtype=np.float64))
    path = write(tmp_path / 'Rnnlm.pkl', book_list(source))
    for dtype in (np.float32, np.float64):
        model = Rnnlm(12, 5, 6, rng=1, dtype=dtype)
        buffers = list(model.params)
        model.load_params(path)
        for mine, theirs, buffer in zip(model.params, source.params, buffers):
            assert mine is buffer and mine.dtype == dtype  # loaded in place
            np.testing.assert_array_equal(mine, theirs)
    xs = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    source.reset_state()
    np.testing.assert_allclose(model.predict(xs), source.predict(xs), rtol=1e-12)


def test_better_rnnlm_checks_and_drops_the_tied_output_weight(tmp_path):
    """The book's BetterRnnlm.pkl (not in the book's repository) holds 9 arrays: the 8th is the
    output weight, the embedding transposed, saved as its own array."""
    source = trained_looking(BetterRnnlm(12, 6, 6, rng=0))
    saved = book_list(source)
    assert len(saved) == 9 and saved[7].shape == (6, 12)
    np.testing.assert_array_equal(saved[7], saved[0].T)
    path = write(tmp_path / 'BetterRnnlm.pkl', saved)
    model = BetterRnnlm(12, 6, 6, rng=1)
    model.load_params(path)
    assert len(model.params) == 8
    for mine, theirs in zip(model.params, source.params):
        np.testing.assert_array_equal(mine, theirs)
    assert model.layers[-1].params[0].base is model.params[0]  # the output layer still reads E^T
    xs = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    source.reset_state()
    np.testing.assert_array_equal(model.predict(xs), source.predict(xs))

    untied = list(saved)
    untied[7] = saved[7] + np.float16(0.25)
    with pytest.raises(ValueError) as error:
        BetterRnnlm(12, 6, 6).load_params(write(tmp_path / 'untied.pkl', untied))
    message = one_line_naming(error, tmp_path / 'untied.pkl')
    assert 'array 7 should be array 0 transposed (BetterRnnlm ties these weights)' in message
    missing = saved[:7] + saved[8:]
    with pytest.raises(ValueError) as error:
        BetterRnnlm(12, 6, 6).load_params(write(tmp_path / 'eight.pkl', missing))
    assert 'holds 8 arrays' in one_line_naming(error, tmp_path / 'eight.pkl')


def test_attention_seq2seq_takes_the_books_ten_arrays(tmp_path):
    source = trained_looking(AttentionSeq2seq(13, 4, 5, rng=0))
    saved = [p.astype(np.float16) for part in (source.encoder, source.decoder)
             for layer in part.layers for p in layer.params]
    assert [a.shape for a in saved] == [(13, 4), (4, 20), (5, 20), (20,), (13, 4), (4, 20), (5, 20),
                                        (20,), (10, 13), (13,)]
    model = AttentionSeq2seq(13, 4, 5, rng=1)
    model.load_params(write(tmp_path / 'AttentionSeq2seq.pkl', saved))
    for mine, theirs in zip(model.params, source.params):
        np.testing.assert_array_equal(mine, theirs)


def test_a_converted_checkpoint_round_trips(tmp_path):
    path = write(tmp_path / 'BetterRnnlm.pkl', book_list(trained_looking(BetterRnnlm(12, 6, 6, rng=0))))
    model = BetterRnnlm(12, 6, 6, rng=1)
    model.load_params(path)
    model.save_params(tmp_path / 'ours.npz')
    again = BetterRnnlm(12, 6, 6, rng=2)
    again.load_params(tmp_path / 'ours.npz')
    rebuilt = load_model(tmp_path / 'ours.npz')
    for loaded in (again, rebuilt):
        assert type(loaded) is BetterRnnlm
        for mine, theirs in zip(loaded.params, model.params):
            np.testing.assert_array_equal(mine, theirs)


def test_a_model_on_the_device_loads_the_books_file(tmp_path, device):
    source = trained_looking(BetterRnnlm(12, 6, 6, rng=0))
    path = write(tmp_path / 'BetterRnnlm.pkl', book_list(source))
    model = BetterRnnlm(12, 6, 6, rng=1).to_gpu()
    model.load_params(path)
    for mine, theirs in zip(model.params, source.params):
        assert isinstance(mine, device.ndarray)
        np.testing.assert_array_equal(device.asnumpy(mine), theirs)
    xs = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    source.reset_state()
    np.testing.assert_allclose(device.asnumpy(model.predict(device.asarray(xs))), source.predict(xs),
                               rtol=1e-5, atol=1e-6)


def test_save_and_load_without_a_path_use_the_class_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = trained_looking(Rnnlm(12, 5, 6, rng=0))
    model.save_params()
    assert sorted(os.listdir(tmp_path)) == ['Rnnlm.npz']
    again = Rnnlm(12, 5, 6, rng=1)
    again.load_params()
    for mine, theirs in zip(again.params, model.params):
        np.testing.assert_array_equal(mine, theirs)
    write(tmp_path / 'Rnnlm.pkl', book_list(model))  # the name the book's save_params uses
    book = Rnnlm(12, 5, 6, rng=1)
    book.load_params('Rnnlm.pkl')
    for mine, theirs in zip(book.params, model.params):
        np.testing.assert_array_equal(mine, theirs)


# ------------------------------------------------------------------ the book's evaluation loop

def books_perplexity(model, corpus, batch_size, time_size):
    """The book's loop written out: max_iters blocks of batch_size rows x time_size steps, row i
    starting at i * jump, word by word; the mean of the blocks' mean losses."""
    jump = (len(corpus) - 1) // batch_size
    max_iters = (len(corpus) - 1) // (batch_size * time_size)
    model.reset_state()
    total = 0.0
    for block in range(max_iters):
        xs = np.zeros((batch_size, time_size), dtype=np.int64)
        ts = np.zeros_like(xs)
        for t in range(time_size):
            for row in range(batch_size):
                position = block * time_size + row * jump + t
                xs[row, t], ts[row, t] = corpus[position], corpus[position + 1]
        total += model.forward(xs, ts)
    model.reset_state()
    return float(np.exp(total / max_iters))


def test_skip_partial_is_the_books_loop():
    model = trained_looking(Rnnlm(11, 5, 6, rng=0, dtype=np.float64))
    corpus = np.random.default_rng(1).integers(0, 11, 120)  # rows of 39: 4 blocks of 8, 7 left over
    expected = books_perplexity(model, corpus, batch_size=3, time_size=8)
    assert eval_perplexity(model, corpus, 3, 8, skip_partial=True) == pytest.approx(expected, rel=1e-12)
    assert eval_perplexity(model, corpus, 3, 8) != pytest.approx(expected, rel=1e-3)  # the tail counts
    with pytest.raises(ValueError, match='too short for one full block'):
        eval_perplexity(model, corpus[:20], 3, 8, skip_partial=True)


# ------------------------------------------------------------------ the book's real files

def test_the_books_files_hold_only_the_admitted_globals(book):
    for name in BOOK_FILES:
        names = set()
        strings = []
        for opcode, argument, _ in pickletools.genops((book / name).read_bytes()):
            if opcode.name == 'GLOBAL':
                names.add(argument.replace(' ', '.'))
            elif opcode.name == 'STACK_GLOBAL':
                names.add('.'.join(strings[-2:]))
            elif isinstance(argument, str):
                strings.append(argument)
        assert names == {'numpy.core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype'}, name


@pytest.mark.usefixtures('needs_ptb')
def test_the_books_rnnlm(book):
    model = Rnnlm()
    model.load_params(book / 'Rnnlm.pkl')
    for mine, theirs in zip(model.params, read_book_arrays(book / 'Rnnlm.pkl')):
        np.testing.assert_array_equal(mine, theirs.astype(np.float32))
    corpus = ptb.load_data('test')[0][:3501]
    assert eval_perplexity(model, corpus) < 250  # an untrained model: about 10,000
    with pytest.raises(ValueError, match='BetterRnnlm expects 9'):
        BetterRnnlm().load_params(book / 'Rnnlm.pkl')
    with pytest.raises(ValueError, match=r'expects \(10000, 650\)'):
        Rnnlm(10000, 650, 650).load_params(book / 'Rnnlm.pkl')


def test_a_converted_book_checkpoint_round_trips(book, tmp_path):
    model = Rnnlm()
    model.load_params(book / 'Rnnlm.pkl')
    model.save_params(tmp_path / 'rnnlm.npz')
    rebuilt = load_model(tmp_path / 'rnnlm.npz')
    assert type(rebuilt) is Rnnlm
    for mine, theirs in zip(rebuilt.params, model.params):
        np.testing.assert_array_equal(mine, theirs)


def book_format_dates():
    """Questions in the four formats of the book's date.txt, with their ISO answers."""
    days = [datetime.date(1994, 9, 27), datetime.date(1971, 1, 3), datetime.date(2016, 12, 31),
            datetime.date(1988, 5, 14)]
    for day in days:
        month, weekday = day.strftime('%B'), day.strftime('%A')
        for question in (f'{month} {day.day}, {day.year}'.lower(), f'{day.month}/{day.day}/{day:%y}',
                         f'{weekday}, {month} {day.day}, {day.year}'.upper(),
                         f'{month[:3]} {day.day}, {day.year}'):
            yield question, day.isoformat()


def test_the_books_attention_seq2seq_answers_in_the_books_vocabulary(book):
    char_to_id, id_to_char = book_date_vocab()
    assert len(char_to_id) == len(BOOK_DATE_CHARS) == 59
    model = AttentionSeq2seq(59, 16, 256)
    model.load_params(book / 'AttentionSeq2seq.pkl')
    questions, answers = zip(*book_format_dates())
    xs = encode(questions, char_to_id, 29)[:, ::-1]  # fed reversed, as the book trained it
    guesses = model.generate(xs, char_to_id['_'], 10)
    assert [decode(g, id_to_char) for g in guesses] == list(answers)
    with pytest.raises(ValueError) as error:
        AttentionSeq2seq(60, 16, 256).load_params(book / 'AttentionSeq2seq.pkl')
    assert "is the book's date model: its rows are the 59 characters" in str(error.value)


@pytest.mark.usefixtures('needs_ptb')
def test_the_books_cbow_vectors_are_numbered_as_ptb(book, tmp_path, capsys):
    word_vecs, word_to_id, id_to_word = load_book_vectors(book / 'cbow_params.pkl')
    assert word_vecs.shape == (10000, 100) and word_vecs.dtype == np.float32
    assert id_to_word == ptb.load_data('train')[2]
    neighbours = [w for w, _ in most_similar('you', word_to_id, id_to_word, word_vecs, verbose=False)]
    assert {'we', 'i'} <= set(neighbours)

    stored, _, book_id_to_word = read_book_word_vectors(book / 'cbow_params.pkl')
    swapped = dict(book_id_to_word)
    swapped[3], swapped[4] = book_id_to_word[4], book_id_to_word[3]
    path = write(tmp_path / 'cbow_params.pkl', {'word_vecs': stored, 'id_to_word': swapped,
                                                 'word_to_id': {w: i for i, w in swapped.items()}})
    with pytest.raises(ValueError) as error:
        load_book_vectors(path)
    assert f"id 3 is {book_id_to_word[4]!r}, in PTB it is {book_id_to_word[3]!r}" in one_line_naming(error, path)


def test_a_word_vector_file_whose_dicts_disagree(tmp_path):
    vectors = np.ones((3, 2), np.float16)
    path = write(tmp_path / 'cbow_params.pkl', {'word_vecs': vectors, 'word_to_id': {'a': 0, 'b': 1, 'c': 2},
                                                 'id_to_word': {0: 'a', 1: 'c', 2: 'b'}})
    with pytest.raises(ValueError) as error:
        read_book_word_vectors(path)
    assert "id_to_word[1] is 'c', but word_to_id gives that word 2" in one_line_naming(error, path)
    path = write(tmp_path / 'cbow_params.pkl', [vectors])
    with pytest.raises(ValueError) as error:
        read_book_word_vectors(path)
    assert "not the dict of the book's cbow_params.pkl" in one_line_naming(error, path)
    assert isinstance(read_book_pickle(write(tmp_path / 'list.pkl', [vectors])), list)


@pytest.mark.usefixtures('needs_ptb')
def test_the_scripts_take_the_books_files_and_save_them_as_ours(book, tmp_path, capsys):
    """--book-weights in place of --load: eval tells Rnnlm from BetterRnnlm by the file's arrays,
    generation and the attention heat maps run on the book's models, and --save writes our .npz."""
    from ch06_lstm import eval as eval_script
    from ch07_seq2seq import generate_text
    from ch08_attention import visualize_attention
    from common.base_model import load_model
    saved = tmp_path / 'rnnlm.npz'
    book_results = eval_script.main(['--book-weights', str(book / 'Rnnlm.pkl'), '--eval-tokens', '3501',
                                     '--save', str(saved)])
    assert f'wrote {saved}' in capsys.readouterr().out
    assert eval_script.main(['--load', str(saved), '--eval-tokens', '3501']) == book_results
    assert type(load_model(saved)) is Rnnlm and book_results['test'] < 250
    text = generate_text.main(['--book-weights', str(book / 'Rnnlm.pkl'), '--length', '10', '--seed', '1'])
    assert len(text.replace('.\n', ' <eos> ').split()) == 11  # 'you' and 10 words
    answers, _ = visualize_attention.main(['--book-weights', str(book / 'AttentionSeq2seq.pkl'),
                                           '--plot', str(tmp_path / 'a.png'), '--samples', '4', '--quiet'])
    assert answers.shape == (4, 10) and (tmp_path / 'a.png').is_file()
    with pytest.raises(SystemExit, match="holds 10 arrays .* it is not a language model of the book"):
        eval_script.main(['--book-weights', str(book / 'AttentionSeq2seq.pkl')])
    from ch10_transfer import zero_shot
    scored = zero_shot.main(['--kn-order', '0', '--book-weights', str(book / 'Rnnlm.pkl'), '--max-pairs', '200',
                             '--save', str(tmp_path / 'zero_shot_rnnlm.npz')])
    assert scored["the book's Rnnlm"] > 0.8  # the book's model knows word order
    assert zero_shot.main(['--kn-order', '0', '--rnnlm', str(tmp_path / 'zero_shot_rnnlm.npz'),
                           '--max-pairs', '200'])['Rnnlm'] == scored["the book's Rnnlm"]
    from ch04_fast_w2v import eval as vector_eval
    from ch04_fast_w2v.word_vectors import load_vectors
    vectors = tmp_path / 'cbow_book.npz'
    results = vector_eval.main(['--book-weights', str(book / 'cbow_params.pkl'), '--save', str(vectors),
                                '--quiet'])
    word_vecs, word_to_id, _ = load_vectors(vectors)
    assert word_vecs.shape == (10000, 100) and word_to_id['aer'] == 0
    assert results[str(book / 'cbow_params.pkl')]['ranks']['take:took = go:went'] == 1

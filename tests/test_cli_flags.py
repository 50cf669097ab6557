"""Every numeric flag of every script is checked by argparse before any work starts.

The scripts are found, not listed: every ``python -m chXX_name.script`` of the README's chapter
table and every ``benchmarks/*.py`` with a ``main(argv)``.  A script added later is held to the
same rules without touching this file.  The only convention a script has to follow is the one the
house already has: ``main(argv)`` builds its parser and calls ``parse_args`` before doing any work.

How the flags are enumerated without running any work: ``ArgumentParser.parse_known_args`` (which
``parse_args`` calls) is wrapped so that it records the parser and, once parsing succeeds, stops
``main`` with ``_Parsed`` instead of returning.  ``main(['--help'])`` then yields the parser and its
flags; ``main([flag, value])`` either exits 2 (rejected, with argparse's message on stderr) or
raises ``_Parsed`` (accepted).  Nothing is trained, loaded or downloaded.

Rules, for each flag whose argparse type is numeric (or whose default is a number):
- its type is one of ``harness.flags``'s validators (never bare ``int``/``float``, never untyped);
- its default passes its own type;
- ``-1``, ``nan`` and a too-large value exit 2 with a message naming the flag: ``1e400`` for
  numbers, 10**30 (beyond int64) for seeds, 10**12 for any other integer (every count has an
  upper bound), and 10**5 for a size of the model (``MODEL_SIZE_FLAG``: its arrays grow with it,
  so a slip of the keyboard would end in a MemoryError while the model is built);
- ``0`` exits 2 as well, unless the flag is a seed or its help says what 0 means.
And for each flag that names an output file (``--save``, ``--plot``, ``--vectors``, ``*-plot``,
or typed ``writable_path``): its type is ``harness.flags.writable_path``, so a path under a file or
a folder exits 2 before training, not when the result is saved.
"""
import argparse
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

from harness.flags import (DefaultPath, make_parser, nonnegative_int, plot_path, positive_float,
                           positive_int, writable_path)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text(encoding='utf-8')


def chapter_scripts():
    """The modules of the README's ``python -m chXX_name.script`` commands."""
    return sorted(set(re.findall(r'python -m (ch\d\d_\w+\.\w+)', README)))


def benchmark_scripts():
    """benchmarks/*.py files that define ``main(argv=None)``."""
    return sorted(path.name for path in (ROOT / 'benchmarks').glob('*.py')
                  if 'def main(argv' in path.read_text(encoding='utf-8'))


OPTIONAL_PEERS = {'torch', 'gensim'}  # benchmark-only packages, never project dependencies


def load_main(script):
    if script.endswith('.py'):
        folder = str(ROOT / 'benchmarks')
        spec = importlib.util.spec_from_file_location(f'benchmarks_{script[:-3]}', f'{folder}/{script}')
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, folder)  # as `python benchmarks/x.py` does: siblings import each other
        try:
            spec.loader.exec_module(module)
        except ImportError as error:
            if error.name not in OPTIONAL_PEERS:
                raise
            pytest.skip(f'{script}: {error}')
        finally:
            sys.path.remove(folder)
        return module.main
    return importlib.import_module(script).main


class _Parsed(BaseException):
    """Raised instead of returning from a successful parse, so main() never starts its work."""


@pytest.fixture
def run_parse(monkeypatch, capsys):
    """run_parse(main, argv) -> ('accepted' | exit code, stderr, [parsers used])."""
    original = argparse.ArgumentParser.parse_known_args
    parsers = []

    def parse_known_args(self, args=None, namespace=None):
        parsers.append(self)
        original(self, args, namespace)  # parses (and ends on a bad flag) before the stop
        raise _Parsed()

    monkeypatch.setattr(argparse.ArgumentParser, 'parse_known_args', parse_known_args)

    def run(main, argv):
        parsers.clear()
        capsys.readouterr()
        try:
            main(argv)
        except _Parsed:
            outcome = 'accepted'
        except SystemExit as stop:
            outcome = stop.code
        else:
            raise AssertionError(f'main({argv}) returned without parsing its arguments')
        return outcome, capsys.readouterr().err, list(parsers)
    return run


def script_options(main):
    """The option strings of ``main``'s parser(s), read without running any work."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        original = argparse.ArgumentParser.parse_known_args
        parsers = []

        def parse_known_args(self, args=None, namespace=None):
            parsers.append(self)
            raise _Parsed()

        monkeypatch.setattr(argparse.ArgumentParser, 'parse_known_args', parse_known_args)
        try:
            main([])
        except _Parsed:
            pass
    assert parsers and original is argparse.ArgumentParser.parse_known_args
    return {option for parser in parsers for action in parser._actions for option in action.option_strings}


def numeric_actions(parsers):
    """The argparse actions of ``parsers`` that take numbers."""
    found = []
    for parser in parsers:
        for action in parser._actions:
            if not action.option_strings or action.nargs == 0 or action.choices:
                continue
            default = action.default
            if isinstance(default, list):
                default = default[0] if default else None
            numeric_default = isinstance(default, (int, float)) and not isinstance(default, bool)
            type_module = getattr(action.type, '__module__', None)
            validator = type_module == 'harness.flags' and action.type not in OUTPUT_TYPES
            if action.type in (int, float) or validator or (
                    numeric_default and action.type is None):
                found.append(action)
    return found


OUTPUT_FLAG = re.compile(r'--(save|plot|vectors|heatmap|output|out)$|-plot$')
PLOT_FLAG = re.compile(r'--plot$|-plot$')
OUTPUT_TYPES = (writable_path, plot_path)


def output_actions(parsers):
    """The argparse actions of ``parsers`` that name a file the script writes."""
    return [action for parser in parsers for action in parser._actions
            if action.type in OUTPUT_TYPES
            or any(OUTPUT_FLAG.search(option) for option in action.option_strings)]


MODEL_SIZE_FLAG = re.compile(r'--((hidden|wordvec|context)-size|d-model|d-ff|num-heads|num-layers|beam-width)$')


def is_integer_type(kind):
    return 'int' in getattr(kind, '__name__', '')


SCRIPTS = chapter_scripts() + benchmark_scripts()


def flag_problems(main, run_parse):
    """What breaks the rules above in ``main``'s numeric flags (an empty list: nothing)."""
    outcome, _, parsers = run_parse(main, ['--help'])
    assert outcome == 0, '--help'
    actions = numeric_actions(parsers)
    problems = []
    for action in actions:
        flag = action.option_strings[-1]
        if action.type in (int, float, None) or action.type.__module__ != 'harness.flags':
            problems.append(f'{flag}: type {getattr(action.type, "__name__", action.type)}; '
                            f'use a validator of harness.flags')
            continue
        defaults = action.default if isinstance(action.default, list) else [action.default]
        for default in defaults:
            if default not in (None, argparse.SUPPRESS):  # SUPPRESS: the script picks the default
                try:
                    action.type(str(default))
                except argparse.ArgumentTypeError as error:
                    problems.append(f'{flag}: default {default!r} fails its own type: {error}')
        if not is_integer_type(action.type):
            too_large = ['1e400']
        elif action.type.__name__ == 'seed_int':
            too_large = ['1' + '0' * 30]
        else:
            too_large = ['1' + '0' * 12] + (['100000'] if MODEL_SIZE_FLAG.search(flag) else [])
        for value in ['0', '-1', 'nan'] + too_large:
            outcome, err, _ = run_parse(main, [flag, value])
            if outcome == 'accepted':
                zero_documented = action.type.__name__ == 'seed_int' or re.search(
                    r'\b0\b', action.help or '')
                if value != '0' or not zero_documented:
                    problems.append(f'{flag} {value}: accepted')
            elif outcome != 2 or flag not in err:
                problems.append(f'{flag} {value}: exit {outcome}, message {err.strip()!r}')
    for action in output_actions(parsers):
        flag = action.option_strings[-1]
        wanted = plot_path if PLOT_FLAG.search(flag) else writable_path
        if action.type is not wanted:
            problems.append(f'{flag}: an output path, type it with harness.flags.{wanted.__name__}')
            continue
        refused = [__file__ + '/out.npz', str(ROOT), os.devnull]  # under a file; a folder; a device
        if wanted is plot_path:
            refused += ['plot.txt', 'plot']  # no format matplotlib writes; no extension
        for value in refused:
            outcome, err, _ = run_parse(main, [flag, value])
            if outcome != 2 or flag not in err:
                problems.append(f'{flag} {value}: exit {outcome}, message {err.strip()!r}')
    return problems


@pytest.mark.parametrize('script', SCRIPTS)
def test_every_numeric_flag_is_validated_before_any_work(script, run_parse):
    problems = flag_problems(load_main(script), run_parse)
    assert not problems, f'{script}:\n' + '\n'.join(problems)


def _careless_main(argv=None):
    """A script that breaks each rule once."""
    parser = make_parser('careless', epochs=3)
    parser.add_argument('--size', type=int, default=4)
    parser.add_argument('--ratio', default=0.5)
    parser.add_argument('--count', type=nonnegative_int, default=1, help='how many')
    parser.add_argument('--scale', type=positive_float, default=-2.0)
    parser.add_argument('--hidden-size', type=positive_int, default=100)  # a count's bound, not a width's
    parser.add_argument('--vectors', help='output file')
    parser.parse_args(argv)
    raise AssertionError('work started')


def test_the_rules_catch_each_kind_of_careless_flag(run_parse):
    problems = flag_problems(_careless_main, run_parse)
    assert [p.split(':')[0].split()[0] for p in problems] == [
        '--size', '--ratio', '--count', '--scale', '--hidden-size', '--vectors']
    assert problems[2] == '--count 0: accepted'  # 0 allowed, but the help does not say what it means
    assert problems[4] == '--hidden-size 100000: accepted'


def test_the_scripts_are_found():
    assert len(chapter_scripts()) > 20 and len(benchmark_scripts()) >= 4


LOAD_NEEDS = {'ch03_word2vec.train': ['--model', 'cbow']}  # flags without which --load is refused


@pytest.mark.usefixtures('needs_ptb')
@pytest.mark.parametrize('script', SCRIPTS)
def test_a_damaged_load_file_ends_the_script_with_one_line_naming_it(script, run_parse, tmp_path,
                                                                    monkeypatch, capsys):
    """Every script with --load, given a file that is not a checkpoint (or no file at all): a
    one-line exit message naming the file (no traceback), before any training."""
    main = load_main(script)
    _, _, parsers = run_parse(main, ['--help'])
    if not any('--load' in action.option_strings for parser in parsers for action in parser._actions):
        pytest.skip(f'{script} has no --load')
    positionals = [a for p in parsers for a in p._actions if not a.option_strings and a.nargs is None]
    monkeypatch.undo()  # main runs for real from here on
    junk = tmp_path / 'junk.npz'
    junk.write_text('not a checkpoint\n')
    (tmp_path / 'text.txt').write_text('the cat sat\n')
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / 'text.txt')] * len(positionals) + LOAD_NEEDS.get(script, [])
             + ['--load', str(junk), '--quiet'])
    message = stop.value.code
    assert isinstance(message, str) and '\n' not in message.strip(), message
    assert str(junk) in message and 'not an .npz file' in message
    missing = str(tmp_path / 'missing.npz')
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / 'text.txt')] * len(positionals) + LOAD_NEEDS.get(script, [])
             + ['--load', missing, '--quiet'])
    message = str(stop.value.code)
    assert missing in message and ('does not exist' in message or 'not found' in message), message


# Default outputs whose name the script derives after parsing (from other flags, or per layer);
# argparse cannot see them, so they are listed: script -> (flag, the file main([]) would write).
DERIVED_DEFAULT_OUTPUTS = {'ch04_fast_w2v.train': ('--vectors', 'cbow_book_vectors.npz'),
                           'ch04_fast_w2v.train_fast': ('--vectors', 'cbow_fast_vectors.npz')}


@pytest.mark.parametrize('script', SCRIPTS)
def test_a_default_output_never_replaces_an_existing_file(script, run_parse, tmp_path, monkeypatch,
                                                          capsys):
    """A file a script writes without being asked to by name (a plot, word vectors) that already
    exists stops the run at once (exit 2, naming the file and the flag); a path the user names
    may be replaced.  Defaults of output flags must be ``harness.flags.DefaultPath`` for that."""
    main = load_main(script)
    _, _, parsers = run_parse(main, ['--help'])
    defaults = {action.option_strings[-1]: action.default for action in output_actions(parsers)
                if isinstance(action.default, str) and action.default}
    for flag, default in defaults.items():
        assert isinstance(default, DefaultPath), f'{script} {flag}: default {default!r} is a plain str'
    if script in DERIVED_DEFAULT_OUTPUTS:
        defaults.update([DERIVED_DEFAULT_OUTPUTS[script]])
    if not defaults:
        pytest.skip(f'{script} writes no file by default')
    monkeypatch.undo()  # main runs for real from here on
    monkeypatch.chdir(tmp_path)
    for flag, default in defaults.items():
        (tmp_path / default).write_bytes(b'earlier results')
        with pytest.raises(SystemExit) as stop:
            main(['--quiet'])
        assert stop.value.code == 2
        message = capsys.readouterr().err
        assert f'argument {flag}: {default!r} exists' in message and f'pass {flag} {default}' in message
        assert (tmp_path / default).read_bytes() == b'earlier results'
        (tmp_path / default).unlink()

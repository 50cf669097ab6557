"""The README's promises: its test command is the one CI runs, every script it lists exists, and
the Korean README (README.ko.md) gives the same set-up commands and names the same scripts."""
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text(encoding='utf-8')
README_KO = (ROOT / 'README.ko.md').read_text(encoding='utf-8')
# The set-up section's heading in each README.
SETUP_HEADINGS = {'README.md': '## Set up', 'README.ko.md': '## 설치와 실행'}


def setup_commands(text, heading):
    """The fenced shell blocks of the set-up section under ``heading``, one command each."""
    assert f'\n{heading}\n' in text, f'no set-up section {heading!r}'
    section = text.split(f'\n{heading}\n', 1)[1].split('\n## ', 1)[0]
    return [block.strip() for block in re.findall(r'```(?:bash|sh)\n(.*?)```', section, re.S)]


def scripts(text):
    """(the `python -m chXX_name.script` modules, the benchmarks/*.py files) a README names."""
    return (set(re.findall(r'python -m (ch\d\d_\w+\.\w+)', text)),
            set(re.findall(r'benchmarks/\w+\.py', text)))


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main_job, tests = setup_commands(README, SETUP_HEADINGS['README.md'])
    assert 'pytest' in tests and 'pytest' not in main_job
    ci_script = (ROOT / '.ci' / 'run').read_text(encoding='utf-8')
    assert tests in ci_script.splitlines()


def test_every_script_in_the_readme_has_a_main():
    modules, benchmarks = scripts(README)
    assert len(modules) > 20
    for name in sorted(modules):
        assert callable(importlib.import_module(name).main), name
    for script in benchmarks:
        assert (ROOT / script).is_file(), script


def test_korean_readme_gives_the_same_two_setup_commands():
    assert (setup_commands(README_KO, SETUP_HEADINGS['README.ko.md'])
            == setup_commands(README, SETUP_HEADINGS['README.md']))


@pytest.mark.parametrize('index', [0, 1], ids=['python -m modules', 'benchmarks'])
def test_korean_readme_names_the_same_scripts(index):
    english, korean = scripts(README)[index], scripts(README_KO)[index]
    assert english == korean, (f'only in README.md: {sorted(english - korean)}; '
                               f'only in README.ko.md: {sorted(korean - english)}')


def test_each_readme_links_the_other_at_the_top():
    assert '[README.ko.md](README.ko.md)' in README.split('\n## ', 1)[0]
    assert '[README.md](README.md)' in README_KO.split('\n## ', 1)[0]


def test_the_from_the_book_page_names_a_module_that_exists_for_every_book_file():
    """docs/from_the_book.md: every Python file of the book's repository has a row, and every
    module a row names can be found (the book-only names common.config and common.np excepted)."""
    page = (ROOT / 'docs' / 'from_the_book.md').read_text(encoding='utf-8')
    english = page.split('\n## 한국어', 1)[0]
    book_files = {'ch01': 'forward_net show_spiral_dataset two_layer_net train train_custom_loop',
                  'ch02': 'similarity most_similar ppmi count_method_small count_method_big show_ptb',
                  'ch03': 'cbow_predict simple_cbow simple_skip_gram train',
                  'ch04': 'negative_sampling_layer cbow skip_gram train eval visualize_word2vec',
                  'ch05': 'simple_rnnlm train_custom_loop train',
                  'ch06': 'rnn_gradient_graph clip_grads rnnlm better_rnnlm train_rnnlm train_better_rnnlm eval',
                  'ch07': 'rnnlm_gen generate_text generate_better_text seq2seq peeky_seq2seq train_seq2seq '
                          'show_addition_dataset',
                  'ch08': 'attention_layer attention_seq2seq train visualize_attention'}
    rows = [line for line in english.splitlines() if line.startswith('| `')]
    for folder, names in book_files.items():
        for name in names.split():
            assert any(re.search(rf'`({folder}/)?{name}\.py`', row.split('|')[1]) and folder in row.split('|')[1]
                       for row in rows), f'{folder}/{name}.py has no row'
    for row in rows:
        for module in re.findall(r'`((?:ch\d\d_\w+|common|dataset)(?:\.\w+)+|common|dataset)`', row.split('|')[2]):
            if module in ('common.config', 'common.np'):
                continue
            assert importlib.util.find_spec(module) is not None, f'{module} named in the page does not exist'


def test_the_readmes_are_short_and_give_the_setup_commands_first():
    """A reader's README: at most 250 lines (the Korean one 300), the two set-up commands within
    its first 40 lines; the measurement log lives in docs/results.md."""
    for text, limit in ((README, 250), (README_KO, 300)):
        lines = text.splitlines()
        assert len(lines) <= limit
        head = '\n'.join(lines[:40])
        assert head.count('python3 -m venv .venv') == 2
    assert '[docs/results.md](docs/results.md)' in README

"""The README's promises: its test command is the one CI runs, every script it lists exists, and
the Korean README (README.ko.md) gives the same set-up commands and names the same scripts."""
import importlib
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
    return (set(re.findall(r'python -m (ch0\d_\w+\.\w+)', text)),
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

"""The README's promises: its test command is the one CI runs, and every script it lists exists."""
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text(encoding='utf-8')


def setup_commands():
    """The fenced shell blocks of the README's set-up section, one command each."""
    section = README.split('## Set up', 1)[1].split('\n## ', 1)[0]
    return [block.strip() for block in re.findall(r'```(?:bash|sh)\n(.*?)```', section, re.S)]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main_job, tests = setup_commands()
    assert 'pytest' in tests and 'pytest' not in main_job
    ci_script = (ROOT / '.ci' / 'run').read_text(encoding='utf-8')
    assert tests in ci_script.splitlines()


def test_every_script_in_the_readme_has_a_main():
    modules = set(re.findall(r'python -m (ch0\d_\w+\.\w+)', README))
    assert len(modules) > 20
    for name in sorted(modules):
        assert callable(importlib.import_module(name).main), name
    for script in set(re.findall(r'python (benchmarks/\w+\.py)', README)):
        assert (ROOT / script).is_file(), script

"""What a reader of the book meets first: plots that hold their data, every written file named,
short and true --help texts."""
import importlib
import os

import numpy as np
import pytest

import common.plot
from common.trainer import RnnlmTrainer
from test_cli_flags import chapter_scripts, script_options  # tests/ is on sys.path under pytest
from test_resume import NEEDS_PTB, NEEDS_REVIEWS, SCRIPTS
from tiny_sentiment import tiny_sentiment  # noqa: F401 (a fixture: small review archives)


@pytest.fixture
def drawn(monkeypatch):
    """The figures plot_curves finished, instead of saving or showing them."""
    figures = []
    monkeypatch.setattr(common.plot, 'finish_figure', lambda fig, path=None: figures.append(fig))
    return figures


def test_a_short_runs_perplexities_lie_inside_the_axes(drawn):
    trainer = RnnlmTrainer(model=None, optimizer=None, verbose=False)
    trainer.history, trainer.history_steps, trainer.max_iters = [812.0, 701.5, 655.2], [20, 40, 46], 46
    trainer.plot(ylim=(0, 500))  # the book's range holds no point of so short a run
    ax, = drawn[-1].axes
    low, high = ax.get_ylim()
    assert low <= 655.2 and 812.0 <= high
    assert ax.get_xlabel() == 'iterations' and list(ax.lines[0].get_xdata()) == [20, 40, 46]
    trainer.history, trainer.history_steps = [320.0, 250.0], [46, 92]  # one record per epoch
    trainer.plot(ylim=(0, 500))
    ax, = drawn[-1].axes
    assert ax.get_ylim() == (0, 500) and ax.get_xlabel() == 'epochs'
    assert list(ax.lines[0].get_xdata()) == [1, 2]


def test_a_one_epoch_accuracy_plot_has_whole_epochs(drawn):
    from ch07_seq2seq.seq2seq_training import plot_accuracy
    plot_accuracy([0.42], path=None)
    ax, = drawn[-1].axes
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


@pytest.mark.parametrize('name', sorted(SCRIPTS))
def test_every_file_a_training_script_writes_is_announced(name, tmp_path, monkeypatch, capsys, request):
    if name in NEEDS_PTB:
        request.getfixturevalue('needs_ptb')
    if name in NEEDS_REVIEWS:
        request.getfixturevalue('tiny_sentiment')
    monkeypatch.chdir(tmp_path)
    main = importlib.import_module(name.split(':')[0]).main
    outputs = [str(tmp_path / 'out' / 'run.npz')]
    argv = [*SCRIPTS[name], '--epochs', '1', '--save', outputs[0]]
    if '--plot' in script_options(main):
        outputs.append(str(tmp_path / 'out' / 'curve.png'))
        argv += ['--plot', outputs[-1]]
    main(argv)
    printed = ''.join(capsys.readouterr())
    written = [str(path) for path in tmp_path.rglob('*') if path.is_file()]
    assert set(outputs) <= set(written)
    for path in written:
        relative = os.path.relpath(path, tmp_path)
        if relative.startswith('data' + os.sep):
            continue  # the small review archives the fixture wrote
        if relative.startswith('cache' + os.sep):  # the fixture's cache folder: said as a folder
            path = os.path.dirname(path)
        assert path in printed or relative in printed, f'{name} wrote {relative} without saying so'


@pytest.mark.parametrize('script', chapter_scripts())
def test_help_speaks_to_the_reader(script, capsys):
    with pytest.raises(SystemExit) as done:
        importlib.import_module(script).main(['--help'])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for word in ('shared/', 'seed notes', 'session', 'reviewer'):
        assert word not in text, f'{script} --help mentions {word!r}'
    assert text.count('Checkpoints:') <= 1 and 'state.npz' not in text


def test_building_trainers_and_parsing_flags_change_nothing_in_the_process(tmp_path, monkeypatch):
    """No hidden process-wide effects: malloc's settings change only where a script's main asks
    (harness.memory), sys.excepthook is never replaced, and parsing output flags writes no file."""
    import ctypes
    import sys
    from ch06_lstm.rnnlm import Rnnlm
    from ch09_transformer.gpt import GPT
    from common.optimizer import SGD, Adam
    from common.trainer import Trainer, WindowTrainer
    from harness.flags import make_parser
    loaded = []
    real_cdll = ctypes.CDLL
    monkeypatch.setattr(ctypes, 'CDLL', lambda *a, **k: loaded.append(a) or real_cdll(*a, **k))
    hook = sys.excepthook
    monkeypatch.chdir(tmp_path)
    RnnlmTrainer(Rnnlm(20, 4, 4, rng=0), SGD())
    Trainer(Rnnlm(20, 4, 4, rng=0), Adam())
    WindowTrainer(GPT(20, context_size=4, d_model=4, num_heads=1, num_layers=1, d_ff=4, rng=0), Adam())
    parser = make_parser('a script', epochs=1, save=None, plot='loss.png')
    parser.add_argument('--vectors')
    args = parser.parse_args(['--save', str(tmp_path / 'out' / 'run.npz'), '--plot', 'curve.png'])
    assert args.save.endswith('run.npz') and args.plot == 'curve.png'
    assert loaded == [] and sys.excepthook is hook and list(tmp_path.iterdir()) == []

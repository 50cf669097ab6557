"""The flag rules of tests/test_cli_flags.py for chapter 10's scripts that the README's chapter
table does not name yet (that test finds its scripts there); once it names them, nothing is left
here to check."""
import pytest

from test_cli_flags import chapter_scripts, flag_problems, load_main, run_parse  # noqa: F401 (a fixture)

CHAPTER_10 = ['ch10_transfer.finetune', 'ch10_transfer.finetune_curve', 'ch10_transfer.pretrain_bert',
              'ch10_transfer.pretrain_gpt', 'ch10_transfer.pretrain_lstm', 'ch10_transfer.train_cbow',
              'ch10_transfer.word_order_curve', 'ch10_transfer.word_order_finetune', 'ch10_transfer.zero_shot']


@pytest.mark.parametrize('script', [s for s in CHAPTER_10 if s not in chapter_scripts()])
def test_every_numeric_flag_of_chapter_10_is_validated_before_any_work(script, run_parse):
    problems = flag_problems(load_main(script), run_parse)
    assert not problems, f'{script}:\n' + '\n'.join(problems)

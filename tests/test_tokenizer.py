"""dataset.tokenizer: IMDB's raw text and SST's PTB-split leaves give the same tokens; its quirks."""
import pytest

from dataset import sst
from dataset.tokenizer import tokenize


@pytest.mark.parametrize('raw, sst_leaves', [
    ("It's clever, don't miss it!", "It 's clever , do n't miss it !"),
    ("I can't say it won't work.", "I ca n't say it wo n't work ."),
    ('A film (a good one) -- really.', 'A film -LRB- a good one -RRB- -- really .'),
    ('"Dull," she said.', "`` Dull , '' she said ."),
    ("The 'best' part", "The ` best ' part"),
    ('Writer/director Mr. Smith, 10-year-old actors and 1/2 a plot...',
     'Writer\\/director Mr. Smith , 10-year-old actors and 1\\/2 a plot ...'),
    ("We've seen the '70s; you'd've liked it.", "We 've seen the '70s ; you 'd 've liked it ."),
    ('R&B in the U.S. vs. Britain', 'R&B in the U.S. vs. Britain'),
    ('{braces} and [brackets]', '-LCB- braces -RCB- and -LSB- brackets -RSB-'),
])
def test_raw_text_and_sst_leaves_agree(raw, sst_leaves):
    assert tokenize(raw) == tokenize(sst_leaves)


@pytest.mark.parametrize('text, tokens', [
    ("Great!<br /><br />A must-see.<BR>Really<br/>.", ['great', '!', 'a', 'must-see', '.', 'really', '.']),
    ("DON'T", ['do', "n't"]),
    ("shouldn't've", ['should', "n't", "'ve"]),
    ("the actors' pay", ['the', 'actors', "'", 'pay']),               # a plural possessive
    ("the 80's", ['the', '80', "'s"]),
    ("O'Fallon's rock'n'roll", ["o'fallon", "'s", "rock'n'roll"]),
    ('Rated 7/10, $1,000.50 -- 2:30 long', ['rated', '7/10', ',', '$', '1,000.50', '--', '2:30', 'long']),
    ('The end.Then wow!!! Why?!', ['the', 'end', '.', 'then', 'wow', '!!!', 'why', '?!']),
    ('Wait.... for it -- or --- not', ['wait', '...', 'for', 'it', '--', 'or', '--', 'not']),
    ('J. K. Rowling, e.g. here', ['j.', 'k.', 'rowling', ',', 'e.g.', 'here']),
    ('plan b. the end', ['plan', 'b.', 'the', 'end']),                # a letter before a word: an initial
    ('\u201cQuoted\u201d \u2018too\u2019 \u2014 caf\u00e9 \u2026 done',
     ['"', 'quoted', '"', "'", 'too', "'", '--', 'café', '...', 'done']),
    ('don\x92t \x93hmm\x94 a\x97b\x85', ['do', "n't", '"', 'hmm', '"', 'a', '--', 'b', '...']),
    ('snake_case ***', ['snake', '_', 'case', '***']),
    ('  \t\n ', []),
    ('', []),
])
def test_quirks(text, tokens):
    assert tokenize(text) == tokens


def test_an_sst_no_break_space_splits_a_leaf():
    assert tokenize('2\xa01\\/2 hours') == ['2', '1/2', 'hours']


@pytest.mark.usefixtures('needs_sst')
def test_almost_every_real_sst_leaf_stays_one_token():
    sentences, _ = sst.load_data('test', binary=False)
    rewrite = {'-LRB-': '(', '-RRB-': ')', '``': '"', "''": '"', '`': "'"}
    leaves = [leaf for sentence in sentences for leaf in sentence]
    expected = [rewrite.get(leaf, leaf.replace('\\/', '/').replace('\\*', '*')).lower() for leaf in leaves]
    tokens = [token for sentence in sentences for token in tokenize(' '.join(sentence))]
    kept = sum(tokenize(leaf) == [want] for leaf, want in zip(leaves, expected))
    assert kept / len(leaves) > 0.999
    assert abs(len(tokens) - len(leaves)) < 0.001 * len(leaves)

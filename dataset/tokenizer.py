"""One tokenizer for movie-review text, so that a word gets the same token in SST and in IMDB.

SST's sentences come already split the Penn Treebank (PTB) way (``it 's``, ``do n't``, ``-LRB-``
for '(', `````` and ``''`` for double quotes, ``\\/`` for '/'); IMDB's reviews are raw text with
``<br />`` line breaks.  ``tokenize`` turns both into the same lower-case tokens:

    tokenize("It's a <br /><br />clever, ENJOYABLE film (7/10) -- don't miss it!")
    -> ['it', "'s", 'a', 'clever', ',', 'enjoyable', 'film', '(', '7/10', ')', '--', 'do', "n't",
        'miss', 'it', '!']
    tokenize("It 's a clever , enjoyable film -LRB- 7\\/10 -RRB- -- do n't miss it !")  -> the same

The rules, in order:

1. characters: ``<br />`` (any case, with or without the slash) becomes a space; SST's -LRB- -RRB-
   -LCB- -RCB- -LSB- -RSB- become ( ) { } [ ], and ``\\/``, ``\\*`` become / and *; every double
   quote (`````` ``''`` “ ” „) becomes '"', every single quote or apostrophe (` ‘ ’ ´) becomes "'";
   the dashes – and — become ``--``, the ellipsis … becomes ``...``; the Windows-1252 forms of
   these characters that some reviews hold (U+0084, U+0085, U+0091-U+0097) are read the same way.
   Then the text is lower-cased, a run of two or more dots becomes ``...`` and a run of two or
   more hyphens ``--``.
2. n't, 's, 're, 've, 'll, 'd and 'm are split off the word they end (``don't`` -> ``do n't``,
   ``can't`` -> ``ca n't``, ``won't`` -> ``wo n't``, ``should've`` -> ``should 've``).
3. tokens, each the longest match of the first rule that matches where the last token ended:
   abbreviations that keep their period (``u.s.``, ``e.g.``, ``mr.``, ``vs.``, an initial such as
   ``j.`` before another word); a decade such as ``'70s``; a clitic (``'s``, ``'re``, ``'ve``,
   ``'ll``, ``'d``, ``'m``, ``'em``, ``'til``, ``'n'``); a word: letters and digits, joined inside
   by - ' / or & (``10-year-old``, ``o'fallon``, ``and/or``, ``r&b``, ``n't``) and between digits
   by . , or : (``1.5``, ``10,000``, ``7/10``); ``...``, ``--``, a run of ! and ?, a run of *; any
   other single character that is not a space.

Quirks kept on purpose (PTB's own): "can't" gives 'ca', "won't" gives 'wo'; a plural possessive
leaves its apostrophe as a token (actors' -> 'actors', "'"); "80's" gives '80', "'s"; a single
letter with a period before another word is an initial ("plan b. the" gives 'b.').
"""
import hashlib
import re
from pathlib import Path

# Rule 1: the character sequences that are rewritten, and what each becomes.
_REWRITES = {
    '-LRB-': ' ( ', '-RRB-': ' ) ', '-LCB-': ' { ', '-RCB-': ' } ', '-LSB-': ' [ ', '-RSB-': ' ] ',
    '\\/': '/', '\\*': '*', '``': '"', "''": '"',
    '\u201c': '"', '\u201d': '"', '\u201e': '"', '\x93': '"', '\x94': '"', '\x84': '"',
    '`': "'", '\u2018': "'", '\u2019': "'", '\u00b4': "'", '\x91': "'", '\x92': "'",
    '\u2013': ' -- ', '\u2014': ' -- ', '\x96': ' -- ', '\x97': ' -- ', '\u2026': '...', '\x85': '...',
}
_LINE_BREAK = re.compile(r'<br\s*/?>', re.IGNORECASE)
_REWRITE = re.compile('|'.join(re.escape(key) for key in sorted(_REWRITES, key=len, reverse=True)))
_DOTS, _HYPHENS = re.compile(r'\.{2,}'), re.compile(r'-{2,}')
# Rule 2: an ending right after a letter or digit, and not followed by one.
_ENDING = re.compile(r"(?<=[^\W_])(n't|'s|'re|'ve|'ll|'d|'m)(?![^\W_])")
# Rule 3: the token alternatives, tried in this order.  A token never starts right after a letter
# or digit (a word takes them all), so no rule needs to look behind it.
_TOKEN = re.compile('|'.join((
    r"(?:[a-z]\.){2,}|(?:mrs|mr|ms|dr|jr|sr|st|vs|etc|mt|bros|inc|co)\.|[a-z]\.(?=\s+[a-z])",  # abbreviations
    r"'\d0s(?![^\W_])",                                                   # a decade
    r"'(?:s|re|ve|ll|d|m|em|til|n')(?![^\W_])",                            # a clitic
    r"[^\W_]+(?:(?:[-'/&]|(?<=\d)[.,:](?=\d))[^\W_]+)*",                   # a word
    r"\.\.\.|--|[!?]+|\*+|\S")))                                           # punctuation

# Changes to this file change the tokens: caches of tokenized text are keyed by this fingerprint.
FINGERPRINT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def tokenize(text):
    """Lower-case PTB-style tokens of a review or an SST sentence (the rules above).

    text: str -> list of str (empty for a text of spaces only).
    """
    text = _LINE_BREAK.sub(' ', text)
    text = _REWRITE.sub(lambda match: _REWRITES[match[0]], text).lower()
    text = _HYPHENS.sub('--', _DOTS.sub('...', text))
    return _TOKEN.findall(_ENDING.sub(r' \1', text))

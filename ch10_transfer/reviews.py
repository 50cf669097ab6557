"""The movie-review text this chapter learns from, as token ids of one vocabulary.

Pre-training reads the unlabelled IMDB reviews and the text of the training reviews (never a
label, never a test review), all tokenized by ``dataset.tokenizer`` and numbered by the vocabulary
of ``dataset.imdb.build_vocabulary``; the last ``valid_reviews`` unlabelled reviews are held out to
measure the language models.  Fine-tuning reads SST's sentences (and phrases) and IMDB's labelled
reviews in the same ids, so a word has one id everywhere.
"""
import numpy as np

from dataset import imdb, sst
from dataset.tokenizer import tokenize
from dataset.vocabulary import EOS_ID

VALID_REVIEWS = 1000


def pretraining_reviews(vocabulary, valid_reviews=VALID_REVIEWS):
    """The reviews a language model learns from -> (train, valid), lists of (L_i,) int32 id arrays.

    train: the 50,000 unlabelled reviews but the last ``valid_reviews``, then the 25,000 training
    reviews (their text only); valid: those last ``valid_reviews`` unlabelled reviews.
    """
    unlabelled = imdb.load_unlabelled_ids(vocabulary)
    if not 0 < valid_reviews < len(unlabelled):
        raise ValueError(f'valid_reviews must lie in [1, {len(unlabelled) - 1}] (there are '
                         f'{len(unlabelled)} unlabelled reviews), got {valid_reviews}')
    training_texts, _ = imdb.load_ids('train', vocabulary)
    return unlabelled[:-valid_reviews] + training_texts, unlabelled[-valid_reviews:]


def review_stream(reviews, rng=None):
    """One long corpus for a language model: the reviews, in a random order when ``rng`` (a numpy
    Generator) is given, each followed by '<eos>' -> (sum_i (L_i + 1),) int32."""
    order = range(len(reviews)) if rng is None else rng.permutation(len(reviews))
    eos = np.array([EOS_ID], dtype=np.int32)
    return np.concatenate([piece for i in order for piece in (reviews[i], eos)]).astype(np.int32)


def sst_ids(split, vocabulary, phrases=False):
    """SST's binary task in ``vocabulary``'s ids -> (sentences: list of (L_i,) int32, labels (n,)).

    split: 'train' | 'dev' | 'test'; phrases=True gives every labelled phrase of the split's trees
    (``dataset.sst.load_phrases``) instead of the whole sentences.  The trees' leaves are joined
    and read by ``tokenize``, as IMDB's text is ('-LRB-' -> '(', "n't" kept).
    """
    texts, labels = (sst.load_phrases if phrases else sst.load_data)(split)
    return [vocabulary.encode(tokenize(' '.join(words))) for words in texts], labels


def imdb_ids(split, vocabulary, max_length=None):
    """IMDB's labelled reviews of ``split`` in ``vocabulary``'s ids, each at most ``max_length``
    tokens (``cut_review``) -> (reviews: list of (L_i,) int32, labels (n,): 1 positive, 0 negative)."""
    reviews, labels = imdb.load_ids(split, vocabulary)
    return [cut_review(review, max_length) for review in reviews], labels


def cut_review(review, max_length=None):
    """A review of more than ``max_length`` tokens keeps its first quarter and its last three
    quarters of ``max_length`` (the opening and the verdict, which a review gives at its end);
    None: no limit.  (L,) -> (min(L, max_length),)."""
    if max_length is None or len(review) <= max_length:
        return review
    head = max_length // 4
    return np.concatenate([review[:head], review[len(review) - (max_length - head):]])


def review_chunks(corpus, length):
    """The reviews of a ``review_stream`` corpus cut into pieces for a model that reads at most
    ``length`` tokens: each review (up to its '<eos>', which is dropped) becomes consecutive pieces
    of ``length`` tokens, its last piece shorter -> list of (L_i <= length,) int32 arrays, in order.
    A review that the corpus cuts off (its '<eos>' beyond the end) keeps the tokens it has."""
    if length < 1:
        raise ValueError(f'length must be at least 1, got {length}')
    ends = np.flatnonzero(corpus == EOS_ID)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(corpus)]))
    return [corpus[start:min(start + length, end)]
            for review_start, end in zip(starts, ends) for start in range(review_start, end, length)]

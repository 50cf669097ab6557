"""Text and word-vector utilities of chapters 2-4, gradient clipping (chapter 5), and finding the
random generators a model or a trainer draws from.

Everything here is vectorised: the co-occurrence matrix, PPMI and the context windows of the
whole PTB corpus are built with array operations, not Python loops over words.
"""
import math
import types

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from common.backend import array_module, to_cpu
from common.checks import check_ids
# The book keeps its evaluation helpers in util; they live in common.evaluation.
from common.evaluation import eval_perplexity, eval_seq2seq  # noqa: F401


def preprocess(text):
    """Split ``text`` into lower-case words (a '.' becomes its own word) and number them.

    -> (corpus: (N,) int array of word ids, word_to_id: dict, id_to_word: dict), ids in order of
    first appearance: preprocess('You say goodbye and I say hello.') numbers 'you' 0, 'say' 1, ...
    """
    words = text.lower().replace('.', ' .').split()
    word_to_id = {}
    for word in words:
        word_to_id.setdefault(word, len(word_to_id))
    id_to_word = {i: w for w, i in word_to_id.items()}
    corpus = np.array([word_to_id[w] for w in words], dtype=np.int64)
    return corpus, word_to_id, id_to_word


def create_co_matrix(corpus, vocab_size, window_size=1):
    """C[i, j] = how often word j stands within ``window_size`` words of word i.

    corpus: (N,) word ids -> C: (V, V) int32, symmetric.
    """
    corpus = np.asarray(corpus)
    check_ids(corpus, vocab_size)
    C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for distance in range(1, window_size + 1):
        left, right = corpus[:-distance], corpus[distance:]
        np.add.at(C, (left, right), 1)
        np.add.at(C, (right, left), 1)
    return C


def cos_similarity(x, y, eps=1e-8):
    """cos(x, y) = x . y / (|x| |y|), with eps guarding zero vectors.  x, y: (D,) -> float."""
    nx = x / (np.sqrt(np.sum(x ** 2)) + eps)
    ny = y / (np.sqrt(np.sum(y ** 2)) + eps)
    return float(np.dot(nx, ny))


def cosine_similarities(query_vec, word_matrix, eps=1e-8):
    """cos(query, w_i) for every row w_i of ``word_matrix``: (D,), (V, D) -> (V,)."""
    norms = np.sqrt((word_matrix ** 2).sum(axis=1)) + eps
    return (word_matrix @ query_vec) / norms / (np.sqrt(np.sum(query_vec ** 2)) + eps)


def word_id(word, word_to_id):
    """The id of ``word``; a clear KeyError-free ValueError when it is not in the vocabulary."""
    if word not in word_to_id:
        raise ValueError(f'{word!r} is not in the vocabulary ({len(word_to_id)} words); '
                         'check the spelling (words are lower-case)')
    return word_to_id[word]


def vocabulary_spelling(words, word_to_id):
    """Each word as the vocabulary spells it: as written when the vocabulary has it (PTB's 'N',
    '<unk>'), else in lower case ('The' -> 'the').  words: str (split on spaces) or list of str."""
    if isinstance(words, str):
        words = words.split()
    return [w if w in word_to_id else w.lower() for w in words]


def most_similar(query, word_to_id, id_to_word, word_matrix, top=5, verbose=True):
    """Print and return the ``top`` words closest to ``query`` by cosine similarity.

    word_matrix: (V, D) word vectors (on the host or the GPU: copied to the host once, since
    ranking and printing words is host work) -> [(word, similarity), ...], best first, query
    excluded.  A query or word vector with a NaN raises ValueError naming the words.
    """
    word_matrix = to_cpu(word_matrix)
    query_id = word_id(query, word_to_id)
    check_finite_vectors(word_matrix, [query_id], word_to_id)
    similarity = cosine_similarities(word_matrix[query_id], word_matrix)
    check_finite_similarities(similarity, word_to_id)
    similarity[query_id] = -np.inf
    results = best_words(similarity, id_to_word, top)
    if verbose:
        print(f'\n[query] {query}')
        for word, score in results:
            print(f' {word}: {score:.4f}')
    return results


def best_words(similarity, id_to_word, top):
    """The ``top`` words of highest ``similarity`` (V,), best first (ties: lower id first), never
    one set to -inf (a query word) -> [(word, similarity), ...]."""
    order = np.argsort(-similarity, kind='stable')[:top]
    return [(id_to_word[int(i)], float(similarity[i])) for i in order if similarity[i] > -np.inf]


def check_finite_vectors(word_matrix, ids, word_to_id):
    """Raise ValueError naming (up to 5 of) the words among ``ids`` whose vectors hold a NaN or an
    infinity.  word_matrix: (V, D); ids: sequence of word ids."""
    ids = np.asarray(ids, dtype=np.int64)
    bad = ids[~np.isfinite(word_matrix[ids]).all(axis=1)]
    if bad.size:
        raise ValueError(f'{bad.size} word vectors are not finite (NaN or inf), e.g. '
                         f'{_names(bad[:5], word_to_id)}: the word vectors are broken '
                         '(did training diverge?)')


def check_finite_similarities(similarity, word_to_id):
    """Raise ValueError naming (up to 5 of) the words whose similarity is NaN (a NaN vector)."""
    bad = np.flatnonzero(np.isnan(similarity))
    if bad.size:
        raise ValueError(f'{bad.size} word vectors give NaN similarities, e.g. '
                         f'{_names(bad[:5], word_to_id)}: the word vectors are broken '
                         '(did training diverge?)')


def _names(ids, word_to_id):
    id_to_word = {i: w for w, i in word_to_id.items()}
    return ', '.join(repr(id_to_word.get(int(i), f'#{int(i)}')) for i in ids)


def rank_of(similarity, index):
    """Rank (1 = best) of word ``index`` by ``similarity`` (V,), ties counted against it:
    1 + the number of other words scoring >= its score (so equal scores never give rank 1)."""
    return int((similarity >= similarity[index]).sum())


def analogy_similarities(a, b, c, word_to_id, word_matrix):
    """cos(b - a + c, w_i) for every word i (each of a, b, c unit-normalised first), with the
    three question words set to -inf so they are never the answer.  -> (V,) on the host
    (``word_matrix`` is copied there once when it lives on the GPU).
    A NaN in a question word's vector or in any word's similarity raises ValueError naming them.
    """
    word_matrix = to_cpu(word_matrix)
    ids = [word_id(w, word_to_id) for w in (a, b, c)]
    check_finite_vectors(word_matrix, ids, word_to_id)
    vec_a, vec_b, vec_c = (normalize(word_matrix[i]) for i in ids)
    similarity = cosine_similarities(vec_b - vec_a + vec_c, word_matrix)
    check_finite_similarities(similarity, word_to_id)
    similarity[ids] = -np.inf
    return similarity


def analogy(a, b, c, word_to_id, id_to_word, word_matrix, top=5, answer=None, verbose=True):
    """Solve a:b = c:? by the word whose vector is closest (cosine) to b - a + c.

    The three question words are excluded.  -> [(word, similarity), ...], best first.
    With ``answer``, also prints the rank of the expected answer among all words (``rank_of``:
    ties count against the answer).
    """
    similarity = analogy_similarities(a, b, c, word_to_id, word_matrix)
    results = best_words(similarity, id_to_word, top)
    if verbose:
        print(f'\n[analogy] {a}:{b} = {c}:?')
        for word, score in results:
            print(f' {word}: {score:.4f}')
        if answer is not None:
            answer_id = word_id(answer, word_to_id)
            rank = rank_of(similarity, answer_id)
            print(f' ==> {answer}: rank {rank}, similarity {similarity[answer_id]:.4f}')
    return results


def ppmi(C, verbose=False, eps=1e-8):
    """Positive pointwise mutual information of a co-occurrence matrix.

    PPMI(i, j) = max(0, log2(C[i, j] N / (S_i S_j) + eps)), N = sum of C, S_i = sum_j C[i, j].
    C: (V, V) counts -> M: (V, V) float32.  A zero count gives log2(eps) < 0, so PPMI 0: only the
    non-zero counts are computed, all at once (no Python loop over entries), which takes seconds
    for the 10,000 x 10,000 PTB matrix where the book's double loop takes minutes.
    """
    total = float(C.sum())
    word_counts = C.sum(axis=0).astype(np.float64)
    rows, cols = np.nonzero(C)
    pmi = C[rows, cols] * total / (word_counts[rows] * word_counts[cols])
    M = np.zeros(C.shape, dtype=np.float32)
    M[rows, cols] = np.maximum(np.log2(pmi + eps), 0)
    if verbose:
        print(f'PPMI of {len(rows):,} non-zero counts done')
    return M


def create_contexts_target(corpus, window_size=1):
    """Contexts (the ``window_size`` words on each side) and targets (the centre word).

    corpus: (N,) ids -> contexts: (N - 2w, 2w), target: (N - 2w,), contexts in left-to-right order.
    """
    corpus = np.asarray(corpus)
    if len(corpus) <= 2 * window_size:
        raise ValueError(f'the corpus has {len(corpus)} words: it needs more than '
                         f'2 * window_size = {2 * window_size}')
    windows = sliding_window_view(corpus, 2 * window_size + 1)
    target = windows[:, window_size].copy()
    contexts = np.delete(windows, window_size, axis=1)
    return contexts, target


def convert_one_hot(corpus, vocab_size):
    """One-hot encode ids: (N,) -> (N, V) or (N, C) -> (N, C, V), int32."""
    corpus = np.asarray(corpus)
    check_ids(corpus, vocab_size)
    return (corpus[..., None] == np.arange(vocab_size)).astype(np.int32)


def clip_grads(grads, max_norm):
    """Scale all gradients by max_norm / |g| when the global norm |g| = sqrt(sum g^2) > max_norm.

    In place.  Returns the norm before clipping.  FloatingPointError when the norm is NaN or
    infinite (training diverged): no finite scale can clip such gradients.
    """
    total_norm = sum(float(array_module(g).vdot(g, g)) for g in grads) ** 0.5
    if not math.isfinite(total_norm):
        raise FloatingPointError(f'the gradients\' norm is {total_norm}: training diverged (try a '
                                 'smaller learning rate); parameters were not updated')
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
    return total_norm


def normalize(x):
    """Scale vectors to unit length: (D,) -> (D,) or (N, D) -> (N, D) row-wise (a zero vector
    stays zero instead of becoming NaN)."""
    xp = array_module(x)
    if x.ndim == 2:
        norm = xp.sqrt((x ** 2).sum(axis=1, keepdims=True))
    else:
        norm = xp.sqrt((x ** 2).sum())
    return x / xp.where(norm > 0, norm, 1)


def random_generators(*roots):
    """Every numpy Generator reachable from ``roots`` through attributes, lists, tuples and dicts,
    each once, in the order they are met (the same for two runs built by the same code)."""
    found, seen = [], set()

    def walk(value):
        if id(value) in seen or isinstance(value, (np.ndarray, str, bytes, int, float, type,
                                                   types.ModuleType)):
            return
        seen.add(id(value))
        if isinstance(value, np.random.Generator):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif hasattr(value, '__dict__') and not callable(value):
            for item in vars(value).values():
                walk(item)

    for root in roots:
        walk(root)
    return found

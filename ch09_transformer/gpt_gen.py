"""GPTGen: text generation and sentence scoring with the GPT, through chapter 7's generator."""
from common.backend import array_module
from ch07_seq2seq.rnnlm_gen import LanguageModelGenerator
from ch09_transformer.gpt import GPT


class GPTGen(LanguageModelGenerator, GPT):
    """GPT with ``generate`` and ``score`` (chapter 7's sampling: temperature, top-k, greedy, skip ids).

    The LSTMs carry a hidden state from word to word; the GPT's "state" is the last
    ``context_size`` words it has read, which it reads again in full for every new word.
    ``reset_state()`` forgets them.  Dropout is off while generating and scoring.
    """
    context = None

    def reset_state(self):
        self.context = None

    def next_word_scores(self, xs):
        """xs: (N, T) ids read after the words kept so far -> scores (N, T, V) of each next word.

        The GPT reads at most ``context_size`` words at once, so a longer xs (a long sentence to
        score) is read in pieces of context_size // 2 words: each word is predicted from the words
        before it in its window, at least half a window of them after the first piece, as in
        ``common.evaluation.eval_perplexity_windows``.
        """
        if xs.shape[1] <= self.context_size:
            return self._read_piece(xs)
        step = max(1, self.context_size // 2)
        pieces = [self._read_piece(xs[:, start:start + step]) for start in range(0, xs.shape[1], step)]
        return array_module(pieces[0]).concatenate(pieces, axis=1)

    def _read_piece(self, xs):
        """Scores of the next words of xs (N, T <= context_size), read after the words kept."""
        ids = xs if self.context is None else array_module(xs).concatenate([self.context, xs], axis=1)
        self.context = ids[:, -self.context_size:]
        return self.predict(self.context)[:, -xs.shape[1]:]

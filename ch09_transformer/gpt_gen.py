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
        """xs: (1, T) ids read after the words kept so far -> scores (1, T, V) of each next word."""
        if xs.shape[1] > self.context_size:
            raise ValueError(f'{xs.shape[1]} words at once, but this GPT reads at most '
                             f'context_size = {self.context_size}')
        ids = xs if self.context is None else array_module(xs).concatenate([self.context, xs], axis=1)
        self.context = ids[:, -self.context_size:]
        return self.predict(self.context)[:, -xs.shape[1]:]

"""BetterRnnlmGen: text generation and sentence scoring with the chapter-6 BetterRnnlm."""
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch07_seq2seq.rnnlm_gen import LanguageModelGenerator


class BetterRnnlmGen(LanguageModelGenerator, BetterRnnlm):
    """BetterRnnlm with ``generate`` and ``score``; dropout is off while generating and scoring."""

    def next_word_scores(self, xs):
        return self.predict(xs, train_flg=False)

"""Chapter 10 (beyond the book): pre-train on plain text, then fine-tune for a task.

The book's closing notes end on one idea: a language model trained on plain text is then
fine-tuned for a task ("일반적으로 사전학습을 수행한 언어 모델을 개별 과제에 맞게 미세 조정함"),
and because it already knows the language it needs far fewer labelled examples.  This package
goes beyond the book to measure that: the LSTM language model of chapter 6, the GPT and the
BERT encoder of chapter 9 learn the language of 75,000 movie reviews (IMDB's unlabelled and
training reviews, never a label), and then become sentiment classifiers (a many-to-one model,
다대일) on the Stanford Sentiment Treebank and on IMDB, with a few or with all the labels, next
to the same networks trained from scratch and to the baselines of chapters 1 and 4 (a
bag-of-words logistic regression, the mean of CBOW vectors).  The synthetic word-order task
(``dataset.word_order``) and its zero-shot scoring live here too.
"""

"""Chapter 9 (beyond the book): the Transformer, GPT and BERT-style models, from NumPy.

The book ends with attention (its chapter 8); its closing notes sketch what came next: the
Transformer, GPT (a one-directional language model) and BERT (a bidirectional encoder).  This
package builds them from the layers of ``common.transformer_layers`` with hand-written backward
passes and trains them on PTB.  Fine-tuning them (and chapter 6's LSTM) as sentence classifiers
is chapter 10's subject (``ch10_transfer``).
"""

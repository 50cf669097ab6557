"""Masked-LM pre-training of a BertEncoder on sentences: batches, the trainer and its evaluation.

Each sentence becomes '[CLS] words [SEP]' (batches padded with [PAD]).  BERT's masking rule
(``bert.mask_tokens``): 15% of the words chosen, of those 80% replaced by [MASK], 10% by a random
word, 10% kept; the model is trained to give back the original words.
"""
import numpy as np

from ch09_transformer.bert import IGNORE, mask_tokens, special_ids
from common.backend import array_module, as_model_device
from common.functions import log_softmax
from common.sequence_pooling import pad_sentences
from common.trainer import TrainerBase, check_finite_loss
from common.util import clip_grads


def bert_batch(sentences, vocab_size, context_size):
    """'[CLS] s [SEP]' rows padded with [PAD] -> (ids (N, T), maskable (N, T) bool: real words)."""
    special = special_ids(vocab_size)
    ids, _ = pad_sentences(sentences, special['[PAD]'], [special['[CLS]']], [special['[SEP]']],
                           context_size)
    return ids, ids < vocab_size


def epoch_batches(n_sentences, lengths, batch_size, rng):
    """Batches of sentence indices for one epoch: shuffled, then sorted by length within groups of
    50 batches (less padding), and the batches shuffled again."""
    order = rng.permutation(n_sentences)
    group = 50 * batch_size
    for start in range(0, n_sentences, group):
        chunk = order[start:start + group]
        order[start:start + group] = chunk[np.argsort(lengths[chunk], kind='stable')]
    batches = [order[k:k + batch_size] for k in range(0, n_sentences, batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


class MaskedLMTrainer(TrainerBase):
    """Masked-LM training of a ``BertEncoder`` over a list of sentences (word-id arrays).

    Every epoch's batches come from ``epoch_batches`` with the Generator seeded [seed, epoch], and
    every step's masking from one seeded [seed, step]: the run is a function of ``seed``, so a
    resumed run redraws exactly the batches it would have drawn.  A batch in which no word was
    chosen has nothing to learn: the step only moves the learning-rate schedule on.
    """

    def __init__(self, model, optimizer, seed, verbose=False, lr_schedule=None, mask_prob=0.15):
        super().__init__(model, optimizer, verbose, lr_schedule)
        self.seed, self.mask_prob = seed, mask_prob
        self._batches = (None, None)  # (epoch, its batches)

    @staticmethod
    def steps_per_epoch(n_sentences, batch_size):
        return -(-n_sentences // batch_size)

    def fit(self, sentences, max_epoch=1, batch_size=64, max_grad=None, eval_interval=None,
            observers=()):
        """sentences: list of (L_i,) word-id arrays, each read as '[CLS] words [SEP]' cut to the
        model's context size."""
        self.sentences, self.batch_size = sentences, batch_size
        self.lengths = np.array([len(s) for s in sentences])
        self._run(max_epoch, self.steps_per_epoch(len(sentences), batch_size), max_grad, eval_interval,
                  observers)

    def batch(self, iteration):
        epoch, batches = self._batches
        if epoch != self.current_epoch:
            batches = epoch_batches(len(self.sentences), self.lengths, self.batch_size,
                                    np.random.default_rng([self.seed, self.current_epoch]))
            self._batches = (self.current_epoch, batches)
        vocab_size, context_size = self.model.vocab_size, self.model.context_size
        ids, maskable = bert_batch([self.sentences[k] for k in batches[iteration]], vocab_size,
                                   context_size)
        return mask_tokens(ids, maskable, vocab_size, np.random.default_rng([self.seed, self.steps_done]),
                           self.mask_prob)

    def train_batch(self, batch, max_grad):
        inputs, targets = batch
        if not (targets != IGNORE).any():
            return None
        inputs, targets = as_model_device(self.model, inputs), as_model_device(self.model, targets)
        loss = self.model.forward(inputs, targets, train_flg=True)
        check_finite_loss(loss)
        self.model.backward()
        if max_grad is not None:
            clip_grads(self.model.grads, max_grad)
        self.optimizer.update(self.model.params, self.model.grads)
        return loss

    def state_dict(self):
        return {**super().state_dict(), 'seed': self.seed}

    def load_state_dict(self, state):
        if state['seed'] != self.seed:
            raise ValueError(f'the saved run drew its batches and masks with --seed {state["seed"]}, '
                             f'this one with {self.seed}: resume with --seed {state["seed"]}')
        super().load_state_dict(state)


def masked_batches(model, sentences, mask_rng, mask_prob=0.15, batch_size=100):
    """Sentences masked once, for evaluation -> [(inputs, targets)] on the model's device."""
    batches = []
    for start in range(0, len(sentences), batch_size):
        ids, maskable = bert_batch(sentences[start:start + batch_size], model.vocab_size, model.context_size)
        inputs, targets = mask_tokens(ids, maskable, model.vocab_size, mask_rng, mask_prob)
        batches.append((as_model_device(model, inputs), as_model_device(model, targets)))
    return batches


def evaluate(model, batches):
    """Masked-token accuracy and perplexity over pre-masked (inputs, targets) batches (test mode),
    on the device of the batches (the model's)."""
    correct, total, nll = 0, 0, 0.0
    for inputs, targets in batches:
        scores = model.predict_masked(inputs, targets).astype(np.float64)
        gold = targets[targets != IGNORE]
        correct += int((scores.argmax(axis=1) == gold).sum())
        nll -= float(log_softmax(scores)[array_module(scores).arange(len(gold)), gold].sum())
        total += len(gold)
    return correct / total, float(np.exp(nll / total))

"""SentenceClassifier: the many-to-one (다대일) model shape shared by every sentence classifier.

sentence -> encoder -> one vector h: (N, H) -> Affine -> scores (N, C) -> SoftmaxWithLoss.
Subclasses (the LSTM of chapter 6, the GPT and BERT of chapter 9, the order-blind mean of CBOW
vectors of chapter 4) build the encoder; this class adds the head, batching and accuracy.
"""
import numpy as np

from ch09_transformer.bert_training import epoch_batches
from common.backend import as_model_device
from common.base_model import BaseModel
from common.layers import Affine, SoftmaxWithLoss
from common.sequence_pooling import pad_sentences
from common.trainer import TrainerBase, Validation, check_finite_loss
from common.util import clip_grads


class SentenceClassifier(BaseModel):
    """Base of the sentence classifiers: ``encode`` (subclass) -> Affine -> SoftmaxWithLoss.

    Subclasses define ``encode(ids (N, T), lengths (N,), train_flg) -> h (N, H)`` and
    ``encode_backward(dh (N, H))``, set ``pad_id`` (and ``first_ids`` / ``last_ids``, ids put
    before / after every sentence; ``max_length``, the longest batch row), build their layers, call ``build_head`` and
    then ``collect_params(layers + [self.head])``.
    ``forward(ids, lengths, labels) -> loss``; ``predict(ids, lengths) -> scores (N, C)``.
    """
    pad_id = 0
    first_ids = ()
    last_ids = ()
    max_length = None

    def build_head(self, hidden_size, n_classes, rng, dtype):
        """head: Affine(W, b) with W ~ N(0, 1) / sqrt(H): (H, C), b = 0; loss: SoftmaxWithLoss."""
        W = (rng.standard_normal((hidden_size, n_classes)) / np.sqrt(hidden_size)).astype(dtype)
        self.head = Affine(W, np.zeros(n_classes, dtype=dtype))
        self.loss_layer = SoftmaxWithLoss()

    def predict(self, ids, lengths, train_flg=False):
        """ids: (N, T) padded ids, lengths: (N,) real lengths -> class scores (N, C)."""
        return self.head.forward(self.encode(ids, lengths, train_flg))

    def forward(self, ids, lengths, labels, train_flg=True):
        """Mean cross-entropy of the class scores against labels: (N,) ints in [0, C)."""
        return self.loss_layer.forward(self.predict(ids, lengths, train_flg), labels)

    def backward(self, dout=1, encoder=True):
        """Write the gradients of the last ``forward`` into ``self.grads``; encoder=False stops at
        the head (its W and b only: what training a frozen encoder's head needs)."""
        dh = self.head.backward(self.loss_layer.backward(dout))
        if encoder:
            self.encode_backward(dh)
            self.sum_tied_grads()

    def batch(self, sentences):
        """Sentences (lists of word ids) -> (ids (N, T), lengths (N,)) for this model, padded on
        the host and copied once to the device of its parameters."""
        ids, lengths = pad_sentences(sentences, self.pad_id, self.first_ids, self.last_ids, self.max_length)
        return as_model_device(self, ids), as_model_device(self, lengths)

    @property
    def n_classes(self):
        """C, the number of classes (the head's outputs)."""
        return self.head.params[1].shape[0]

    def check_labels(self, sentences, labels):
        """ValueError unless there is one label per sentence, each an integer class in [0, C)."""
        labels = np.asarray(labels)
        if len(sentences) != len(labels):
            raise ValueError(f'{len(sentences)} sentences but {len(labels)} labels')
        if labels.size and (labels.dtype.kind not in 'iu' or labels.min() < 0 or labels.max() >= self.n_classes):
            raise ValueError(f'labels must be integer classes in [0, {self.n_classes}); got {labels.dtype} '
                             f'values {labels.min()} .. {labels.max()}')
        return labels

    def accuracy(self, sentences, labels, batch_size=100):
        """Share of sentences whose highest class score is its label (test mode, no dropout).
        The sentences are read in batches of similar lengths (less padding; the order does not
        change any score)."""
        labels = self.check_labels(sentences, labels)
        order = np.argsort([len(s) for s in sentences], kind='stable')
        correct = 0
        for start in range(0, len(sentences), batch_size):
            picked = order[start:start + batch_size]
            scores = self.predict(*self.batch([sentences[k] for k in picked]))
            gold = as_model_device(self, labels[picked])
            correct += int((scores.argmax(axis=1) == gold).sum())
        return correct / len(sentences)


class ParameterSubset:
    """Some of a model's parameters, for an optimizer to step: ``params`` and ``grads`` of the
    arrays whose names (``model.param_names``) ``chosen(name)`` accepts, in the model's order."""

    def __init__(self, model, chosen):
        picked = [k for k, name in enumerate(model.param_names) if chosen(name)]
        if not picked:
            raise ValueError(f'no parameter of {type(model).__name__} is left to train')
        self.params = [model.params[k] for k in picked]
        self.grads = [model.grads[k] for k in picked]


class GroupedOptimizer:
    """Steps groups of parameters with optimizers of their own: a smaller learning rate for the
    pre-trained layers than for the new head, say (ULMFiT's discriminative fine-tuning).

    groups: [(optimizer, indices)], each index a position in the ``params`` list that ``update``
    gets (every position in exactly one group).  ``update(params, grads)`` calls each optimizer's
    update on its own parameters.
    """

    def __init__(self, groups):
        self.groups = [(optimizer, list(indices)) for optimizer, indices in groups]

    @property
    def lr(self):
        """The learning rate of the first group."""
        return self.groups[0][0].lr

    def update(self, params, grads):
        for optimizer, indices in self.groups:
            optimizer.update([params[k] for k in indices], [grads[k] for k in indices])


class SentenceTrainer(TrainerBase):
    """Mini-batch training of a ``SentenceClassifier`` on (sentences, labels), reshuffled every
    epoch; the last batch of an epoch holds the remainder.  rng: numpy Generator or seed of the
    shuffling.  bucket=True draws batches of sentences of similar lengths
    (``ch09_transformer.bert_training.epoch_batches``: shuffled, sorted by length within groups of
    50 batches, the batches shuffled), so long texts are padded less.  ``trained``: whose
    ``params``/``grads`` the optimizer steps (default the model; its ``head`` alone for a linear
    probe).  ``loss_list``: the mean loss of each epoch."""

    def __init__(self, model, optimizer, rng=None, verbose=False, trained=None, bucket=False):
        super().__init__(model, optimizer, verbose)
        self.rng = np.random.default_rng(rng)
        self.trained = model if trained is None else trained
        self.bucket = bucket
        self.batches = None  # the epoch's batches of sentence indices, in the order they are fed

    @property
    def loss_list(self):
        return self.history

    def fit(self, sentences, labels, max_epoch=20, batch_size=32, max_grad=1.0, observers=()):
        """sentences: list of word-id arrays; labels: (N,) ints in [0, C)."""
        self.labels = self.model.check_labels(sentences, labels)
        self.sentences, self.batch_size = sentences, batch_size
        max_iters = -(-len(sentences) // batch_size)
        self._run(max_epoch, max_iters, max_grad, max_iters, observers)

    def start_epoch(self):
        n, size = len(self.sentences), self.batch_size
        if self.bucket:
            lengths = np.array([len(s) for s in self.sentences])
            self.batches = epoch_batches(n, lengths, size, self.rng)
        else:
            order = self.rng.permutation(n)
            self.batches = [order[k:k + size] for k in range(0, n, size)]

    def batch(self, iteration):
        picked = self.batches[iteration]
        ids, lengths = self.model.batch([self.sentences[k] for k in picked])
        return ids, lengths, as_model_device(self.model, self.labels[picked])

    def train_batch(self, batch, max_grad):
        loss = self.model.forward(*batch, train_flg=True)
        check_finite_loss(loss)
        self.model.backward(encoder=self.trained is not self.model.head)
        if max_grad is not None:
            clip_grads(self.trained.grads, max_grad)
        self.optimizer.update(self.trained.params, self.trained.grads)
        return loss

    def state_dict(self):
        return {**super().state_dict(), 'batches': self.batches}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.batches = state['batches']


def fit_classifier(model, optimizer, train, valid, max_epoch=20, batch_size=32, patience=3,
                   max_grad=1.0, rng=None, verbose=True, head_only=False, bucket=False, freeze_epochs=0,
                   frozen=(), make_optimizer=None):
    """Train ``model`` on ``train`` with early stopping on the accuracy on ``valid``.

    train, valid: (sentences, labels) as ``dataset.word_order.load_data`` gives them.  Each epoch
    visits the training sentences in a new random order (rng: numpy Generator or seed) in padded
    mini-batches, clips the global gradient norm to ``max_grad`` and steps ``optimizer``; then the
    valid accuracy is measured (``Validation``).  Training stops after ``patience`` epochs without a
    better valid accuracy (or ``max_epoch``), and the parameters of the best epoch are restored.
    head_only=True steps only the head's W and b: the encoder stays as it came (a linear probe
    of what its vector h holds).  bucket=True: batches of similar lengths (``SentenceTrainer``).
    freeze_epochs=K > 0: the first K epochs train the head alone, the rest every layer: a new
    head learns to read the encoder before its first, large errors reach the pre-trained layers.
    frozen: names of parameters never trained (the word vectors of a pre-trained model, say).
    make_optimizer: names -> a new optimizer for the parameters of those names, called for each
    phase (needed with freeze_epochs; a ``GroupedOptimizer`` gives groups their own rates);
    without it ``optimizer`` steps them all.
    Returns ``{'loss': [mean training loss per epoch], 'valid': [valid accuracy per epoch],
    'best_epoch': int (1-based)}``.
    """
    head_names = [name for name, p in zip(model.param_names, model.params) if any(p is q for q in model.head.params)]
    phases = [(head_names, max_epoch if head_only else min(freeze_epochs, max_epoch))]
    if not head_only and max_epoch > freeze_epochs:
        phases.append(([name for name in model.param_names if name not in frozen], max_epoch - freeze_epochs))
    phases = [(names, epochs) for names, epochs in phases if epochs]
    if len(phases) > 1 and make_optimizer is None:
        raise ValueError('freeze_epochs needs make_optimizer, the optimizer of the layers once unfrozen')
    rng = np.random.default_rng(rng)
    losses, epochs_done = [], 0

    def valid_accuracy():
        accuracy = model.accuracy(*valid)
        if verbose:
            print(f'| epoch {epochs_done + trainer.current_epoch:2d} | train loss {trainer.loss_list[-1]:.4f} | '
                  f'valid accuracy {100 * accuracy:.2f}%', flush=True)
        return accuracy

    validation = Validation(valid_accuracy, higher_is_better=True, patience=patience)
    for names, epochs in phases:
        trained = (model.head if names == head_names else model if names == list(model.param_names)
                   else ParameterSubset(model, set(names).__contains__))
        phase_optimizer = optimizer if make_optimizer is None else make_optimizer(names)
        trainer = SentenceTrainer(model, phase_optimizer, rng, trained=trained, bucket=bucket)
        trainer.fit(*train, max_epoch=epochs, batch_size=batch_size, max_grad=max_grad, observers=[validation])
        losses += trainer.loss_list
        epochs_done += trainer.current_epoch
        if trainer.stop_training:
            break
    validation.use_best(model)
    return {'loss': losses, 'valid': validation.scores, 'best_epoch': validation.best_epoch}

"""SentenceClassifier: the many-to-one (다대일) model shape shared by every sentence classifier.

sentence -> encoder -> one vector h: (N, H) -> Affine -> scores (N, C) -> SoftmaxWithLoss.
Subclasses (the LSTM of chapter 6, the GPT and BERT of chapter 9, the order-blind mean of CBOW
vectors of chapter 4) build the encoder; this class adds the head, batching and accuracy.
"""
import numpy as np

from common.backend import as_model_device
from common.base_model import BaseModel
from common.layers import Affine, SoftmaxWithLoss
from common.sequence_pooling import pad_sentences
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

    def backward(self, dout=1):
        """Write the gradients of the last ``forward`` into ``self.grads``."""
        dh = self.head.backward(self.loss_layer.backward(dout))
        self.encode_backward(dh)
        self.sum_tied_grads()

    def batch(self, sentences):
        """Sentences (lists of word ids) -> (ids (N, T), lengths (N,)) for this model, padded on
        the host and copied once to the device of its parameters."""
        ids, lengths = pad_sentences(sentences, self.pad_id, self.first_ids, self.last_ids, self.max_length)
        return as_model_device(self, ids), as_model_device(self, lengths)

    def accuracy(self, sentences, labels, batch_size=100):
        """Share of sentences whose highest class score is its label (test mode, no dropout)."""
        if len(sentences) != len(labels):
            raise ValueError(f'{len(sentences)} sentences but {len(labels)} labels')
        correct = 0
        for start in range(0, len(sentences), batch_size):
            ids, lengths = self.batch(sentences[start:start + batch_size])
            scores = self.predict(ids, lengths)
            gold = as_model_device(self, np.asarray(labels[start:start + batch_size]))
            correct += int((scores.argmax(axis=1) == gold).sum())
        return correct / len(sentences)


def fit_classifier(model, optimizer, train, valid, max_epoch=20, batch_size=32, patience=3,
                   max_grad=1.0, rng=None, verbose=True, head_only=False):
    """Train ``model`` on ``train`` with early stopping on the accuracy on ``valid``.

    train, valid: (sentences, labels) as ``dataset.word_order.load_data`` gives them.  Each epoch
    visits the training sentences in a new random order (rng: numpy Generator or seed) in padded
    mini-batches, clips the global gradient norm to ``max_grad`` and steps ``optimizer``; then the
    valid accuracy is measured.  Training stops after ``patience`` epochs without a better valid
    accuracy (or ``max_epoch``), and the parameters of the best epoch are restored.
    head_only=True steps only the head's W and b: the encoder stays as it came (a linear probe
    of what its vector h holds).
    Returns ``{'loss': [mean training loss per epoch], 'valid': [valid accuracy per epoch],
    'best_epoch': int (1-based)}``.
    """
    rng = np.random.default_rng(rng)
    sentences, labels = train
    labels = np.asarray(labels)
    history = {'loss': [], 'valid': [], 'best_epoch': 0}
    best_params, best_accuracy, waited = None, -1.0, 0
    trained = model.head if head_only else model  # whose params and grads the optimizer steps
    for epoch in range(1, max_epoch + 1):
        order = rng.permutation(len(sentences))
        losses = []
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            ids, lengths = model.batch([sentences[k] for k in batch])
            losses.append(model.forward(ids, lengths, as_model_device(model, labels[batch]), train_flg=True))
            model.backward()
            if max_grad is not None:
                clip_grads(trained.grads, max_grad)
            optimizer.update(trained.params, trained.grads)
        accuracy = model.accuracy(*valid)
        history['loss'].append(float(np.mean(losses)))
        history['valid'].append(accuracy)
        if verbose:
            print(f'| epoch {epoch:2d} | train loss {history["loss"][-1]:.4f} | valid accuracy '
                  f'{100 * accuracy:.2f}%', flush=True)
        if accuracy > best_accuracy:
            best_params, best_accuracy, waited = [p.copy() for p in model.params], accuracy, 0
            history['best_epoch'] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    for param, best in zip(model.params, best_params):
        param[...] = best
    return history

"""The two-layer network of chapter 1: Affine -> Sigmoid -> Affine, trained with SoftmaxWithLoss."""
import numpy as np

from common.base_model import BaseModel
from common.layers import Affine, Sigmoid, SoftmaxWithLoss


class TwoLayerNet(BaseModel):
    """scores = sigmoid(x W1 + b1) W2 + b2;  loss = softmax cross entropy of the scores.

    x: (N, input_size) -> scores: (N, output_size); t: (N,) class ids or (N, output_size) one-hot.
    Initial weights as in the book: W = 0.01 * N(0, 1) draws from ``rng`` (a numpy Generator or
    a seed), b = 0; ``dtype`` float32 for training, float64 for gradient checks.
    """

    def __init__(self, input_size, hidden_size, output_size, rng=None, dtype=np.float32):
        rng = np.random.default_rng(rng)
        W1 = (0.01 * rng.standard_normal((input_size, hidden_size))).astype(dtype)
        b1 = np.zeros(hidden_size, dtype=dtype)
        W2 = (0.01 * rng.standard_normal((hidden_size, output_size))).astype(dtype)
        b2 = np.zeros(output_size, dtype=dtype)
        self.layers = [Affine(W1, b1), Sigmoid(), Affine(W2, b2)]
        self.loss_layer = SoftmaxWithLoss()
        self.collect_params(self.layers)

    def predict(self, x):
        """x: (N, input_size) -> scores (logits): (N, output_size)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward(self, x, t):
        """Mean cross-entropy loss of the batch (a float)."""
        return self.loss_layer.forward(self.predict(x), t)

    def backward(self, dout=1):
        """Gradients of the last ``forward`` into ``self.grads``; returns dL/dx: (N, input_size)."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

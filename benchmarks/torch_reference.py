"""The chapter-6 language models in PyTorch (CPU), as the reference for benchmarks/rnnlm_step.py.

PyTorch is not a dependency of the project: install it in the benchmark's venv only
(``pip install torch``).  The models match ch06_lstm's in sizes, dropout and tying:
Embedding(V, D) -> Dropout -> nn.LSTM(D, H, layers, dropout between layers) -> Dropout
-> Linear(H, V) (weight tied with the embedding when ``tied``) -> cross-entropy.
A training step is the same as RnnlmTrainer's: forward, backward, global-norm clipping,
plain SGD, with the LSTM state carried to the next batch and detached (truncated BPTT).
"""
import torch


class TorchLstmLm(torch.nn.Module):
    """PyTorch counterpart of Rnnlm (1 layer, no dropout) and BetterRnnlm (2 layers, tied)."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, lstm_layers, dropout_ratio, tied):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, wordvec_size)
        self.drop = torch.nn.Dropout(dropout_ratio)
        self.lstm = torch.nn.LSTM(wordvec_size, hidden_size, num_layers=lstm_layers, batch_first=True,
                                  dropout=dropout_ratio if lstm_layers > 1 else 0.0)
        self.out = torch.nn.Linear(hidden_size, vocab_size)
        if tied:
            self.out.weight = self.embed.weight
        self.state = None

    def forward(self, xs, ts):
        """xs, ts: (N, T) int64 tensors -> mean cross-entropy; keeps the detached LSTM state."""
        hs, state = self.lstm(self.drop(self.embed(xs)), self.state)
        self.state = tuple(s.detach() for s in state)
        scores = self.out(self.drop(hs))
        return torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]), ts.reshape(-1))


class TorchStep:
    """Callable (xs, ts) -> loss for numpy id arrays: forward, backward, global-norm clipping and
    an optimizer step; subclasses set ``model``, ``optimizer`` and ``max_grad``."""

    def __call__(self, xs, ts):
        self.optimizer.zero_grad(set_to_none=False)
        loss = self.model(torch.from_numpy(xs).long(), torch.from_numpy(ts).long())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_grad)
        self.optimizer.step()
        return loss.item()


class TorchTrainStep(TorchStep):
    """One step of forward, backward, clip, SGD."""

    def __init__(self, vocab_size, wordvec_size, hidden_size, lstm_layers, dropout_ratio, lr, max_grad,
                 threads, seed=0):
        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        self.model = TorchLstmLm(vocab_size, wordvec_size, hidden_size, lstm_layers, dropout_ratio,
                                 tied=lstm_layers > 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.max_grad = max_grad

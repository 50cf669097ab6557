"""A PyTorch twin of ch09_transformer.gpt.GPT, as the reference for benchmarks/gpt_step.py.

PyTorch is not a dependency of the project: install it in the benchmark's venv only.  The twin
has our GPT's architecture and starts from our GPT's weights (copied): token + learned position
embeddings, pre-LN blocks (LayerNorm, causal multi-head attention with
``scaled_dot_product_attention``, residual dropout, LayerNorm, Linear -> GELU(tanh) -> Linear),
a final LayerNorm and an output layer tied to the token embedding, with a bias.  Its training
step is ours: forward, backward, global-norm clipping, AdamW with weight decay on the
parameters of two or more dimensions only.
"""
import torch
import torch.nn.functional as F

from torch_reference import TorchStep


class TorchGPT(torch.nn.Module):
    """The twin; ``ours`` is a ch09_transformer.gpt.GPT whose parameters are copied in."""

    def __init__(self, ours, dropout_ratio):
        super().__init__()
        self.heads = ours.body.blocks[0].self_attention.num_heads
        self.dropout_ratio = dropout_ratio
        params = iter(torch.nn.Parameter(torch.tensor(p)) for p in ours.params)  # ours' order
        self.embed, self.position = next(params), next(params)
        self.blocks = torch.nn.ModuleList()
        for _ in ours.body.blocks:
            block = torch.nn.ParameterList([next(params) for _ in range(16)])
            self.blocks.append(block)
        self.final_gamma, self.final_beta, self.out_b = next(params), next(params), next(params)

    def forward(self, xs, ts):
        N, T = xs.shape
        p = self.dropout_ratio if self.training else 0.0
        h = F.dropout(self.embed[xs] + self.position[:T], p, self.training)
        for (g1, b1, Wq, bq, Wk, bk, Wv, bv, Wo, bo, g2, b2, W1, c1, W2, c2) in self.blocks:
            x = F.layer_norm(h, h.shape[-1:], g1, b1)
            q, k, v = ((x @ W + b).reshape(N, T, self.heads, -1).transpose(1, 2)
                       for W, b in ((Wq, bq), (Wk, bk), (Wv, bv)))
            context = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            h = h + F.dropout(context.transpose(1, 2).reshape(N, T, -1) @ Wo + bo, p, self.training)
            x = F.layer_norm(h, h.shape[-1:], g2, b2)
            h = h + F.dropout(F.gelu(x @ W1 + c1, approximate='tanh') @ W2 + c2, p, self.training)
        scores = F.layer_norm(h, h.shape[-1:], self.final_gamma, self.final_beta) @ self.embed.T + self.out_b
        return F.cross_entropy(scores.reshape(N * T, -1), ts.reshape(-1))


class TorchGPTStep(TorchStep):
    """Callable (xs, ts) -> loss for numpy id arrays: forward, backward, clip, AdamW step."""

    def __init__(self, ours, dropout_ratio, lr, weight_decay, max_grad, threads, seed=0):
        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        self.model = TorchGPT(ours, dropout_ratio)
        matrices = [p for p in self.model.parameters() if p.ndim >= 2]
        vectors = [p for p in self.model.parameters() if p.ndim < 2]
        self.optimizer = torch.optim.AdamW([{'params': matrices, 'weight_decay': weight_decay},
                                            {'params': vectors, 'weight_decay': 0.0}], lr=lr)
        self.max_grad = max_grad

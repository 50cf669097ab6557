"""Transformer layers (beyond the book: the Transformer, GPT and BERT).

The book stops at the attention of its chapter 8 (one query vector against the encoder states).
The Transformer (Vaswani et al., 2017) uses attention for everything: every position turns its
vector into a query q, a key k and a value v, and reads the values of all positions weighted by
softmax(q k^T / sqrt(d)).  The layers here follow the book's protocol (``params``, ``grads``
written in place, ``forward`` caches, ``backward`` returns input gradients); dtypes follow the
parameters, so everything runs in float32 (training) and float64 (gradient checks).

Shapes: N sequences, T positions (Tq queries, Tk keys), D model width, h heads of d = D / h.
Heads are an axis of the arrays, ``(N, h, T, d)``, so all heads and positions are computed by
batched matrix products: no Python loop runs over heads or time steps.
"""
import math

import numpy as np

from common.backend import array_module
from common.checks import check_last_dim, check_ndim, needs_forward
from common.layers import Dropout
from common.time_layers import TimeAffine, TimeEmbedding


class LayerNorm:
    """y = gamma * (x - mean) / sqrt(var + eps) + beta over the last axis (biased variance).

    x: (..., D), gamma, beta: (D,) -> y: (..., D).  With x^ = (x - mean) / sigma:
    backward: dgamma = sum dy x^, dbeta = sum dy (over all but the last axis),
    dx = (g - mean(g) - x^ mean(g x^)) / sigma with g = dy gamma.
    """
    param_names = ('gamma', 'beta')

    def __init__(self, gamma, beta, eps=1e-5):
        xp = array_module(gamma)
        self.params = [gamma, beta]
        self.grads = [xp.zeros_like(gamma), xp.zeros_like(beta)]
        self.eps = eps
        self.cache = None

    def forward(self, x):
        gamma, beta = self.params
        xp = array_module(gamma)
        check_last_dim(x, gamma.shape[0], 'LayerNorm input x', '(..., D)')
        centered = x - x.mean(axis=-1, keepdims=True)
        inv_sigma = 1 / xp.sqrt((centered * centered).mean(axis=-1, keepdims=True) + self.eps)
        x_hat = centered
        x_hat *= inv_sigma
        self.cache = (x_hat, inv_sigma)
        return x_hat * gamma + beta

    @needs_forward('cache')
    def backward(self, dout):
        gamma, _ = self.params
        x_hat, inv_sigma = self.cache
        D = gamma.shape[0]
        self.grads[0][...] = (dout * x_hat).reshape(-1, D).sum(axis=0)
        self.grads[1][...] = dout.reshape(-1, D).sum(axis=0)
        g = dout * gamma
        dx = g - g.mean(axis=-1, keepdims=True)
        dx -= x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
        dx *= inv_sigma
        return dx


class GELU:
    """y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3): the tanh form of GPT-2.

    x: any shape -> y: same.  Backward:
    dx = dy [0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)].
    """
    C = math.sqrt(2 / math.pi)

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, x):
        xp = array_module(x)
        tanh_u = xp.tanh(self.C * (x + 0.044715 * x * x * x))
        self.cache = (x, tanh_u)
        out = tanh_u + 1
        out *= x
        out *= 0.5
        return out

    @needs_forward('cache')
    def backward(self, dout):
        x, tanh_u = self.cache
        du_dx = (3 * 0.044715 * self.C) * (x * x)
        du_dx += self.C
        slope = 1 - tanh_u * tanh_u  # tanh'(u), then times 0.5 x du/dx, plus 0.5 (1 + tanh u)
        slope *= du_dx
        slope *= x
        slope += tanh_u
        slope += 1
        slope *= 0.5
        slope *= dout
        return slope


def _split_heads(x, num_heads):
    """(N, T, D) -> (N, h, T, d) view (no copy), d = D / h."""
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def _merge_heads(x):
    """(N, h, T, d) -> (N, T, h * d), contiguous."""
    N, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)


def attention_hidden(xp, Tq, Tk, causal, key_mask):
    """Boolean mask of the keys a query may not see: (Tq, Tk), (N, 1, 1, Tk), (N, 1, Tq, Tk) or None.

    causal: query i sees keys j <= i + (Tk - Tq) (the last Tq positions of a sequence of Tk);
    key_mask: (N, Tk), True where a key is real (False hides padding).
    """
    hidden = None
    if causal:
        i, j = xp.arange(Tq)[:, None], xp.arange(Tk)[None, :]
        hidden = j > i + (Tk - Tq)
    if key_mask is not None:
        padding = ~xp.asarray(key_mask, dtype=bool)[:, None, None, :]
        hidden = padding if hidden is None else hidden | padding
    return hidden


class MultiHeadAttention:
    """Scaled dot-product attention with h heads (Vaswani et al., 2017).

    q = xq Wq + bq, k = xkv Wk + bk, v = xkv Wv + bv, each split into h heads of d = D / h;
    per head: A = softmax(q k^T / sqrt(d) + mask), c = A v;  out = concat_heads(c) Wo + bo.
    The mask is -inf where a key is hidden: later positions (causal=True) and padding
    (key_mask False).  A query with every key hidden attends uniformly to them (its output is
    meaningless and should be ignored by the loss).  With dropout_ratio > 0, A is dropped out at
    train time (``train_flg``) before it weights the values.

    xq: (N, Tq, D), xkv: (N, Tk, D), key_mask: (N, Tk) bool -> out: (N, Tq, D);
    W*: (D, D), b*: (D,).  ``attention_weights`` keeps A: (N, h, Tq, Tk) of the last forward.
    backward(dout: (N, Tq, D)) -> (dxq, dxkv); for self-attention (xq is xkv) add the two.
    Backward per head: dA = dc v^T, dv = A^T dc, dS = A (dA - sum_k A dA) / sqrt(d),
    dq = dS k, dk = dS^T q; the four projections are TimeAffine layers (one GEMM each).
    """
    param_names = ('Wq', 'bq', 'Wk', 'bk', 'Wv', 'bv', 'Wo', 'bo')

    def __init__(self, Wq, bq, Wk, bk, Wv, bv, Wo, bo, num_heads, dropout_ratio=0.0, rng=None):
        D = Wq.shape[0]
        if num_heads < 1 or D % num_heads:
            raise ValueError(f'the model width D = {D} must be divisible by num_heads = {num_heads} '
                             '(each head gets D / num_heads features)')
        self.num_heads = num_heads
        self.projections = [TimeAffine(W, b) for W, b in ((Wq, bq), (Wk, bk), (Wv, bv), (Wo, bo))]
        self.params = [p for layer in self.projections for p in layer.params]
        self.grads = [g for layer in self.projections for g in layer.grads]
        self.dropout = Dropout(dropout_ratio, rng)
        self.train_flg = True
        self.attention_weights = None
        self.cache = None

    def forward(self, xq, xkv, causal=False, key_mask=None):
        query, key, value, output = self.projections
        xp = array_module(self.params[0])
        check_ndim(xq, 3, 'MultiHeadAttention input xq', '(N, Tq, D)')
        check_ndim(xkv, 3, 'MultiHeadAttention input xkv', '(N, Tk, D)')
        (N, Tq, _), Tk = xq.shape, xkv.shape[1]
        if key_mask is not None and key_mask.shape != (N, Tk):
            raise ValueError(f'key_mask must have shape (N, Tk) = {(N, Tk)}, got {key_mask.shape}')
        d = self.params[0].shape[0] // self.num_heads
        scale = 1 / math.sqrt(d)
        q = _split_heads(query.forward(xq), self.num_heads)      # (N, h, Tq, d)
        k = _split_heads(key.forward(xkv), self.num_heads)       # (N, h, Tk, d)
        v = _split_heads(value.forward(xkv), self.num_heads)     # (N, h, Tk, d)
        scores = q @ k.transpose(0, 1, 3, 2)                     # (N, h, Tq, Tk)
        scores *= scale
        hidden = attention_hidden(xp, Tq, Tk, causal, key_mask)
        if hidden is not None:
            scores[...] = xp.where(hidden, xp.finfo(scores.dtype).min, scores)
        scores -= scores.max(axis=-1, keepdims=True)
        weights = xp.exp(scores, out=scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        self.attention_weights = weights
        dropped = self.dropout.forward(weights, self.train_flg)
        context = dropped @ v                                    # (N, h, Tq, d)
        self.cache = (q, k, v, weights, dropped, scale)
        return output.forward(_merge_heads(context))

    @needs_forward('cache')
    def backward(self, dout):
        query, key, value, output = self.projections
        q, k, v, weights, dropped, scale = self.cache
        dcontext = _split_heads(output.backward(dout), self.num_heads)   # (N, h, Tq, d)
        dv = dropped.transpose(0, 1, 3, 2) @ dcontext                    # (N, h, Tk, d)
        dweights = self.dropout.backward(dcontext @ v.transpose(0, 1, 3, 2))  # (N, h, Tq, Tk)
        dscores = dweights
        dscores -= (dweights * weights).sum(axis=-1, keepdims=True)
        dscores *= weights
        dscores *= scale
        dq = dscores @ k                                                 # (N, h, Tq, d)
        dk = dscores.transpose(0, 1, 3, 2) @ q                           # (N, h, Tk, d)
        dxq = query.backward(_merge_heads(dq))
        dxkv = key.backward(_merge_heads(dk))
        dxkv += value.backward(_merge_heads(dv))
        return dxq, dxkv


class PositionalEncoding:
    """ys = xs + PE[:T] with the sinusoids of Vaswani et al. (no parameters):

    PE[pos, 2i] = sin(pos / 10000^(2i / D)),  PE[pos, 2i + 1] = cos(pos / 10000^(2i / D)).
    xs: (N, T, D) with T <= max_len -> ys: (N, T, D).  Backward: dxs = dys.
    The table is computed once in float64 and cast to the input's dtype and array module.
    """

    def __init__(self, max_len, d_model):
        self.params, self.grads = [], []
        self.shape = None  # of the last input (backward checks that a forward came first)
        position = np.arange(max_len)[:, None]
        frequency = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
        self.table = np.zeros((max_len, d_model))
        self.table[:, 0::2] = np.sin(position * frequency)
        self.table[:, 1::2] = np.cos(position * frequency[:d_model // 2])

    def forward(self, xs):
        max_len, D = self.table.shape
        check_ndim(xs, 3, 'PositionalEncoding input xs', '(N, T, D)')
        check_last_dim(xs, D, 'PositionalEncoding input xs', '(N, T, D)')
        if xs.shape[1] > max_len:
            raise ValueError(f'the sequence has {xs.shape[1]} positions, but the positional encoding '
                             f'was built for at most max_len = {max_len}')
        self.shape = xs.shape
        return xs + array_module(xs).asarray(self.table[:xs.shape[1]], dtype=xs.dtype)

    @needs_forward('shape')
    def backward(self, dout):
        return dout


class PositionEmbedding:
    """Learned positions (GPT, BERT): ys[n, t] = xs[n, t] + W[t].

    xs: (N, T, D) with T <= L, W: (L, D) -> ys: (N, T, D).
    Backward: dW[t] = sum_n dys[n, t] for t < T (0 for the rows not used), dxs = dys.
    """
    param_names = ('W',)

    def __init__(self, W):
        self.params = [W]
        self.grads = [array_module(W).zeros_like(W)]
        self.T = None

    def forward(self, xs):
        W, = self.params
        check_ndim(xs, 3, 'PositionEmbedding input xs', '(N, T, D)')
        check_last_dim(xs, W.shape[1], 'PositionEmbedding input xs', '(N, T, D)')
        if xs.shape[1] > W.shape[0]:
            raise ValueError(f'the sequence has {xs.shape[1]} positions, but only {W.shape[0]} '
                             'position vectors were learned (the context size)')
        self.T = xs.shape[1]
        return xs + W[:self.T]

    @needs_forward('T')
    def backward(self, dout):
        dW, = self.grads
        dout.sum(axis=0, out=dW[:self.T])
        dW[self.T:] = 0
        return dout


class FeedForward:
    """The position-wise feed-forward network: ys = GELU(xs W1 + b1) W2 + b2.

    xs: (N, T, D), W1: (D, F), b1: (F,), W2: (F, D), b2: (D,) -> ys: (N, T, D).
    Each Affine is one GEMM over all N*T positions (TimeAffine); backward runs the three layers
    in reverse.
    """
    param_names = ('W1', 'b1', 'W2', 'b2')

    def __init__(self, W1, b1, W2, b2):
        self.layers = [TimeAffine(W1, b1), GELU(), TimeAffine(W2, b2)]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def forward(self, xs):
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    @needs_forward('layers.0.x')
    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


def init_normal(rng, shape, std, dtype):
    """Weights drawn from N(0, std^2) with a numpy Generator, in ``dtype``."""
    return (rng.standard_normal(shape) * std).astype(dtype)


class TransformerBlock:
    """One pre-LN Transformer block (as in GPT-2), creating its own weights:

        h = x + Dropout_sa(SelfAttention(LN1(x)))                 (causal for a decoder / GPT)
        h = h + Dropout_ca(CrossAttention(LNc(h), memory))        (only with cross_attention=True)
        y = h + Dropout_ff(FeedForward(LN2(h)))

    xs: (N, T, D) -> ys: (N, T, D); ``memory``: (N, Tm, D) encoder output (cross-attention);
    ``key_mask`` (N, T) and ``memory_mask`` (N, Tm): True where a key is real.
    backward(dys) -> dxs, or (dxs, dmemory) with cross-attention.
    The three dropouts act on what a sub-layer writes into the residual stream and are named by
    that sub-layer: ``self_attention_dropout``, ``cross_attention_dropout`` (None without
    cross-attention) and ``feed_forward_dropout``; the attention weights A have a dropout of
    their own inside each MultiHeadAttention.  All use the ratio ``dropout_ratio``.
    Weights: N(0, 0.02^2) (GPT-2), the two projections that write into the residual stream
    (Wo, W2) with std ``residual_std``; biases 0, LayerNorm gains 1.  ``rng`` (numpy
    Generator) draws the weights and then the dropout masks; ``train_flg`` switches dropout.
    """

    def __init__(self, d_model, num_heads, d_ff, causal=False, cross_attention=False,
                 dropout_ratio=0.0, rng=None, dtype=np.float32, residual_std=0.02):
        rng = rng if rng is not None else np.random.default_rng()
        self.causal = causal
        D = d_model

        def attention():
            weights = []
            for name in 'qkvo':
                weights += [init_normal(rng, (D, D), residual_std if name == 'o' else 0.02, dtype),
                            np.zeros(D, dtype=dtype)]
            return MultiHeadAttention(*weights, num_heads, dropout_ratio, rng)

        def norm():
            return LayerNorm(np.ones(D, dtype=dtype), np.zeros(D, dtype=dtype))

        self.norm1, self.self_attention = norm(), attention()
        self.norm_cross, self.cross_attention = (norm(), attention()) if cross_attention else (None, None)
        self.norm2 = norm()
        self.feed_forward = FeedForward(init_normal(rng, (D, d_ff), 0.02, dtype), np.zeros(d_ff, dtype=dtype),
                                        init_normal(rng, (d_ff, D), residual_std, dtype), np.zeros(D, dtype=dtype))
        self.self_attention_dropout = Dropout(dropout_ratio, rng)
        self.cross_attention_dropout = Dropout(dropout_ratio, rng) if cross_attention else None
        self.feed_forward_dropout = Dropout(dropout_ratio, rng)
        named = [('ln1', self.norm1), ('attn', self.self_attention)]
        if cross_attention:
            named += [('ln_cross', self.norm_cross), ('cross', self.cross_attention)]
        named += [('ln2', self.norm2), ('ffn', self.feed_forward)]
        self.params = [p for _, layer in named for p in layer.params]
        self.grads = [g for _, layer in named for g in layer.grads]
        self.param_names = tuple(f'{prefix}.{name}' for prefix, layer in named for name in layer.param_names)
        self.train_flg = True

    def forward(self, xs, memory=None, key_mask=None, memory_mask=None):
        if (memory is None) != (self.cross_attention is None):
            raise ValueError('an encoder output (memory) is needed exactly when the block has '
                             'cross-attention' + (' (it has)' if self.cross_attention else " (it hasn't)"))
        train_flg = self.train_flg
        self.self_attention.train_flg = train_flg
        x = self.norm1.forward(xs)
        h = xs + self.self_attention_dropout.forward(
            self.self_attention.forward(x, x, self.causal, key_mask), train_flg)
        if memory is not None:
            self.cross_attention.train_flg = train_flg
            x = self.norm_cross.forward(h)
            h = h + self.cross_attention_dropout.forward(
                self.cross_attention.forward(x, memory, False, memory_mask), train_flg)
        return h + self.feed_forward_dropout.forward(self.feed_forward.forward(self.norm2.forward(h)), train_flg)

    @needs_forward('norm1.cache')
    def backward(self, dout):
        dh = dout + self.norm2.backward(self.feed_forward.backward(self.feed_forward_dropout.backward(dout)))
        dmemory = None
        if self.cross_attention is not None:
            dx, dmemory = self.cross_attention.backward(self.cross_attention_dropout.backward(dh))
            dh = dh + self.norm_cross.backward(dx)
        dxq, dxkv = self.self_attention.backward(self.self_attention_dropout.backward(dh))
        dxs = dh + self.norm1.backward(dxq + dxkv)
        return dxs if dmemory is None else (dxs, dmemory)


class TransformerBody:
    """Token ids -> a stack of Transformer blocks -> final LayerNorm: the body of GPT, of BERT and
    of both halves of the Transformer seq2seq, creating its own weights:

        h_0 = Dropout_in(E[xs] + pos[:T])                 token vectors plus positions
        h_l = TransformerBlock_l(h_{l-1}, memory), l = 1..num_layers
        H = LayerNorm(h_L)

    xs: (N, T) ids in [0, V), T <= max_len -> H: (N, T, D).  With cross_attention, ``memory``
    (N, Tm, D) is read by every block; ``key_mask`` (N, T) and ``memory_mask`` (N, Tm) are True
    where a key is real (False hides padding); causal=True lets position t see positions <= t only.
    backward(dH: (N, T, D)) writes the gradients of E, P and every block in place and returns
    dmemory (N, Tm, D), the sum over the blocks, with cross-attention (None without: the ids
    have no gradient).

    positions: 'learned' -- P: (max_len, D) ~ N(0, 0.01^2), pos[:T] = P[:T] (GPT-2, a
    ``PositionEmbedding``); 'sinusoidal' -- the fixed PE of Vaswani et al. (``PositionalEncoding``,
    no parameters).  E: (V, D) ~ N(0, token_std^2); each block's weights N(0, 0.02^2), its two
    projections into the residual stream (Wo, W2) N(0, residual_std^2), residual_std defaulting
    to GPT-2's 0.02 / sqrt(2 num_layers).  Dropout_in has ratio ``dropout_ratio`` when
    ``input_dropout`` (else none); the blocks use ``dropout_ratio`` too, on at train time only
    (``train_flg``).  ``rng`` (numpy Generator or seed) draws E, P, the blocks' weights in that
    order, and then the dropout masks.

    ``layers``: the layers with parameters, in order (E's TimeEmbedding, P's PositionEmbedding,
    the blocks, the final LayerNorm): a model hands them to ``BaseModel.collect_params``.
    ``embed_W``: E, for an output layer tied to it (``TimeAffine(body.embed_W.T, b)``).
    """
    POSITIONS = ('learned', 'sinusoidal')

    def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, causal=False,
                 cross_attention=False, positions='learned', dropout_ratio=0.0, input_dropout=True,
                 token_std=0.02, residual_std=None, rng=None, dtype=np.float32):
        if positions not in self.POSITIONS:
            raise ValueError(f"positions must be 'learned' or 'sinusoidal', got {positions!r}")
        rng = np.random.default_rng(rng)
        residual_std = 0.02 / np.sqrt(2 * num_layers) if residual_std is None else residual_std
        V, D = vocab_size, d_model
        self.embed = TimeEmbedding(init_normal(rng, (V, D), token_std, dtype))
        self.position = (PositionEmbedding(init_normal(rng, (max_len, D), 0.01, dtype))
                         if positions == 'learned' else PositionalEncoding(max_len, D))
        self.input_dropout = Dropout(dropout_ratio if input_dropout else 0.0, rng)
        self.blocks = [TransformerBlock(D, num_heads, d_ff, causal, cross_attention, dropout_ratio, rng,
                                        dtype, residual_std)
                       for _ in range(num_layers)]
        self.final_norm = LayerNorm(np.ones(D, dtype=dtype), np.zeros(D, dtype=dtype))
        self.has_cross_attention = cross_attention
        self.layers = [layer for layer in (self.embed, self.position, *self.blocks, self.final_norm)
                       if layer.params]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    @property
    def embed_W(self):
        """E: (V, D), the token embedding matrix."""
        return self.embed.params[0]

    def forward(self, xs, memory=None, key_mask=None, memory_mask=None, train_flg=False):
        """xs: (N, T) ids [, memory: (N, Tm, D)] -> H: (N, T, D); dropout on when ``train_flg``."""
        h = self.input_dropout.forward(self.position.forward(self.embed.forward(xs)), train_flg)
        for block in self.blocks:
            block.train_flg = train_flg
            h = block.forward(h, memory, key_mask, memory_mask)
        return self.final_norm.forward(h)

    @needs_forward('final_norm.cache')
    def backward(self, dout):
        """dout: dH (N, T, D) -> dmemory (N, Tm, D) with cross-attention, else None."""
        dh = self.final_norm.backward(dout)
        dmemory = None
        for block in reversed(self.blocks):
            if self.has_cross_attention:
                dh, dm = block.backward(dh)
                dmemory = dm if dmemory is None else dmemory + dm
            else:
                dh = block.backward(dh)
        self.embed.backward(self.position.backward(self.input_dropout.backward(dh)))
        return dmemory

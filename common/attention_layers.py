"""Attention layers (the book's chapter 8; used by ch08_attention.attention_seq2seq).

The decoder's hidden vector h asks "which encoder positions matter now?":

    s_t = hs_t . h           (dot-product score of every encoder vector hs_t)
    a   = softmax(s)         (attention weights, sum_t a_t = 1)          -> AttentionWeight
    c   = sum_t a_t hs_t     (context vector, a weighted sum)            -> WeightSum

``Attention`` chains the two for one decoder step.  ``TimeAttention`` does the same for all
decoder steps at once with batched matrix products (scores (N, T_dec, T_enc) in one matmul), so
no Python loop runs over the time steps.
"""
from common.backend import array_module
from common.checks import needs_forward
from common.functions import softmax


class WeightSum:
    """c = sum_t a_t hs_t: the encoder vectors weighted by the attention weights.

    hs: (N, T, H), a: (N, T) -> c: (N, H).
    Backward: dhs_t = a_t dc, da_t = hs_t . dc.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        self.cache = (hs, a)
        return (a[:, None, :] @ hs)[:, 0, :]

    @needs_forward('cache')
    def backward(self, dc):
        hs, a = self.cache
        dhs = a[:, :, None] * dc[:, None, :]
        da = (hs @ dc[:, :, None])[:, :, 0]
        return dhs, da


class AttentionWeight:
    """a = softmax(s), s_t = hs_t . h: how well each encoder vector matches the decoder vector.

    hs: (N, T, H), h: (N, H) -> a: (N, T).
    Backward: ds = a * (da - sum_t a_t da_t) (softmax), dhs_t = ds_t h, dh = sum_t ds_t hs_t.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, h):
        a = softmax((hs @ h[:, :, None])[:, :, 0])
        self.cache = (hs, h, a)
        return a

    @needs_forward('cache')
    def backward(self, da):
        hs, h, a = self.cache
        ds = a * (da - (a * da).sum(axis=1, keepdims=True))
        dhs = ds[:, :, None] * h[:, None, :]
        dh = (ds[:, None, :] @ hs)[:, 0, :]
        return dhs, dh


class Attention:
    """One decoder step of attention: c = WeightSum(hs, AttentionWeight(hs, h)).

    hs: (N, T, H) encoder vectors, h: (N, H) decoder vector -> c: (N, H) context vector.
    ``attention_weight`` keeps the last weights a: (N, T).
    Backward: dc -> (dhs, dh); hs gets gradient from both nodes.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.attention_weight_layer = AttentionWeight()
        self.weight_sum_layer = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        a = self.attention_weight_layer.forward(hs, h)
        self.attention_weight = a
        return self.weight_sum_layer.forward(hs, a)

    @needs_forward('weight_sum_layer.cache')
    def backward(self, dc):
        dhs_sum, da = self.weight_sum_layer.backward(dc)
        dhs_weight, dh = self.attention_weight_layer.backward(da)
        return dhs_sum + dhs_weight, dh


class TimeAttention:
    """Attention for every decoder step at once, as three batched matrix products.

    S = hs_dec hs_enc^T   (N, T_dec, T_enc): S[n, j, t] = hs_dec[n, j] . hs_enc[n, t]
    A = softmax(S) over t (each decoder step's weights sum to 1)
    C = A hs_enc          (N, T_dec, H): the context vector of each decoder step

    hs_enc: (N, T_enc, H), hs_dec: (N, T_dec, H) -> C: (N, T_dec, H).  This equals running
    ``Attention`` on each decoder step j with h = hs_dec[:, j].
    ``attention_weights`` keeps A: (N, T_dec, T_enc) (for heat maps).
    Backward: dA = dC hs_enc^T, dS = A * (dA - sum_t A dA), dhs_enc = A^T dC + dS^T hs_dec,
    dhs_dec = dS hs_enc.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None
        self.attention_weights = None

    def forward(self, hs_enc, hs_dec):
        xp = array_module(hs_enc)
        weights = softmax(xp.matmul(hs_dec, hs_enc.transpose(0, 2, 1)))
        self.cache = (hs_enc, hs_dec, weights)
        self.attention_weights = weights
        return xp.matmul(weights, hs_enc)

    @needs_forward('cache')
    def backward(self, dc):
        xp = array_module(dc)
        hs_enc, hs_dec, weights = self.cache
        dweights = xp.matmul(dc, hs_enc.transpose(0, 2, 1))
        dscores = weights * (dweights - (weights * dweights).sum(axis=2, keepdims=True))
        dhs_enc = xp.matmul(weights.transpose(0, 2, 1), dc)
        dhs_enc += xp.matmul(dscores.transpose(0, 2, 1), hs_dec)
        dhs_dec = xp.matmul(dscores, hs_enc)
        return dhs_enc, dhs_dec

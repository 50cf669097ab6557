"""Transformer layers: float64 gradient checks, masks (causal, padding), and independent formulas."""
import math

import numpy as np
import pytest

from common.gradient_check import check_gradients
from common.time_layers import TimeEmbedding
from common.transformer_layers import (GELU, FeedForward, LayerNorm, MultiHeadAttention, PositionalEncoding,
                                       PositionEmbedding, TransformerBlock, TransformerBody)

TOLERANCE = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def make_attention(rng, D=6, heads=2, dropout_ratio=0.0, dropout_rng=None):
    weights = []
    for _ in range(4):
        weights += [rng.standard_normal((D, D)) * 0.5, rng.standard_normal(D)]
    return MultiHeadAttention(*weights, heads, dropout_ratio, dropout_rng)


def reference_attention(layer, xq, xkv, causal=False, key_mask=None):
    """The same attention written head by head and query by query with plain loops."""
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = layer.params
    h = layer.num_heads
    D = Wq.shape[0]
    d = D // h
    N, Tq, _ = xq.shape
    Tk = xkv.shape[1]
    out = np.zeros((N, Tq, D))
    for n in range(N):
        q, k, v = xq[n] @ Wq + bq, xkv[n] @ Wk + bk, xkv[n] @ Wv + bv
        context = np.zeros((Tq, D))
        for head in range(h):
            cols = slice(head * d, (head + 1) * d)
            for i in range(Tq):
                visible = [j for j in range(Tk) if (not causal or j <= i + Tk - Tq)
                           and (key_mask is None or key_mask[n, j])]
                s = np.array([q[i, cols] @ k[j, cols] / math.sqrt(d) for j in visible])
                a = np.exp(s - s.max())
                a /= a.sum()
                context[i, cols] = sum(a_j * v[j, cols] for a_j, j in zip(a, visible))
        out[n] = context @ Wo + bo
    return out


def projected_check(forward, backward, layer, inputs, rng):
    """Largest relative error of the gradients of sum(forward() * R) w.r.t. inputs and params.

    The key bias bk has a gradient of exactly 0 (q . bk is the same for every key), checked to be
    zero up to rounding (zero_atol) instead of by a relative error of two noises.
    """
    R = rng.standard_normal(forward().shape)
    input_grads = backward(R)
    input_grads = list(input_grads) if isinstance(input_grads, tuple) else [input_grads]
    analytic = input_grads + [g.copy() for g in layer.grads]
    return check_gradients(lambda: float((forward() * R).sum()), list(inputs) + list(layer.params),
                           analytic, zero_atol=1e-8)


def test_layer_norm_gradient_and_statistics(rng):
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    layer = LayerNorm(gamma, beta)
    x = rng.standard_normal((2, 3, 5)) * 3 + 1
    assert projected_check(lambda: layer.forward(x), layer.backward, layer, [x], rng) < TOLERANCE
    y = LayerNorm(np.ones(5), np.zeros(5)).forward(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), x.var(axis=-1) / (x.var(axis=-1) + 1e-5), rtol=1e-10)


def test_gelu_gradient_and_values(rng):
    x = rng.standard_normal((3, 4)) * 2
    layer = GELU()
    assert projected_check(lambda: layer.forward(x), layer.backward, layer, [x], rng) < TOLERANCE
    # the tanh form is close to the exact x Phi(x)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_allclose(GELU().forward(x), exact, atol=1e-3)


@pytest.mark.parametrize('case', ['self', 'cross', 'causal', 'key_mask', 'causal_key_mask', 'dropout'])
def test_multi_head_attention_gradients(rng, case):
    dropout = 0.3 if case == 'dropout' else 0.0
    layer = make_attention(rng, dropout_ratio=dropout, dropout_rng=np.random.default_rng(5))
    xq = rng.standard_normal((2, 4, 6))
    xkv = rng.standard_normal((2, 5, 6)) if case == 'cross' else xq
    causal = case.startswith('causal')
    key_mask = None
    if 'key_mask' in case:
        key_mask = np.array([[True, True, True, False], [True, False, True, True]])

    def forward():
        if dropout:
            layer.dropout.rng = np.random.default_rng(5)  # the same mask every call
        return layer.forward(xq, xkv, causal=causal, key_mask=key_mask)

    if xkv is xq:  # self-attention: x feeds both sides
        def backward(dout):
            dxq, dxkv = layer.backward(dout)
            return dxq + dxkv
        inputs = [xq]
    else:
        backward, inputs = layer.backward, [xq, xkv]
    assert projected_check(forward, backward, layer, inputs, rng) < TOLERANCE
    assert layer.attention_weights.shape == (2, 2, 4, xkv.shape[1])


@pytest.mark.parametrize('causal, with_mask', [(False, False), (True, False), (True, True), (False, True)])
def test_multi_head_attention_matches_loops(rng, causal, with_mask):
    layer = make_attention(rng, D=6, heads=3)
    xq, xkv = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 5, 6))
    key_mask = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 0]], dtype=bool) if with_mask else None
    out = layer.forward(xq, xkv, causal=causal, key_mask=key_mask)
    np.testing.assert_allclose(out, reference_attention(layer, xq, xkv, causal, key_mask), rtol=1e-10)
    np.testing.assert_allclose(layer.attention_weights.sum(axis=-1), 1, rtol=1e-12)


def test_causal_attention_never_looks_ahead(rng):
    layer = make_attention(rng)
    x = rng.standard_normal((2, 6, 6))
    before = layer.forward(x, x, causal=True).copy()
    for t in range(6):
        changed = x.copy()
        changed[:, t] += 10 * rng.standard_normal((2, 6))
        after = layer.forward(changed, changed, causal=True)
        np.testing.assert_array_equal(after[:, :t], before[:, :t])
        assert not np.allclose(after[:, t], before[:, t])
    assert np.all(np.triu(layer.attention_weights, k=1) == 0)


def test_masked_keys_change_nothing(rng):
    layer = make_attention(rng)
    xq, xkv = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 4, 6))
    key_mask = np.array([[True, True, False, True], [True, True, True, False]])
    before = layer.forward(xq, xkv, key_mask=key_mask).copy()
    changed = xkv.copy()
    changed[0, 2] = 100 * rng.standard_normal(6)
    changed[1, 3] = -100 * rng.standard_normal(6)
    np.testing.assert_array_equal(layer.forward(xq, changed, key_mask=key_mask), before)
    assert np.all(layer.attention_weights[0, :, :, 2] == 0)
    assert not np.allclose(layer.forward(xq, changed), layer.forward(xq, xkv))  # unmasked, it would


def test_attention_checks_sizes(rng):
    W, b = np.zeros((6, 6)), np.zeros(6)
    with pytest.raises(ValueError, match='divisible by num_heads = 4'):
        MultiHeadAttention(W, b, W, b, W, b, W, b, num_heads=4)
    layer = make_attention(rng)
    with pytest.raises(ValueError, match=r'key_mask must have shape \(N, Tk\)'):
        layer.forward(np.zeros((2, 3, 6)), np.zeros((2, 3, 6)), key_mask=np.ones((2, 4), dtype=bool))


def test_positional_encoding(rng):
    layer = PositionalEncoding(max_len=50, d_model=6)
    xs = np.zeros((1, 50, 6), dtype=np.float32)
    pe = layer.forward(xs)[0]
    assert pe.dtype == np.float32
    pos, i = 7, 1
    assert pe[pos, 2 * i] == pytest.approx(math.sin(pos / 10000 ** (2 * i / 6)), abs=1e-6)
    assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos / 10000 ** (2 * i / 6)), abs=1e-6)
    dout = rng.standard_normal((1, 4, 6))
    assert layer.backward(dout) is dout
    with pytest.raises(ValueError, match='max_len = 50'):
        layer.forward(np.zeros((1, 51, 6)))


def test_feed_forward_gradient(rng):
    layer = FeedForward(rng.standard_normal((4, 7)), rng.standard_normal(7),
                        rng.standard_normal((7, 4)), rng.standard_normal(4))
    x = rng.standard_normal((2, 3, 4))
    assert projected_check(lambda: layer.forward(x), layer.backward, layer, [x], rng) < TOLERANCE


def fix_dropout_masks(blocks, first=()):
    """Give every dropout of ``blocks`` (and the dropouts in ``first``) a fresh Generator of its
    own seed, so that each forward call draws the same masks."""
    dropouts = list(first)
    for block in blocks:
        dropouts += [block.self_attention.dropout, block.self_attention_dropout, block.feed_forward_dropout]
        if block.cross_attention is not None:
            dropouts += [block.cross_attention.dropout, block.cross_attention_dropout]
    for k, layer in enumerate(dropouts):
        layer.rng = np.random.default_rng(k)


def randomize_block_params(block, rng):
    for p in block.params:  # LayerNorm gains 1 and biases 0 would hide mistakes
        p[...] = rng.standard_normal(p.shape) * 0.5


@pytest.mark.parametrize('causal', [False, True])
def test_transformer_block_gradient(rng, causal):
    block = TransformerBlock(6, 2, 8, causal=causal, rng=np.random.default_rng(1), dtype=np.float64)
    randomize_block_params(block, rng)
    x = rng.standard_normal((2, 4, 6))
    key_mask = np.array([[True, True, True, False], [True, True, True, True]])
    assert projected_check(lambda: block.forward(x, key_mask=key_mask), block.backward, block, [x],
                           rng) < TOLERANCE


def test_transformer_block_with_cross_attention_and_dropout_gradient(rng):
    block = TransformerBlock(6, 3, 8, causal=True, cross_attention=True, dropout_ratio=0.2,
                             rng=np.random.default_rng(1), dtype=np.float64)
    randomize_block_params(block, rng)
    x, memory = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 5, 6))
    memory_mask = np.array([[True] * 5, [True, True, False, False, True]])

    def forward():
        fix_dropout_masks([block])
        return block.forward(x, memory, memory_mask=memory_mask)

    assert projected_check(forward, block.backward, block, [x, memory], rng) < TOLERANCE
    assert len(block.params) == len(block.param_names) == 2 + 8 + 2 + 8 + 2 + 4


def test_transformer_block_runs_in_float32_and_test_mode_is_deterministic(rng):
    block = TransformerBlock(8, 2, 16, causal=True, dropout_ratio=0.5, rng=np.random.default_rng(1))
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    y = block.forward(x)
    assert y.dtype == np.float32 and all(p.dtype == np.float32 for p in block.params)
    assert block.backward(np.ones_like(y)).dtype == np.float32
    block.train_flg = False
    np.testing.assert_array_equal(block.forward(x), block.forward(x))
    with pytest.raises(ValueError, match='memory'):
        block.forward(x, memory=x)


def test_each_named_dropout_acts_on_its_sub_layer(rng):
    """y = h + m_ff * FF(LN2(h)), h = x + m_sa * SA(LN1(x)), written out with the masks the block's
    self_attention_dropout and feed_forward_dropout kept (attention-weight dropout off)."""
    block = TransformerBlock(6, 2, 8, causal=True, dropout_ratio=0.5, rng=np.random.default_rng(1),
                             dtype=np.float64)
    block.self_attention.dropout.dropout_ratio = 0.0
    x = rng.standard_normal((2, 4, 6))
    y = block.forward(x)
    m_sa, m_ff = block.self_attention_dropout.mask, block.feed_forward_dropout.mask
    assert (m_sa == 0).any() and (m_ff == 0).any() and not np.array_equal(m_sa, m_ff)
    x1 = block.norm1.forward(x)
    h = x + m_sa * block.self_attention.forward(x1, x1, causal=True)
    np.testing.assert_allclose(y, h + m_ff * block.feed_forward.forward(block.norm2.forward(h)), rtol=1e-12)


@pytest.mark.parametrize('case', ['causal', 'key_mask', 'cross_attention'])
def test_transformer_body_gradients(rng, case):
    """Every parameter (E, P, each block, the final LayerNorm) and dmemory, float64, with dropout
    on (fixed masks) in every block and, as GPT and BERT use it, in the input (the seq2seq's stacks,
    with cross-attention, have none there)."""
    cross = case == 'cross_attention'
    body = TransformerBody(7, 6, 6, 2, 2, 8, causal=case != 'key_mask', cross_attention=cross,
                           positions='sinusoidal' if cross else 'learned', dropout_ratio=0.2,
                           input_dropout=not cross, rng=np.random.default_rng(1), dtype=np.float64)
    randomize_block_params(body, rng)
    xs = rng.integers(0, 7, size=(2, 4))
    memory = rng.standard_normal((2, 5, 6)) if cross else None
    key_mask = np.array([[True, True, True, False], [True] * 4]) if case == 'key_mask' else None
    memory_mask = np.array([[True] * 5, [True, False, True, True, False]]) if cross else None

    def forward():
        fix_dropout_masks(body.blocks, [body.input_dropout])
        return body.forward(xs, memory, key_mask, memory_mask, train_flg=True)

    def backward(dH):
        dmemory = body.backward(dH)
        assert (dmemory is None) == (not cross)
        return () if dmemory is None else dmemory

    assert projected_check(forward, backward, body, [memory] if cross else [], rng) < TOLERANCE
    assert body.input_dropout.dropping == (not cross)


def test_transformer_body_layers_and_initial_weights():
    """The layers with parameters in order (what a checkpoint's names count); E is the first
    parameter and the embedding's own array; GPT-2's standard deviations."""
    learned = TransformerBody(1000, 64, 32, 4, 3, 64, rng=0, dtype=np.float64)
    assert [type(layer) for layer in learned.layers] == [TimeEmbedding, PositionEmbedding] + [TransformerBlock] * 3 + [LayerNorm]
    assert learned.embed_W is learned.params[0] is learned.layers[0].params[0]
    assert learned.embed_W.std() == pytest.approx(0.02, rel=0.02)
    assert learned.position.params[0].std() == pytest.approx(0.01, rel=0.05)
    assert learned.blocks[0].feed_forward.params[2].std() == pytest.approx(0.02 / math.sqrt(6), rel=0.05)
    sinusoidal = TransformerBody(1000, 64, 32, 4, 1, 64, positions='sinusoidal', token_std=1.0, rng=0)
    assert [type(layer) for layer in sinusoidal.layers] == [TimeEmbedding, TransformerBlock, LayerNorm]
    assert sinusoidal.embed_W.dtype == np.float32 and sinusoidal.embed_W.std() == pytest.approx(1, rel=0.02)
    with pytest.raises(ValueError, match="positions must be 'learned' or 'sinusoidal', got 'rotary'"):
        TransformerBody(10, 8, 8, 2, 1, 16, positions='rotary')

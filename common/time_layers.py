"""Time-series layers of chapters 5-6 (and the appendix GRU): whole sequences in, whole sequences out.

Shapes: N sequences (batch), T time steps, D input features, H hidden units, V vocabulary.
A Time layer takes ``xs: (N, T, D)`` and loops over t itself with arrays; it never builds one
Python object per time step.  What does not depend on the previous step is done for all steps at
once:

- forward:  A = xs Wx + b for every (n, t) in ONE matrix product; only ``h_prev Wh`` is in the loop;
- backward: the gradients of the pre-activations dA of all steps are collected first, then
  dWx = xs^T dA, dWh = h_prev^T dA, db = sum dA and dxs = dA Wx^T are ONE matrix product each;
  only ``dA_t Wh^T`` (the gradient flowing to the previous step) is in the loop.

The single-step layers ``RNN``, ``LSTM`` and ``GRU`` are the book's computational-graph nodes,
written plainly.  ``TimeRNN``, ``TimeLSTM`` and ``TimeGRU`` do not call them: each is the same
recurrence fused over all T steps (the book's TimeLSTM keeps one LSTM object per step instead),
and the tests check, step by step and gradient by gradient, that it equals T calls of its node.

Buffers: every forward allocates its per-call buffers once (not per step) and works in place
inside them; backward reads what forward cached.  Call backward once per forward (the softmax
loss turns its cache into the gradient it returns).  Dtypes follow the parameters.
"""
import numpy as np

from common.backend import array_module
from common.checks import (check_ids, check_last_dim, check_ndim, check_not_empty, check_one_hot,
                           needs_forward)
from common.layers import Affine, Dropout, Embedding, bernoulli_keep_mask


# ---------------------------------------------------------------------------------------------
# Helpers shared by the layers below
# ---------------------------------------------------------------------------------------------

def _sigmoid_(x):
    """x <- sigma(x) in place, as sigma(x) = 0.5 tanh(x / 2) + 0.5 (no overflow, one tanh call)."""
    xp = array_module(x)
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _matmul_into(a, b, out):
    """out[...] = a @ b, written by the BLAS straight into ``out`` when its layout allows.

    ``out`` may be C-ordered, or F-ordered (the gradient of a tied weight ``embed_W.T``): then the
    product is computed transposed, out^T = b^T a^T, into the C-ordered ``out.T``.
    """
    xp = array_module(out)
    if out.flags.c_contiguous:
        xp.matmul(a, b, out=out)
    elif out.T.flags.c_contiguous:
        xp.matmul(b.T, a.T, out=out.T)
    else:
        out[...] = a @ b
    return out


def _as_sequence(xs, Wx, name):
    """Check that xs is (N, T, D) with D = Wx.shape[0]; return it in the parameters' dtype."""
    check_ndim(xs, 3, f'{name} input xs', '(N, T, D)')
    check_not_empty(xs, f'{name} input xs', '(N, T, D)')
    check_last_dim(xs, Wx.shape[0], f'{name} input xs', '(N, T, D)')
    return array_module(Wx).asarray(xs, dtype=Wx.dtype)


def _input_projection(xs, Wx, b):
    """A = xs Wx + b for all N*T positions in one matrix product: (N, T, D) -> (N, T, K)."""
    xp = array_module(Wx)
    N, T, D = xs.shape
    A = xp.empty((N, T, Wx.shape[1]), dtype=Wx.dtype)
    xp.matmul(xs.reshape(N * T, D), Wx, out=A.reshape(N * T, -1))
    A += b
    return A


def _input_grads(xs, dA, Wx, dWx, db):
    """From dA: (N, T, K) of all steps: dWx = xs^T dA, db = sum dA (in place); return dxs = dA Wx^T."""
    N, T, D = xs.shape
    dA2 = dA.reshape(N * T, -1)
    _matmul_into(xs.reshape(N * T, D).T, dA2, dWx)
    dA2.sum(axis=0, out=db)
    return (dA2 @ Wx.T).reshape(N, T, D)


def _previous_states(first, states):
    """[first, states[:, 0], ..., states[:, T-2]]: the state each step started from, (N, T, H)."""
    shifted = array_module(states).empty_like(states)
    shifted[:, 0] = first
    shifted[:, 1:] = states[:, :-1]
    return shifted


class _RecurrentWeights:
    """params = [Wx, Wh, b] of a recurrent layer (a single-step node or a whole Time layer) and zero
    gradients of the same shapes."""
    param_names = ('Wx', 'Wh', 'b')

    def __init__(self, Wx, Wh, b):
        xp = array_module(Wx)
        self.params = [Wx, Wh, b]
        self.grads = [xp.zeros_like(p) for p in self.params]
        self.cache = None


class _TimeRecurrence(_RecurrentWeights):
    """What the three fused Time layers share: the weights, the hidden state a stateful layer
    carries from one block of time steps to the next, and the dropout mask on the recurrent
    connection.

    stateful=False: every forward starts from h = 0 (and c = 0), whatever ``set_state`` set.
    stateful=True: forward starts from the state the previous forward ended with (or the one given
    to ``set_state``; zeros after ``reset_state``).  After backward, ``dh`` (and ``dc`` for the
    LSTM) hold the gradient of the initial state, for example to hand to an encoder (chapter 7).

    recurrent_dropout = p > 0 (Gal & Ghahramani's variational dropout through time): each forward
    call, when ``train_flg`` is True, draws one inverted-dropout mask m: (N, H) of 1/(1-p) and 0
    from ``rng`` (a numpy Generator; a fresh unseeded one when omitted), one row per sequence, and
    every step's recurrent product uses h_{t-1} * m instead of h_{t-1}: the same units of a
    sequence are dropped at every step of the block.  The mask is kept in ``mask`` for backward.
    Only that product h_{t-1} Wh is dropped (the LSTM's cell path c_{t-1} -> c_t and the GRU's
    direct path (1 - z) h_{t-1} are not).  train_flg=False (test time) or p = 0: no mask, and
    the layer computes exactly what it computes without the option.
    """
    h = None
    dh = None

    def __init__(self, Wx, Wh, b, stateful=False, recurrent_dropout=0.0, rng=None):
        super().__init__(Wx, Wh, b)
        if not 0 <= recurrent_dropout < 1:
            raise ValueError(f'recurrent_dropout must lie in [0, 1), got {recurrent_dropout}')
        self.stateful = stateful
        self.recurrent_dropout = recurrent_dropout
        self.rng = rng if rng is not None else np.random.default_rng()
        self.train_flg = True
        self.mask = None

    def set_state(self, h):
        """Start the next forward from h: (N, H) (used with stateful=True)."""
        self.h = h

    def reset_state(self):
        """Forget the carried state: the next forward starts from zeros."""
        self.h = None

    def _start(self, xs):
        """Check xs; return it, the initial state h0 and A = xs Wx + b for all steps at once.

        Also draws this call's recurrent dropout mask into ``self.mask`` ((N, H), or None: off).
        """
        Wx, Wh, b = self.params
        xs = _as_sequence(xs, Wx, type(self).__name__)
        N = xs.shape[0]
        h0 = self._initial(self.h, N, 'h')
        self.mask = None
        if self.train_flg and self.recurrent_dropout > 0:
            self.mask = bernoulli_keep_mask(self.rng, Wh, self.recurrent_dropout, (N, Wh.shape[0]))
        return xs, h0, _input_projection(xs, Wx, b)

    def _masked(self, h, out):
        """h * mask written into ``out`` (N, H); h itself when there is no mask."""
        if self.mask is None:
            return h
        return array_module(h).multiply(h, self.mask, out=out)

    def _masked_previous_states(self, h0, hs):
        """The inputs of the recurrent products of all steps: h_{t-1} (* mask), (N, T, H)."""
        h_prevs = _previous_states(h0, hs)
        if self.mask is not None:
            h_prevs *= self.mask[:, None, :]
        return h_prevs

    def _initial(self, state, N, name):
        """The initial (N, H) state: zeros unless stateful and one is set (then checked)."""
        Wh = self.params[1]
        xp, H = array_module(Wh), Wh.shape[0]
        if not self.stateful or state is None:
            return xp.zeros((N, H), dtype=Wh.dtype)
        if state.shape != (N, H):
            raise ValueError(f'the carried state {name} has shape {state.shape}, but this batch needs '
                             f'({N}, {H}): call reset_state() when the batch size changes')
        return xp.asarray(state, dtype=Wh.dtype)


# ---------------------------------------------------------------------------------------------
# RNN (chapter 5)
# ---------------------------------------------------------------------------------------------

class RNN(_RecurrentWeights):
    """One step of the simple RNN: h_next = tanh(h_prev Wh + x Wx + b).

    x: (N, D), h_prev: (N, H) -> h_next: (N, H); Wx: (D, H), Wh: (H, H), b: (H,).
    Backward: dt = dh_next (1 - h_next^2); dWx = x^T dt, dWh = h_prev^T dt, db = sum dt,
    dx = dt Wx^T, dh_prev = dt Wh^T.
    """

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = array_module(Wx).tanh(h_prev @ Wh + x @ Wx + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    @needs_forward('cache')
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = dt.sum(axis=0)
        return dt @ Wx.T, dt @ Wh.T


class TimeRNN(_TimeRecurrence):
    """The recurrence of ``RNN`` over T steps, fused: h_t = tanh((h_{t-1} * m) Wh + x_t Wx + b).

    m is the recurrent dropout mask (all ones unless ``recurrent_dropout`` > 0 at train time).
    xs: (N, T, D) -> hs: (N, T, H).  backward(dhs: (N, T, H)) -> dxs: (N, T, D); the gradient of
    the initial state is left in ``dh``.  See ``_TimeRecurrence`` for stateful / set_state and
    the recurrent dropout.
    """

    def forward(self, xs):
        Wh = self.params[1]
        xp = array_module(Wh)
        xs, h0, hs = self._start(xs)  # hs holds x_t Wx + b, turned into h_t step by step
        h = h0
        recurrent, h_masked = xp.empty_like(h), xp.empty_like(h)
        for t in range(xs.shape[1]):
            a = hs[:, t]
            a += xp.matmul(self._masked(h, h_masked), Wh, out=recurrent)
            h = xp.tanh(a, out=a)
        self.cache = (xs, h0, hs)
        if self.stateful:
            self.h = h.copy()
        return hs

    @needs_forward('cache')
    def backward(self, dhs):
        Wx, Wh, _ = self.params
        xs, h0, hs = self.cache
        dA = 1 - hs * hs  # tanh'(a_t) for every step, times dh_t in the loop
        dh = array_module(Wh).zeros_like(h0)
        for t in reversed(range(hs.shape[1])):
            da = dA[:, t]
            da *= dhs[:, t] + dh
            dh = da @ Wh.T
            if self.mask is not None:
                dh *= self.mask
        self.dh = dh
        N, T, H = hs.shape
        _matmul_into(self._masked_previous_states(h0, hs).reshape(N * T, H).T, dA.reshape(N * T, H),
                     self.grads[1])
        return _input_grads(xs, dA, Wx, self.grads[0], self.grads[2])


# ---------------------------------------------------------------------------------------------
# LSTM (chapter 6)
# ---------------------------------------------------------------------------------------------

class LSTM(_RecurrentWeights):
    """One LSTM step with the four gates fused in the book's order f, g, i, o.

    A = x Wx + h_prev Wh + b;  f = sigma(A[:, :H]), g = tanh(A[:, H:2H]), i = sigma(A[:, 2H:3H]),
    o = sigma(A[:, 3H:]);  c = f * c_prev + g * i;  h = o * tanh(c).
    x: (N, D), h_prev, c_prev: (N, H) -> h, c: (N, H); Wx: (D, 4H), Wh: (H, 4H), b: (4H,).
    backward(dh, dc) -> (dx, dh_prev, dc_prev).
    """

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        xp = array_module(Wx)
        H = Wh.shape[0]
        A = x @ Wx + h_prev @ Wh + b
        f = _sigmoid_(A[:, :H])
        g = xp.tanh(A[:, H:2 * H])
        i = _sigmoid_(A[:, 2 * H:3 * H])
        o = _sigmoid_(A[:, 3 * H:])
        c = f * c_prev + g * i
        tanh_c = xp.tanh(c)
        h = o * tanh_c
        self.cache = (x, h_prev, c_prev, f, g, i, o, tanh_c)
        return h, c

    @needs_forward('cache')
    def backward(self, dh, dc):
        Wx, Wh, _ = self.params
        xp = array_module(Wx)
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        ds = dc + dh * o * (1 - tanh_c ** 2)  # total gradient of the cell c
        dA = xp.concatenate([ds * c_prev * f * (1 - f),   # df * sigma'
                             ds * i * (1 - g ** 2),       # dg * tanh'
                             ds * g * i * (1 - i),        # di * sigma'
                             dh * tanh_c * o * (1 - o)],  # do * sigma'
                            axis=1)
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, ds * f


class TimeLSTM(_TimeRecurrence):
    """The recurrence of ``LSTM`` over T steps, fused (gate order f, g, i, o as in ``LSTM``).

    A_t = x_t Wx + (h_{t-1} * m) Wh + b, with m the recurrent dropout mask (all ones unless
    ``recurrent_dropout`` > 0 at train time: see ``_TimeRecurrence``; c_{t-1} is never dropped).
    xs: (N, T, D) -> hs: (N, T, H).  backward(dhs: (N, T, H)) -> dxs: (N, T, D); the gradients of
    the initial state are left in ``dh`` and ``dc``.  stateful=True carries h and c from one
    forward to the next (truncated BPTT); ``set_state(h, c=None)`` sets them (c = 0 when omitted).
    """
    c = None
    dc = None

    def set_state(self, h, c=None):
        """Start the next forward from h (and c; zeros when None), both (N, H)."""
        self.h, self.c = h, c

    def reset_state(self):
        self.h, self.c = None, None

    def forward(self, xs):
        Wh = self.params[1]
        xp = array_module(Wh)
        xs, h0, gates = self._start(xs)  # gates holds x_t Wx + b; becomes f, g, i, o in place
        (N, T, _), H = xs.shape, Wh.shape[0]
        c0 = self._initial(self.c, N, 'c')
        hs, cs, tanh_cs = (xp.empty((N, T, H), dtype=Wh.dtype) for _ in range(3))
        recurrent = xp.empty((N, 4 * H), dtype=Wh.dtype)
        gi, h_masked = xp.empty((N, H), dtype=Wh.dtype), xp.empty((N, H), dtype=Wh.dtype)
        h, c = h0, c0
        for t in range(T):
            a = gates[:, t]
            a += xp.matmul(self._masked(h, h_masked), Wh, out=recurrent)
            f = _sigmoid_(a[:, :H])
            g = xp.tanh(a[:, H:2 * H], out=a[:, H:2 * H])
            i_o = _sigmoid_(a[:, 2 * H:])
            i, o = i_o[:, :H], i_o[:, H:]
            c = xp.multiply(f, c, out=cs[:, t])
            c += xp.multiply(g, i, out=gi)
            xp.tanh(c, out=tanh_cs[:, t])
            h = xp.multiply(o, tanh_cs[:, t], out=hs[:, t])
        self.cache = (xs, h0, c0, gates, cs, tanh_cs, hs)
        if self.stateful:
            self.h, self.c = h.copy(), c.copy()
        return hs

    @needs_forward('cache')
    def backward(self, dhs):
        """Per step (reversed): dh = dhs_t + dh_next;  ds = dc_next + dh o (1 - tanh(c)^2);
        dA = [ds c_prev f(1-f), ds i (1-g^2), ds g i(1-i), dh tanh(c) o(1-o)];
        dc_next = ds f;  dh_next = (dA Wh^T) * m.  The factors that multiply ds and dh are computed for
        all steps at once before the loop, so the loop itself is a few vector operations.
        """
        Wx, Wh, _ = self.params
        xp = array_module(Wx)
        xs, h0, c0, gates, cs, tanh_cs, hs = self.cache
        N, T, H = hs.shape
        f, g, i, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        dA = 1 - gates           # f, i, o columns: sigma' = y (1 - y); g column: tanh' = 1 - g^2
        dA *= gates
        dA[..., H:2 * H] = 1 - g * g
        dA[..., :H] *= _previous_states(c0, cs)
        dA[..., H:2 * H] *= i
        dA[..., 2 * H:3 * H] *= g
        dA[..., 3 * H:] *= tanh_cs
        dh_to_ds = 1 - tanh_cs * tanh_cs
        dh_to_ds *= o
        dA4 = dA.reshape(N, T, 4, H)  # [..., k, :] is gate k
        dh, ds = xp.zeros_like(h0), xp.zeros_like(c0)
        for t in reversed(range(T)):
            dh = dh + dhs[:, t]
            ds += dh * dh_to_ds[:, t]
            dA4[:, t, :3] *= ds[:, None, :]
            dA4[:, t, 3] *= dh
            ds *= f[:, t]
            dh = dA[:, t] @ Wh.T
            if self.mask is not None:
                dh *= self.mask
        self.dh, self.dc = dh, ds
        _matmul_into(self._masked_previous_states(h0, hs).reshape(N * T, H).T,
                     dA.reshape(N * T, 4 * H), self.grads[1])
        return _input_grads(xs, dA, Wx, self.grads[0], self.grads[2])


# ---------------------------------------------------------------------------------------------
# GRU (appendix)
# ---------------------------------------------------------------------------------------------

class GRU(_RecurrentWeights):
    """One GRU step with the three blocks fused in the order z, r, h~.

    z = sigma(x Wxz + h_prev Whz + bz), r = sigma(x Wxr + h_prev Whr + br),
    h~ = tanh(x Wxh + (r * h_prev) Whh + bh), h = (1 - z) * h_prev + z * h~.
    x: (N, D), h_prev: (N, H) -> h: (N, H); Wx: (D, 3H), Wh: (H, 3H), b: (3H,).
    backward(dh) -> (dx, dh_prev).
    """

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        xp = array_module(Wx)
        H = Wh.shape[0]
        ax = x @ Wx + b
        z = _sigmoid_(ax[:, :H] + h_prev @ Wh[:, :H])
        r = _sigmoid_(ax[:, H:2 * H] + h_prev @ Wh[:, H:2 * H])
        h_tilde = xp.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
        self.cache = (x, h_prev, z, r, h_tilde)
        return (1 - z) * h_prev + z * h_tilde

    @needs_forward('cache')
    def backward(self, dh):
        Wx, Wh, _ = self.params
        xp = array_module(Wx)
        H = Wh.shape[0]
        x, h_prev, z, r, h_tilde = self.cache
        da_h = dh * z * (1 - h_tilde ** 2)
        d_rh = da_h @ Wh[:, 2 * H:].T                  # gradient of r * h_prev
        da_z = dh * (h_tilde - h_prev) * z * (1 - z)
        da_r = d_rh * h_prev * r * (1 - r)
        da_zr = xp.concatenate([da_z, da_r], axis=1)
        dA = xp.concatenate([da_zr, da_h], axis=1)
        self.grads[0][...] = x.T @ dA
        self.grads[1][:, :2 * H] = h_prev.T @ da_zr
        self.grads[1][:, 2 * H:] = (r * h_prev).T @ da_h
        self.grads[2][...] = dA.sum(axis=0)
        dh_prev = dh * (1 - z) + d_rh * r + da_zr @ Wh[:, :2 * H].T
        return dA @ Wx.T, dh_prev


class TimeGRU(_TimeRecurrence):
    """The recurrence of ``GRU`` over T steps, fused (blocks z, r, h~ as in ``GRU``).

    With the recurrent dropout mask m (all ones unless ``recurrent_dropout`` > 0 at train time:
    see ``_TimeRecurrence``), every product with Wh reads h_{t-1} * m:
    z, r = sigma(x_t Wxzr + (h_{t-1} * m) Whzr + bzr), h~ = tanh(x_t Wxh + (r * h_{t-1} * m) Whh + bh),
    while the direct path h_t = (1 - z) * h_{t-1} + z * h~ keeps h_{t-1} whole.
    xs: (N, T, D) -> hs: (N, T, H).  backward(dhs: (N, T, H)) -> dxs: (N, T, D); the gradient of
    the initial state is left in ``dh``.  See ``_TimeRecurrence`` for stateful / set_state.
    """

    def forward(self, xs):
        Wh = self.params[1]
        xp = array_module(Wh)
        xs, h0, gates = self._start(xs)  # gates holds x_t Wx + b; becomes z, r, h~ in place
        (N, T, _), H = xs.shape, Wh.shape[0]
        hs, rhs = xp.empty((N, T, H), dtype=Wh.dtype), xp.empty((N, T, H), dtype=Wh.dtype)
        rec_zr = xp.empty((N, 2 * H), dtype=Wh.dtype)
        rec_h, h_masked = xp.empty((N, H), dtype=Wh.dtype), xp.empty((N, H), dtype=Wh.dtype)
        h = h0
        for t in range(T):
            a = gates[:, t]
            hm = self._masked(h, h_masked)
            a[:, :2 * H] += xp.matmul(hm, Wh[:, :2 * H], out=rec_zr)
            z_r = _sigmoid_(a[:, :2 * H])
            z, r = z_r[:, :H], z_r[:, H:]
            rh = xp.multiply(r, hm, out=rhs[:, t])
            a[:, 2 * H:] += xp.matmul(rh, Wh[:, 2 * H:], out=rec_h)
            h_tilde = xp.tanh(a[:, 2 * H:], out=a[:, 2 * H:])
            h_next = xp.subtract(h_tilde, h, out=hs[:, t])  # h + z (h~ - h) = (1 - z) h + z h~
            h_next *= z
            h_next += h
            h = h_next
        self.cache = (xs, h0, gates, rhs, hs)
        if self.stateful:
            self.h = h.copy()
        return hs

    @needs_forward('cache')
    def backward(self, dhs):
        """Per step (reversed), with hm = h_prev * m:  dh = dhs_t + dh_next;  da_h~ = dh z (1 - h~^2);
        d(r hm) = da_h~ Whh^T;  da_z = dh (h~ - h_prev) z (1 - z);  da_r = d(r hm) hm r (1 - r);
        dh_next = dh (1 - z) + (d(r hm) r + [da_z, da_r] Whzr^T) * m.
        """
        Wx, Wh, _ = self.params
        xp = array_module(Wx)
        xs, h0, gates, rhs, hs = self.cache
        N, T, H = hs.shape
        z, r, h_tilde = (gates[..., k * H:(k + 1) * H] for k in range(3))
        h_prevs = _previous_states(h0, hs)
        hm_prevs = self._masked_previous_states(h0, hs) if self.mask is not None else h_prevs
        dA = 1 - gates           # z, r columns: sigma' = y (1 - y); h~ column: tanh' = 1 - h~^2
        dA *= gates
        dA[..., 2 * H:] = 1 - h_tilde * h_tilde
        dA[..., :H] *= h_tilde - h_prevs
        dA[..., H:2 * H] *= hm_prevs
        dA[..., 2 * H:] *= z
        one_minus_z = 1 - z
        Whzr_T, Whh_T = Wh[:, :2 * H].T, Wh[:, 2 * H:].T
        dh = xp.zeros_like(h0)
        for t in reversed(range(T)):
            dh = dh + dhs[:, t]
            da = dA[:, t]
            da[:, :H] *= dh
            da[:, 2 * H:] *= dh
            d_rh = da[:, 2 * H:] @ Whh_T
            da[:, H:2 * H] *= d_rh
            d_rh *= r[:, t]
            d_zr = da[:, :2 * H] @ Whzr_T
            if self.mask is not None:
                d_rh *= self.mask
                d_zr *= self.mask
            dh *= one_minus_z[:, t]
            dh += d_rh
            dh += d_zr
        self.dh = dh
        dA2 = dA.reshape(N * T, 3 * H)
        self.grads[1][:, :2 * H] = hm_prevs.reshape(N * T, H).T @ dA2[:, :2 * H]
        self.grads[1][:, 2 * H:] = rhs.reshape(N * T, H).T @ dA2[:, 2 * H:]
        return _input_grads(xs, dA, Wx, self.grads[0], self.grads[2])


# ---------------------------------------------------------------------------------------------
# Embedding, Affine, loss and dropout over time
# ---------------------------------------------------------------------------------------------

class TimeEmbedding(Embedding):
    """out[n, t] = W[xs[n, t]]: the word vectors of a batch of id sequences.

    xs: (N, T) int ids -> out: (N, T, D), with W: (V, D).  Ids are checked (integers in [0, V)).
    Backward: dW[v] = sum of the dout rows whose id is v (``common.layers.Embedding``); returns None.

    dropout_ratio = p > 0 drops whole word types (Gal & Ghahramani's embedding dropout): each
    forward call with ``train_flg`` True draws a mask m: (N, V) of 1/(1-p) and 0 from ``rng`` (a
    numpy Generator; a fresh unseeded one when omitted), one row per sequence, and
    out[n, t] = W[xs[n, t]] * m[n, xs[n, t]]: a dropped word is a zero vector at every step of
    that sequence.  Backward scales the dout rows the same way before adding them.
    """

    def __init__(self, W, dropout_ratio=0.0, rng=None):
        super().__init__(W)
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f'dropout_ratio must lie in [0, 1), got {dropout_ratio}')
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else np.random.default_rng()
        self.train_flg = True
        self.scale = None  # m[n, xs[n, t]]: (N, T, 1), or None without dropout

    def forward(self, xs):
        check_ndim(xs, 2, 'TimeEmbedding input xs', '(N, T) word ids')
        check_not_empty(xs, 'TimeEmbedding input xs', '(N, T) word ids')
        out = super().forward(xs)
        self.scale = None
        if self.train_flg and self.dropout_ratio > 0:
            W, = self.params
            N = xs.shape[0]
            keep = bernoulli_keep_mask(self.rng, W, self.dropout_ratio, (N, W.shape[0]))
            self.scale = keep[array_module(keep).arange(N)[:, None], xs][..., None]
            out *= self.scale
        return out

    def backward(self, dout):
        super().backward(dout if self.scale is None else dout * self.scale)


class TimeAffine(Affine):
    """ys = xs W + b at every time step, as ONE matrix product over all N*T positions.

    xs: (N, T, D), W: (D, M), b: (M,) -> ys: (N, T, M).
    Backward: dW = xs^T dys, db = sum dys, dxs = dys W^T (each one product over all positions).
    W may be a transposed view (tied weights ``embed_W.T``); its gradient keeps that layout.
    """

    def forward(self, xs):
        W, b = self.params
        self.x = _as_sequence(xs, W, 'TimeAffine')
        return _input_projection(self.x, W, b)

    @needs_forward('x')
    def backward(self, dys):
        W, _ = self.params
        return _input_grads(self.x, dys, W, self.grads[0], self.grads[1])


class TimeSoftmaxWithLoss:
    """L = -(1 / |P|) sum_{(n,t) in P} log softmax(xs[n, t])[ts[n, t]],  P = {(n,t): ts[n,t] != ignore_label}.

    xs: (N, T, V) logits; ts: (N, T) label ids (or (N, T, V) one-hot) -> L: float.  Computed with
    an exact log-softmax (the max is subtracted; no epsilon), so it is finite for any logits.
    backward(dout=1) -> dxs: (N, T, V) = dout (softmax(xs) - onehot(ts)) / |P|, zero at ignored
    positions.  To save memory passes, forward keeps exp(xs - max) in a buffer of its own and
    backward turns that buffer into dxs in place: call forward before each backward.
    """

    def __init__(self, ignore_label=-1):
        self.params, self.grads = [], []
        self.ignore_label = ignore_label
        self.cache = None

    def forward(self, xs, ts):
        xp = array_module(xs)
        check_ndim(xs, 3, 'TimeSoftmaxWithLoss logits xs', '(N, T, V)')
        check_not_empty(xs, 'TimeSoftmaxWithLoss logits xs', '(N, T, V)')
        N, T, V = xs.shape
        if ts.ndim == 3:  # one-hot labels -> label ids
            check_one_hot(ts)
            ts = ts.argmax(axis=2)
        if ts.shape != (N, T):
            raise ValueError(f'labels ts must have shape (N, T) = {(N, T)} (or one-hot {(N, T, V)}), '
                             f'got {ts.shape}')
        ts = ts.reshape(N * T)
        valid = ts != self.ignore_label
        check_ids(ts[valid], V, 'label')
        rows, labels = xp.arange(N * T), xp.where(valid, ts, 0)
        x = xs.reshape(N * T, V)
        exp_shifted = xp.subtract(x, x.max(axis=1, keepdims=True), dtype=x.dtype)
        picked = exp_shifted[rows, labels]  # log-softmax numerator: x_label - max
        xp.exp(exp_shifted, out=exp_shifted)
        sums = exp_shifted.sum(axis=1)
        count = max(int(valid.sum()), 1)
        loss = float(((xp.log(sums) - picked) * valid).sum()) / count
        self.cache = (exp_shifted, sums, rows, labels, valid, count, xs.shape)
        return loss

    def backward(self, dout=1):
        if self.cache is None:
            raise RuntimeError('TimeSoftmaxWithLoss.backward needs a forward first (backward '
                               'reuses the forward buffer, so call forward before each backward)')
        dxs, sums, rows, labels, valid, count, shape = self.cache
        self.cache = None
        weight = valid * (dout / count)  # d L / d loss_(n,t): 0 where ignored
        dxs *= (weight / sums).astype(dxs.dtype)[:, None]  # softmax, scaled
        dxs[rows, labels] -= weight.astype(dxs.dtype)
        return dxs.reshape(shape)


class TimeDropout(Dropout):
    """Inverted dropout over sequences: ys = xs * m / (1 - p) at train time, ys = xs at test time.

    xs: (N, T, D) -> ys: (N, T, D).  ``train_flg`` (attribute, as in the book) switches it.
    variational=True draws one mask per sequence, shape (N, 1, D), shared by all T steps (the
    variational dropout of Gal & Ghahramani); otherwise every entry has its own mask.
    ``rng``: numpy Generator (seed it for reproducible masks).  Backward: dxs = dys * m / (1 - p).
    """

    def __init__(self, dropout_ratio=0.5, rng=None, variational=False):
        super().__init__(dropout_ratio, rng)
        self.variational = variational
        self.train_flg = True

    def forward(self, xs):
        self.dropping = bool(self.train_flg) and self.dropout_ratio > 0
        if not self.dropping:
            self.mask = None
            return xs
        shape = None
        if self.variational:
            check_ndim(xs, 3, 'TimeDropout input xs (variational)', '(N, T, D)')
            shape = (xs.shape[0], 1, xs.shape[2])
        self.mask = bernoulli_keep_mask(self.rng, xs, self.dropout_ratio, shape)
        return xs * self.mask


class TimeBiLSTM:
    """Bidirectional LSTM: one TimeLSTM reads xs forwards, a second reads it backwards.

    hs = [forward TimeLSTM(xs), reverse(backward TimeLSTM(reverse(xs)))] concatenated on the
    feature axis.  xs: (N, T, D) -> hs: (N, T, 2H); backward(dhs: (N, T, 2H)) -> dxs: (N, T, D).
    """
    param_names = ('Wx1', 'Wh1', 'b1', 'Wx2', 'Wh2', 'b2')

    def __init__(self, Wx1, Wh1, b1, Wx2, Wh2, b2, stateful=False):
        self.forward_lstm = TimeLSTM(Wx1, Wh1, b1, stateful)
        self.backward_lstm = TimeLSTM(Wx2, Wh2, b2, stateful)
        self.params = self.forward_lstm.params + self.backward_lstm.params
        self.grads = self.forward_lstm.grads + self.backward_lstm.grads

    def forward(self, xs):
        hs_forward = self.forward_lstm.forward(xs)
        hs_backward = self.backward_lstm.forward(xs[:, ::-1])[:, ::-1]
        return array_module(hs_forward).concatenate([hs_forward, hs_backward], axis=2)

    @needs_forward('forward_lstm.cache')
    def backward(self, dhs):
        H = dhs.shape[2] // 2
        dxs = self.forward_lstm.backward(dhs[:, :, :H])
        dxs += self.backward_lstm.backward(dhs[:, ::-1, H:])[:, ::-1]
        return dxs

    def reset_state(self):
        self.forward_lstm.reset_state()
        self.backward_lstm.reset_state()

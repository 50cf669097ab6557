"""Optimizers (book chapter 1 and volume 1, chapter 6): ``update(params, grads)`` in place.

Each updates the parameter arrays themselves (``param -= ...``), so layers that hold the same
arrays see the new values.  State (velocities, moments) is created on the first call, one
buffer per parameter, in the parameter's dtype.

Each optimizer names its state, so that a training run can be saved and resumed exactly
(``optimizer_state`` / ``load_optimizer_state``): ``state_buffers``, the attributes holding one
buffer per parameter (None before the first step), and ``state_scalars``, the numbers (Adam's
step count); the learning rate ``lr`` is state too (a run may decay it).
Scratch buffers are not state: they are rewritten before they are read.
"""
import math

from common.backend import array_module


class SGD:
    """W <- W - lr * dL/dW.

    lr * dL/dW is written into a scratch buffer kept per parameter, so a step allocates nothing.
    """

    state_buffers = ()
    state_scalars = ()

    def __init__(self, lr=0.01):
        self.lr = lr
        self.scratch = None

    def update(self, params, grads):
        check_pairs(params, grads)
        if self.scratch is None or len(self.scratch) != len(params):
            self.scratch = [array_module(p).empty_like(p) for p in params]
        for param, grad, step in zip(params, grads, self.scratch):
            array_module(param).multiply(grad, self.lr, out=step)
            param -= step


class Momentum:
    """v <- momentum * v - lr * dL/dW;  W <- W + v."""
    state_buffers = ('v',)
    state_scalars = ()

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = None

    def update(self, params, grads):
        check_pairs(params, grads)
        if self.v is None:
            self.v = zeros_like_each(params)
        for param, grad, v in zip(params, grads, self.v):
            v *= self.momentum
            v -= self.lr * grad
            self.step(param, grad, v)

    def step(self, param, grad, v):
        param += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient (the look-ahead form used in the book's code).

    v <- momentum * v - lr * g;  W <- W + momentum^2 * v_old - (1 + momentum) * lr * g,
    which equals W <- W + momentum * v_new - lr * g.
    """

    def step(self, param, grad, v):
        param += self.momentum * v - self.lr * grad


class AdaGrad:
    """h <- h + g * g;  W <- W - lr * g / (sqrt(h) + 1e-7)."""
    state_buffers = ('h',)
    state_scalars = ()

    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        check_pairs(params, grads)
        if self.h is None:
            self.h = zeros_like_each(params)
        for param, grad, h in zip(params, grads, self.h):
            self.accumulate(h, grad)
            param -= self.lr * grad / (array_module(h).sqrt(h) + 1e-7)

    def accumulate(self, h, grad):
        h += grad * grad


class RMSprop(AdaGrad):
    """h <- rho * h + (1 - rho) * g * g;  W <- W - lr * g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr=0.01, decay_rate=0.99):
        super().__init__(lr)
        self.decay_rate = decay_rate

    def accumulate(self, h, grad):
        h *= self.decay_rate
        h += (1 - self.decay_rate) * grad * grad


class Adam:
    """Adam (Kingma & Ba), with the bias correction folded into the step size:

    m <- m + (1 - beta1)(g - m);  v <- v + (1 - beta2)(g^2 - v);
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);  W <- W - lr_t * m / (sqrt(v) + 1e-7).
    """
    state_buffers = ('m', 'v')
    state_scalars = ('iter',)

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m = None
        self.v = None
        self.scratch = None

    def update(self, params, grads):
        check_pairs(params, grads)
        if self.m is None:
            self.m, self.v = zeros_like_each(params), zeros_like_each(params)
        if self.scratch is None:  # also after the moments were restored by a resumed run
            self.scratch = [array_module(p).empty_like(p) for p in params]
        self.iter += 1
        lr_t = self.lr * (1 - self.beta2 ** self.iter) ** 0.5 / (1 - self.beta1 ** self.iter)
        for param, grad, m, v, tmp in zip(params, grads, self.m, self.v, self.scratch):
            xp = array_module(param)
            # The same formulas, computed in a scratch buffer: a step allocates nothing.
            xp.subtract(grad, m, out=tmp)
            tmp *= 1 - self.beta1
            m += tmp  # m += (1 - beta1)(g - m)
            xp.multiply(grad, grad, out=tmp)
            tmp -= v
            tmp *= 1 - self.beta2
            v += tmp  # v += (1 - beta2)(g^2 - v)
            xp.sqrt(v, out=tmp)
            tmp += self.denominator_eps()
            xp.divide(m, tmp, out=tmp)
            tmp *= lr_t
            param -= tmp  # W -= lr_t m / (sqrt(v) + eps)

    def denominator_eps(self):
        """The constant added to sqrt(v) (the book's 1e-7)."""
        return 1e-7


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before the Adam step,

        W <- W - lr * weight_decay * W        for weight matrices only,

    then the ``Adam`` step with the same lr, in PyTorch's form: W <- W - lr m_hat / (sqrt(v_hat)
    + 1e-8) with m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t) (``Adam`` adds the book's
    1e-7 to sqrt(v) instead).  The decay is "decoupled": it shrinks the weights directly instead
    of being added to the gradient, so Adam's per-entry scaling does not weaken it.  A parameter counts as a weight matrix when it has two or more dimensions (``ndim >= 2``:
    the W of every Affine and attention projection, embedding tables); vectors (biases, LayerNorm
    gains and shifts) are never decayed.  ``lr`` may be changed between steps (a schedule); the
    decay uses the current one, as PyTorch's AdamW does.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, weight_decay=0.01):
        super().__init__(lr, beta1, beta2)
        self.weight_decay = weight_decay

    def update(self, params, grads):
        check_pairs(params, grads)  # before the decay changes anything
        if self.weight_decay:
            shrink = 1 - self.lr * self.weight_decay
            for param in params:
                if param.ndim >= 2:
                    param *= shrink
        super().update(params, grads)

    def denominator_eps(self):
        """1e-8 added to sqrt(v_hat) is 1e-8 sqrt(1 - beta2^t) added to sqrt(v)."""
        return 1e-8 * (1 - self.beta2 ** self.iter) ** 0.5


class WarmupCosineSchedule:
    """Learning rate of step s = 0, 1, ..., total_steps - 1: a linear warm-up, then a cosine decay.

        s < warmup:  lr(s) = peak_lr (s + 1) / warmup_steps
        s >= warmup: lr(s) = min_lr + (peak_lr - min_lr) (1 + cos(pi p)) / 2,
                     p = (s + 1 - warmup_steps) / (total_steps - warmup_steps)

    so the last warm-up step uses peak_lr and the last step uses min_lr; steps past the end keep
    min_lr.  ``step(optimizer)`` sets ``optimizer.lr`` for the next update and counts the step
    (``steps_done``, which a resumed run restores).
    """

    def __init__(self, peak_lr, warmup_steps, total_steps, min_lr=0.0):
        if not 0 <= warmup_steps <= total_steps or total_steps < 1:
            raise ValueError(f'need 0 <= warmup_steps <= total_steps and total_steps >= 1, got '
                             f'warmup_steps={warmup_steps}, total_steps={total_steps}')
        self.peak_lr, self.min_lr = peak_lr, min_lr
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.steps_done = 0

    def __call__(self, s):
        if s < self.warmup_steps:
            return self.peak_lr * (s + 1) / self.warmup_steps
        progress = min(1.0, (s + 1 - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        return self.min_lr + (self.peak_lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2

    def step(self, optimizer):
        """optimizer.lr <- lr(steps_done); steps_done += 1.  Call once before each update."""
        optimizer.lr = self(self.steps_done)
        self.steps_done += 1

    def state_dict(self):
        """The schedule's shape and its position: a resumed run must have the same shape."""
        return {'peak_lr': self.peak_lr, 'min_lr': self.min_lr, 'warmup_steps': self.warmup_steps,
                'total_steps': self.total_steps, 'steps_done': self.steps_done}

    def load_state_dict(self, state):
        """Continue at the saved step; ValueError when the saved schedule has another shape (a
        run resumed with other --epochs or --lr would silently follow another curve)."""
        mine = self.state_dict()
        differences = [f'{key} saved {state[key]!r}, now {mine[key]!r}' for key in mine
                       if key != 'steps_done' and state[key] != mine[key]]
        if differences:
            raise ValueError('the saved run follows another learning-rate schedule ('
                             + '; '.join(differences) + '): resume with the settings it was started with')
        self.steps_done = state['steps_done']


def check_pairs(params, grads):
    """ValueError unless ``grads`` has one array of each parameter's shape, in the same order
    (a shorter list would leave some parameters silently unchanged)."""
    if len(params) != len(grads):
        raise ValueError(f'update() got {len(params)} parameters but {len(grads)} gradients: pass '
                         'model.params and model.grads, one gradient per parameter')
    for index, (param, grad) in enumerate(zip(params, grads)):
        if param.shape != grad.shape:
            raise ValueError(f'update(): gradient {index} has shape {grad.shape}, its parameter '
                             f'{param.shape}')


def optimizer_state(optimizer):
    """What a resumed run needs of ``optimizer`` -> {'lr': ..., scalar name: value, buffer name:
    [one array per parameter] or None}, from its ``state_scalars`` and ``state_buffers``."""
    state = {'lr': optimizer.lr}
    state.update({name: getattr(optimizer, name) for name in optimizer.state_scalars})
    state.update({name: getattr(optimizer, name) for name in optimizer.state_buffers})
    return state


def load_optimizer_state(optimizer, state, params):
    """Give ``optimizer`` back what ``optimizer_state`` returned: every buffer list in the dtype
    and array module of ``params`` (one buffer per parameter, checked), and every scalar."""
    for name in optimizer.state_buffers:
        buffers = state[name]
        if buffers is not None:
            if len(buffers) != len(params) or any(b.shape != p.shape for b, p in zip(buffers, params)):
                raise ValueError(f'the saved optimizer state {name!r} does not fit the parameters')
            buffers = [array_module(p).asarray(b, dtype=p.dtype) for b, p in zip(buffers, params)]
        setattr(optimizer, name, buffers)
    for name in ('lr', *optimizer.state_scalars):
        setattr(optimizer, name, state[name])


def zeros_like_each(params):
    """A zero buffer (state) for every parameter, same shape, dtype and array module."""
    return [array_module(p).zeros_like(p) for p in params]

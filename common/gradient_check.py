"""Numerical gradients for checking backward passes (used by the tests).

The central difference (f(x + h) - f(x - h)) / 2h has error O(h^2); in float64 with h = 1e-6 it
agrees with a correct analytic gradient to about 1e-8 relative, so a relative error above 1e-6
means the backward pass is wrong.
"""
import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    """df/dx by central differences.

    f: callable with no arguments returning a float that reads ``x``; x: float64 array, perturbed
    in place one entry at a time and restored -> gradient with the shape of x.
    """
    if x.dtype != np.float64:
        raise TypeError(f'numerical gradients need float64 arrays, got {x.dtype}')
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):  # indexes x itself, so any memory layout (x = W.T) works
        original = x[index]
        x[index] = original + eps
        f_plus = f()
        x[index] = original - eps
        f_minus = f()
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """max |a - n| / max(|a| + |n|) over all entries: 0 for equal arrays, 1 for opposite ones."""
    scale = np.abs(analytic).max() + np.abs(numeric).max()
    if scale == 0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def check_gradients(loss, arrays, analytic_grads, eps=1e-6, zero_atol=None):
    """Largest relative error between analytic gradients and numerical gradients of ``loss``.

    loss: callable () -> float that reads ``arrays``; arrays: float64 arrays (inputs and
    parameters); analytic_grads: the gradients the backward pass gave for them, same order.
    zero_atol: for gradients that are exactly zero in theory (an attention key bias: softmax
    ignores a shift shared by all keys), where the relative error of two rounding noises means
    nothing.  A gradient whose numerical values all lie below zero_atol in size counts as error 0
    if the analytic one does too, else 1.
    """
    errors = []
    for x, analytic in zip(arrays, analytic_grads):
        numeric = numerical_gradient(loss, x, eps)
        if zero_atol is not None and np.abs(numeric).max() < zero_atol:
            errors.append(0.0 if np.abs(analytic).max() < zero_atol else 1.0)
        else:
            errors.append(relative_error(analytic, numeric))
    return max(errors)

"""Truncated SVD by random projection (chapter 2: 100-dimensional word vectors from PPMI).

A full SVD of the 10,000 x 10,000 PTB PPMI matrix costs O(V^3); the book calls scikit-learn's
``randomized_svd`` instead.  This is the same algorithm (Halko, Martinsson & Tropp, 2011) in NumPy.
"""
import numpy as np


def randomized_svd(M, n_components, n_oversamples=10, n_iter=5, rng=None):
    """The ``n_components`` largest singular triplets of M, M ~= U diag(S) Vt.

    1. Range finder: Y = M Omega with a Gaussian test matrix Omega: (n, k + p), and
       Q = orth(Y), so that Q Q^T M ~= M.
    2. ``n_iter`` power iterations Q <- orth(M orth(M^T Q)) sharpen Q towards the top singular
       vectors (the spectrum is raised to the power 2 n_iter + 1); QR after every product keeps
       the columns from collapsing onto the first singular vector in floating point.
    3. B = Q^T M: (k + p, n) is small: its exact SVD B = U_B S Vt gives U = Q U_B.

    M: (m, n) float array; n_components k <= min(m, n); n_oversamples p: extra columns that make
    the range estimate reliable; rng: numpy Generator or seed for Omega.
    Returns U: (m, k), S: (k,) in decreasing order, Vt: (k, n), in the dtype of M.
    """
    M = np.asarray(M)
    if M.ndim != 2:
        raise ValueError(f'M must be a 2-D matrix (m, n), got shape {M.shape}')
    if not 1 <= n_components <= min(M.shape):
        raise ValueError(f'n_components must lie in 1..min(m, n) = {min(M.shape)} for a matrix '
                         f'of shape {M.shape}, got {n_components}')
    if n_oversamples < 0 or n_iter < 0:
        raise ValueError(f'n_oversamples and n_iter must be >= 0, got {n_oversamples} and {n_iter}')
    dtype = M.dtype if M.dtype in (np.float32, np.float64) else np.float64
    M = M.astype(dtype, copy=False)
    rng = np.random.default_rng(rng)
    size = min(n_components + n_oversamples, *M.shape)

    omega = rng.standard_normal((M.shape[1], size)).astype(dtype)
    Q, _ = np.linalg.qr(M @ omega)
    for _ in range(n_iter):
        Q, _ = np.linalg.qr(M.T @ Q)
        Q, _ = np.linalg.qr(M @ Q)

    U_small, S, Vt = np.linalg.svd(Q.T @ M, full_matrices=False)
    U = Q @ U_small
    return U[:, :n_components], S[:n_components], Vt[:n_components]

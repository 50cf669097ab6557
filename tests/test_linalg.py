"""common.linalg.randomized_svd against NumPy's exact SVD."""
import numpy as np
import pytest

from common.linalg import randomized_svd


def low_rank_plus_noise(rng, m=300, n=200, rank=15, noise=1e-3):
    """M = A diag(s) B^T + noise: singular values 100, 90, ... (well separated), then ~noise."""
    A, _ = np.linalg.qr(rng.standard_normal((m, rank)))
    B, _ = np.linalg.qr(rng.standard_normal((n, rank)))
    s = 100.0 * 0.9 ** np.arange(rank)
    return (A * s) @ B.T + noise * rng.standard_normal((m, n))


def test_top_singular_values_and_subspaces_match_exact_svd():
    rng = np.random.default_rng(0)
    M = low_rank_plus_noise(rng)
    k = 10
    U, S, Vt = randomized_svd(M, k, rng=1)
    U_exact, S_exact, Vt_exact = np.linalg.svd(M, full_matrices=False)
    assert U.shape == (300, k) and S.shape == (k,) and Vt.shape == (k, 200)
    np.testing.assert_allclose(S, S_exact[:k], rtol=1e-10)
    # singular vectors are defined up to sign: |<u, u_exact>| = 1
    np.testing.assert_allclose(np.abs((U * U_exact[:, :k]).sum(axis=0)), 1, atol=1e-10)
    np.testing.assert_allclose(np.abs((Vt * Vt_exact[:k]).sum(axis=1)), 1, atol=1e-10)


def test_factors_are_orthonormal_and_reconstruct_the_best_rank_k_approximation():
    rng = np.random.default_rng(2)
    M = low_rank_plus_noise(rng, m=120, n=250, rank=8, noise=0.05)
    k = 8
    U, S, Vt = randomized_svd(M, k, rng=3)
    np.testing.assert_allclose(U.T @ U, np.eye(k), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(k), atol=1e-12)
    assert np.all(np.diff(S) <= 0)
    U_exact, S_exact, Vt_exact = np.linalg.svd(M, full_matrices=False)
    best = (U_exact[:, :k] * S_exact[:k]) @ Vt_exact[:k]
    np.testing.assert_allclose((U * S) @ Vt, best, atol=1e-9)


def test_float32_input_gives_float32_factors_and_seeds_reproduce():
    M = low_rank_plus_noise(np.random.default_rng(4)).astype(np.float32)
    U, S, Vt = randomized_svd(M, 5, rng=7)
    assert U.dtype == S.dtype == Vt.dtype == np.float32
    np.testing.assert_allclose(S, np.linalg.svd(M.astype(np.float64), compute_uv=False)[:5],
                               rtol=1e-5)
    U2, S2, Vt2 = randomized_svd(M, 5, rng=7)
    np.testing.assert_array_equal(U, U2)
    np.testing.assert_array_equal(Vt, Vt2)


def test_without_power_iterations_a_flat_spectrum_is_less_accurate():
    """The power iterations are what make the estimate tight when the spectrum decays slowly."""
    rng = np.random.default_rng(5)
    M = rng.standard_normal((200, 200)) + np.diag(np.linspace(30, 10, 200))
    S_exact = np.linalg.svd(M, compute_uv=False)[:10]
    error = {n_iter: np.abs(randomized_svd(M, 10, n_iter=n_iter, rng=0)[1] - S_exact).max()
             for n_iter in (0, 5)}
    assert error[5] < error[0] / 3


@pytest.mark.parametrize('shape, k, match', [((10,), 2, '2-D'), ((5, 8), 0, 'n_components'),
                                             ((5, 8), 6, 'n_components')])
def test_bad_input_is_rejected_with_a_clear_error(shape, k, match):
    with pytest.raises(ValueError, match=match):
        randomized_svd(np.ones(shape), k)

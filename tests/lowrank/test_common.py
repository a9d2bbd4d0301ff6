"""The thin QR shared by rsvd and nystrom (CholeskyQR2 with a Householder fallback)."""

import array_api_compat.numpy as xpn
import numpy as np
import pytest

from nla.lowrank._common import qr_thin


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("log_kappa", [0, 3, 5, 6, 8, 9, 10, 12])
def test_qr_thin(dtype, log_kappa):
    # Whatever the route (CholeskyQR2 below kappa ~ eps^-1/2, Householder
    # above), a QR is backward stable: ||Q^T Q - I|| and ||Q R - L|| / ||L||
    # are O(r eps) with a modest constant; 100 r eps is the acceptance bound.
    rng = np.random.default_rng(log_kappa)
    m, r = 500, 12
    U, _ = np.linalg.qr(rng.standard_normal((m, r)))
    V, _ = np.linalg.qr(rng.standard_normal((r, r)))
    L = ((U * np.logspace(0, -log_kappa, r)) @ V).astype(dtype)
    Q, R = qr_thin(L, xpn)
    eps = np.finfo(dtype).eps
    assert Q.dtype == R.dtype == dtype and Q.shape == (m, r) and R.shape == (r, r)
    assert np.array_equal(R, np.triu(R))
    assert np.max(np.abs(Q.T @ Q - np.eye(r))) <= 100 * r * eps
    assert np.linalg.norm(Q @ R - L) <= 100 * r * eps * np.linalg.norm(L)

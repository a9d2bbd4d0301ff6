"""Kernel cases of the Krylov family (see tests/test_kernels.py)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tests.test_kernels import KernelCase


def _laplacian(n, dtype):
    A = sp.diags_array([-1.0, 2.5, -1.0], offsets=[-1, 0, 1], shape=(n, n), format="csr")
    return A.astype(dtype)


def _cg(rng, dtype):
    n = 40
    A = _laplacian(n, dtype)
    b = rng.standard_normal(n)
    W = np.linalg.qr(rng.standard_normal((n, 3)))[0].T.copy()
    AW = (A @ W.T).T.copy()
    # W^T A W = I: rescale through the Cholesky factor
    L = np.linalg.cholesky(W @ AW.T)
    W = np.linalg.solve(L, W)
    AW = np.linalg.solve(L, AW)
    dinv = 1.0 / A.diagonal()
    x0 = (W @ b) @ W  # deflated CG starts with W^T r0 = 0
    return (A.indptr.astype(np.uint32), A.indices.astype(np.uint32), A.data, dinv, b,
            x0, W, AW, 1e-6 * np.linalg.norm(b), 200, 4)


CASES = {
    "krylov.cg": KernelCase(_cg, dtypes=("float64",)),
}

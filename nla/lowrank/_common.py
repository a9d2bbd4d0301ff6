"""What only the low-rank family needs: its input checks and the power-iteration step.

Everything general (namespaces, host copies, dtypes, thin QR, products with
sparse matrices and LinearOperators, numerical rank) comes from
:mod:`nla._backend` and :mod:`nla._validate`.
"""

from __future__ import annotations

import numpy as np

from .._backend import is_cupy_sparse, is_numpy_namespace, linalg_module, orth
from .._validate import check_matrix, check_rank

__all__ = ["check_lowrank_matrix", "check_target_rank", "normalize_columns"]


def check_lowrank_matrix(A, func, name="A", *, allow_operator=False, check_finite=True):
    """:func:`nla._validate.check_matrix`, refusing ``cupyx.scipy.sparse`` input.

    The family's sparse paths (column scaling, row and column extraction,
    sketches of sparse input) are written for ``scipy.sparse``; a
    ``cupyx.scipy.sparse`` matrix raises a TypeError naming `name` and
    `func` instead of failing somewhere inside.
    """
    if is_cupy_sparse(A):
        raise TypeError(
            f"{func}: {name} must be a dense array, a scipy.sparse matrix or a "
            f"LinearOperator; cupyx.scipy.sparse input is not supported (pass "
            f"{name}.toarray() for a dense CuPy array, or {name}.get() for "
            "scipy.sparse on the host)"
        )
    return check_matrix(A, name, allow_operator=allow_operator, check_finite=check_finite)


def check_target_rank(k, A, name="k"):
    """``1 <= k <= min(A.shape)``."""
    return check_rank(k, name, min(A.shape))


def normalize_columns(Y, xp):
    """A well-conditioned basis of range(Y) for power iterations.

    NumPy: the Householder QR of ``numpy.linalg``, which keeps the power
    iteration within NumPy's BLAS library between the products with A (the
    cheaper LU of SciPy runs in a second one; see the benchmark docs). Other
    libraries with an LU (CuPy) use its unit lower-triangular factor, the
    rest a thin QR.
    """
    if is_numpy_namespace(xp) and isinstance(Y, np.ndarray):
        return np.linalg.qr(Y)[0]
    mod = linalg_module(xp)
    if mod is not None and hasattr(mod, "lu"):
        L, _ = mod.lu(Y, permute_l=True, check_finite=False)
        return L
    return orth(Y, xp)

"""What the Krylov solvers share: input checks, operators, results, recycle spaces.

The solvers run on NumPy: a matrix argument is a dense NumPy array, a
scipy.sparse matrix or array, or a :class:`scipy.sparse.linalg.LinearOperator`.
float32 (complex64) problems are solved in float64 (complex128) and the
solution is rounded to the input's precision at the end.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import scipy.sparse as sp
from scipy.linalg import get_blas_funcs

from .._backend import array_namespace, is_numpy_namespace, is_operator, is_sparse
from .._validate import check_array, check_matrix, check_real

__all__ = ["KrylovInfo", "Recycle"]


@dataclasses.dataclass(frozen=True)
class Recycle:
    """A recycle space carried from one solve to the next (treat as opaque).

    Attributes
    ----------
    U, C : ndarray, shape (n, k)
        Deflation basis with ``A U = C`` for the matrix of the solve that
        built it (``A M U = C`` for GCRO-DR with a preconditioner M).
        GCRO-DR keeps ``C^H C = I``; recycled CG keeps ``U`` A-orthonormal
        (``U^H C = I``).
    Z, AZ : ndarray, shape (n, s)
        The last ``s`` solutions (newest first) and their images ``A Z``,
        used for the initial guess of the next solve.
    method : str
        ``"gcrodr"`` or ``"cg"``: the solver that built it.
    n : int
        Order of the systems it belongs to.
    """

    U: np.ndarray | None
    C: np.ndarray | None
    Z: np.ndarray | None
    AZ: np.ndarray | None
    method: str
    n: int


@dataclasses.dataclass(frozen=True)
class KrylovInfo:
    """What a Krylov solve did.

    Attributes
    ----------
    converged : bool
        The true residual ``||b - A x||`` met the tolerance.
    matvecs : int
        Products with A (recycle updates, initial guesses and the final
        residual check included).
    iterations : int
        Krylov iterations (Arnoldi steps for GCRO-DR, CG steps).
    residual_norm : float
        ``||b - A x||``, recomputed at the end from the returned iterate
        (before rounding to float32 for float32 input).
    residuals : ndarray
        Residual norms along the iteration (the first entry is that of the
        initial guess; GCRO-DR records one entry per cycle, CG one per step).
    recycle : Recycle or None
        Pass it as ``recycle=`` to the next solve.
    """

    converged: bool
    matvecs: int
    iterations: int
    residual_norm: float
    residuals: np.ndarray
    recycle: Recycle | None


# ---------------------------------------------------------------- operators

_NRM2 = {}


def nrm2(v):
    """Overflow- and underflow-safe 2-norm of a vector (BLAS nrm2)."""
    f = _NRM2.get(v.dtype.char)
    if f is None:
        f = _NRM2[v.dtype.char] = get_blas_funcs("nrm2", dtype=v.dtype)
    return float(f(v))


def _pow2_scale(value):
    """A power of two near 1 / `value` (exact rescaling)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    return float(np.ldexp(1.0, -int(np.frexp(value)[1])))


class Operator:
    """A matrix argument prepared for repeated products in the work dtype.

    Attributes: ``kind`` ("dense", "sparse" or "operator"), ``mat`` (the
    dense array or CSR array in the work dtype), ``op`` (the
    LinearOperator), ``scale`` (a power of two the matrix was multiplied
    by, 1 unless a preconditioner was rescaled), ``diag`` (the diagonal of
    a diagonal sparse matrix, else None).
    """

    def __init__(self, A, name, n, dtype, *, rescale=False):
        self.name = name
        self.dtype = dtype
        self.scale = 1.0
        self.diag = None
        self.csr32 = None
        if is_operator(A):
            self.kind, self.op, self.mat = "operator", A, None
            return
        if is_sparse(A):
            self.kind = "sparse"
            mat = sp.csr_array(A, dtype=dtype)  # shares A's arrays: never written
            if mat.nnz and _is_diagonal(mat):
                rows = np.repeat(np.arange(n), np.diff(mat.indptr))
                d = np.zeros(n, dtype)
                np.add.at(d, rows, mat.data)
                self.diag = d
        else:
            self.kind = "dense"
            mat = np.ascontiguousarray(A, dtype=dtype)
        if rescale:
            top = float(np.max(np.abs(mat.data if self.kind == "sparse" else mat), initial=0.0))
            self.scale = _pow2_scale(top)
            if self.scale != 1.0:
                mat = mat * self.scale
                if self.diag is not None:
                    self.diag = self.diag * self.scale
        self.mat = mat

    def matvec(self, v):
        if self.diag is not None:
            return self.diag * v
        if self.kind == "operator":
            out = np.asarray(self.op.matvec(v))
            return out.reshape(-1).astype(self.dtype, copy=False)
        return self.mat @ v

    def matmat(self, V):
        """Products with the columns of V (n, k)."""
        if self.diag is not None:
            return self.diag[:, None] * V
        if self.kind == "operator":
            out = np.asarray(self.op.matmat(V))
            return out.reshape(V.shape[0], -1).astype(self.dtype, copy=False)
        return np.asarray(self.mat @ V)

    def csr_uint(self):
        """(indptr, indices, data) with unsigned 32-bit indices (sparse only)."""
        if self.csr32 is None:
            m = self.mat
            if m.nnz >= 2**32 or m.shape[0] >= 2**32:
                return None
            self.csr32 = (
                m.indptr.astype(np.uint32),
                m.indices.astype(np.uint32),
                np.ascontiguousarray(m.data),
            )
        return self.csr32


def _is_diagonal(mat):
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    return bool(np.array_equal(rows, mat.indices))


def _numpy_only(x, name):
    xp = array_namespace(x) if not (is_sparse(x) or is_operator(x)) else None
    if xp is not None and not is_numpy_namespace(xp):
        raise TypeError(
            f"{name} is a {xp.__name__} array; the Krylov solvers run on NumPy, "
            "scipy.sparse and LinearOperator input only (SciPy's sparse products "
            "and Numba kernels): convert it to NumPy first"
        )


def check_system(A, b, x0, M, *, complex_ok=True):
    """Validate ``A x = b`` with optional `x0` and `M`.

    Returns ``(A, b, x0, M, work_dtype, out_dtype)`` with `A` and `M` checked
    (not yet converted) and `b`, `x0` NumPy vectors.
    """
    for value, name in ((A, "A"), (b, "b"), (x0, "x0"), (M, "M")):
        if value is not None and not isinstance(value, (list, tuple)):
            if not (is_sparse(value) or is_operator(value)):
                try:
                    array_namespace(value)
                except TypeError:
                    continue
            _numpy_only(value, name)
    A, _ = check_matrix(A, "A", allow_operator=True, allow_complex=complex_ok)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {tuple(A.shape)}")
    n = A.shape[0]
    b = check_array(b, "b", ndim=1, allow_complex=True)
    if b.shape[0] != n:
        raise ValueError(f"b must have length {n} (the order of A), got shape {tuple(b.shape)}")
    if x0 is not None:
        x0 = check_array(x0, "x0", ndim=1, allow_complex=True)
        if x0.shape[0] != n:
            raise ValueError(f"x0 must have length {n}, got shape {tuple(x0.shape)}")
    if M is not None:
        M, _ = check_matrix(M, "M", allow_operator=True, allow_complex=complex_ok)
        if tuple(M.shape) != (n, n):
            raise ValueError(f"M must have shape ({n}, {n}) like A, got {tuple(M.shape)}")
    out = np.result_type(*(np.dtype(a.dtype) for a in (A, b, x0, M) if a is not None))
    if out.kind not in "fc":
        out = np.dtype(np.float64)
    work = np.dtype(np.complex128) if out.kind == "c" else np.dtype(np.float64)
    return A, b, x0, M, work, out


def check_tolerances(rtol, atol, maxiter, n):
    rtol = check_real(rtol, "rtol", low=0.0, high=1.0, high_open=True)
    atol = check_real(atol, "atol", low=0.0)
    if rtol == 0.0 and atol == 0.0:
        raise ValueError("rtol and atol are both 0: give a positive tolerance")
    if maxiter is None:
        maxiter = 10 * n
    elif isinstance(maxiter, (bool, np.bool_)) or not isinstance(maxiter, numbers.Integral):
        raise TypeError(f"maxiter must be an integer or None, got {maxiter!r}")
    elif maxiter < 1:
        raise ValueError(f"maxiter must be >= 1, got {maxiter}")
    return rtol, atol, int(maxiter)


def check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    return callback


# ---------------------------------------------------------- recycle spaces

def check_recycle(recycle, n, work):
    """Validate a recycle object for a system of order `n`; None passes."""
    if recycle is None:
        return None
    if not isinstance(recycle, Recycle):
        raise TypeError(
            "recycle must be the info.recycle of an earlier nla Krylov solve or None, "
            f"got {type(recycle).__name__}"
        )
    if recycle.n != n:
        raise ValueError(
            f"recycle belongs to systems of order {recycle.n}, not {n} (the order of A)"
        )
    parts = [p for p in (recycle.U, recycle.Z) if p is not None]
    if work.kind == "f" and any(p.dtype.kind == "c" for p in parts):
        raise TypeError("recycle is complex but the system is real")
    return recycle


def solutions_block(recycle, A, work, s):
    """The last `s` solutions Z of `recycle` and ``A Z`` for the current A.

    Returns ``(Z, AZ, matvecs)`` (None blocks when there are none). The
    caller has established whether A changed (``A.changed``).
    """
    if recycle is None or recycle.Z is None or s == 0:
        return None, None, 0
    Z = recycle.Z[:, :s].astype(work, copy=False)
    if not A.changed:
        return Z, recycle.AZ[:, :s].astype(work, copy=False), 0
    return Z, A.matmat(Z), Z.shape[1]


def new_solutions(recycle, x, Ax, s):
    """Z, AZ of the next recycle: `x` in front of the older solutions."""
    if s == 0:
        return None, None
    Z, AZ = x[:, None], Ax[:, None]
    if recycle is not None and recycle.Z is not None and recycle.AZ is not None:
        old = recycle.Z[:, : s - 1]
        Z = np.concatenate([Z, old.astype(x.dtype, copy=False)], axis=1)
        AZ = np.concatenate([AZ, recycle.AZ[:, : s - 1].astype(x.dtype, copy=False)], axis=1)
    return Z, AZ


def detect_change(recycle, A, M=None):
    """Set ``A.changed``: whether the recycle's relations fail for this A (and M).

    A GCRO-DR recycle holds ``A M U = C`` and ``A Z = AZ`` (a CG recycle
    ``A U = C``); one product with A of a random combination ``M U g + Z h``
    is compared with ``C g + AZ h``. Any change on those spans shows almost
    surely. Returns the matvecs spent.
    """
    A.changed = True
    if recycle is None:
        return 0
    rng = np.random.default_rng(0)
    vec, ref = None, None
    for u, c, pre in ((recycle.U, recycle.C, recycle.method == "gcrodr"),
                      (recycle.Z, recycle.AZ, False)):
        if u is None or c is None:
            continue
        g = rng.standard_normal(u.shape[1])
        t = u.astype(A.dtype, copy=False) @ g
        if pre and M is not None:
            t = M.matvec(t)
        vec = t if vec is None else vec + t
        part = c.astype(A.dtype, copy=False) @ g
        ref = part if ref is None else ref + part
    if vec is None:
        return 0
    got = A.matvec(vec)
    A.changed = not nrm2(got - ref) <= np.sqrt(np.finfo(np.float64).eps) * nrm2(ref)
    return 1


def start_guess(b, x, r, Z, AZ, *, galerkin):
    """Improve ``x`` (residual ``r``) over the span of Z.

    Minimal residual (``min ||r - AZ y||``) or Galerkin (``Z^H (r - AZ y) =
    0``, for Hermitian positive definite A) on an orthonormal basis of
    span(Z) (singular values below ``n eps`` of the largest are dropped).
    Returns the new ``(x, r)``; no product with A.
    """
    if Z is None:
        return x, r
    P, s, Vh = np.linalg.svd(Z, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return x, r
    keep = s > s[0] * np.sqrt(np.finfo(np.float64).eps)  # A Z carries eps ||A|| ||Z|| of rounding
    P = P[:, keep]
    AP = AZ @ (Vh[keep].conj().T / s[keep])
    if galerkin:
        G = P.conj().T @ AP
        G = (G + G.conj().T) / 2
        w, V = np.linalg.eigh(G)
        good = w > w.max(initial=0.0) * 1e-12
        if not np.any(good):
            return x, r
        rhs = V[:, good].conj().T @ (P.conj().T @ r)
        y = V[:, good] @ (rhs / w[good])
    else:
        y = np.linalg.lstsq(AP, r, rcond=None)[0]
    return x + P @ y, r - AP @ y


def finish(x, out_dtype):
    return x.astype(out_dtype, copy=False)

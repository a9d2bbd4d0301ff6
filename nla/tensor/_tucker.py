"""Tucker decomposition: HOSVD, ST-HOSVD and HOOI."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from .._backend import ConvergenceWarning, to_host
from .._random import check_rng
from .._validate import (
    check_array,
    check_engine,
    check_flag,
    check_int,
    check_option,
    check_real,
)
from ._multilinear import (
    GRAM_SAFETY,
    fro2,
    leading_vectors,
    mode_dot,
    multi_mode_dot,
    scale_to_window,
    spectrum,
)
from ._shape import SHAPE_METHODS

__all__ = ["TuckerResult", "tucker", "tucker_params", "TUCKER_METHODS"]

TUCKER_METHODS = ("hooi", "st-hosvd", "hosvd")
_INITS = ("st-hosvd", "hosvd")
_SVDS = ("auto", "rsvd")


@dataclasses.dataclass(frozen=True)
class TuckerResult:
    """A Tucker decomposition: a core tensor and an orthonormal factor per mode.

    ``X ~ core x_1 U_1 x_2 U_2 ... x_N U_N`` (``x_n``: the mode-n product).

    Attributes
    ----------
    core : (R_1, ..., R_N) array
        The core tensor, in the library, device and precision of ``X``.
    factors : tuple of (I_n, R_n) arrays
        Factor matrices with orthonormal columns.
    rel_error : float
        ``||X - X_hat||_F / ||X||_F``, from ``||X||^2 - ||core||^2`` (the
        factors are orthonormal); recomputed from the reconstruction when
        that difference is lost to cancellation (errors below about
        ``1e-6``). 0 for an all-zero ``X``.
    n_params : int
        ``prod(R) + sum(I_n R_n)`` (:func:`tucker_params`).
    n_iter : int
        HOOI sweeps made (0 for HOSVD and ST-HOSVD).
    converged : bool
        HOOI met its tolerance (always True for HOSVD and ST-HOSVD).
    """

    core: object
    factors: tuple
    rel_error: float
    n_params: int
    n_iter: int = 0
    converged: bool = True

    @property
    def core_shape(self):
        """The core shape: one int per mode, a tuple."""
        return tuple(int(r) for r in self.core.shape)

    def to_dense(self):
        """The dense tensor the decomposition represents (the core times every factor)."""
        from .._backend import array_namespace

        xp = array_namespace(self.core, *self.factors)
        return multi_mode_dot(self.core, list(self.factors), xp)


def _shape_tuple(shape, name):
    try:
        items = list(shape)
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence of integers, got {type(shape).__name__}"
        ) from None
    return tuple(check_int(v, name, low=1) for v in items)


def tucker_params(shape, core_shape):
    """Number of parameters of a Tucker decomposition: ``prod(R) + sum(I_n R_n)``.

    Parameters
    ----------
    shape : sequence of int
        The tensor's shape ``(I_1, ..., I_N)``, ``N >= 2``.
    core_shape : sequence of int
        The core shape ``(R_1, ..., R_N)``, ``1 <= R_n <= I_n``.

    Returns
    -------
    int
        The number of stored entries: the core and the ``N`` factors.

    See Also
    --------
    tucker_core_shape : the core shape that fits a parameter budget best.

    Examples
    --------
    >>> import nla
    >>> nla.tucker_params((145, 145, 200), (26, 26, 37))
    39952
    """
    shape = _shape_tuple(shape, "shape")
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 entries, got {shape}")
    core = check_core_shape(core_shape, shape)
    return math.prod(core) + sum(i * r for i, r in zip(shape, core, strict=True))


def check_core_shape(core_shape, shape):
    """`core_shape` as a tuple of ints with ``1 <= R_n <= I_n``, one per mode."""
    core = _shape_tuple(core_shape, "core_shape")
    if len(core) != len(shape):
        raise ValueError(
            f"core_shape must have one entry per mode ({len(shape)}), got {core}"
        )
    for n, (r, i) in enumerate(zip(core, shape, strict=True)):
        if r > i:
            raise ValueError(
                f"core_shape[{n}] = {r} exceeds the tensor's dimension {i} in mode {n}"
            )
    return core


def check_tensor(X, check_finite=True):
    """``(X, xp, X64)``: X validated (order >= 2), and a float64 working copy."""
    X = check_array(X, "X", ndim=(2, None), check_finite=check_finite)
    from .._backend import array_namespace

    xp = array_namespace(X)
    if isinstance(X, np.ndarray):
        # C order: every unfolding and mode product then reads it without a copy
        X64 = np.ascontiguousarray(X, dtype=np.float64)
    else:
        X64 = X if X.dtype == xp.float64 else xp.astype(X, xp.float64)
    return X, xp, X64


def check_tucker_options(method, init, maxiter, tol, svd):
    """Validate the decomposition options (shared with the shape search)."""
    check_option(method, "method", TUCKER_METHODS)
    check_option(init, "init", _INITS)
    maxiter = check_int(maxiter, "maxiter", low=1)
    tol = check_real(tol, "tol", low=0.0)
    check_option(svd, "svd", _SVDS)
    return maxiter, tol


class _Work:
    """The working tensor: float64, scaled by a power of two into a safe
    window, with the Gram eigendecompositions of its unfoldings made on
    first use and kept (shared by shape selection and decomposition)."""

    def __init__(self, X64, xp):
        self.xp = xp
        self.X, self.exp = scale_to_window(X64, xp)
        self.shape = tuple(X64.shape)
        self.norm2 = fro2(self.X, xp)
        self._eig = {}

    def eig(self, n):
        if n not in self._eig:
            self._eig[n] = spectrum(self.X, n, self.xp)
        return self._eig[n]

    def spectra(self):
        """Squared singular values of every unfolding (host float64, descending).

        Values at the rounding level of the Gram matrix (``GRAM_SAFETY I_n eps
        ||X||^2``, see :func:`gram_is_safe`) are indistinguishable from zero
        and set to zero, so that ranks beyond the numerical multilinear rank
        gain nothing.
        """
        out = []
        eps = float(np.finfo(np.float64).eps)
        for n, i in enumerate(self.shape):
            w = np.array(to_host(self.eig(n)[0]), dtype=np.float64)
            w[w <= GRAM_SAFETY * i * eps * self.norm2] = 0.0
            out.append(w)
        return out


def _st_order(shape, core):
    """Modes by decreasing ratio ``I_n / R_n``: the tensor shrinks fastest."""
    return sorted(range(len(shape)), key=lambda n: (-shape[n] / core[n], n))


def _hosvd(work, core, svd, rng):
    xp = work.xp
    U = [
        leading_vectors(work.X, n, r, xp, eig=work.eig(n) if svd == "auto" else None,
                        svd=svd, rng=rng)
        for n, r in enumerate(core)
    ]
    return multi_mode_dot(work.X, U, xp, transpose=True), U


def _st_hosvd(work, core, svd, rng):
    xp = work.xp
    Y = work.X
    U = [None] * len(core)
    for k, n in enumerate(_st_order(work.shape, core)):
        eig = work.eig(n) if (k == 0 and svd == "auto") else None
        U[n] = leading_vectors(Y, n, core[n], xp, eig=eig, svd=svd, rng=rng)
        Y = mode_dot(Y, xp.matrix_transpose(U[n]), n, xp)
    return Y, U


def _hooi(work, core, init, maxiter, tol, svd, rng):
    """HOOI sweeps from an HOSVD or ST-HOSVD start; stops when the fit
    ``||core||_F`` changes by at most ``tol`` relative to itself."""
    xp = work.xp
    G, U = (_st_hosvd if init == "st-hosvd" else _hosvd)(work, core, svd, rng)
    fit = math.sqrt(fro2(G, xp))
    N = len(core)
    for it in range(1, maxiter + 1):
        for n in range(N):
            W = multi_mode_dot(work.X, U, xp, skip=n, transpose=True)
            U[n] = leading_vectors(W, n, core[n], xp, svd=svd, rng=rng)
        G = mode_dot(W, xp.matrix_transpose(U[N - 1]), N - 1, xp)
        new = math.sqrt(fro2(G, xp))
        done = abs(new - fit) <= tol * new
        fit = new
        if done:
            return G, U, it, True
    return G, U, maxiter, False


def _rel_error(work, G, U):
    xp = work.xp
    if work.norm2 == 0.0:
        return 0.0
    e2 = max(work.norm2 - fro2(G, xp), 0.0) / work.norm2
    if e2 < 1024 * float(np.finfo(np.float64).eps):
        # ||X||^2 - ||G||^2 has lost its digits to cancellation: measure
        D = work.X - multi_mode_dot(G, U, xp)
        e2 = fro2(D, xp) / work.norm2
    return math.sqrt(e2)


def _unscale(G, e):
    if e == 0:
        return G
    h = e // 2
    return (G * (2.0**h)) * (2.0 ** (e - h))


def decompose(work, core, method, init, maxiter, tol, svd, rng, dtype):
    """Run `method` on the prepared working tensor; a :class:`TuckerResult`."""
    xp = work.xp
    n_iter, converged = 0, True
    if method == "hosvd":
        G, U = _hosvd(work, core, svd, rng)
    elif method == "st-hosvd":
        G, U = _st_hosvd(work, core, svd, rng)
    else:
        G, U, n_iter, converged = _hooi(work, core, init, maxiter, tol, svd, rng)
    rel = _rel_error(work, G, U)
    G = _unscale(G, work.exp)
    if G.dtype != dtype:
        G = xp.astype(G, dtype)
        U = [xp.astype(u, dtype) for u in U]
    n_params = math.prod(core) + sum(i * r for i, r in zip(work.shape, core, strict=True))
    return TuckerResult(G, tuple(U), rel, n_params, n_iter, converged)


def tucker(
    X,
    core_shape=None,
    *,
    method="hooi",
    budget=None,
    target_error=None,
    shape_method="ip",
    init="st-hosvd",
    maxiter=50,
    tol=1e-6,
    svd="auto",
    rng=None,
    check_finite=True,
    engine=None,
):
    """Tucker decomposition of a tensor: a small core and orthonormal factors.

    ``X ~ core x_1 U_1 x_2 U_2 ... x_N U_N`` (``x_n``: the mode-n product),
    at a given core shape or at the one chosen for a parameter budget or an
    error target.

    Parameters
    ----------
    X : (I_1, ..., I_N) array
        A dense real tensor of order ``N >= 2`` (any array-API library).
    core_shape : sequence of int, optional
        The core shape ``(R_1, ..., R_N)``, ``1 <= R_n <= I_n``. Give exactly
        one of `core_shape`, `budget` and `target_error`.
    method : {"hooi", "st-hosvd", "hosvd"}, default "hooi"
        ``"hosvd"``: each factor from the unfolding of ``X``;
        ``"st-hosvd"``: sequentially truncated HOSVD, modes in the order of
        decreasing ``I_n / R_n`` (the tensor shrinks fastest, so later modes
        work on small tensors); ``"hooi"``: higher-order orthogonal
        iteration started from `init`.
    budget : int or float, optional
        Choose the core shape with :func:`tucker_core_shape` under this
        parameter budget (an int, or a fraction of ``X.size`` in ``(0, 1]``)
        first; the unfolding spectra are computed once for both steps.
    target_error : float, optional
        Choose the cheapest core shape whose HOSVD error bound is at most
        this relative error (see :func:`tucker_core_shape`).
    shape_method : str, default "ip"
        The `method` of :func:`tucker_core_shape` for `budget` or
        `target_error`.
    init : {"st-hosvd", "hosvd"}, default "st-hosvd"
        HOOI's starting factors.
    maxiter : int, default 50
        Cap on HOOI sweeps (also used by ``shape_method="greedy-true-loss"``).
    tol : float, default 1e-6
        HOOI stops when the fit ``||core||_F`` changes by at most ``tol``
        times itself in a sweep.
    svd : {"auto", "rsvd"}, default "auto"
        How leading singular vectors of an unfolding are found. ``"auto"``:
        eigenvectors of its Gram matrix, with the accurate QR route where
        the Gram route would lose accuracy (see Notes). ``"rsvd"``:
        :func:`nla.rsvd` of the unfolding (cheaper when the core is much
        smaller than the tensor's dimensions; seeded by `rng`).
    rng : None, int or numpy.random.Generator
        Randomness of ``svd="rsvd"`` (SPEC 7); unused otherwise.
    check_finite : bool, default True
        Reject NaN and Inf in `X`.
    engine : {None, "auto", "numpy", "numba"}, optional
        Validated for uniformity; no kernel is reached (dense products and
        eigendecompositions only).

    Returns
    -------
    TuckerResult
        ``core``, ``factors`` (orthonormal columns), ``rel_error``,
        ``n_params``, ``n_iter``, ``converged`` and ``to_dense()``; arrays in
        the library, device and precision of `X`.

    Warns
    -----
    nla.ConvergenceWarning
        HOOI reached `maxiter` sweeps before `tol` (``converged=False``).

    Notes
    -----
    The leading left singular vectors of an unfolding ``X_(n)`` (``I_n x
    J``, usually very wide) are the leading eigenvectors of its Gram matrix
    ``X_(n) X_(n)^T``: one BLAS-3 product and an ``I_n x I_n``
    eigendecomposition, never a full SVD of the wide unfolding. Forming
    the Gram matrix squares the condition number: a rank-``R`` basis from it
    captures the optimal energy up to about ``2 R I_n eps ||X||^2``. That is
    negligible unless the discarded energy itself is that small, i.e. unless
    the tensor has (nearly) exactly that multilinear rank; there, the basis
    comes instead from a Householder QR of ``X_(n)^T`` and an SVD of the
    small triangular factor, which is accurate to ``eps``.

    The work is done in float64 (float32 input is converted once and the
    result converted back). A tensor whose entries leave ``[2^-100, 2^100]``
    is scaled by a power of two first (exact), so extreme magnitudes
    neither overflow nor underflow in the Gram matrices.

    Errors: ST-HOSVD and HOSVD errors are at most ``sqrt(sum_n tail_n)``,
    ``tail_n`` the energy of the discarded singular values of mode ``n``,
    which is at most ``sqrt(N)`` times the best possible error; HOOI never
    increases the error of its start.

    See Also
    --------
    tucker_core_shape : choose the core shape under a parameter budget.
    tucker_params : parameter count of a core shape.

    References
    ----------
    L. De Lathauwer, B. De Moor, J. Vandewalle, "On the best rank-1 and
    rank-(R1, ..., RN) approximation of higher-order tensors", SIAM J. Matrix
    Anal. Appl. 21(4), 2000. N. Vannieuwenhoven, R. Vandebril, K. Meerbergen,
    "A new truncation strategy for the higher-order singular value
    decomposition", SIAM J. Sci. Comput. 34(2), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> core = rng.standard_normal((2, 3, 2))
    >>> U = [np.linalg.qr(rng.standard_normal((i, r)))[0] for i, r in ((6, 2), (7, 3), (5, 2))]
    >>> X = np.einsum("abc,ia,jb,kc->ijk", core, *U)
    >>> t = nla.tucker(X, (2, 3, 2))
    >>> t.core.shape, t.rel_error < 1e-12
    ((2, 3, 2), True)
    >>> bool(np.allclose(t.to_dense(), X))
    True
    """
    check_finite = check_flag(check_finite, "check_finite")
    X, xp, X64 = check_tensor(X, check_finite)
    maxiter, tol = check_tucker_options(method, init, maxiter, tol, svd)
    check_option(shape_method, "shape_method", SHAPE_METHODS)
    check_engine(engine)
    rng = check_rng(rng)
    given = [v is not None for v in (core_shape, budget, target_error)]
    if sum(given) != 1:
        raise ValueError(
            "give exactly one of core_shape, budget and target_error "
            f"(got core_shape={core_shape!r}, budget={budget!r}, "
            f"target_error={target_error!r})"
        )
    work = _Work(X64, xp)
    if core_shape is not None:
        core = check_core_shape(core_shape, work.shape)
    else:
        from ._shape import select_shape

        core = select_shape(
            work, budget, target_error, shape_method, maxiter=maxiter, tol=tol,
            option="shape_method",
        )
    res = decompose(work, core, method, init, maxiter, tol, svd, rng, X.dtype)
    if not res.converged:
        warnings.warn(
            f"HOOI stopped after maxiter={maxiter} sweeps before reaching tol={tol}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return res

"""Matrix square root and inverse square root of SPD batches, with gradients.

Forward methods (``A`` of shape ``(..., n, n)``, symmetric positive
semidefinite; every matrix of a batch is normalized on its own):

``"eigh"``
    ``V diag(sqrt(lambda)) V^T`` from a batched symmetric eigendecomposition;
    accurate to rounding.
``"newton-schulz"``
    The coupled Newton-Schulz iteration ``T = (3I - Z Y)/2, Y <- Y T,
    Z <- T Z`` from ``Y = A/c, Z = I`` (``c = ||A||_F``), run until the
    relative change of ``Y`` stalls below `tol`. Matmul only; reaches
    float64 accuracy without an eigendecomposition.
``"mpa"``
    The matrix Pade approximant ``[M/N]`` of ``sqrt(1 - z)`` at
    ``Z = I - A/c``: ``sqrt(c) Q_N(Z)^-1 P_M(Z)``, one solve per matrix.
``"mtp"``
    The truncated Taylor series of ``sqrt(1 - z)`` at ``Z``.

Backward: ``X dA + dA X = G`` (``X = sqrtm(A)``) solved either in closed form
from an eigendecomposition (Daleckii-Krein) or by the coupled Newton-Schulz
sign iteration on ``[[B, C], [0, -B]]`` (matmul only).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._dispatch import array_namespace
from .._validate import check_array, check_int, check_option, check_real, check_square

__all__ = [
    "sqrtm",
    "inv_sqrtm",
    "sqrtm_vjp",
    "inv_sqrtm_vjp",
    "sqrtm_with_vjp",
    "inv_sqrtm_with_vjp",
    "pade_coefficients",
]

FORWARD_METHODS = ("eigh", "newton-schulz", "mpa", "mtp")
BACKWARD_METHODS = ("eigh", "lyapunov")

#: default Pade degrees [M/N] and Taylor degree (see the error/cost tables in
#: the matfun docs page and ``python -m benchmarks matfun``)
DEFAULT_PADE = (5, 5)
DEFAULT_TAYLOR = 20


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _eps(dtype):
    return float(np.finfo(np.dtype(str(dtype).split(".")[-1])).eps)


def _check_spd_input(A, name="A", *, sym_rtol=None, check_finite=True):
    """Validate a batch of symmetric matrices; return (A, xp, sym_rtol)."""
    A = check_array(A, name, ndim=(2, None), check_finite=check_finite)
    check_square(A, name)
    xp = array_namespace(A)
    eps = _eps(A.dtype)
    if sym_rtol is None:
        sym_rtol = 1e3 * eps
    else:
        sym_rtol = check_real(sym_rtol, "sym_rtol", low=0.0)
    asym = xp.linalg.matrix_norm(A - xp.matrix_transpose(A), ord="fro")
    size = xp.linalg.matrix_norm(A, ord="fro")
    bad = asym > sym_rtol * size
    if bool(xp.any(bad)):
        worst = float(xp.max(asym / xp.where(size > 0, size, xp.ones_like(size))))
        raise ValueError(
            f"{name} must be symmetric: ||{name} - {name}^T||_F / ||{name}||_F = "
            f"{worst:.3g} exceeds sym_rtol = {sym_rtol:.3g} (symmetrize it first, "
            f"e.g. ({name} + {name}^T) / 2, or raise sym_rtol)"
        )
    return A, xp, sym_rtol


def _necessary_psd(A, xp, name):
    """Cheap necessary conditions for PSD: a_ii >= 0 and |a_ij| <= sqrt(a_ii a_jj)."""
    n = A.shape[-1]
    d = xp.linalg.diagonal(A)
    scale = xp.max(xp.abs(d), axis=-1, keepdims=True)
    tol = 100 * n * _eps(A.dtype) * scale
    if bool(xp.any(d < -tol)):
        raise ValueError(f"{name} is not positive semidefinite: it has a negative diagonal entry")
    dd = xp.sqrt(xp.where(d > 0, d, xp.zeros_like(d)))
    bound = dd[..., :, None] * dd[..., None, :] + tol[..., None]
    if bool(xp.any(xp.abs(A) > bound * (1 + 100 * _eps(A.dtype)))):
        raise ValueError(
            f"{name} is not positive semidefinite: some |a_ij| > sqrt(a_ii a_jj)"
        )


def _eigh_checked(A, xp, name, *, definite):
    """Eigendecomposition with a PSD (or PD) check relative to rounding."""
    lam, V = xp.linalg.eigh(A)
    n = A.shape[-1]
    top = xp.max(xp.abs(lam), axis=-1, keepdims=True)
    # eigh's absolute eigenvalue error is ~ n eps ||A||_2
    tol = 10 * n * _eps(A.dtype) * top
    if bool(xp.any(lam < -tol)):
        worst = float(xp.min(lam / xp.where(top > 0, top, xp.ones_like(top))))
        raise ValueError(
            f"{name} is not positive semidefinite: its smallest eigenvalue is "
            f"{worst:.3g} times its largest"
        )
    if definite and bool(xp.any(lam <= tol)):
        raise ValueError(
            f"{name} must be positive definite for the inverse square root: "
            "it is singular to working precision"
        )
    lam = xp.where(lam > 0, lam, xp.zeros_like(lam))
    return lam, V


def _sym(X, xp):
    return (X + xp.matrix_transpose(X)) / 2


def _eye_like(A, xp):
    n = A.shape[-1]
    return xp.eye(n, dtype=A.dtype)


def _fro(A, xp):
    """Per-matrix Frobenius norm with two trailing singleton axes."""
    return xp.linalg.matrix_norm(A, ord="fro")[..., None, None]


# ---------------------------------------------------------------------------
# Pade and Taylor coefficients of sqrt(1 - z) and 1/sqrt(1 - z)
# ---------------------------------------------------------------------------


def _taylor(power, K):
    """Taylor coefficients of (1 - z)^power up to z^K (float64)."""
    c = np.empty(K + 1)
    c[0] = 1.0
    for k in range(1, K + 1):
        c[k] = c[k - 1] * (k - 1 - power) / k
    return c


@lru_cache(maxsize=64)
def pade_coefficients(m, n):
    """Coefficients of the [m/n] Pade approximant of ``sqrt(1 - z)``.

    Returns ``(p, q)`` with ``sqrt(1 - z) ~ P(z) / Q(z)``,
    ``P(z) = sum_i p[i] z^i`` (degree `m`) and ``Q(z) = sum_j q[j] z^j``
    (degree `n`, ``q[0] = 1``). Computed from the Taylor series by solving the
    Pade conditions in float64.

    Examples
    --------
    >>> from nla.matfun import pade_coefficients
    >>> p, q = pade_coefficients(1, 1)
    >>> p.round(4).tolist(), q.round(4).tolist()
    ([1.0, -0.75], [1.0, -0.25])
    """
    m = check_int(m, "m", low=0)
    n = check_int(n, "n", low=0)
    c = _taylor(0.5, m + n)
    if n == 0:
        return c[: m + 1].copy(), np.ones(1)
    # sum_{j=0..n} q_j c_{k-j} = 0 for k = m+1..m+n, with q_0 = 1
    M = np.array([[c[k - j] if k - j >= 0 else 0.0 for j in range(1, n + 1)] for k in range(m + 1, m + n + 1)])
    rhs = -np.array([c[k] for k in range(m + 1, m + n + 1)])
    q = np.concatenate([[1.0], np.linalg.solve(M, rhs)])
    p = np.array([sum(q[j] * c[k - j] for j in range(0, min(k, n) + 1)) for k in range(m + 1)])
    return p, q


def _polyval(coef, Z, I, xp):
    """Horner evaluation of sum_i coef[i] Z^i for a batch of matrices."""
    out = coef[-1] * I + 0 * Z
    for a in coef[-2::-1]:
        out = out @ Z + a * I
    return out


# ---------------------------------------------------------------------------
# forward
# ---------------------------------------------------------------------------


def _forward(A, xp, method, *, inverse, degree, tol, max_iter, name="A"):
    """Returns (result, cache) where cache feeds the vjp closures."""
    dtype = A.dtype
    if method == "eigh":
        lam, V = _eigh_checked(A, xp, name, definite=inverse)
        s = xp.sqrt(lam)
        f = 1.0 / s if inverse else s
        X = (V * f[..., None, :]) @ xp.matrix_transpose(V)
        return _sym(X, xp), {"V": V, "s": s}
    _necessary_psd(A, xp, name)
    c = _fro(A, xp)
    if bool(xp.any(c == 0)):
        if inverse:
            raise ValueError(f"{name} must be positive definite: a matrix of the batch is zero")
        c = xp.where(c == 0, xp.ones_like(c), c)
    I = _eye_like(A, xp)
    if method == "newton-schulz":
        Y, Zi, iters = _newton_schulz(A / c, I, xp, tol=tol, max_iter=max_iter, name=name)
        X = Zi / xp.sqrt(c) if inverse else Y * xp.sqrt(c)
        return _sym(X, xp), {"iterations": iters, "other": Y * xp.sqrt(c) if inverse else Zi / xp.sqrt(c)}
    Z = I - A / c
    if method == "mtp":
        coef = _taylor(-0.5 if inverse else 0.5, degree)
        X = _polyval([float(a) for a in coef], Z, I, xp)
    else:  # mpa
        p, q = pade_coefficients(*degree)
        P = _polyval([float(a) for a in p], Z, I, xp)
        Q = _polyval([float(a) for a in q], Z, I, xp)
        # P and Q are polynomials in the same Z, so they commute
        X = xp.linalg.solve(P, Q) if inverse else xp.linalg.solve(Q, P)
    X = X / xp.sqrt(c) if inverse else X * xp.sqrt(c)
    X = xp.astype(X, dtype)
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(f"the {method!r} iteration produced non-finite values; is {name} PSD?")
    return _sym(X, xp), {}


def _newton_schulz(Y, I, xp, *, tol, max_iter, name):
    """Coupled Newton-Schulz: Y -> sqrt(A/c), Z -> (A/c)^(-1/2)."""
    Z = I + 0 * Y
    prev = math.inf
    for it in range(1, max_iter + 1):
        T = (3 * I - Z @ Y) / 2
        Yn = Y @ T
        Z = T @ Z
        change = float(xp.max(_fro(Yn - Y, xp) / _fro(Yn, xp)))
        Y = Yn
        if not math.isfinite(change):
            raise ValueError(f"the Newton-Schulz iteration diverged; is {name} positive semidefinite?")
        # quadratic convergence: once the change is below sqrt(tol) the next
        # step is at rounding level; stop when it no longer decreases there
        if change <= tol or (change < math.sqrt(tol) and change >= prev):
            return Y, Z, it
        prev = change
    raise ValueError(
        f"the Newton-Schulz iteration did not reach tol={tol:.3g} in max_iter={max_iter} "
        f"iterations (last relative change {prev:.3g}); {name} may be too ill-conditioned "
        "for this method: use method='eigh' or raise max_iter"
    )


def _resolve_forward_options(method, degree, tol, max_iter, dtype):
    method = check_option(method, "method", FORWARD_METHODS)
    if method == "mpa":
        if degree is None:
            degree = DEFAULT_PADE
        if isinstance(degree, (int, np.integer)):
            degree = (int(degree), int(degree))
        if not (isinstance(degree, tuple) and len(degree) == 2):
            raise TypeError(f"degree must be an int or a pair (M, N) for method='mpa', got {degree!r}")
        degree = (check_int(degree[0], "degree[0]", low=0), check_int(degree[1], "degree[1]", low=0))
    elif method == "mtp":
        degree = check_int(DEFAULT_TAYLOR if degree is None else degree, "degree", low=1)
    eps = _eps(dtype)
    tol = 10 * eps if tol is None else check_real(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    return method, degree, tol, max_iter


_FORWARD_DOC = """
    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices (leading axes are a batch);
        float32 stays float32, integers become float64. Never modified.
    method : {{"eigh", "newton-schulz", "mpa", "mtp"}}, optional
        ``"eigh"`` (default): batched eigendecomposition, accurate to
        rounding. ``"newton-schulz"``: coupled iterations to `tol`, matmul
        only. ``"mpa"``: Pade approximant of degree `degree` = ``(M, N)``
        (default ``{pade}``), one solve per matrix. ``"mtp"``: Taylor
        polynomial of degree `degree` (default ``{taylor}``). The last two
        are fast but only accurate for well-conditioned input (see Notes).
    degree : int or (int, int), optional
        Degree for ``"mtp"`` / ``"mpa"``.
    tol : float, optional
        Relative tolerance of ``"newton-schulz"`` (default ``10 eps``).
    max_iter : int, optional
        Iteration cap of ``"newton-schulz"`` (default 100).
    sym_rtol : float, optional
        `A` counts as symmetric when ``||A - A^T||_F <= sym_rtol ||A||_F``
        for every matrix (default ``1000 eps`` of its dtype).
    check_finite : bool, optional
        Reject NaN and Inf (default True).
"""


def sqrtm(A, *, method="eigh", degree=None, tol=None, max_iter=100, sym_rtol=None, check_finite=True):
    """Principal square root of a batch of SPD matrices.

    Returns ``X`` with ``X @ X = A``, ``X`` symmetric positive semidefinite.
    {params}
    Returns
    -------
    X : array, shape (..., n, n)
        In the array library and dtype of `A`.

    Raises
    ------
    ValueError
        If `A` is not square, has ``ndim < 2``, is empty or not finite, is not
        symmetric within `sym_rtol`, is clearly not positive semidefinite
        (``"eigh"``: an eigenvalue below ``-10 n eps lambda_max``; the other
        methods check ``a_ii >= 0`` and ``|a_ij| <= sqrt(a_ii a_jj)``), or if
        Newton-Schulz does not converge.

    See Also
    --------
    inv_sqrtm, sqrtm_vjp, sqrtm_with_vjp, scipy.linalg.sqrtm

    Notes
    -----
    Every matrix is normalized by its own Frobenius norm ``c`` (never by a
    norm of the whole batch), so batching never changes a result. With
    ``Z = I - A / c`` the eigenvalues of ``Z`` lie in ``[0, 1 - 1/(sqrt(n)
    kappa)]``; the Taylor and Pade approximants of ``sqrt(1 - z)`` converge
    slowly near ``z = 1``, so their error grows with the condition number
    ``kappa`` (for ``[5/5]`` about 1e-2 at kappa = 100). Newton-Schulz
    converges quadratically after about ``log2(sqrt(n) kappa)`` iterations
    and then stalls at rounding level, ``O(kappa eps)``. ``"eigh"`` has a
    backward error of ``O(n eps)``.

    References
    ----------
    .. [1] Y. Song, N. Sebe and W. Wang, "Fast Differentiable Matrix Square
       Root", ICLR 2022, arXiv:2201.08663.
    .. [2] N. J. Higham, "Functions of Matrices", SIAM 2008, ch. 6.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> X = nla.sqrtm(A)
    >>> np.allclose(X @ X, A)
    True
    >>> Xns = nla.sqrtm(A, method="newton-schulz")
    >>> bool(np.abs(Xns - X).max() < 1e-13)
    True
    >>> batch = np.stack([A, 2 * A])            # leading axes are a batch
    >>> nla.sqrtm(batch).shape
    (2, 2, 2)
    """
    A, xp, _ = _check_spd_input(A, sym_rtol=sym_rtol, check_finite=check_finite)
    method, degree, tol, max_iter = _resolve_forward_options(method, degree, tol, max_iter, A.dtype)
    X, _ = _forward(A, xp, method, inverse=False, degree=degree, tol=tol, max_iter=max_iter)
    return X


def inv_sqrtm(A, *, method="eigh", degree=None, tol=None, max_iter=100, sym_rtol=None, check_finite=True):
    """Inverse principal square root of a batch of SPD matrices.

    Returns ``Y = A^(-1/2)``, so that ``Y @ A @ Y = I``.
    {params}
    Returns
    -------
    Y : array, shape (..., n, n)

    Raises
    ------
    ValueError
        As :func:`sqrtm`, and if a matrix is singular to working precision.

    See Also
    --------
    sqrtm, inv_sqrtm_vjp, inv_sqrtm_with_vjp

    Notes
    -----
    ``"mpa"`` uses ``P_M(Z)^-1 Q_N(Z) / sqrt(c)`` and ``"mtp"`` the Taylor
    series of ``(1 - z)^(-1/2)``, whose coefficients decay more slowly than
    those of ``sqrt(1 - z)``: expect larger errors than for :func:`sqrtm` at
    the same degree. ``"newton-schulz"`` returns its coupled iterate ``Z``.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> Y = nla.inv_sqrtm(A)
    >>> np.allclose(Y @ A @ Y, np.eye(2))
    True
    """
    A, xp, _ = _check_spd_input(A, sym_rtol=sym_rtol, check_finite=check_finite)
    method, degree, tol, max_iter = _resolve_forward_options(method, degree, tol, max_iter, A.dtype)
    Y, _ = _forward(A, xp, method, inverse=True, degree=degree, tol=tol, max_iter=max_iter)
    return Y


sqrtm.__doc__ = sqrtm.__doc__.format(params=_FORWARD_DOC.format(pade=DEFAULT_PADE, taylor=DEFAULT_TAYLOR))
inv_sqrtm.__doc__ = inv_sqrtm.__doc__.format(params=_FORWARD_DOC.format(pade=DEFAULT_PADE, taylor=DEFAULT_TAYLOR))


# ---------------------------------------------------------------------------
# backward
# ---------------------------------------------------------------------------


def _dk_sqrt(V, s, G, xp):
    """Daleckii-Krein: solves X dA + dA X = G with X = V diag(s) V^T.

    Pairs with s_i + s_j = 0 (a zero eigenvalue twice) get 0: the
    minimum-norm least-squares solution of the singular Sylvester equation.
    """
    den = s[..., :, None] + s[..., None, :]
    K = xp.where(den > 0, 1.0 / xp.where(den > 0, den, xp.ones_like(den)), xp.zeros_like(den))
    Vt = xp.matrix_transpose(V)
    return V @ ((Vt @ G @ V) * K) @ Vt


def _dk_inv_sqrt(V, s, G, xp):
    """Daleckii-Krein for f(l) = l^(-1/2): divided differences
    (f(l_i) - f(l_j)) / (l_i - l_j) = -1 / (s_i s_j (s_i + s_j)), no cancellation."""
    K = -1.0 / (s[..., :, None] * s[..., None, :] * (s[..., :, None] + s[..., None, :]))
    Vt = xp.matrix_transpose(V)
    return V @ ((Vt @ G @ V) * K) @ Vt


def _lyapunov_sign(X, G, xp, *, tol, max_iter):
    """Solve X Q + Q X = G by the coupled Newton-Schulz sign iteration.

    With B = X / s and C = G / s (s = ||X||_F per matrix, so the eigenvalues
    of B lie in (0, 1]), sign([[B, C], [0, -B]]) = [[I, -2Q], [0, -I]] where
    B Q + Q B = C; the blocks iterate as
    B <- B (3I - B^2) / 2 and E <- (-B^2 E + B E B + E (3I - B^2)) / 2.
    """
    s = _fro(X, xp)
    s = xp.where(s > 0, s, xp.ones_like(s))
    I = _eye_like(X, xp)
    B = X / s
    E = G / s
    prev = math.inf
    for it in range(1, max_iter + 1):
        B2 = B @ B
        E = (-(B2 @ E) + B @ E @ B + E @ (3 * I - B2)) / 2
        Bn = B @ (3 * I - B2) / 2
        change = float(xp.max(_fro(Bn - B, xp)))  # B -> I, so absolute = relative
        B = Bn
        if not math.isfinite(change):
            raise ValueError("the sign iteration diverged; is X positive definite?")
        if change <= tol or (change < math.sqrt(tol) and change >= prev):
            # one more sweep so E catches up with the converged B
            B2 = B @ B
            E = (-(B2 @ E) + B @ E @ B + E @ (3 * I - B2)) / 2
            return E / 2, it + 1
        prev = change
    raise ValueError(
        f"the sign iteration did not reach tol={tol:.3g} in max_iter={max_iter} iterations; "
        "X may be singular or too ill-conditioned: use method='eigh' or raise max_iter"
    )


def _check_cotangent(G, A, xp, name="G"):
    G = check_array(G, name, ndim=(2, None))
    if tuple(G.shape) != tuple(A.shape):
        raise ValueError(f"{name} must have the shape of A {tuple(A.shape)}, got {tuple(G.shape)}")
    if array_namespace(G) != xp:
        raise TypeError(f"{name} must come from the same array library as A")
    return xp.astype(G, A.dtype) if G.dtype != A.dtype else G


def _resolve_backward(method, tol, max_iter, dtype):
    method = check_option(method, "method", BACKWARD_METHODS)
    eps = _eps(dtype)
    tol = 10 * eps if tol is None else check_real(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    return method, tol, max_iter


def sqrtm_vjp(A, G, *, X=None, method="eigh", tol=None, max_iter=100, sym_rtol=None):
    """Gradient of ``<G, sqrtm(A)>`` with respect to `A` (a vector-Jacobian product).

    Solves the Sylvester (Lyapunov) equation ``X dA + dA X = G`` with
    ``X = sqrtm(A)``, for every matrix of the batch.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    G : array_like, shape (..., n, n)
        Cotangent: the gradient of a scalar loss with respect to ``sqrtm(A)``.
    X : array_like, optional
        ``sqrtm(A)`` if already computed; it is reused (``"eigh"`` then
        decomposes `X`, whose eigenvalues are the square roots directly).
    method : {"eigh", "lyapunov"}, optional
        ``"eigh"`` (default): Daleckii-Krein closed form
        ``V ((V^T G V) / (sqrt(l_i) + sqrt(l_j))) V^T``. ``"lyapunov"``:
        coupled Newton-Schulz sign iteration, matmul only, run to `tol`; when
        `X` is not given it is computed by Newton-Schulz too.
    tol : float, optional
        Tolerance of the iterations (default ``10 eps``).
    max_iter : int, optional
        Iteration cap (default 100).
    sym_rtol : float, optional
        Symmetry tolerance for `A` (see :func:`sqrtm`).

    Returns
    -------
    dA : array, shape (..., n, n)

    Notes
    -----
    The result is finite at ``A = I`` and at repeated eigenvalues (the
    divided differences of ``sqrt`` are ``1/(sqrt(l_i) + sqrt(l_j))``, never
    ``0/0``). Where two eigenvalues are both zero the equation is singular;
    those entries are set to zero (the minimum-norm least-squares solution).
    The gradient treats ``sqrtm`` as a function of all entries of `A`; for a
    symmetric `G` it is symmetric.

    See Also
    --------
    sqrtm_with_vjp, inv_sqrtm_vjp, scipy.linalg.solve_continuous_lyapunov

    Examples
    --------
    >>> import numpy as np, nla
    >>> from scipy.linalg import solve_continuous_lyapunov
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> G = np.array([[1.0, 0.0], [0.0, -1.0]])
    >>> dA = nla.sqrtm_vjp(A, G)
    >>> np.allclose(dA, solve_continuous_lyapunov(nla.sqrtm(A), G))
    True
    """
    A, xp, _ = _check_spd_input(A, sym_rtol=sym_rtol)
    G = _check_cotangent(G, A, xp)
    method, tol, max_iter = _resolve_backward(method, tol, max_iter, A.dtype)
    if X is not None:
        X = _check_cotangent(X, A, xp, name="X")
    if method == "eigh":
        if X is not None:
            s, V = xp.linalg.eigh(_sym(X, xp))
            s = xp.where(s > 0, s, xp.zeros_like(s))
        else:
            lam, V = _eigh_checked(A, xp, "A", definite=False)
            s = xp.sqrt(lam)
        return _dk_sqrt(V, s, G, xp)
    if X is None:
        X, _ = _forward(A, xp, "newton-schulz", inverse=False, degree=None, tol=tol, max_iter=max_iter)
    dA, _ = _lyapunov_sign(X, G, xp, tol=tol, max_iter=max_iter)
    return dA


def inv_sqrtm_vjp(A, G, *, Y=None, method="eigh", tol=None, max_iter=100, sym_rtol=None):
    """Gradient of ``<G, inv_sqrtm(A)>`` with respect to `A`.

    With ``Y = A^(-1/2)`` and ``X = Y^-1``, ``dY = -Y dX Y``, so the gradient
    is ``sqrtm_vjp(A, -Y G Y)``: it solves ``X dA + dA X = -Y G Y``.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices.
    G : array_like, shape (..., n, n)
        Gradient of a scalar loss with respect to ``inv_sqrtm(A)``.
    Y : array_like, optional
        ``inv_sqrtm(A)`` if already computed.
    method : {"eigh", "lyapunov"}, optional
        ``"eigh"``: Daleckii-Krein with divided differences
        ``-1 / (s_i s_j (s_i + s_j))`` (``s = sqrt(lambda)``).
        ``"lyapunov"``: the sign iteration on ``X = Y^-1`` computed by
        Newton-Schulz (matmul only).
    tol, max_iter, sym_rtol
        As for :func:`sqrtm_vjp`.

    Returns
    -------
    dA : array, shape (..., n, n)

    See Also
    --------
    inv_sqrtm, inv_sqrtm_with_vjp, sqrtm_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> G = np.eye(2)
    >>> dA = nla.inv_sqrtm_vjp(A, G)
    >>> h = 1e-6; E = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> fd = (np.trace(nla.inv_sqrtm(A + h * E)) - np.trace(nla.inv_sqrtm(A - h * E))) / (2 * h)
    >>> bool(abs(fd - dA[0, 0]) < 1e-8)
    True
    """
    A, xp, _ = _check_spd_input(A, sym_rtol=sym_rtol)
    G = _check_cotangent(G, A, xp)
    method, tol, max_iter = _resolve_backward(method, tol, max_iter, A.dtype)
    if method == "eigh":
        lam, V = _eigh_checked(A, xp, "A", definite=True)
        return _dk_inv_sqrt(V, xp.sqrt(lam), G, xp)
    _necessary_psd(A, xp, "A")
    c = _fro(A, xp)
    I = _eye_like(A, xp)
    Ys, Zs, _ = _newton_schulz(A / c, I, xp, tol=tol, max_iter=max_iter, name="A")
    X = _sym(Ys * xp.sqrt(c), xp)
    if Y is None:
        Y = _sym(Zs / xp.sqrt(c), xp)
    else:
        Y = _check_cotangent(Y, A, xp, name="Y")
    dA, _ = _lyapunov_sign(X, -(Y @ G @ Y), xp, tol=tol, max_iter=max_iter)
    return dA


def _with_vjp(A, *, inverse, method, backward, degree, tol, max_iter, sym_rtol):
    A, xp, _ = _check_spd_input(A, sym_rtol=sym_rtol)
    method, degree, ftol, max_iter = _resolve_forward_options(method, degree, tol, max_iter, A.dtype)
    if backward is None:
        backward = "eigh" if method == "eigh" else "lyapunov"
    backward, btol, _ = _resolve_backward(backward, tol, max_iter, A.dtype)
    out, cache = _forward(A, xp, method, inverse=inverse, degree=degree, tol=ftol, max_iter=max_iter)
    if backward == "eigh" and "V" not in cache:
        lam, V = _eigh_checked(A, xp, "A", definite=inverse)
        cache = {"V": V, "s": xp.sqrt(lam)}
    if backward == "lyapunov":
        if inverse:
            X = cache.get("other")
            if X is None:
                if "V" in cache:
                    V, s = cache["V"], cache["s"]
                    X = _sym((V * s[..., None, :]) @ xp.matrix_transpose(V), xp)
                else:
                    X, _ = _forward(A, xp, "newton-schulz", inverse=False, degree=None, tol=btol, max_iter=max_iter)
        else:
            X = out

    def vjp(G):
        """Gradient with respect to A of ``<G, result>``; reuses the forward pass."""
        G = _check_cotangent(G, A, xp)
        if backward == "eigh":
            if inverse:
                return _dk_inv_sqrt(cache["V"], cache["s"], G, xp)
            return _dk_sqrt(cache["V"], cache["s"], G, xp)
        rhs = -(out @ G @ out) if inverse else G
        dA, _ = _lyapunov_sign(X, rhs, xp, tol=btol, max_iter=max_iter)
        return dA

    return out, vjp


def sqrtm_with_vjp(A, *, method="eigh", backward=None, degree=None, tol=None, max_iter=100, sym_rtol=None):
    """``sqrtm(A)`` and a closure for its vector-Jacobian product (like ``jax.vjp``).

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    method : {"eigh", "newton-schulz", "mpa", "mtp"}, optional
        Forward method (see :func:`sqrtm`).
    backward : {"eigh", "lyapunov"}, optional
        Backward method; default ``"eigh"`` after an ``"eigh"`` forward (the
        closure reuses its eigendecomposition, so a training step pays for one
        decomposition, not two) and ``"lyapunov"`` otherwise (matmul only,
        reusing the forward's ``X``).
    degree, tol, max_iter, sym_rtol
        As for :func:`sqrtm` and :func:`sqrtm_vjp`.

    Returns
    -------
    X : array, shape (..., n, n)
        ``sqrtm(A)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, X>`` with respect to `A`.

    See Also
    --------
    sqrtm, sqrtm_vjp, inv_sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> X, vjp = nla.sqrtm_with_vjp(A)
    >>> dA = vjp(np.eye(2))                 # gradient of trace(sqrtm(A))
    >>> np.allclose(dA, 0.5 * nla.inv_sqrtm(A))
    True
    """
    return _with_vjp(A, inverse=False, method=method, backward=backward, degree=degree, tol=tol, max_iter=max_iter, sym_rtol=sym_rtol)


def inv_sqrtm_with_vjp(A, *, method="eigh", backward=None, degree=None, tol=None, max_iter=100, sym_rtol=None):
    """``inv_sqrtm(A)`` and a closure for its vector-Jacobian product.

    Parameters and defaults as for :func:`sqrtm_with_vjp`; `A` must be
    positive definite.

    Returns
    -------
    Y : array, shape (..., n, n)
        ``inv_sqrtm(A)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, Y>`` with respect to `A`.

    See Also
    --------
    inv_sqrtm, inv_sqrtm_vjp, sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> Y, vjp = nla.inv_sqrtm_with_vjp(A)
    >>> np.allclose(vjp(np.eye(2)), nla.inv_sqrtm_vjp(A, np.eye(2)))
    True
    """
    return _with_vjp(A, inverse=True, method=method, backward=backward, degree=degree, tol=tol, max_iter=max_iter, sym_rtol=sym_rtol)

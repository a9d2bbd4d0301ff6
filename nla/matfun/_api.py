"""Public functions of the matfun family: square roots, inverse square roots, VJPs."""

from __future__ import annotations

from .._validate import check_engine, check_flag, check_option
from ._backward import backward, check_iteration
from ._checks import (
    METHODS,
    VJP_METHODS,
    check_given_root,
    check_like,
    prepare,
    vjp_method_of,
)
from ._common import sym
from ._forward import eigh_factor, forward


def _with_vjp(A, *, method, degree, tol, maxiter, check_finite, sym_rtol, inverse,
              engine, vjp_method=None, vjp_tol=None, vjp_maxiter=100, make_vjp=True):
    """Forward pass, and (with `make_vjp`) the closure of its backward pass.

    Every option is checked, also those the chosen methods ignore.
    """
    check_engine(engine)
    method = check_option(method, "method", METHODS)
    check_finite = check_flag(check_finite, "check_finite")
    if make_vjp:
        vjp_method = vjp_method_of(method, vjp_method)
    xp, As = prepare(A, "A", check_finite=check_finite, sym_rtol=sym_rtol)
    if make_vjp:
        vjp_tol, vjp_maxiter = check_iteration(xp, As, vjp_tol, vjp_maxiter, "vjp_")
    out, state = forward(xp, As, "A", method=method, degree=degree, tol=tol,
                         maxiter=maxiter, inverse=inverse)
    if not make_vjp:
        return out, None
    if vjp_method == "lyapunov":
        # The sign iteration needs X (and Y for the inverse); the series
        # methods give only one of them, the other is one matmul away.
        if method in ("mpa", "mtp"):
            if inverse:
                state.update(Y=out, X=sym(xp, xp.matmul(As, out)))
            else:
                state["X"] = out

    def vjp(G):
        G = check_like(xp, As, G, "G")
        return backward(xp, As, G, state, vjp_method=vjp_method, tol=vjp_tol,
                        maxiter=vjp_maxiter, inverse=inverse, name="A", prefix="vjp_",
                        check_finite=check_finite)

    return out, vjp


def _given_state(xp, given, name, *, inverse, vjp_method, check_finite, As):
    """The backward state from a user-supplied X = sqrtm(A) or Y = inv_sqrtm(A).

    The sign iteration ("lyapunov") converges to the wrong gradient from an
    indefinite root without noticing, so there the root (and for the
    inverse X = A Y) must be positive definite (`check_given_root`).
    """
    if given is None:
        return {}
    given = sym(xp, check_like(xp, As, given, name, check_finite=check_finite))
    lyapunov = vjp_method == "lyapunov"
    if not inverse:
        if lyapunov:
            check_given_root(xp, given, name, "method='lyapunov' needs X = sqrtm(A) for a "
                             "positive definite A (method='eigh' accepts a singular A)")
        return {"X": given}
    state = {"Y": given}
    if lyapunov:
        check_given_root(xp, given, name, "method='lyapunov' needs Y = inv_sqrtm(A)")
        X = sym(xp, xp.matmul(As, given))
        check_given_root(xp, X, f"A @ {name}", f"{name} is not inv_sqrtm(A)")
        state["X"] = X
    else:
        lam, V = eigh_factor(xp, given, name)  # eigenvalues of Y are 1/sqrt(lambda)
        if bool(xp.any(lam <= 0)):
            raise ValueError(f"{name} must be positive definite")
        state.update(V=V, mu=1 / lam)
    return state


def _vjp_given(A, G, given, *, method, tol, maxiter, check_finite, sym_rtol, inverse, engine):
    check_engine(engine)
    method = check_option(method, "method", VJP_METHODS)
    check_finite = check_flag(check_finite, "check_finite")
    xp, As = prepare(A, "A", check_finite=check_finite, sym_rtol=sym_rtol)
    tol, maxiter = check_iteration(xp, As, tol, maxiter)
    G = check_like(xp, As, G, "G")
    state = _given_state(xp, given, "Y" if inverse else "X", inverse=inverse,
                         vjp_method=method, check_finite=check_finite, As=As)
    return backward(xp, As, G, state, vjp_method=method, tol=tol, maxiter=maxiter,
                    inverse=inverse, name="A", check_finite=check_finite)


def sqrtm(A, *, method="eigh", degree=None, tol=None, maxiter=100, check_finite=True,
          sym_rtol=None, engine=None):
    """Principal square root of a batch of symmetric positive semidefinite matrices.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        ``"eigh"``: batched symmetric eigendecomposition, accurate to rounding
        (the default: on a CPU it is also the fastest accurate route, see the
        benchmark figures in the docs). ``"mpa"``: the [M/N] Pade approximant
        of ``(1 - z)**(1/2)`` at ``Z = I - A/c``, one linear solve per
        matrix. ``"mtp"``: the Taylor series truncated at ``degree``. Both
        series methods are cheap but their error grows with the condition
        number. ``"newton-schulz"``: coupled Newton-Schulz iterations run
        until ``||I - Z_k Y_k||_F <= tol``: matmul-only and accurate to about
        ``sqrt(kappa) * eps``.
    degree : int or (int, int), optional
        ``"mpa"``: ``M = N = degree`` or the pair ``(M, N)``, each at most 16
        (at most 8 in float32; default ``(8, 8)``). The diagonal ``M = N``
        approximant is evaluated in factored form; ``M + N >= 1``. ``"mtp"``:
        the truncation degree, at most 256 (default 16). The other methods
        ignore it, but a value given to them must still be one of these. The
        defaults come from the error-versus-cost table of
        ``python -m benchmarks matfun`` (reproduced on the docs page): [8/8]
        is the largest degree allowed in float32, and MTP degree 16 costs
        about as much as MPA [8/8] (Paterson-Stockmeyer: 7 products, no
        solve against 14 products and a solve).
    tol : float, optional
        ``"newton-schulz"`` stopping tolerance on the residual (default
        ``10 sqrt(n) eps``); the iteration also stops when the residual stops
        decreasing at its rounding floor. ``tol=0`` runs exactly `maxiter`
        iterations (a fixed count, as in the paper) without the convergence
        error. The convergence is quadratic, so the default, at rounding
        level, costs only a couple of iterations more than a loose
        tolerance. Checked (a number >= 0) with every method.
    maxiter : int, default 100
        ``"newton-schulz"`` iteration limit; not converging within it raises
        ValueError (this happens for singular or extremely ill-conditioned
        matrices). Checked (an int >= 1) with every method.
    check_finite : bool, default True
        Reject NaN and Inf (and, in the gradients, report a gradient that
        over- or underflows the dtype).
    sym_rtol : float, optional
        Symmetry test: each matrix must satisfy
        ``||A - A^T||_F <= sym_rtol * ||A||_F`` (default ``sqrt(eps)`` of the
        dtype: 1.5e-8 in float64, 3.5e-4 in float32). The symmetric part
        ``(A + A^T)/2`` is used.
    engine : {None, "auto", "numpy", "numba"}, optional
        Validated and accepted for a uniform call across families; every
        method is a handful of batched ``matmul``, ``eigh`` and ``solve``
        calls of the array's own library, so no kernel depends on it.

    Returns
    -------
    X : array, shape (..., n, n)
        The symmetric positive semidefinite ``X`` with ``X @ X = A``, in the
        dtype of `A` (float32 stays float32, integers become float64).

    Raises
    ------
    ValueError
        Non-square input, ``ndim < 2``, empty input, NaN/Inf, non-symmetric
        input, input that is clearly not positive semidefinite, or an
        option out of its range (every option is checked, also where the
        chosen method ignores it).
    TypeError
        An option of the wrong type.

    See Also
    --------
    inv_sqrtm, sqrtm_with_vjp, sqrtm_vjp, scipy.linalg.sqrtm

    Notes
    -----
    Positive semidefiniteness: ``"eigh"`` clips eigenvalues in
    ``[-100 n eps lambda_max, 0)`` to zero and rejects anything more negative.
    The series methods run a Cholesky factorization of
    ``A / ||A||_F + 100 n eps I`` per matrix and reject matrices where it fails;
    ``"newton-schulz"`` rejects negative diagonals and divergence.
    Every matrix of a batch is normalized on its own, by
    ``c = ||A^2||_F**(1/2)``, an upper bound of ``||A||_2`` that is tighter
    than ``||A||_F`` (one extra product), never by a norm over the batch.
    ``"newton-schulz"`` tests its residual only every few iterations, when
    the scalar recurrence of the residuals says it can have converged, so
    on a GPU it synchronizes with the host a few times per call rather
    than once per iteration.

    On NumPy, ``method="eigh"`` decomposes batches of matrices smaller than
    128 x 128 with one BLAS thread, through threadpoolctl (a dependency of
    nla): NumPy loops over the batch, and multithreaded BLAS on small
    matrices only adds synchronization (see the benchmark docs). Where
    threadpoolctl cannot be imported the result is the same.

    References
    ----------
    .. [1] Y. Song, N. Sebe, W. Wang, "Fast differentiable matrix square root",
       ICLR 2022, arXiv:2201.08663.
    .. [2] N. J. Higham, "Functions of Matrices", SIAM 2008, chapters 6 and 8.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 0.0], [0.0, 9.0]])
    >>> nla.sqrtm(A)
    array([[2., 0.],
           [0., 3.]])
    >>> B = np.stack([A, 4 * A])                     # a batch of two
    >>> X = nla.sqrtm(B, method="newton-schulz")
    >>> bool(np.allclose(X @ X, B, rtol=1e-12, atol=0))
    True
    """
    X, _ = _with_vjp(A, method=method, degree=degree, tol=tol, maxiter=maxiter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=False,
                     engine=engine, make_vjp=False)
    return X


def inv_sqrtm(A, *, method="eigh", degree=None, tol=None, maxiter=100, check_finite=True,
              sym_rtol=None, engine=None):
    """Inverse principal square root of a batch of symmetric positive definite matrices.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        As in :func:`sqrtm`. The series methods are far less accurate here
        than for :func:`sqrtm` (see Warnings); ``"newton-schulz"`` is
        accurate to about ``kappa * eps``.
    degree, tol, maxiter, check_finite, sym_rtol, engine
        As in :func:`sqrtm`.

    Returns
    -------
    Y : array, shape (..., n, n)
        ``A**(-1/2)``: symmetric positive definite with ``Y @ A @ Y = I``.
        The series methods use ``(1 - z)**(-1/2) ~ Q_N / P_M`` (one solve) and
        the truncated series of ``(1 - z)**(-1/2)``.

    Raises
    ------
    ValueError
        As :func:`sqrtm`; also for singular `A`, with every method: an
        eigenvalue at most ``n eps lambda_max`` counts as zero (it is within
        the rounding of the eigensolver). ``"eigh"`` reads it from the
        eigenvalues; the other methods from a Cholesky factorization of
        ``A/c - n eps I`` with ``c = ||A^2||_F**(1/2)``, between
        ``lambda_max`` and ``n**(1/4) lambda_max``, so their floor is at
        most that factor higher.

    Warnings
    --------
    The series methods (``"mpa"``, ``"mtp"``) are much less accurate for
    the inverse square root than for the square root. They approximate
    ``(1 - z)**(-1/2)``, which has a pole at ``z = 1``, and the smallest
    eigenvalue sits at ``z = 1 - lambda_min/c``, close to that pole. The
    truncation error there is of the order of ``lambda_min**(-1/2)`` itself,
    the largest entry of the result. The docs page gives the errors that
    ``python -m benchmarks matfun`` measures; above a condition number of
    about 10, use ``"eigh"`` or ``"newton-schulz"`` for whitening.

    See Also
    --------
    sqrtm, inv_sqrtm_with_vjp, inv_sqrtm_vjp

    Notes
    -----
    Definiteness and normalization as in :func:`sqrtm`.

    References
    ----------
    .. [1] Y. Song, N. Sebe, W. Wang, "Fast differentiable matrix square root",
       ICLR 2022, arXiv:2201.08663.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 0.0], [0.0, 16.0]])
    >>> nla.inv_sqrtm(A)
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    Y, _ = _with_vjp(A, method=method, degree=degree, tol=tol, maxiter=maxiter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=True,
                     engine=engine, make_vjp=False)
    return Y


def sqrtm_with_vjp(A, *, method="eigh", vjp_method=None, degree=None, tol=None, maxiter=100,
                   vjp_tol=None, vjp_maxiter=100, check_finite=True, sym_rtol=None,
                   engine=None):
    """Square root and a closure for its vector-Jacobian product, like ``jax.vjp``.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        The forward method, as in :func:`sqrtm`.
    vjp_method : {"eigh", "lyapunov"}, optional
        How ``vjp`` solves ``X dA + dA X = G``: the values of
        :func:`sqrtm_vjp`'s `method`. ``"eigh"`` (default when
        ``method="eigh"``): Daleckii-Krein with the forward's eigenvectors.
        ``"lyapunov"`` (default otherwise): the Newton-Schulz sign iteration
        with the forward's ``X``, matmul only.
    vjp_tol : float, optional
        Sign iteration tolerance: it stops once
        ``||I - B_k^2||_F <= vjp_tol`` is guaranteed (default
        ``10 sqrt(n) eps``; :func:`sqrtm_vjp`'s `tol`); 0 runs exactly
        `vjp_maxiter` iterations. Checked when the call is made, with
        either `vjp_method`.
    vjp_maxiter : int, default 100
        Sign iteration limit (:func:`sqrtm_vjp`'s `maxiter`); not converging
        within it raises ValueError unless ``vjp_tol=0``. Checked as
        `vjp_tol`.
    degree, tol, maxiter, check_finite, sym_rtol, engine
        As in :func:`sqrtm`.

    Returns
    -------
    X : array, shape (..., n, n)
        ``sqrtm(A, method=method, ...)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, sqrtm(A)>`` with respect to
        `A`, the solution of ``X dA + dA X = G`` (for symmetric `G` it is
        symmetric). It reuses the forward pass's eigendecomposition or ``X``:
        a training step pays for one factorization, not two. A gradient that
        over- or underflows the dtype raises ValueError (see
        :func:`sqrtm_vjp`).

    See Also
    --------
    sqrtm, sqrtm_vjp, inv_sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.diag([1.0, 4.0])
    >>> X, vjp = nla.sqrtm_with_vjp(A)
    >>> vjp(np.eye(2))                               # d tr(sqrt A) / dA = A^(-1/2) / 2
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return _with_vjp(A, method=method, degree=degree, tol=tol, maxiter=maxiter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=False,
                     engine=engine, vjp_method=vjp_method, vjp_tol=vjp_tol,
                     vjp_maxiter=vjp_maxiter)


def inv_sqrtm_with_vjp(A, *, method="eigh", vjp_method=None, degree=None, tol=None,
                       maxiter=100, vjp_tol=None, vjp_maxiter=100, check_finite=True,
                       sym_rtol=None, engine=None):
    """Inverse square root and a closure for its vector-Jacobian product.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        The forward method, as in :func:`inv_sqrtm`.
    vjp_method, vjp_tol, vjp_maxiter
        As in :func:`sqrtm_with_vjp` (the values of :func:`inv_sqrtm_vjp`'s
        `method`, `tol` and `maxiter`).
    degree, tol, maxiter, check_finite, sym_rtol, engine
        As in :func:`inv_sqrtm`.

    Returns
    -------
    Y : array, shape (..., n, n)
        ``inv_sqrtm(A, ...)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, inv_sqrtm(A)>``: with
        ``X = A**(1/2)`` it solves ``X dA + dA X = -Y G Y``. Daleckii-Krein
        form: ``V (K o V^T G V) V^T`` with
        ``K_ij = -1/(mu_i mu_j (mu_i + mu_j))``, ``mu = sqrt(lambda)``.

    See Also
    --------
    inv_sqrtm, inv_sqrtm_vjp, sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> Y, vjp = nla.inv_sqrtm_with_vjp(np.diag([1.0, 4.0]))
    >>> vjp(np.eye(2))                               # -A^(-3/2) / 2
    array([[-0.5   ,  0.    ],
           [ 0.    , -0.0625]])
    """
    return _with_vjp(A, method=method, degree=degree, tol=tol, maxiter=maxiter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=True,
                     engine=engine, vjp_method=vjp_method, vjp_tol=vjp_tol,
                     vjp_maxiter=vjp_maxiter)


def sqrtm_vjp(A, G, *, X=None, method="eigh", tol=None, maxiter=100, check_finite=True,
              sym_rtol=None, engine=None):
    """Gradient of ``<G, sqrtm(A)>`` with respect to `A`.

    Solves the Sylvester (Lyapunov) equation ``X dA + dA X = G`` with
    ``X = sqrtm(A)``.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    G : array_like, shape (..., n, n)
        Cotangent: the gradient of the loss with respect to ``sqrtm(A)``.
    X : array_like, optional
        ``sqrtm(A)`` if already known; it is reused (``"eigh"`` then
        decomposes `X`, whose eigenvalues are ``sqrt(lambda)``). With
        ``"lyapunov"`` it must be positive definite: the sign iteration
        would converge from any other square root of `A` to a wrong
        gradient, so a Cholesky factorization of
        ``X / ||X||_F - n eps I`` checks it first (indefinite or singular
        `X`: ValueError naming X). It is not compared with `A`.
    method : {"eigh", "lyapunov"}, default "eigh"
        ``"eigh"``: Daleckii-Krein, ``V ((V^T G V) / (mu_i + mu_j)) V^T``
        with ``mu = sqrt(lambda)``; finite at ``A = I`` and at repeated
        eigenvalues. For a PSD matrix with zero eigenvalues, the pairs of
        eigenvalues that are both numerically zero (at most
        ``n eps lambda_max``, within the rounding of the eigensolver; the
        Lyapunov equation is singular there) get 0: the minimum-norm
        solution. ``"lyapunov"``: the coupled Newton-Schulz sign iteration
        on ``[[B, C], [0, -B]]``, per-matrix normalized, run to `tol`
        (matmul only). Needs positive definite `A`.
    tol : float, optional
        ``"lyapunov"`` tolerance: the iteration stops once
        ``||I - B_k^2||_F <= tol`` is guaranteed (default
        ``10 sqrt(n) eps``), tested through ``trace(I - B_k^2)``, an upper
        bound that costs only the diagonal of ``B_k^2``, at a few iterations
        predicted from the scalar recurrence of the residuals rather than
        at every one; ``tol=0`` runs exactly `maxiter` iterations (a fixed
        count) without the convergence error.
    maxiter : int, default 100
        ``"lyapunov"`` iteration limit; not converging within it raises
        ValueError unless ``tol=0``. `tol` and `maxiter` are checked with
        either method.
    check_finite, sym_rtol, engine
        As in :func:`sqrtm`.

    Returns
    -------
    dA : array, shape (..., n, n)
        The gradient, in the dtype of `A`.

    Raises
    ------
    ValueError
        As :func:`sqrtm`; for a bad `X` (above); and, with `check_finite`,
        when the gradient is not representable in the dtype: it divides by
        square roots of eigenvalues (by their cubes for
        :func:`inv_sqrtm_vjp`), so finite `A` and `G` can give an entry
        beyond the largest float (overflow), or a matrix whose entries all
        fall below the smallest normal number for a nonzero `G`
        (underflow). Scaling `A` by ``c`` scales the gradient by
        ``c**(-1/2)`` (``c**(-3/2)``).

    See Also
    --------
    sqrtm_with_vjp, inv_sqrtm_vjp, scipy.linalg.solve_continuous_lyapunov

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.eye(3)                                # finite at A = I
    >>> nla.sqrtm_vjp(A, np.eye(3), method="lyapunov")
    array([[0.5, 0. , 0. ],
           [0. , 0.5, 0. ],
           [0. , 0. , 0.5]])
    """
    return _vjp_given(A, G, X, method=method, tol=tol, maxiter=maxiter,
                      check_finite=check_finite, sym_rtol=sym_rtol, inverse=False,
                      engine=engine)


def inv_sqrtm_vjp(A, G, *, Y=None, method="eigh", tol=None, maxiter=100, check_finite=True,
                  sym_rtol=None, engine=None):
    """Gradient of ``<G, inv_sqrtm(A)>`` with respect to `A`.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices.
    G : array_like, shape (..., n, n)
        Cotangent: the gradient of the loss with respect to ``inv_sqrtm(A)``.
    Y : array_like, optional
        ``inv_sqrtm(A)`` if already known; it is reused. With
        ``"lyapunov"`` both `Y` and ``A @ Y`` (the ``X`` the sign iteration
        uses) must be positive definite, checked as `X` in
        :func:`sqrtm_vjp`.
    method : {"eigh", "lyapunov"}, default "eigh"
        As in :func:`sqrtm_vjp`; the equation solved is
        ``X dA + dA X = -Y G Y``.
    tol, maxiter, check_finite, sym_rtol, engine
        As in :func:`sqrtm_vjp`.

    Returns
    -------
    dA : array, shape (..., n, n)

    Raises
    ------
    ValueError
        As :func:`sqrtm_vjp`, and for singular `A`.

    See Also
    --------
    inv_sqrtm_with_vjp, sqrtm_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> nla.inv_sqrtm_vjp(np.diag([1.0, 4.0]), np.eye(2))
    array([[-0.5   ,  0.    ],
           [ 0.    , -0.0625]])
    """
    return _vjp_given(A, G, Y, method=method, tol=tol, maxiter=maxiter,
                      check_finite=check_finite, sym_rtol=sym_rtol, inverse=True,
                      engine=engine)

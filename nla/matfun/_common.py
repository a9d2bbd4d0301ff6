"""Numerics shared by the forward and backward methods of the matfun family.

Per-matrix norms and scalings of a ``(..., n, n)`` batch (every matrix is
normalized on its own, never by a norm over the batch), and the iteration
schedule that lets the Newton-Schulz and sign iterations test convergence
every few iterations instead of after each one. Generic array-API code.
"""

from __future__ import annotations

import numpy as np

from .._backend import device_of


def eps_of(xp, dtype):
    """Machine epsilon of a floating dtype of namespace `xp`, as a float."""
    return float(xp.finfo(dtype).eps)


def mT(xp, M):
    """Transpose of the last two axes."""
    return xp.matrix_transpose(M)


def sym(xp, M):
    """The symmetric part ``(M + M^T) / 2`` (exactly symmetric)."""
    return (M + mT(xp, M)) / 2


def eye_like(xp, n, like):
    """Identity of size n in the dtype and on the device of the array `like`."""
    return xp.eye(n, dtype=like.dtype, device=device_of(like))


def fro(xp, M):
    """Per-matrix Frobenius norm with shape (..., 1, 1), safe from under/overflow.

    The plain sum of squares s2 is used when it is trustworthy for every
    matrix: finite (no square overflowed) and at least
    ``n**2 * smallest_normal / eps``, so that squares lost to underflow (each
    below smallest_normal) change it by less than eps relative. Otherwise
    each matrix is divided by its largest absolute entry m before squaring,
    ||M||_F = m ||M/m||_F, so the squares lie in [0, 1] and sum to at most
    n**2: no overflow for entries near the largest float, and no underflow to
    zero for entries near the smallest normal number (unscaled, the squares
    of float64 entries below 1e-154, float32 below 1e-19, vanish). The result
    overflows only when the norm itself is not representable.
    """
    with np.errstate(over="ignore", under="ignore"):  # checked just below
        s2 = xp.sum(M * M, axis=(-2, -1), keepdims=True)
    info = xp.finfo(M.dtype)
    low = M.shape[-1] * M.shape[-2] * float(info.smallest_normal) / float(info.eps)
    if bool(xp.all((s2 >= low) & (s2 <= float(info.max)))):
        return xp.sqrt(s2)
    m = xp.max(xp.abs(M), axis=(-2, -1), keepdims=True)
    if bool(xp.all(((s2 >= low) | (m == 0)) & (s2 <= float(info.max)))):
        return xp.sqrt(s2)  # the only small sums are of zero matrices
    m = xp.where(m > 0, m, xp.ones_like(m))
    Ms = M / m
    return m * xp.sqrt(xp.sum(Ms * Ms, axis=(-2, -1), keepdims=True))


def normalizer(xp, A):
    """Per-matrix ||A||_F (shape (..., 1, 1)); zero matrices get 1 (their root is 0)."""
    c = fro(xp, A)
    return xp.where(c > 0, c, xp.ones_like(c))


def spectral_bound(xp, A, f=None):
    """Per-matrix upper bound of ||A||_2 for symmetric A: ||A^2||_F**(1/2).

    ||A^2||_F**(1/2) = (sum lambda_i**4)**(1/4) >= max |lambda_i|, and it is
    never larger than ||A||_F = (sum lambda_i**2)**(1/2): for spread spectra
    it is smaller by up to n**(1/4), which brings the normalized spectrum of
    the series methods further from their branch point z = 1 and saves
    Newton-Schulz iterations, for one extra product. A is scaled by its
    Frobenius norm (`f`, computed when not given) before squaring so nothing
    overflows. Zero matrices get 1.
    """
    if f is None:
        f = normalizer(xp, A)
    An = A / f
    b = xp.sqrt(fro(xp, xp.matmul(An, An)))
    b = xp.where(b > 0, b, xp.ones_like(b))
    return xp.minimum(f * b, f)


def phi(t):
    """Residual ``1 - b**2`` of ``b (3 - b**2) / 2`` when that of ``b`` is `t`.

    One Newton-Schulz update (of the square root or of the matrix sign) maps
    each eigenvalue residual t in [0, 1] to ``(3 t**2 + t**3) / 4``.
    """
    return (3 * t * t + t * t * t) / 4


def updates_needed(t, tol, cap):
    """Smallest j with phi^j(t) <= tol; `cap` if there is none below `cap`.

    phi is increasing on [0, 1], so a bound on the residuals bounds them
    after j updates; residuals of 1 or more (a singular or indefinite
    matrix) never shrink and give `cap`.
    """
    j = 0
    while t > tol:
        if t >= 1 or j >= cap:
            return cap
        t = phi(t)
        j += 1
    return j


class Schedule:
    """When to test convergence: every few updates, predicted from phi.

    After a test giving a norm `t` of the residual matrix, the largest
    eigenvalue residual lies in ``[t / spread, t]`` (``spread`` is n for a
    trace, sqrt(n) for a Frobenius norm, of a positive semidefinite
    residual). At least ``updates_needed(t / spread)`` updates are needed,
    so that many run before the next test (no host synchronization in
    between, no overshoot); once the upper count ``updates_needed(t)``
    exceeds the lower one by at most one, that many run and the iteration
    stops: ``tol`` is then guaranteed without another test. ``phi(t)/t``
    grows with t, so a Frobenius norm t obeys the same recurrence as the
    largest residual: ``||R_j||_F <= phi^j(||R||_F)``.
    """

    def __init__(self, tol, maxiter, spread):
        self.tol, self.maxiter, self.spread = tol, maxiter, spread
        self.skip = maxiter if tol == 0 else 0  # updates before the next test
        self.final = None  # updates left until convergence is guaranteed

    def test_due(self):
        return self.final is None and self.skip == 0

    def plan(self, t):
        """Plan the updates after a test that gave the residual norm `t`."""
        lower = updates_needed(t / self.spread, self.tol, self.maxiter)
        upper = updates_needed(t, self.tol, self.maxiter)
        if upper < self.maxiter and upper <= lower + 1:  # maxiter: no bound
            self.final = upper
        elif t >= self.spread:
            self.skip = 1  # every residual may be >= 1 (divergence): no prediction
        else:
            self.skip = max(lower, 1)

    def updated(self):
        """Count one update; True when convergence is now guaranteed."""
        if self.final is not None:
            self.final -= 1
            return self.final == 0
        self.skip -= 1
        return False

"""Extreme scales: every low-rank function commutes with A -> cA.

For c from 1e-150 to 1e150 (float64; 1e-30 to 1e30 in float32) and base
matrices of norm 1e-6 and 1e6 (so that c ||A|| reaches 1e-156 and 1e156,
where a Gram matrix or a squared norm leaves the float64 range):

* rsvd: s(cA) = c s(A), U and Vt unchanged up to sign;
* range_finder: the same basis (it does not depend on the scale of A);
* nystrom: the approximation scales by c;
* nystrom_psd: the eigenvalues scale by c, U is unchanged up to sign;
* cur: the same indices, C and R scale by c, the core by 1/c;
* pinv_cr: pinv(cC, R) = pinv(C, cR) = pinv(C, R) / c.

The base matrices have exact rank 5 with singular values (or eigenvalues)
``N * logspace(0, -1, 5)``, so every randomized method is exact up to
rounding. Each run is backward stable: its result is exact for a
perturbation of A of norm at most ``p eps ||A||``, and ``cA`` itself is
``c A`` rounded entrywise (relative eps). So two runs agree to twice the
perturbation bound of each quantity: Weyl for singular values and
eigenvalues, Wedin / Davis-Kahan (error / gap) for singular and eigen
vectors, the bounds of the per-function tests for the rest, with ``p = 1e3
max(m, n)`` (1e3 is the step-count margin the family's tests use).
"""

import functools

import numpy as np
import pytest
import scipy.sparse as sp

import nla
from tests.helpers import random_orthogonal, with_singular_values

M, N_COLS, RANK = 40, 30, 5
SV = np.logspace(0, -1, RANK)  # kappa = 10
KAPPA = SV[0] / SV[-1]
GAP = min(np.min(-np.diff(SV)), SV[-1])  # to the next value, and to the zero ones

C64 = (1e-150, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e150)
C32 = (1e-30, 1e-20, 1e-10, 1.0, 1e10, 1e20, 1e30)
CASES = [("float64", c, norm) for norm in (1e-6, 1e6) for c in C64] + [
    ("float32", c, 1.0) for c in C32
]
IDS = [f"{dt}-c={c:.0e}-norm={norm:.0e}" for dt, c, norm in CASES]
FORMS = ["dense", "sparse"]


def _tol(dtype, norm):
    """Perturbation bound p eps ||A|| of one backward-stable run."""
    return 1e3 * max(M, N_COLS) * float(np.finfo(dtype).eps) * norm


@functools.lru_cache(maxsize=None)
def _base(dtype, norm):
    rng = np.random.default_rng(7)
    A = with_singular_values(rng, M, N_COLS, norm * SV).astype(dtype)
    Q = random_orthogonal(rng, N_COLS, RANK)
    P = ((Q * (norm * SV)) @ Q.T).astype(dtype)
    P = (P + P.T) / 2  # exactly symmetric (rounding of a + b is symmetric)
    return A, P


def _form(X, form):
    return sp.csr_matrix(X) if form == "sparse" else X


def _scaled(X, c):
    return (X * X.dtype.type(c)).astype(X.dtype)


def _same_up_to_sign(X, Y, axis, tol):
    """Columns (axis 0) or rows (axis 1) of X equal those of Y up to sign."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    dots = np.sum(X * Y, axis=axis, keepdims=True)
    np.testing.assert_array_less(np.abs(X * np.sign(dots) - Y), tol)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_rsvd(dtype, c, norm, form):
    A, _ = _base(dtype, norm)
    ref = nla.rsvd(_form(A, form), RANK, rng=0)
    got = nla.rsvd(_form(_scaled(A, c), form), RANK, rng=0)
    assert got.s.dtype == np.dtype(dtype)
    tol = 2 * _tol(dtype, norm)
    np.testing.assert_array_less(np.abs(got.s / c - ref.s), tol)
    _same_up_to_sign(got.U, ref.U, 0, tol / (GAP * norm))
    _same_up_to_sign(got.Vt, ref.Vt, 1, tol / (GAP * norm))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_range_finder(dtype, c, norm, form):
    # the Q factor of a QR moves by at most ~ kappa(Y) times the relative
    # perturbation of Y = A Z (Z orthonormal, spanning the row space), and
    # kappa(Y) = kappa(A) on its range: no sign flips, no other basis
    A, _ = _base(dtype, norm)
    ref = nla.lowrank.range_finder(_form(A, form), RANK, rng=0)
    got = nla.lowrank.range_finder(_form(_scaled(A, c), form), RANK, rng=0)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_less(np.abs(got - ref), 2 * KAPPA * _tol(dtype, 1.0))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_nystrom(dtype, c, norm, form):
    # test_nystrom's exact-recovery bound, 1e3 kappa eps max(m, n) ||A||, twice
    A, _ = _base(dtype, norm)
    ref = nla.nystrom(_form(A, form), RANK, rng=0).to_dense()
    got = nla.nystrom(_form(_scaled(A, c), form), RANK, rng=0).to_dense()
    assert got.dtype == np.dtype(dtype)
    err = np.linalg.norm(got.astype(np.float64) / c - ref, 2)
    assert err <= 2 * KAPPA * _tol(dtype, norm)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_nystrom_psd(dtype, c, norm, form):
    # test_nystrom's PSD bound 1e3 kappa eps n lambda_max for the
    # approximation, hence (Weyl) for the eigenvalues; eigenvectors move by
    # that over the gap (Davis-Kahan)
    _, P = _base(dtype, norm)
    ref = nla.nystrom_psd(_form(P, form), RANK, rng=0)
    got = nla.nystrom_psd(_form(_scaled(P, c), form), RANK, rng=0)
    assert got.eigenvalues.dtype == np.dtype(dtype)
    tol = 2 * KAPPA * _tol(dtype, norm)
    np.testing.assert_array_less(np.abs(got.eigenvalues / c - ref.eigenvalues), tol)
    _same_up_to_sign(got.U, ref.U, 0, tol / (GAP * norm))


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def _cond(X):
    s = np.linalg.svd(_dense(X).astype(np.float64), compute_uv=False)
    return s[0] / s[-1]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_cur(dtype, c, norm, form):
    # indices are chosen from scale-free quantities (normalized singular
    # vectors, pivots, probabilities), so they repeat; C and R are entries
    # of cA, i.e. c A rounded, exactly as c C(A); the core is a product of
    # pseudoinverses of C, R (or of W = A[I, J]), which move relatively by at
    # most 2 kappa times the relative perturbation (Wedin)
    A, _ = _base(dtype, norm)
    cA = _scaled(A, c)
    for method in ("deim", "qdeim", "qr", "leverage", "uniform"):
        for core in ("projection", "cross"):
            ref = nla.cur(_form(A, form), RANK, method=method, core=core, rng=0)
            got = nla.cur(_form(cA, form), RANK, method=method, core=core, rng=0)
            np.testing.assert_array_equal(got.col_idx, ref.col_idx)
            np.testing.assert_array_equal(got.row_idx, ref.row_idx)
            np.testing.assert_array_equal(_dense(got.C), _dense(cA)[:, ref.col_idx])
            np.testing.assert_array_equal(_dense(got.R), _dense(cA)[ref.row_idx, :])
            W = A[np.ix_(ref.row_idx, ref.col_idx)]
            kappa = max(_cond(ref.C), _cond(ref.R), _cond(W))
            U_ref = np.asarray(ref.U, dtype=np.float64)
            tol = 4 * kappa * _tol(dtype, 1.0) * np.linalg.norm(U_ref, 2)
            assert np.linalg.norm(np.asarray(got.U, dtype=np.float64) * c - U_ref, 2) <= tol


@pytest.mark.parametrize("method", ["exact", "randomized"])
@pytest.mark.parametrize("dtype, c, norm", CASES, ids=IDS)
def test_pinv_cr(dtype, c, norm, method):
    # test_pinv_cr's bound, 1e3 kappa eps max-dim ||A^+||, twice; here
    # kappa(C R) <= kappa(C) kappa(R) = 100
    rng = np.random.default_rng(11)
    Cb = with_singular_values(rng, M, RANK, norm * SV).astype(dtype)
    Rb = with_singular_values(rng, RANK, N_COLS, SV).astype(dtype)
    ref = nla.pinv_cr(Cb, Rb, method=method, rng=0).astype(np.float64)
    tol = 2 * KAPPA**2 * _tol(dtype, 1.0) * np.linalg.norm(ref, 2)
    for C, R in ((_scaled(Cb, c), Rb), (Cb, _scaled(Rb, c))):
        got = nla.pinv_cr(C, R, method=method, rng=0)
        assert got.dtype == np.dtype(dtype)
        assert np.linalg.norm(got.astype(np.float64) * c - ref, 2) <= tol

"""GCRO-DR, recycled CG and solve_sequence: correctness, recycling, failure modes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import seeds
from tests.krylov._systems import nonsymmetric, spd


def _convdiff(n, wind, shift=0.0):
    """1-D upwind convection-diffusion (nonsymmetric M-matrix), order n."""
    main = 2.0 + wind + shift
    return sp.diags_array([-1.0 - wind, main, -1.0], offsets=[-1, 0, 1], shape=(n, n),
                          format="csr")


def _laplace2d(n):
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(n, n))
    return (sp.kron(T, sp.eye(n)) + sp.kron(sp.eye(n), T)).tocsr()


def _rel_res(A, x, b):
    return np.linalg.norm(b - A @ x) / np.linalg.norm(b)


# ----------------------------------------------------------------- accuracy


@given(seed=seeds, n=st.integers(5, 40), kappa=st.floats(2.0, 1e3),
       cplx=st.booleans(), m=st.integers(4, 20))
def test_gcrodr_true_residual_and_spsolve(seed, n, kappa, cplx, m):
    rng = np.random.default_rng(seed)
    A = nonsymmetric(rng, n, kappa + 2.0)
    b = rng.standard_normal(n)
    if cplx:
        A = A + 1j * (nonsymmetric(rng, n, 4.0) - nonsymmetric(rng, n, 4.0).T) / 4
        b = b + 1j * rng.standard_normal(n)
    k = m // 2
    x, info = nla.gcrodr(sp.csr_array(A), b, m=m, k=k, rtol=1e-10)
    assert info.converged
    assert _rel_res(A, x, b) <= 1e-10
    # the same residual, up to the rounding of a product with A (dense vs CSR order)
    rounding = 4 * n * np.finfo(float).eps * np.linalg.norm(A, 2) * np.linalg.norm(x)
    assert abs(info.residual_norm - np.linalg.norm(b - A @ x)) <= rounding
    ref = spla.spsolve(sp.csc_array(A), b)
    # forward error <= cond(A) * backward error; cond(A) <= ||A|| ||A^-1|| with
    # ||A^-1|| <= 1 (field of values in Re z >= 1)
    cond = np.linalg.norm(A, 2)
    assert np.linalg.norm(x - ref) <= 2 * cond * 1e-10 * np.linalg.norm(ref)


@given(seed=seeds, n=st.integers(5, 40), kappa=st.floats(2.0, 1e3), k=st.integers(0, 6))
def test_cg_recycled_true_residual_and_spsolve(seed, n, kappa, k):
    rng = np.random.default_rng(seed)
    A = spd(rng, n, kappa)
    b = rng.standard_normal(n)
    for engine in ("numpy", "numba"):
        x, info = nla.cg_recycled(sp.csr_array(A), b, k=min(k, n), rtol=1e-10, engine=engine)
        assert info.converged
        assert _rel_res(A, x, b) <= 1e-10
        ref = np.linalg.solve(A, b)
        assert np.linalg.norm(x - ref) <= 2 * kappa * 1e-10 * np.linalg.norm(ref)


def test_gcrodr_forms_and_preconditioner_agree():
    rng = np.random.default_rng(0)
    A = nonsymmetric(rng, 30, 20.0)
    b = rng.standard_normal(30)
    M = np.diag(1.0 / np.diag(A))
    ref = np.linalg.solve(A, b)
    for form in (A, sp.csr_array(A), spla.aslinearoperator(A)):
        for pre in (None, M, sp.csr_array(M), spla.aslinearoperator(M)):
            x, info = nla.gcrodr(form, b, M=pre, m=10, k=4, rtol=1e-11)
            assert info.converged and _rel_res(A, x, b) <= 1e-11
            assert np.linalg.norm(x - ref) <= 20 * 1e-10 * np.linalg.norm(ref)


def test_float32_in_float32_out():
    rng = np.random.default_rng(1)
    A = nonsymmetric(rng, 20, 10.0).astype(np.float32)
    b = rng.standard_normal(20).astype(np.float32)
    x, info = nla.gcrodr(A, b, m=10, k=3)
    assert x.dtype == np.float32 and info.residuals.dtype == np.float32
    x64 = np.linalg.solve(A.astype(np.float64), b.astype(np.float64))
    assert np.linalg.norm(x - x64) <= 10 * 20 * np.finfo(np.float32).eps * np.linalg.norm(x64)


# --------------------------------------------------------------- invariants


def test_gcrodr_invariants_after_every_cycle():
    A = _convdiff(300, 0.5)
    b = np.ones(300)
    seen = []

    normA = np.linalg.norm(A.toarray(), 2)
    eps = np.finfo(float).eps

    def check(it, info):
        U, C = info.recycle.U, info.recycle.C
        if U is None:
            return
        seen.append(it)
        # rounding of the m-step cycle, carried from cycle to cycle through
        # U <- [U~ Z] P R^-1: it may add up over the cycles so far
        cycles = len(seen)
        k = C.shape[1]
        bound = 100 * cycles * 20 * eps
        assert np.linalg.norm(A @ U - C) <= bound * normA * np.linalg.norm(U)
        assert np.linalg.norm(C.T @ C - np.eye(k)) <= bound * k

    x, info = nla.gcrodr(A, b, m=20, k=8, callback=check)
    assert info.converged and len(seen) >= 2


def test_invariants_after_a_change_of_A():
    A, A2 = _convdiff(200, 0.5), _convdiff(200, 0.6)
    b = np.ones(200)
    _, info = nla.gcrodr(A, b, m=20, k=8)
    _, info2 = nla.gcrodr(A2, b, m=20, k=8, recycle=info.recycle)
    U, C = info2.recycle.U, info2.recycle.C
    assert np.linalg.norm(A2 @ U - C) <= 1e-10 * np.linalg.norm(C)
    assert np.linalg.norm(C.T @ C - np.eye(C.shape[1])) <= 1e-12 * C.shape[1]


def test_cg_recycle_is_a_orthonormal():
    A = _laplace2d(15)
    b = np.ones(A.shape[0])
    _, info = nla.cg_recycled(A, b, k=6)
    W, AW = info.recycle.U, info.recycle.C
    assert np.linalg.norm(A @ W - AW) <= 1e-12 * np.linalg.norm(AW)
    assert np.linalg.norm(W.T @ AW - np.eye(W.shape[1])) <= 1e-10


# ---------------------------------------------------------------- recycling


@pytest.mark.parametrize("solver", [nla.gcrodr, nla.cg_recycled])
def test_resolving_with_its_own_recycle_is_nearly_free(solver):
    A = _laplace2d(12)
    b = np.ones(A.shape[0])
    x, info = solver(A, b)
    x2, info2 = solver(A, b, recycle=info.recycle)
    assert info2.converged and info2.matvecs <= 3
    assert _rel_res(A, x2, b) <= 1e-8


def _convdiff2d(nn, wind):
    """2-D five-point Laplacian plus upwind convection (nonsymmetric), order nn^2."""
    D = sp.diags_array([-1.0, 1.0], offsets=[-1, 0], shape=(nn, nn))
    C = sp.kron(sp.eye_array(nn), D) + sp.kron(D, sp.eye_array(nn))
    return (_laplace2d(nn) + wind * C).tocsr()


def test_slowly_varying_sequence_needs_fewer_matvecs_with_recycling():
    As = [_convdiff2d(20, 0.3 + 0.01 * i) for i in range(6)]
    b = np.ones(400)
    fresh = sum(nla.gcrodr(A, b, m=20, k=10)[1].matvecs for A in As)
    total, rec = 0, None
    for A in As:
        x, info = nla.gcrodr(A, b, m=20, k=10, recycle=rec)
        assert info.converged and _rel_res(A, x, b) <= 1e-8
        total, rec = total + info.matvecs, info.recycle
    assert total <= 0.7 * fresh
    # deflation alone (no solutions carried) also saves
    total_k, rec = 0, None
    for A in As:
        _, info = nla.gcrodr(A, b, m=20, k=10, recycle=rec, n_solutions=0)
        total_k, rec = total_k + info.matvecs, info.recycle
    assert total_k <= 0.9 * fresh


def test_gcrodr_beats_gcrotmk_on_matvecs_for_a_sequence():
    As = [_convdiff2d(20, 0.3 + 0.01 * i) for i in range(5)]
    b = np.ones(400)
    ours = 0
    rec = None
    for A in As:
        _, info = nla.gcrodr(A, b, m=20, k=10, recycle=rec)
        ours, rec = ours + info.matvecs, info.recycle
    count = [0]
    CU = []
    for A in As:
        op = spla.LinearOperator(A.shape, matvec=lambda v, A=A: (count.__setitem__(
            0, count[0] + 1), A @ v)[1], dtype=float)
        spla.gcrotmk(op, b, m=10, k=10, CU=CU, discard_C=True, rtol=1e-8)
    assert ours < count[0]


# ------------------------------------------------------------ failure modes


def test_maxiter_gives_unconverged_and_a_warning():
    A = _convdiff(300, 0.5)
    for solver, kw in ((nla.gcrodr, {"m": 10, "k": 3}), (nla.cg_recycled, {})):
        B = A if solver is nla.gcrodr else _laplace2d(17)
        with pytest.warns(nla.ConvergenceWarning):
            x, info = solver(B, np.ones(B.shape[0]), maxiter=5, **kw)
        assert not info.converged and info.iterations <= 5
        assert info.residual_norm == pytest.approx(np.linalg.norm(np.ones(B.shape[0]) - B @ x))


def test_breakdown_on_an_exactly_solved_system():
    n = 50
    D = sp.diags_array(np.arange(1.0, n + 1), format="csr")
    e = np.zeros(n)
    e[3] = 1.0  # an eigenvector: the Krylov space is invariant after one step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, info = nla.gcrodr(D, e)
        x2, info2 = nla.cg_recycled(D, e)
    for y, inf in ((x, info), (x2, info2)):
        assert inf.converged and np.all(np.isfinite(y))
        np.testing.assert_allclose(y, e / 4.0, atol=1e-14)
    x, info = nla.gcrodr(sp.eye_array(n, format="csr"), np.ones(n))
    assert info.converged and info.iterations <= 1


def test_singular_system_raises_instead_of_looping():
    A = sp.diags_array(np.r_[np.zeros(1), np.ones(9)], format="csr")
    with pytest.raises(ValueError, match="singular"):
        nla.gcrodr(A, np.ones(10))


def test_zero_rhs_returns_zero():
    A = _convdiff(20, 0.5)
    for solver in (nla.gcrodr, nla.cg_recycled):
        B = A if solver is nla.gcrodr else _laplace2d(4)
        x, info = solver(B, np.zeros(B.shape[0]), x0=np.ones(B.shape[0]))
        assert info.converged and info.matvecs == 0 and not np.any(x)


def test_bad_input_messages():
    A = _convdiff(20, 0.5)
    b = np.ones(20)
    _, info = nla.gcrodr(_convdiff(30, 0.5), np.ones(30))
    with pytest.raises(ValueError, match="recycle"):
        nla.gcrodr(A, b, recycle=info.recycle)
    with pytest.raises(TypeError, match="recycle"):
        nla.gcrodr(A, b, recycle="U")
    with pytest.raises(ValueError, match="A must be square"):
        nla.gcrodr(sp.random_array((20, 21), density=0.3), b)
    with pytest.raises(ValueError, match="b must have length"):
        nla.gcrodr(A, np.ones(19))
    bad = A.toarray()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="A must not contain NaN"):
        nla.gcrodr(bad, b)
    with pytest.raises(ValueError, match="A must be symmetric"):
        nla.cg_recycled(A, b)  # non-symmetric
    with pytest.raises(ValueError, match="positive definite"):
        nla.cg_recycled(-_laplace2d(4), np.ones(16))  # negative diagonal
    # symmetric, positive diagonal, indefinite: caught by the iteration
    S = _laplace2d(6) - 3.5 * sp.eye_array(36)
    with pytest.raises(ValueError, match="positive definite"):
        nla.cg_recycled(S.tocsr(), np.ones(36), k=0)
    with pytest.raises(ValueError, match="k must be <= 9"):
        nla.gcrodr(A, b, m=10, k=10)


def test_inputs_are_not_modified():
    A = sp.csr_array(_convdiff(30, 0.5))
    b, x0 = np.ones(30), np.full(30, 0.1)
    keep = (A.data.copy(), A.indices.copy(), A.indptr.copy(), b.copy(), x0.copy())
    nla.gcrodr(A, b, x0=x0)
    for a, c in zip((A.data, A.indices, A.indptr, b, x0), keep, strict=True):
        np.testing.assert_array_equal(a, c)


# ------------------------------------------------------------ solve_sequence


def _spd_sequence(count=6, n=10):
    L = _laplace2d(n)
    shifts = np.random.default_rng(0).uniform(0.0, 0.05, count)
    return [(L + c * sp.eye_array(n * n)).tocsr() for c in shifts], shifts


def test_solve_sequence_input_order_and_accuracy():
    As, shifts = _spd_sequence()
    b = np.ones(As[0].shape[0])
    xs, infos = nla.solve_sequence(As, b, params=shifts)
    for A, x, info in zip(As, xs, infos, strict=True):
        assert info.converged and _rel_res(A, x, b) <= 1e-8
        np.testing.assert_allclose(x, spla.spsolve(A.tocsc(), b), rtol=1e-6)
        assert info.recycle.method == "cg"  # auto found them SPD


def test_solve_sequence_nonsymmetric_uses_gcrodr_and_generators():
    As = [_convdiff(200, 0.3 + 0.02 * i) for i in range(4)]
    bs = np.random.default_rng(0).standard_normal((4, 200))
    seen = []
    xs, infos = nla.solve_sequence((A for A in As), bs, sort=False,
                                   callback=lambda i, info: seen.append(i))
    assert seen == [0, 1, 2, 3]
    for A, x, b, info in zip(As, xs, bs, infos, strict=True):
        assert info.recycle.method == "gcrodr" and _rel_res(A, x, b) <= 1e-8


def test_solve_sequence_sorting_follows_params():
    As, shifts = _spd_sequence(8)
    order = []
    nla.solve_sequence(As, np.ones(As[0].shape[0]), params=shifts,
                       callback=lambda i, info: order.append(i))
    expected = [0]
    left = set(range(1, 8))
    while left:
        nxt = min(left, key=lambda j: (abs(shifts[j] - shifts[expected[-1]]), j))
        expected.append(nxt)
        left.remove(nxt)
    assert order == expected
    # without params the matrices' values give an order too
    order2 = []
    nla.solve_sequence(As, np.ones(As[0].shape[0]),
                       callback=lambda i, info: order2.append(i))
    assert sorted(order2) == list(range(8))


def test_solve_sequence_recycling_saves_matvecs():
    As, shifts = _spd_sequence(8, 14)
    b = np.ones(As[0].shape[0])
    fresh = sum(nla.cg_recycled(A, b, k=0, n_solutions=0)[1].matvecs for A in As)
    _, infos = nla.solve_sequence(As, b, params=shifts)
    assert sum(i.matvecs for i in infos) <= 0.8 * fresh


def test_solve_sequence_bad_input():
    As, shifts = _spd_sequence(3)
    b = np.ones(As[0].shape[0])
    with pytest.raises(ValueError, match="params"):
        nla.solve_sequence(As, b, params=shifts[:2])
    with pytest.raises(ValueError, match="bs"):
        nla.solve_sequence(As, np.ones((2, b.size)))
    with pytest.raises(ValueError, match="As"):
        nla.solve_sequence(As + [sp.eye_array(5, format="csr")], b)
    with pytest.raises(ValueError, match=r"As\[0\]"):
        nla.solve_sequence([_convdiff(b.size, 0.5)], b, method="cg")
    with pytest.raises(ValueError, match="method"):
        nla.solve_sequence(As, b, method="bicg")

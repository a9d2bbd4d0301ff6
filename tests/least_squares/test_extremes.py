"""nla.lstsq at extreme scales and with extreme option values.

Scaling the data is exact in real arithmetic: x(cA, cb) = x(A, b) and
x(cA, b) = x(A, b) / c. In floating point, rounding c A and c b perturbs
every entry by at most u relative to it, which the least-squares
perturbation bound turns into the same c d u (kappa + kappa^2 eta) level
that bounds any backward-stable solver, so each method must meet its own
accuracy bound (``dense_bound`` / ``lsqr_bounds`` of the main tests) for
every c whose products are representable.
"""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp

import nla
from nla.sketch import make_sketch
from tests.helpers import assert_namespace, to_host
from tests.least_squares.test_lstsq import U32, U64, dense_bound, lsqr_bounds, problem

METHODS = ["precondition", "sketch", "linf"]
SCALES64 = [1e-150, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e150]
SCALES32 = [1e-30, 1e-10, 1.0, 1e10, 1e30]
N, D, KAPPA, RES = 300, 5, 10.0, 1e-2


def _problem():
    return problem(np.random.default_rng(42), N, D, KAPPA, RES)


def _reference_and_bound(method, A, b, info, u, sparse):
    """The exact answer of the problem `method` solves, and its allowed
    relative error: gelsd on (A, b) with the refinement's bound (LSQR's for
    sparse float64) for "precondition"; gelsd on the sketched (S A, S b), the
    same S (rng=0), with the perturbation bound of that small problem for
    the sketching methods (their answer is exactly its minimizer)."""
    if method == "precondition":
        x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
        if sparse and u == U64:
            return x_ref, None  # checked through lsqr_bounds
        return x_ref, dense_bound(A, b, x_ref, KAPPA, 1e-10, u=u)
    S = make_sketch(info.sketch, A.shape[0], info.sketch_size, rng=0)
    SA, Sb = S.apply(A), S.apply(b)
    x_ref = scipy.linalg.lstsq(SA, Sb, lapack_driver="gelsd")[0]
    return x_ref, dense_bound(SA, Sb, x_ref, np.linalg.cond(SA), 0.0, u=u)


def _check_scaling(method, dtype, c, sparse):
    A, b = _problem()
    u = U64 if dtype == np.float64 else U32
    Ac = (A.astype(dtype) * dtype(c)).astype(dtype)
    Ain = sp.csr_matrix(Ac) if sparse else Ac
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning, no overflow
        x1, i1 = nla.lstsq(Ain, b.astype(dtype) * dtype(c), method=method, rng=0, return_info=True)
        x2, i2 = nla.lstsq(Ain, b.astype(dtype), method=method, rng=0, return_info=True)
    assert x1.dtype == dtype and x2.dtype == dtype
    assert i1.converged and i2.converged
    x_ref, bound = _reference_and_bound(method, A, b, i1, u, sparse)
    # x(cA, cb) = x(A, b) and c x(cA, b) = x(A, b)
    for x in (x1.astype(np.float64), x2.astype(np.float64) * c):
        if bound is None:
            assert lsqr_bounds(sp.csr_matrix(A), b, x, x_ref, 1e-10)[1]
        else:
            assert np.linalg.norm(x - x_ref) <= bound * np.linalg.norm(x_ref)
    # the residual norm scales with b
    r = np.linalg.norm(b - A @ x1.astype(np.float64))
    assert np.isclose(i1.residual_norm / c, r, rtol=10 * u * N)
    assert np.isclose(
        i2.residual_norm,
        np.linalg.norm(b - A @ (x2.astype(np.float64) * c)),
        rtol=10 * u * N * KAPPA,
    )


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("c", SCALES64)
def test_scaling_float64(c, method, sparse):
    _check_scaling(method, np.float64, c, sparse)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("c", SCALES32)
def test_scaling_float32(c, method, sparse):
    _check_scaling(method, np.float32, c, sparse)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_power_of_two_scales_give_the_same_bits(method, sparse, dtype):
    """Out of the unscaled band, A and b are brought to the same scaled data
    exactly (powers of two), so every power-of-two c gives the same bits."""
    A, b = _problem()
    ks = [-1000, -500, -129, 129, 500, 1000] if dtype == np.float64 else [-100, -17, 17, 120]
    outs = []
    for k in ks:
        Ak, bk = np.ldexp(A, k).astype(dtype), np.ldexp(b, k).astype(dtype)
        outs.append(nla.lstsq(sp.csr_matrix(Ak) if sparse else Ak, bk, method=method, rng=0))
    for x in outs[1:]:
        np.testing.assert_array_equal(x, outs[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_overflowing_sketch_is_redone_after_scaling(method, sparse, dtype):
    """max |A| just below the overflow threshold: the sketch S A overflows
    (checked), A is scaled and sketched again, and the result has the bits
    of the same problem scaled by 2^-900 (2^-100 in float32)."""
    rng = np.random.default_rng(7)
    signs = rng.choice([-1.0, 1.0], size=(N, D))  # cond ~ 1.3, |entries| equal
    # |b| < 1/2, so that 2^top b is finite
    b = (signs @ rng.standard_normal(D) + 0.1 * rng.standard_normal(N)) / 64
    top = np.finfo(dtype).maxexp - 1
    low = -900 if dtype == np.float64 else -100
    outs = []
    for k in (top, low):
        Ak, bk = np.ldexp(signs, k).astype(dtype), np.ldexp(b, k).astype(dtype)
        Ain = sp.csr_matrix(Ak) if sparse else Ak
        x, info = nla.lstsq(Ain, bk, method=method, rng=0, return_info=True)
        outs.append(x)
    np.testing.assert_array_equal(outs[0], outs[1])
    S = make_sketch(info.sketch, N, info.sketch_size, rng=0, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(S.apply(np.ldexp(signs, top).astype(dtype))))
    # and the answer is that of the method on the unscaled problem
    x1 = nla.lstsq(signs.astype(dtype), b.astype(dtype), method=method, rng=0)
    np.testing.assert_allclose(outs[0], x1, rtol=100 * D * np.finfo(dtype).eps)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [-1040, -1070])
def test_subnormal_A(k, method):
    """Entries of A in the subnormal range (few significant bits) are scaled
    up exactly: the answer is that of the exactly rescaled problem."""
    A, b = _problem()
    As = np.ldexp(A, k)  # rounded to subnormals: this is the problem now
    Ae = np.ldexp(As, -k)  # exact
    x = nla.lstsq(As, np.ldexp(b, -1000), method=method, rng=0)
    xe = nla.lstsq(Ae, b, method=method, rng=0)
    # x(As, bs) = x(Ae, b) 2^(-k - 1000), with the same bits
    assert np.all(As[As != 0] < np.finfo(float).smallest_normal)
    np.testing.assert_array_equal(x, np.ldexp(xe, -k - 1000))


@pytest.mark.parametrize("method", ["precondition", "linf"])
@pytest.mark.parametrize("c", [1e-170, 1e-160])
def test_tiny_dense_A_is_solved(c, method):
    """Issue 10 finding 1: zeros (1e-170) or a 6e-5 error (1e-160), with
    info.converged=True, before the data were scaled."""
    R = np.random.default_rng(0).standard_normal((60, 8))
    A = R * c
    x, info = nla.lstsq(A, A @ np.ones(8), method=method, rng=0, return_info=True)
    assert info.converged
    bound = dense_bound(R, R @ np.ones(8), np.ones(8), np.linalg.cond(R), 1e-10)
    assert np.linalg.norm(x - 1) <= bound * np.sqrt(8)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("c", [1e154, 1e160, 1e300])
def test_huge_A_is_solved(c, method):
    """Issue 10 finding 2: LinAlgError 'Eigenvalues did not converge' from
    the overflowing Gram matrix for ||A|| >~ 1e154."""
    R = np.random.default_rng(0).standard_normal((60, 8))
    b = np.ones(60)
    x = nla.lstsq(R * c, b, method=method, rng=0)
    x1 = nla.lstsq(R, b, method=method, rng=0)
    # the same S: c x(cA, b) and x(A, b) solve problems a rounding apart
    x_ref = scipy.linalg.lstsq(R, b)[0]
    kappa = np.linalg.cond(R)
    tol = 1e-10 if method == "precondition" else 0.0
    bound = 2 * dense_bound(R, b, x_ref, kappa, tol)
    assert np.linalg.norm(x * c - x1) <= bound * np.linalg.norm(x1)


def test_unrepresentable_solution_raises():
    A, b = _problem()
    with pytest.raises(ValueError, match="not representable in float64"):
        nla.lstsq(A * 1e-300, b * 1e300, rng=0)
    with pytest.raises(ValueError, match="not representable in float32"):
        nla.lstsq((A * 1e-30).astype(np.float32), (b * 1e30).astype(np.float32), rng=0)


@pytest.mark.parametrize("method", METHODS)
def test_underflowing_solution_rounds_toward_zero(method):
    """x ~ 1e-600 is below every float: it rounds to zero (gradually)."""
    A, b = _problem()
    x = nla.lstsq(A * 1e300, b * 1e-300, method=method, rng=0)
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) < 1e-300)


def test_columns_of_B_scaled_separately():
    """Right-hand sides 1e300 apart are each solved to full accuracy."""
    A, b = _problem()
    B = np.stack([b * 1e-300, b, b * 1e300], axis=1)
    X, info = nla.lstsq(A, B, rng=0, return_info=True)
    x = nla.lstsq(A, b, rng=0)
    np.testing.assert_allclose(X * np.array([1e300, 1.0, 1e-300]), np.stack([x] * 3, 1), rtol=1e-13)
    r = np.linalg.norm(b - A @ x)
    np.testing.assert_allclose(info.residual_norm, r * np.array([1e-300, 1.0, 1e300]), rtol=1e-8)


def test_badly_scaled_columns_with_rcond_zero():
    """cond(A) = 1e300 kept whole (rcond=0): cond**2 overflowed a Python
    float (OverflowError) and the 2-norm of x ~ 1e298 overflowed the
    stopping test; column scaling makes the problem well posed, so the
    answer is accurate."""
    R = np.random.default_rng(0).standard_normal((600, 8))
    scale = np.r_[1e-300, np.ones(7)]
    b = np.random.default_rng(1).standard_normal(600)
    x_ref = scipy.linalg.lstsq(R, b)[0] / scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for A in (R * scale, sp.csr_matrix(R * scale)):
            x, info = nla.lstsq(A, b, rng=0, rcond=0.0, return_info=True)
            assert info.rank == 8 and info.converged
            assert np.max(np.abs(x - x_ref) / np.abs(x_ref)) <= 1e-10


# ---------------------------------------------------------------------------
# extreme option values: a correct result, or a ValueError naming the option
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sketch", "linf"])
@pytest.mark.parametrize("sketch_size", [None, "theorem"])
def test_extreme_eps(method, sketch_size):
    """A tiny eps asks for more rows than any n (the exact solver runs); a
    huge one for the fewest, d (ZeroDivisionError/OverflowError before)."""
    if method == "sketch" and sketch_size == "theorem":
        pytest.skip("'theorem' is the l-infinity size")
    A, b = _problem()
    x_ref = scipy.linalg.lstsq(A, b)[0]
    for eps in (5e-324, 1e-300):
        x, info = nla.lstsq(
            A, b, method=method, eps=eps, sketch_size=sketch_size, rng=0, return_info=True
        )
        assert info.method == "exact"
        assert np.linalg.norm(x - x_ref) <= dense_bound(A, b, x_ref, KAPPA, 1e-10) * np.linalg.norm(
            x_ref
        )
    r_opt = np.linalg.norm(b - A @ x_ref)
    for eps in (1e300, np.finfo(float).max):
        x, info = nla.lstsq(
            A, b, method=method, eps=eps, sketch_size=sketch_size, rng=0, return_info=True
        )
        assert info.method == method and D <= info.sketch_size <= D + 2
        assert np.all(np.isfinite(x)) and np.linalg.norm(b - A @ x) >= r_opt


@pytest.mark.parametrize("sketch_size", [None, "theorem"])
def test_extreme_delta(sketch_size):
    A, b = _problem()
    x, info = nla.lstsq(
        A, b, method="linf", delta=5e-324, sketch_size=sketch_size, rng=0, return_info=True
    )
    assert info.method == "exact"
    x, info = nla.lstsq(A, b, method="linf", delta=np.nextafter(1.0, 0.0), rng=0, return_info=True)
    assert info.method == "linf" and np.all(np.isfinite(x))


@pytest.mark.parametrize("sparse", [False, True])
def test_huge_sketch_size(sparse):
    """A "precondition" sketch is capped at max(n, 4 d) rows (a larger one
    gains nothing; 10**18 rows raised MemoryError); the sketching methods
    fall back to the exact solver."""
    A, b = _problem()
    Ain = sp.csr_matrix(A) if sparse else A
    x_ref = scipy.linalg.lstsq(A, b)[0]
    for method in METHODS:
        x, info = nla.lstsq(Ain, b, method=method, sketch_size=10**18, rng=0, return_info=True)
        assert info.sketch_size == (max(N, 4 * D) if method == "precondition" else 4 * D)
        assert info.method == ("precondition" if method == "precondition" else "exact")
        assert np.linalg.norm(x - x_ref) <= 1e-9 * np.linalg.norm(x_ref)


@pytest.mark.parametrize("sparse", [False, True])
def test_tiny_tol_and_huge_maxiter(sparse):
    """tol = 5e-324 cannot be met: the iteration stops at the rounding level
    (a converged stall for the refinement, LSQR's precision tests)."""
    A, b = _problem()
    Ain = sp.csr_matrix(A) if sparse else A
    x_ref = scipy.linalg.lstsq(A, b)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, info = nla.lstsq(Ain, b, tol=5e-324, maxiter=10**18, rng=0, return_info=True)
    assert info.converged
    assert np.linalg.norm(x - x_ref) <= dense_bound(A, b, x_ref, KAPPA, 0.0) * np.linalg.norm(x_ref)


# every option is validated on every path, including the ones that ignore it
BAD_OPTIONS = [
    ("method", "bogus", ValueError),
    ("tol", 0.0, ValueError),
    ("tol", 2.0, ValueError),
    ("tol", np.nan, ValueError),
    ("tol", "1e-3", TypeError),
    ("eps", 0.0, ValueError),
    ("eps", -1.0, ValueError),
    ("eps", np.inf, ValueError),
    ("eps", "x", TypeError),
    ("delta", 0.0, ValueError),
    ("delta", 1.0, ValueError),
    ("delta", np.nan, ValueError),
    ("sketch", "bogus", ValueError),
    ("sketch_size", D - 1, ValueError),
    ("sketch_size", 1.5, TypeError),
    ("sketch_size", "bogus", TypeError),
    ("maxiter", 0, ValueError),
    ("maxiter", 2.5, TypeError),
    ("rcond", 1.0, ValueError),
    ("rcond", -0.1, ValueError),
    ("engine", "bogus", ValueError),
    ("engine", 1, (TypeError, ValueError)),
    ("rng", "42", TypeError),
    ("rng", -1, ValueError),
    ("check_finite", "no", TypeError),
    ("check_finite", 1, TypeError),
    ("check_finite", None, TypeError),
    ("return_info", "yes", TypeError),
    ("return_info", None, TypeError),
]


@pytest.mark.parametrize("case", ["dense", "sparse", "fallback"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("name", "value", "error"), BAD_OPTIONS)
def test_every_option_validated(name, value, error, method, case):
    if name == "method":
        method = value
    if case == "fallback":  # n = 20 rows: every sketching method falls back
        A, b = problem(np.random.default_rng(0), 20, D, KAPPA, RES)
    else:
        A, b = _problem()
    if case == "sparse":
        A = sp.csr_matrix(A)
    kwargs = {"method": method, name: value}
    with pytest.raises(error, match=name):
        nla.lstsq(A, b, rng=0, **kwargs) if name != "rng" else nla.lstsq(A, b, **kwargs)


def test_numpy_bools_accepted_as_flags():
    A, b = _problem()
    x, info = nla.lstsq(A, b, rng=0, check_finite=np.bool_(False), return_info=np.bool_(True))
    assert info.converged


@pytest.mark.parametrize("method", METHODS)
def test_extreme_scales_in_other_namespaces(xp, method):
    """The scaling runs in the namespace of the data (generic code): the
    same bits as NumPy for power-of-two scales out of the band."""
    A, B = problem(np.random.default_rng(6), N, D, KAPPA, RES, nrhs=2)
    B[:, 1] *= 2.0**-600  # the columns of B are scaled separately
    x_np = nla.lstsq(A, B, method=method, rng=1)
    for k in (-300, 700):
        Ak, Bk = np.ldexp(A, k), np.ldexp(B, k)
        X = nla.lstsq(xp.asarray(Ak), xp.asarray(Bk), method=method, rng=1)
        assert_namespace(X, xp)
        np.testing.assert_allclose(to_host(X), x_np, rtol=100 * D * U64 * KAPPA)
    with pytest.raises(ValueError, match="not representable"):
        nla.lstsq(xp.asarray(A * 1e-300), xp.asarray(B * 1e300), method=method, rng=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", METHODS)
def test_extreme_scales_torch_cpu(method, dtype):
    torch = pytest.importorskip("torch")
    A, b = _problem()
    A, b = A.astype(dtype), b.astype(dtype)
    k = 400 if dtype == np.float64 else 50  # x ~ 2^-2k is representable
    x_np = nla.lstsq(A, b, method=method, rng=1)
    x = nla.lstsq(
        torch.from_numpy(np.ldexp(A, k)), torch.from_numpy(np.ldexp(b, -k)), method=method, rng=1
    )
    assert isinstance(x, torch.Tensor) and x.dtype == getattr(torch, np.dtype(dtype).name)
    u = np.finfo(dtype).eps
    np.testing.assert_allclose(np.ldexp(x.numpy(), 2 * k), x_np, rtol=100 * D * u * KAPPA)

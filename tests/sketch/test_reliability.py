"""Reliability of the sketch family: extreme arguments, the dtype policy on
every path, every option validated, argument names in messages, results
independent of the thread count, and exact scaling under X -> c X."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

import nla
from nla.sketch import _base

KINDS = ("gaussian", "srht", "sparse_sign", "countsketch", "fjlt")
CPU_ENGINES = tuple(e for e in nla.available_engines() if e != "cupy")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _x(seed, shape, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ jl_dim
@pytest.mark.parametrize("eps", [1e-300, 1e-160, 5e-324, 1e-9])
def test_jl_dim_tiny_eps_is_a_clear_error(eps):
    """eps^2 underflows (1e-300) or the bound overflows (1e-160): a
    ValueError naming eps and the smallest usable eps, never a
    ZeroDivisionError or OverflowError."""
    with pytest.raises(ValueError, match=r"eps=.* is too small .* at least about 4.5e-08"):
        nla.sketch.jl_dim(10, eps)


def test_jl_dim_largest_answers():
    # just above the limit of 2**53: still an answer, and the smallest k
    k = nla.sketch.jl_dim(10, 4.6e-8)
    assert isinstance(k, int) and 2**52 < k <= 2**53
    eps = 4.6e-8
    assert 4 * np.log(10) / (eps**2 / 2 - eps**3 / 3) <= k
    # a single point has no distance to keep, whatever eps
    assert nla.sketch.jl_dim(1, 1e-300) == 1
    # many points are no problem (the bound grows like ln n)
    assert nla.sketch.jl_dim(2**62, 0.5) == 2063


# ------------------------------------------------------------------ dtype policy
def _paths(S, X, Y, conv=lambda a: a):
    """Every public way of applying S (and its adjoint) to X (d, n) / Y (k, n);
    `conv` is applied to the argument as passed."""
    return {
        "apply": lambda e: S.apply(conv(X), engine=e),
        "apply-F": lambda e: S.apply(conv(np.asfortranarray(X)), engine=e),
        "apply-1d": lambda e: S.apply(conv(X[:, 0]), engine=e),
        "apply_rows": lambda e: S.apply_rows(conv(X.T), engine=e),
        "apply_rows-C": lambda e: S.apply_rows(conv(np.ascontiguousarray(X.T)), engine=e),
        "matvec": lambda e: S.matvec(conv(X[:, :1]), engine=e),
        "matmul": lambda e: S @ conv(X),
        "rmatmul-T": lambda e: conv(X.T) @ S.T,
        "adjoint": lambda e: S.adjoint(conv(Y), engine=e),
        "rmatvec": lambda e: S.rmatvec(conv(Y[:, 0]), engine=e),
        "T-matmul": lambda e: S.T @ conv(Y),
        "Y@S": lambda e: conv(Y.T) @ S,
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sdtype", [np.float32, np.float64])
@pytest.mark.parametrize("engine", CPU_ENGINES)
@pytest.mark.parametrize("dtype", [np.float16, ">f8", ">f4"])
def test_dtype_policy_on_every_path(kind, sdtype, engine, dtype):
    """float16 data is taken as float32, big-endian as native, on every path
    and engine (the Numba kernels included): the same result, bit for bit,
    as for the converted input, in native byte order."""
    S = nla.sketch.make_sketch(kind, 100, 8, rng=1, dtype=sdtype)
    X0, Y0 = _x(2, (100, 3)), _x(3, (8, 3))
    native = np.float32 if dtype == np.float16 else np.dtype(dtype).newbyteorder("=")
    X, Y = X0.astype(dtype), Y0.astype(dtype)
    odd = _paths(S, X, Y)
    ref = _paths(S, X, Y, lambda a: a.astype(native))
    want = np.result_type(sdtype, native)
    for name, call in odd.items():
        got = call(engine)
        assert got.dtype == want and got.dtype.isnative, name
        np.testing.assert_array_equal(got, ref[name](engine), err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float16, ">f8"])
def test_dtype_policy_sparse(kind, dtype):
    """scipy.sparse input with float16 or big-endian data (which scipy keeps
    when the data array is set directly) follows the same policy."""
    S = nla.sketch.make_sketch(kind, 100, 8, rng=1)
    X = sp.random(100, 4, density=0.2, random_state=0, format="csc")
    odd = X.copy()
    odd.data = X.data.astype(dtype)
    conv = X.copy()
    conv.data = X.data.astype(dtype).astype(np.float64)
    for engine in CPU_ENGINES:
        np.testing.assert_array_equal(S.apply(odd, engine=engine), S.apply(conv, engine=engine))
        np.testing.assert_array_equal(
            S.apply_rows(odd.T.tocsr(), engine=engine), S.apply_rows(conv.T.tocsr(), engine=engine)
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.longdouble, np.clongdouble])
def test_extended_precision_refused_on_every_path(kind, dtype):
    if np.dtype(dtype).itemsize <= (16 if np.dtype(dtype).kind == "c" else 8):
        pytest.skip("longdouble is double on this platform")
    S = nla.sketch.make_sketch(kind, 100, 8, rng=1)
    X0, Y0 = _x(2, (100, 3)), _x(3, (8, 3))
    names = {"rmatvec": "y", "matvec": "x"}
    for name, call in _paths(S, X0.astype(dtype), Y0.astype(dtype)).items():
        arg = names.get(name, "Y" if name in ("adjoint", "T-matmul", "Y@S") else "X")
        for engine in CPU_ENGINES:
            msg = rf"^{arg} has extended precision .*float32, float64"
            with pytest.raises(TypeError, match=msg):
                call(engine)
    sparse = sp.random(100, 3, density=0.2, random_state=0, format="csc", dtype=dtype)
    with pytest.raises(TypeError, match=r"^X has extended precision"):
        S @ sparse


@pytest.mark.parametrize("engine", CPU_ENGINES)
def test_fwht_dtype_policy(engine):
    x = _x(4, (8, 16))
    for dtype, native in ((np.float16, np.float32), (">f8", np.float64), (">f4", np.float32),
                          (">c16", np.complex128)):
        xd = x.astype(dtype) if np.dtype(dtype).kind == "f" else (x + 1j * x[::-1]).astype(dtype)
        for axis in (0, 1):
            got = nla.fwht(xd, axis=axis, engine=engine)
            assert got.dtype == native and got.dtype.isnative
            want = nla.fwht(xd.astype(native), axis=axis, engine=engine)
            np.testing.assert_array_equal(got, want)
    for dtype in (np.longdouble, np.clongdouble):
        if np.dtype(dtype).itemsize > (16 if np.dtype(dtype).kind == "c" else 8):
            with pytest.raises(TypeError, match="^x has extended precision"):
                nla.fwht(x.astype(dtype), engine=engine)


# ------------------------------------------------------------------ options
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", ["bogus", 1, "cupy", "NUMBA"])
def test_engine_validated_where_ignored(kind, bad):
    """The Gaussian sketch runs no kernel, the sparse sign adjoint and sparse
    products run SciPy: a bad engine is still an error (NumPy and sparse input)."""
    S = nla.sketch.make_sketch(kind, 64, 8, rng=0)
    X, Y = np.ones((64, 2)), np.ones((8, 2))
    for call in (
        lambda: S.apply(X, engine=bad),
        lambda: S.apply(sp.csc_array(X), engine=bad),
        lambda: S.apply_rows(X.T, engine=bad),
        lambda: S.apply_rows(sp.csr_array(X.T), engine=bad),
        lambda: S.adjoint(Y, engine=bad),
        lambda: S.adjoint(sp.csr_array(Y), engine=bad),
        lambda: S.matvec(X[:, 0], engine=bad),
        lambda: S.rmatvec(Y[:, 0], engine=bad),
        lambda: S.matmat(X, engine=bad),
        lambda: S.rmatmat(Y, engine=bad),
        lambda: S.to_dense(engine=bad),
        lambda: S.T.to_dense(engine=bad),
        lambda: S.as_linear_operator(engine=bad),
    ):
        with pytest.raises(ValueError, match="^engine must be one of"):
            call()


@pytest.mark.parametrize("bad", ["yes", None, 2, 1.0, np.array([True, False])])
def test_check_finite_must_be_a_bool(bad):
    S = nla.sketch.srht(64, 8, rng=0)
    X = np.ones((64, 2))
    for call in (
        lambda: S.apply(X, check_finite=bad),
        lambda: S.apply_rows(X.T, check_finite=bad),
        lambda: nla.fwht(X, axis=0, check_finite=bad),
    ):
        with pytest.raises(TypeError, match="^check_finite must be True or False"):
            call()
    # NumPy bools are bools
    np.testing.assert_array_equal(S.apply(X, check_finite=np.False_), S.apply(X))


def test_make_sketch_name_must_be_a_str():
    with pytest.raises(TypeError, match="^name must be a str"):
        nla.sketch.make_sketch("gaussian", 64, 8, name=3)
    with pytest.raises(ValueError, match="^method must be one of"):
        nla.sketch.make_sketch("bogus", 64, 8, name="method")


# ------------------------------------------------------------------ names in messages
_BAD_Y = {
    "nan": (np.full((8, 2), np.nan), ValueError, "must not contain NaN or Inf"),
    "ndim": (np.ones((8, 2, 1)), ValueError, "must be 1 or 2-D"),
    "str": (np.full((8, 2), "a"), TypeError, "must have a real floating dtype"),
    "none": (None, TypeError, "must be an array"),
    "masked": (np.ma.ones((8, 2)), TypeError, "is a masked array"),
}


@pytest.mark.parametrize("kind", ["gaussian", "srht", "sparse_sign"])
@pytest.mark.parametrize("case", list(_BAD_Y))
def test_bad_y_is_reported_as_y(kind, case):
    """A bad argument of the adjoint is named Y (y for rmatvec), never X."""
    S = nla.sketch.make_sketch(kind, 64, 8, rng=0)
    Y, exc, msg = _BAD_Y[case]
    Yt = Y if Y is None or case == "ndim" else Y.T
    for call, name in (
        (lambda: S.adjoint(Y), "Y"),
        (lambda: S.T @ Y, "Y"),
        (lambda: S.rmatmat(Y), "Y"),
        (lambda: Yt @ S, "Y"),
        (lambda: S.rmatvec(Y if Y is None or case == "ndim" else Y[:, 0]), "y"),
    ):
        with pytest.raises(exc, match=f"^{name} {msg}"):
            call()


@pytest.mark.parametrize("kind", ["gaussian", "srht"])
def test_bad_y_shape_is_reported_as_y(kind):
    S = nla.sketch.make_sketch(kind, 64, 8, rng=0)
    with pytest.raises(ValueError, match=r"^S.T @ Y needs Y.shape\[0\] == 8"):
        S.adjoint(np.ones((7, 2)))
    with pytest.raises(ValueError, match=r"^S.T @ Y needs Y.shape\[0\] == 8"):
        S.T @ np.ones((7, 2))
    with pytest.raises(ValueError, match=r"^Y @ S needs Y.shape\[-1\] == 8"):
        np.ones((2, 7)) @ S
    with pytest.raises(ValueError, match=r"^S.T @ y needs y.shape\[0\] == 8"):
        S.rmatvec(np.ones(7))
    # an empty Y is fine, as in adjoint
    assert (np.ones((0, 8)) @ S).shape == (0, 64)


# ------------------------------------------------------------------ threads
_THREAD_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np, scipy.sparse as sp
    sys.path.insert(0, {root!r})
    import nla, numba
    assert numba.get_num_threads() == int(sys.argv[1])
    rng = np.random.default_rng(3)
    h = hashlib.sha256()
    # narrow and wide X, tall enough for several row chunks of the sparse
    # sign kernel, short ones, float32 and float64, every orientation
    for kind in ("sparse_sign", "countsketch", "srht", "fjlt"):
        for d, n in ((5000, 1), (5000, 7), (3000, 40), (777, 200), (4096, 70)):
            S = nla.sketch.make_sketch(kind, d, 64, rng=1)
            for dt in (np.float64, np.float32):
                X = rng.standard_normal((d, n)).astype(dt)
                Y = rng.standard_normal((64, n)).astype(dt)
                for r in (S.apply(X, engine="numba"),
                          S.apply(np.asfortranarray(X), engine="numba"),
                          S.apply_rows(np.ascontiguousarray(X.T), engine="numba"),
                          S.adjoint(Y, engine="numba"),
                          S.apply(sp.csc_array(X * (rng.random(X.shape) < 0.1)), engine="numba")):
                    h.update(np.ascontiguousarray(r).tobytes())
    for x in (rng.standard_normal((64, 4096)), rng.standard_normal((4096, 64))):
        h.update(nla.fwht(x, engine="numba").tobytes())
        h.update(nla.fwht(x, axis=0, engine="numba").tobytes())
    print(h.hexdigest())
    """
)


@pytest.mark.skipif("numba" not in CPU_ENGINES, reason="numba not installed")
def test_numba_results_do_not_depend_on_the_thread_count():
    """The same seed gives the same bits under NUMBA_NUM_THREADS=1 and 2.

    nla's Numba kernels sum every output entry in an order fixed by the
    shapes alone (the sparse sign S @ X adds row chunks fixed by the shapes,
    the Hadamard kernels transform whole rows or column panels), so the
    thread count cannot change a result. BLAS is held at one thread (the
    Gaussian sketch is not run here: its products are BLAS's).
    """
    script = _THREAD_SCRIPT.format(root=ROOT)
    digests = []
    for threads in (1, 2):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        out = subprocess.run(
            [sys.executable, "-c", script, str(threads)],
            env=env, capture_output=True, text=True, check=True,
        )
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1]


# ------------------------------------------------------------------ scaling
_SCALES64 = [1e-150, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e150]
_SCALES32 = [1e-30, 1e-10, 1.0, 1e10, 1e30]


def _assert_scaled(got, want, c, D, X, dtype):
    """|S(cX) - c S(X)| within the rounding of two products of inner size
    m: each is within m eps |S| |cX| of the exact c S X (the FWHT adds
    log2(d_pad) butterfly levels, bounded like the existing product tests)."""
    eps = np.finfo(dtype).eps
    X2 = X if X.ndim == 2 else X[:, None]
    m = max(D.shape)
    absD = np.abs(D).astype(np.float64)
    bound = abs(c) * (absD @ np.abs(X2) + np.sqrt(m) * np.linalg.norm(absD) * np.linalg.norm(
        X2, axis=0))
    bound = 8 * np.log2(2 * m) * eps * bound
    got = np.asarray(got, dtype=np.float64).reshape(bound.shape)
    want = np.asarray(want, dtype=np.float64).reshape(bound.shape)
    assert np.all(np.isfinite(got))
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) / bound)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", CPU_ENGINES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sketch_scales_exactly(kind, engine, dtype):
    """S @ (c X) == c (S @ X) to rounding for c from 1e-150 to 1e150 (float32:
    1e-30 to 1e30), for S @ X, X @ S.T, S.T @ Y and sparse X: no overflow,
    underflow or loss of accuracy wherever the answer is representable."""
    S = nla.sketch.make_sketch(kind, 300, 16, rng=5, dtype=dtype)
    D = S.to_dense()
    X, Y = _x(6, (300, 9), dtype), _x(7, (16, 9), dtype)
    Xs = sp.random(300, 9, density=0.1, random_state=8, format="csc", dtype=dtype)
    base = (S.apply(X, engine=engine), S.apply_rows(X.T, engine=engine),
            S.adjoint(Y, engine=engine), S.apply(Xs, engine=engine))
    for c in _SCALES64 if dtype == np.float64 else _SCALES32:
        cd = dtype(c)
        got = (S.apply(cd * X, engine=engine), S.apply_rows(cd * X.T, engine=engine),
               S.adjoint(cd * Y, engine=engine), S.apply(Xs * cd, engine=engine))
        _assert_scaled(got[0], cd * base[0], c, D, X, dtype)
        _assert_scaled(got[1].T, cd * base[1].T, c, D, X, dtype)
        _assert_scaled(got[2], cd * base[2], c, D.T, Y, dtype)
        _assert_scaled(got[3], cd * base[3], c, D, Xs.toarray(), dtype)


@pytest.mark.parametrize("engine", CPU_ENGINES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fwht_scales_exactly(engine, dtype):
    """fwht(c x) == c fwht(x) to rounding along either axis: the butterflies
    are sums and differences, so nothing is lost at either end of the range."""
    H = nla.fwht(np.eye(1024), engine="numpy")  # the orthonormal Hadamard matrix
    X = _x(9, (1024, 6), dtype)  # transformed along axis 0: H @ X
    Xr = np.ascontiguousarray(X.T)  # along axis 1: the rows, (H @ X).T
    base = nla.fwht(X, axis=0, engine=engine), nla.fwht(Xr, axis=1, engine=engine)
    for c in _SCALES64 if dtype == np.float64 else _SCALES32:
        cd = dtype(c)
        got = nla.fwht(cd * X, axis=0, engine=engine), nla.fwht(cd * Xr, axis=1, engine=engine)
        _assert_scaled(got[0], cd * base[0], c, H, X, dtype)
        _assert_scaled(got[1].T, cd * base[1].T, c, H, X, dtype)


# ------------------------------------------------------------------ sparse blocks
@pytest.mark.parametrize("sdtype, xdtype, blocks", [
    (np.float64, np.float64, 50),
    (np.float32, np.float32, 25),  # 4-byte entries: twice the rows per block
    (np.float32, np.float64, 50),  # float64 result
])
def test_sparse_block_size_uses_the_itemsize(monkeypatch, sdtype, xdtype, blocks):
    seen = []
    orig = _base._dense

    def spy(block):
        seen.append(block.shape)
        return orig(block)

    monkeypatch.setattr(_base, "_dense", spy)
    monkeypatch.setattr(_base, "_BLOCK_BYTES", 8 * 128 * 10)
    S = nla.sketch.srht(100, 10, rng=0, dtype=sdtype)
    X = sp.random(500, 100, density=0.01, random_state=0, format="csr", dtype=xdtype)
    Y = X @ S.T
    assert Y.shape == (500, 10) and len(seen) == blocks
    np.testing.assert_allclose(Y, X.toarray() @ S.to_dense().T, rtol=1e-5, atol=1e-5)


def test_block_width_floor_is_one_vector():
    """Past _BLOCK_BYTES / itemsize entries (2**22 float64 rows) a block is a
    single padded vector, the least a transform of that length needs."""
    assert _base.block_width(2**22, 8) == 1
    assert _base.block_width(2**24, 8) == 1
    assert _base.block_width(2**22, 4) == 2
    assert _base.block_width(2**20, 8) == 4

"""Every public method of the sketches, as calls to run on any array library.

Each case applies one method to inputs converted to the library under test
and to the same inputs in NumPy; the test modules check that the result
stays in the library, dtype and device of the input and agrees with the
NumPy result (which runs the NumPy/Numba kernels, so the two sides take
different code paths).
"""

import numpy as np

import nla

KINDS = ("gaussian", "srht", "sparse_sign", "countsketch", "fjlt")
#: (d, k, n): d = 40 is padded to 64 by the Hadamard sketches, d = 32 is not;
#: n = 9 takes the NumPy column-panel kernels
SHAPES = ((40, 6, 3), (32, 6, 9))


def make(kind, d, k, dtype):
    return nla.sketch.make_sketch(kind, d, k, rng=7, dtype=dtype)


def inputs(d, k, n, dtype):
    """Host inputs by name: X (d, n), Xr (n, d), Y (k, n), vectors and columns."""
    rng = np.random.default_rng(d + 10 * n)
    X = rng.standard_normal((d, n)).astype(dtype)
    Y = rng.standard_normal((k, n)).astype(dtype)
    return {
        "X": X,
        "Xr": np.ascontiguousarray(rng.standard_normal((n, d)).astype(dtype)),
        "Y": Y,
        "Yr": np.ascontiguousarray(rng.standard_normal((n, k)).astype(dtype)),
        "x": X[:, 0].copy(),
        "y": Y[:, 0].copy(),
        "xcol": X[:, :1].copy(),
        "ycol": Y[:, :1].copy(),
    }


# name -> call(S, a) with `a` the inputs by name in the library under test
CALLS = {
    "apply": lambda S, a: S.apply(a["X"]),
    "apply-1d": lambda S, a: S.apply(a["x"]),
    "matmul": lambda S, a: S @ a["X"],
    "apply_rows": lambda S, a: S.apply_rows(a["Xr"]),
    "apply_rows-1d": lambda S, a: S.apply_rows(a["x"]),
    "adjoint": lambda S, a: S.adjoint(a["Y"]),
    "adjoint-1d": lambda S, a: S.adjoint(a["y"]),
    "T-matmul": lambda S, a: S.T @ a["Y"],
    "matvec": lambda S, a: S.matvec(a["x"]),
    "matvec-col": lambda S, a: S.matvec(a["xcol"]),
    "rmatvec": lambda S, a: S.rmatvec(a["y"]),
    "rmatvec-col": lambda S, a: S.rmatvec(a["ycol"]),
    "matmat": lambda S, a: S.matmat(a["X"]),
    "rmatmat": lambda S, a: S.rmatmat(a["Y"]),
}

#: calls whose left operand is the array (``X @ S.T``, ``Y @ S``): NumPy and
#: torch defer to the sketch, array_api_strict refuses a foreign operand
RMATMUL_CALLS = {
    "rmatmul-T": lambda S, a: a["Xr"] @ S.T,
    "rmatmul": lambda S, a: a["Yr"] @ S,
}


def check_close(got, want, D, a):
    """`got` and `want` (host arrays) agree to rounding; D is the sketch's matrix.

    Each entry of either is within ``4 log2(2 dmax) eps (|S||z| +
    sqrt(dmax) ||S||_F ||z||)`` of the exact product (plain products: m eps
    |S||z| with m the inner dimension; the fast transforms add eps times the
    intermediate vector's size per butterfly level, H D being orthogonal),
    and ``|S||z| <= ||S||_F ||z||``; so they differ by at most twice that,
    with ``||z||`` at most the largest input's Frobenius norm. A wrong
    index, sign or scale gives errors of the size of the result itself.
    """
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    D = D.astype(np.float64)
    dmax = max(D.shape)
    znorm = max(np.linalg.norm(v.astype(np.float64)) for v in a.values())
    bound = 8 * np.log2(2 * dmax) * np.finfo(want.dtype).eps * (np.sqrt(dmax) + 1)
    bound *= np.linalg.norm(D) * znorm
    err = np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)), initial=0.0)
    assert err <= bound, (err, bound)

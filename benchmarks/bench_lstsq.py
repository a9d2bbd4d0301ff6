"""Sketched least squares against LAPACK (gelsd, gelsy), NumPy and LSQR."""

from __future__ import annotations

import numpy as np

import nla
from benchmarks._harness import Case, Runner

FAMILY = "lstsq"


def _dense_case(quick):
    import scipy.linalg

    n, d = (16384, 256) if quick else (131072, 256)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, d)) * np.logspace(0, -3, d)
    b = A @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(n)
    x_lap = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    r_opt = np.linalg.norm(A @ x_lap - b)
    pinv_norm = 1.0 / scipy.linalg.svdvals(A)[-1]
    bnorm = np.linalg.norm(b)

    def acc(x):
        x = np.asarray(x)
        return {
            "rel_resid": float(np.linalg.norm(A @ x - b) / bnorm),
            "inf_err_vs_gelsd": float(np.max(np.abs(x - x_lap)) / np.max(np.abs(x_lap))),
            # the achieved eps of the l-infinity bound (<= eps means it holds)
            "linf_eps": float(np.max(np.abs(x - x_lap)) / (r_opt * pinv_norm / np.sqrt(d))),
        }

    def normal_eq():
        c, low = scipy.linalg.cho_factor(A.T @ A)
        return scipy.linalg.cho_solve((c, low), A.T @ b)

    m_linf = nla.lstsq(A, b, method="linf", rng=0, return_info=True)[1].sketch_size
    runners = [
        Runner("scipy gelsd", lambda: scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]),
        Runner("scipy gelsy", lambda: scipy.linalg.lstsq(A, b, lapack_driver="gelsy")[0]),
        Runner("numpy.linalg.lstsq", lambda: np.linalg.lstsq(A, b)[0]),
        Runner("normal equations (Cholesky)", normal_eq),
        Runner("one product A @ x", lambda: A @ x_lap, accuracy=lambda _: {}),
        Runner("nla precondition", lambda: nla.lstsq(A, b, rng=1), ours=True),
        Runner("nla sketch (eps=0.5)", lambda: nla.lstsq(A, b, method="sketch", rng=1), ours=True),
        Runner(
            f"nla linf (eps=1, m={m_linf})",
            lambda: nla.lstsq(A, b, method="linf", rng=1),
            ours=True,
        ),
        Runner(
            f"nla sketch countsketch m={m_linf}",
            lambda: nla.lstsq(
                A, b, method="sketch", sketch="countsketch", sketch_size=m_linf, rng=1
            ),
            ours=True,
        ),
    ]
    return Case(
        FAMILY,
        f"dense A = G diag(logspace(0,-3,{d})), {n}x{d}, b = A x + 1e-3 noise",
        runners,
        accuracy=acc,
        reference="scipy gelsd",
        rounds=3,
        notes="inf_err_vs_gelsd = ||x - x_gelsd||_inf / ||x_gelsd||_inf; "
        "linf_eps = ||x - x*||_inf / (||r*|| ||A^+|| / sqrt(d))",
    )


def _contrast_case(quick):
    """Heavy-leverage problems where CountSketch breaks the l-infinity bound."""
    import scipy.linalg

    n, d, spikes = (4096, 64, 16) if quick else (16384, 64, 16)
    seeds = range(10 if quick else 20)

    def problem(seed):
        rng = np.random.default_rng(1000 + seed)
        A = np.zeros((n, d))
        A[:d] = np.eye(d)
        b = np.zeros(n)
        b[:d] = rng.standard_normal(d)
        b[rng.choice(np.arange(d, n), size=spikes, replace=False)] = 1.0
        return A, b

    probs = [problem(s) for s in seeds]
    m = nla.lstsq(*probs[0], method="linf", rng=0, return_info=True)[1].sketch_size

    def ratio(A, b, x):
        x_opt = scipy.linalg.lstsq(A, b)[0]
        r = np.linalg.norm(A @ x_opt - b)
        return np.max(np.abs(x - x_opt)) / (r / np.sqrt(d))  # ||A^+|| = 1

    def over_seeds(solve):
        def acc(_):
            rs = np.array(
                [ratio(A, b, solve(A, b, s)) for s, (A, b) in zip(seeds, probs, strict=True)]
            )
            return {
                "linf_eps_median": float(np.median(rs)),
                "linf_eps_q90": float(np.quantile(rs, 0.9)),
                "violations(eps=1)": f"{int(np.sum(rs > 1))}/{rs.size}",
            }

        return acc

    lin = lambda A, b, s: nla.lstsq(A, b, method="linf", rng=s)  # noqa: E731
    cnt = lambda A, b, s: nla.lstsq(  # noqa: E731
        A, b, method="sketch", sketch="countsketch", sketch_size=m, rng=s
    )
    ssg = lambda A, b, s: nla.lstsq(  # noqa: E731
        A, b, method="sketch", sketch="sparse_sign", sketch_size=m, rng=s
    )
    A0, b0 = probs[0]
    runners = [
        Runner("scipy gelsd", lambda: scipy.linalg.lstsq(A0, b0, lapack_driver="gelsd")[0]),
        Runner(
            f"nla linf (SRHT, m={m})",
            lambda: lin(A0, b0, 0),
            ours=True,
            accuracy=over_seeds(lin),
        ),
        Runner(f"countsketch m={m}", lambda: cnt(A0, b0, 0), ours=True, accuracy=over_seeds(cnt)),
        Runner(
            f"sparse sign (8/col) m={m}",
            lambda: ssg(A0, b0, 0),
            ours=True,
            accuracy=over_seeds(ssg),
        ),
    ]
    return Case(
        FAMILY,
        f"l-inf contrast: A = [I_{d}; 0] ({n}x{d}), r* = {spikes} unit spikes, {len(seeds)} seeds",
        runners,
        accuracy=lambda _: {},
        reference="scipy gelsd",
        rounds=3,
        notes="linf_eps over seeds; the guarantee asks linf_eps <= eps = 1",
    )


def _sparse_case(quick):
    import scipy.linalg
    import scipy.sparse as sp
    import scipy.sparse.linalg

    n, d = (10000, 60) if quick else (200000, 200)
    rng = np.random.default_rng(3)
    A = sp.random(n, d, density=1e-3, random_state=4, format="csr")
    A = (A + sp.eye(n, d)) @ sp.diags(np.logspace(0, -3, d))
    A = A.tocsr()
    b = A @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(n)
    # independent reference: LAPACK gelsd on the densified A (200000 x 200 is
    # 320 MB; overwrite_a avoids a second copy), outside the timed region
    x_ref = scipy.linalg.lstsq(
        A.toarray(), b, lapack_driver="gelsd", overwrite_a=True, check_finite=False
    )[0]
    bnorm = np.linalg.norm(b)
    iters = {}

    def acc(name):
        def f(x):
            x = np.asarray(x)
            out = {
                "rel_resid": float(np.linalg.norm(A @ x - b) / bnorm),
                "rel_err": float(np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)),
            }
            if name in iters:
                out["iterations"] = iters[name]
            return out

        return f

    def plain():
        out = scipy.sparse.linalg.lsqr(A, b, atol=1e-10, btol=1e-10, iter_lim=20000)
        iters["lsqr"] = int(out[2])
        return out[0]

    def ours():
        x, info = nla.lstsq(A, b, rng=1, return_info=True)
        iters["nla"] = info.iterations
        return x

    return Case(
        FAMILY,
        f"sparse A ({n}x{d}, density 1e-3, columns scaled by logspace(0,-3))",
        [
            Runner("scipy lsqr (no preconditioner)", plain, accuracy=acc("lsqr")),
            Runner("nla precondition (LSQR on A R^-1)", ours, ours=True, accuracy=acc("nla")),
        ],
        reference="scipy lsqr (no preconditioner)",
        rounds=3,
        notes="rel_err against scipy gelsd on the densified A (not timed)",
    )


def _dense_sketch_factor(n, d):
    """A = G diag(logspace(0, -3, d)) and the QR factor R of its 4d-row sketch."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((n, d)) * np.logspace(0, -3, d)
    SA = nla.sketch.make_sketch("sparse_sign", n, 4 * d, rng=1).apply(A)
    return A, SA


_REPEATS = 5  # each design runner repeats its sequence, so that the runner
# timed before it (whose library's threads may still be busy) counts little


def _svdvals_case(quick):
    """Why the singular values of the sketch's R go through scipy.linalg.

    NumPy and SciPy wheels each ship their own OpenBLAS; the dense route has
    just factored ``S A`` with SciPy. The runners repeat that QR alone, or
    followed by the singular values of ``R`` from either library: the
    difference to the first runner is the cost of the singular values,
    switches between the libraries included.
    """
    import scipy.linalg

    d = 256
    _, SA = _dense_sketch_factor(16384 if quick else 65536, d)

    def qr_r():
        return scipy.linalg.qr(SA, mode="r", check_finite=False)[0][:d, :d]

    def repeat(values):
        def run():
            for _ in range(_REPEATS):
                s = values(qr_r())
            return s

        return run

    s_ref = scipy.linalg.svdvals(qr_r())

    def acc(s):
        if s.ndim != 1:  # the QR alone
            return {}
        return {"max_rel_diff": float(np.max(np.abs(s - s_ref)) / s_ref[0])}

    return Case(
        FAMILY,
        f"design: {_REPEATS} x (SciPy QR of the {4 * d}x{d} sketch, then the singular "
        "values of R)",
        [
            Runner("QR alone", repeat(lambda R: R)),
            Runner(
                "QR, then numpy.linalg.svd",
                repeat(lambda R: np.linalg.svd(R, compute_uv=False)),
            ),
            Runner(
                "QR, then scipy.linalg.svdvals (as nla)",
                repeat(lambda R: scipy.linalg.svdvals(R, check_finite=False)),
                ours=True,
            ),
        ],
        accuracy=acc,
        rounds=7,
        notes="numpy and scipy each load their own OpenBLAS: the numpy runner switches "
        "libraries twice per repetition",
    )


def _preconditioner_case(quick):
    """Why Y = A R^{-1} is one GEMM with the explicit inverse of R.

    Both runners start, as the dense route does, from SciPy's QR of the
    sketch, then form ``Y`` by a triangular solve (SciPy) or by the explicit
    inverse (SciPy's ``trtri``) and one product (NumPy's BLAS).
    """
    import scipy.linalg
    from scipy.linalg.lapack import get_lapack_funcs

    n, d = (16384, 256) if quick else (131072, 256)
    A, SA = _dense_sketch_factor(n, d)

    def qr_r():
        return np.ascontiguousarray(
            scipy.linalg.qr(SA, mode="r", check_finite=False)[0][:d, :d]
        )

    R = qr_r()
    Y_ref = scipy.linalg.solve_triangular(R, A.T, trans=1, check_finite=False).T

    def trsm():
        for _ in range(_REPEATS):
            Y = scipy.linalg.solve_triangular(qr_r(), A.T, trans=1, check_finite=False).T
        return Y

    def explicit():
        for _ in range(_REPEATS):
            R = qr_r()
            Y = A @ np.triu(get_lapack_funcs("trtri", (R,))(R, lower=0)[0])
        return Y

    def acc(Y):
        return {"rel_diff_vs_trsm": float(np.linalg.norm(Y - Y_ref) / np.linalg.norm(Y_ref))}

    return Case(
        FAMILY,
        f"design: {_REPEATS} x (SciPy QR of the sketch, then Y = A R^-1), {n}x{d}",
        [
            Runner("triangular solve (TRSM)", trsm),
            Runner("R^-1 (TRTRI) then one GEMM (as nla)", explicit, ours=True),
        ],
        accuracy=acc,
        rounds=5,
        notes="the refinement sweeps absorb the rounding of the explicit inverse",
    )


def cases(quick):
    return [
        _dense_case(quick),
        _contrast_case(quick),
        _sparse_case(quick),
        _svdvals_case(quick),
        _preconditioner_case(quick),
    ]

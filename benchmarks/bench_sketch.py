"""Sketching: the FWHT against scipy.fft, sketches against scikit-learn."""

from __future__ import annotations

import numpy as np

import nla
from benchmarks._harness import Case, Runner, run_case

FAMILY = "sketch"


def _distortion(X, Y, n_pts=200):
    """Largest relative error of squared pairwise distances over n_pts points."""
    Xs = np.asarray(X[:n_pts], dtype=np.float64)
    Ys = np.asarray(Y[:n_pts], dtype=np.float64)

    def sq(Z):
        g = Z @ Z.T
        d = np.diag(g)
        return d[:, None] + d[None, :] - 2 * g

    iu = np.triu_indices(Xs.shape[0], 1)
    ratio = sq(Ys)[iu] / sq(Xs)[iu]
    return float(np.max(np.abs(ratio - 1.0)))


def cases(quick):
    import scipy.fft
    import scipy.linalg
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    rng = np.random.default_rng(0)
    n, d = (512, 4096) if quick else (2048, 4096)
    X = rng.standard_normal((n, d))
    out = []

    # -- FWHT along rows -------------------------------------------------
    H = scipy.linalg.hadamard(256) / 16.0
    probe = X[:4, :256]

    def fwht_err(fn):
        def acc(_):
            return {"max_err_vs_hadamard": float(np.abs(fn(probe) - probe @ H).max())}

        return acc

    runners = [
        Runner("copy of X (memory floor)", lambda: X.copy()),
        Runner("scipy.fft.fft", lambda: scipy.fft.fft(X, axis=1)),
        Runner("scipy.fft.rfft", lambda: scipy.fft.rfft(X, axis=1)),
    ]
    for eng in nla.available_engines():
        if eng == "cupy":
            continue
        runners.append(
            Runner(
                f"nla.fwht ({eng})",
                (lambda e: lambda: nla.fwht(X, engine=e))(eng),
                ours=True,
                accuracy=fwht_err((lambda e: lambda z: nla.fwht(z, engine=e))(eng)),
            )
        )
    out.append(
        Case(
            FAMILY,
            f"fwht along rows, X {n}x{d} float64",
            runners,
            reference="scipy.fft.fft",
            notes="accuracy: max |fwht(x) - hadamard(256) @ x / 16| on a probe",
        )
    )

    # -- sketches to k = 512 -------------------------------------------------
    k = 512
    acc = lambda Y: {"distortion": _distortion(X, Y)}  # noqa: E731
    grp = GaussianRandomProjection(k, random_state=11).fit(X)
    srp = SparseRandomProjection(k, random_state=12).fit(X)
    S_f = nla.sketch.fjlt(d, k, n_points=n, rng=13)
    S_s = nla.sketch.srht(d, k, rng=14)
    S_ss = nla.sketch.sparse_sign(d, k, rng=15)
    S_g = nla.sketch.gaussian(d, k, rng=16)
    runners = [
        Runner("sklearn GaussianRandomProjection", lambda: grp.transform(X)),
        Runner("sklearn SparseRandomProjection", lambda: srp.transform(X)),
        Runner(f"nla fjlt (q={S_f.q:.3g})", lambda: X @ S_f.T, ours=True),
        Runner("nla srht", lambda: X @ S_s.T, ours=True),
        Runner("nla sparse_sign (s=8)", lambda: X @ S_ss.T, ours=True),
        Runner("nla gaussian", lambda: X @ S_g.T, ours=True),
    ]
    out.append(
        Case(
            FAMILY,
            f"X @ S.T to k={k}, X {n}x{d} float64",
            runners,
            accuracy=acc,
            reference="sklearn GaussianRandomProjection",
            notes="distortion: max |‖Sx_i − Sx_j‖² / ‖x_i − x_j‖² − 1| over 200 points",
        )
    )
    return out


def _fjlt_variance_rows():
    """k Var(||S x||^2 / ||x||^2) over 2000 FJLTs with m nonzeros per row of P.

    The prediction is ``2 + 9/m`` (a Gaussian map: 2); the derivation is at
    ``_FJLT_MIN_NNZ_PER_ROW`` in nla/sketch/_hadamard.py. The standard error
    of a sample variance of N draws is about sqrt(2/N) of it, 3% here.
    Seeded: the figures do not depend on the machine.
    """
    d, k = 512, 64
    x = np.random.default_rng(11).standard_normal(d)
    rows = []
    for m in (4, 8, 16, 22, 32):
        sketches = (
            nla.sketch.fjlt(d, k, q=m / d, rng=np.random.default_rng([m, i])) for i in range(2000)
        )
        r = np.array([np.sum((S @ x) ** 2) for S in sketches]) / np.sum(x**2)
        measured = float(r.var(ddof=1) * k)
        rows.append((f"fjlt, m = {m}", measured, 2 + 9 / m))
    return rows


def _jl_miss_chance(k, n, eps, c):
    """Chance that a draw misses eps on some pair, for a sketch with c times
    a Gaussian map's variance: chi^2 with k / c degrees of freedom and the
    union bound over pairs (a bound for the Gaussian map, c = 1; a model
    for the others). tests/sketch/test_operators.py allows for it."""
    from scipy import stats

    nu = k / c
    pair = stats.chi2.sf(nu * (1 + eps), nu) + stats.chi2.cdf(nu * (1 - eps), nu)
    return min(1.0, n * (n - 1) / 2 * pair)


def _jl_failure_rows():
    """Share of 200 seeds whose sketch misses distortion 0.5 at k = jl_dim(20, 0.5),
    beside the modelled chance of a miss the tests use.

    20 points in d = 500 (the Hadamard sketches pad to 512); FJLT rows at m
    nonzeros per row of P: the bare Fandina-Hogsgaard-Larsen density
    ``ln(n)^2 / alpha`` is about 4 here, the default floor 22. Seeded.
    """
    n, d, eps = 20, 500, 0.5
    k = nla.sketch.jl_dim(n, eps)
    X = np.random.default_rng(10_007).standard_normal((n, d))
    makers = {
        "gaussian": (lambda s: nla.sketch.gaussian(d, k, rng=s), 1.0),
        "srht": (lambda s: nla.sketch.srht(d, k, rng=s), 1.0),
        "sparse_sign": (lambda s: nla.sketch.sparse_sign(d, k, rng=s), 1.0),
        "fjlt, m = 4": (lambda s: nla.sketch.fjlt(d, k, q=4 / 512, rng=s), 1 + 4.5 / 4),
        "fjlt, m = 8": (lambda s: nla.sketch.fjlt(d, k, q=8 / 512, rng=s), 1 + 4.5 / 8),
        "fjlt, n_points=20 (m = 22)": (
            lambda s: nla.sketch.fjlt(d, k, n_points=n, rng=s), 1 + 4.5 / 22
        ),
    }
    rows = []
    for name, (make, c) in makers.items():
        worst = [_distortion(X, X @ make(seed).T, n) for seed in range(200)]
        rows.append((name, float(np.mean(np.asarray(worst) > eps)), _jl_miss_chance(k, n, eps, c)))
    return rows


def _print_measurements(distortion, ks):
    """The figures the sketch docs page quotes (section "Measurements")."""
    print("== sketch: median max pairwise distortion (5 seeds) by k")
    print("   " + " " * 12 + "".join(f"{'k=' + str(k):>9}" for k in ks))
    for name, med in distortion.items():
        print(f"   {name:<12}" + "".join(f"{v:9.3f}" for v in med))
    print("== sketch: FJLT, k Var(||Sx||^2/||x||^2) over 2000 sketches, d=512, k=64")
    for name, measured, predicted in _fjlt_variance_rows():
        print(f"   {name:<14} measured {measured:6.3f}  predicted {predicted:6.3f}"
              f"  ratio {measured / predicted:5.3f}")
    print("== sketch: share of 200 seeds missing distortion 0.5 at k = jl_dim(20, 0.5), d=500,"
          " and the model of it the tests use")
    for name, share, model in _jl_failure_rows():
        print(f"   {name:<28} {share:6.3f}  model {model:6.3f}")


def _fwht_ns_per_number(sizes, total, rng, quick):
    """Median ns per number of FWHT and FFT along rows, by the harness."""
    import scipy.fft

    res = {"scipy.fft.fft": [], "nla.fwht": []}
    for dd in sizes:
        Z = rng.standard_normal((total // dd, dd))
        case = Case(
            FAMILY,
            f"fwht vs fft, d={dd}",
            [
                Runner("scipy.fft.fft", lambda Z=Z: scipy.fft.fft(Z, axis=1)),
                Runner("nla.fwht", lambda Z=Z: nla.fwht(Z), ours=True),
            ],
            rounds=5,
        )
        out = run_case(case, quick=quick)
        for row in out["rows"]:
            res[row["runner"]].append(row["median_s"] / Z.size * 1e9)
    return res


def plot(outdir, quick):
    """Distortion versus sketch size, and FWHT time versus length; prints the
    measurements the docs page quotes."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20)
    n, d = (200, 2048) if quick else (400, 4096)
    X = rng.standard_normal((n, d))
    X[:, : d // 64] *= 20  # uneven coordinates: the case H D is there for
    ks = [32, 64, 128, 256, 512]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    makers = {
        "gaussian": lambda k, s: nla.sketch.gaussian(d, k, rng=s),
        "srht": lambda k, s: nla.sketch.srht(d, k, rng=s),
        "sparse_sign": lambda k, s: nla.sketch.sparse_sign(d, k, rng=s),
        "fjlt": lambda k, s: nla.sketch.fjlt(d, k, n_points=n, rng=s),
    }
    distortion = {}
    for name, make in makers.items():
        med = [
            np.median([_distortion(X, X @ make(k, 100 + s).T, 100) for s in range(5)]) for k in ks
        ]
        distortion[name] = med
        ax[0].loglog(ks, med, "o-", label=name)
    ax[0].loglog(ks, [np.sqrt(8 * np.log(100) / k) for k in ks], "k:", label="sqrt(8 ln n / k)")
    ax[0].set_xscale("log", base=2)
    ax[0].set_xticks(ks, [str(k) for k in ks])
    ax[0].set_xlabel("sketch size k")
    ax[0].set_ylabel("max pairwise distortion (100 points)")
    ax[0].legend(fontsize=8)
    ax[0].set_title("Distortion versus k (median of 5 seeds)")

    sizes = [2**p for p in range(6, 17 if quick else 19, 2)]
    res = _fwht_ns_per_number(sizes, 2**21, rng, quick)
    for label, v in res.items():
        ax[1].semilogx(sizes, v, "o-", label=label, base=2)
    ax[1].set_xlabel("transform length d (2^21 numbers in all)")
    ax[1].set_ylabel("ns per number")
    ax[1].set_title("FWHT versus FFT along rows")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(outdir, "sketch.png")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    _print_measurements(distortion, ks)

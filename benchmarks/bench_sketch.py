"""Sketching: the FWHT against scipy.fft, sketches against scikit-learn."""

from __future__ import annotations

import numpy as np

import nla
from benchmarks._harness import Case, Runner

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


def plot(outdir, quick):
    """Distortion versus sketch size, and FWHT time versus length."""
    import os
    import time

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import scipy.fft

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
    for name, make in makers.items():
        med = [
            np.median([_distortion(X, X @ make(k, 100 + s).T, 100) for s in range(5)]) for k in ks
        ]
        ax[0].loglog(ks, med, "o-", label=name)
    ax[0].loglog(ks, [np.sqrt(8 * np.log(100) / k) for k in ks], "k:", label="sqrt(8 ln n / k)")
    ax[0].set_xscale("log", base=2)
    ax[0].set_xticks(ks, [str(k) for k in ks])
    ax[0].set_xlabel("sketch size k")
    ax[0].set_ylabel("max pairwise distortion (100 points)")
    ax[0].legend(fontsize=8)
    ax[0].set_title("Distortion versus k (median of 5 seeds)")

    sizes = [2**p for p in range(6, 17 if quick else 19, 2)]
    total = 2**21
    res = {"scipy.fft.fft": [], "nla.fwht": []}
    for dd in sizes:
        Z = rng.standard_normal((total // dd, dd))
        nla.fwht(Z)  # compile / warm up
        fns = (
            ("scipy.fft.fft", lambda Z=Z: scipy.fft.fft(Z, axis=1)),
            ("nla.fwht", lambda Z=Z: nla.fwht(Z)),
        )
        for label, fn in fns:
            ts = []
            for _ in range(5):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            res[label].append(np.median(ts) / Z.size * 1e9)
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

"""Matrix completion: nla.complete against Surprise, ALS-WR and the mean.

MovieLens-100k (read from the installed ``recbole`` wheel): the 100,000
ratings permuted by ``numpy.random.default_rng(0)``, the first 80,000 for
training and the last 20,000 for the test RMSE (predictions clipped to
[1, 5]). nla's rank, ridge parameter and number of sweeps are chosen by
:func:`nla.tune_complete` on a held-out 10% of the 80,000 training ratings
only (never on the test split); the timed runs then fit the 80,000 with the
chosen settings. Peers, timed in the same process, interleaved:

* Surprise ``SVD()`` with its defaults (the reference of the ratios);
* an exact ALS-WR written in NumPy (rank 10, ridge ``0.1 x count``, 15
  sweeps, global mean removed; one ``numpy.linalg.solve`` per row);
* the global mean;
* fancyimpute ``SoftImpute(max_rank=10)`` when fancyimpute 0.7 is installed
  (``pip install --no-deps fancyimpute==0.7.0``; it is not a dependency, and a
  note is printed without it). Only its ``soft_impute`` module is loaded, with
  scikit-learn's renamed ``check_array`` keyword translated.

The scaling cases time one sweep of both methods on synthetic uniform
samples of a random rank-k matrix (random initialization, so that the SVD
of the start is not timed): against ``|Omega|`` at k = 16 (square matrices
with ``|Omega| = 4 k (m + n - k)``) and against k at a fixed ``|Omega|``
(4x the degrees of freedom at the largest k); the accuracy column holds the
seconds per sweep and the log-log slopes; their time column is one
``complete`` call with two sweeps at the middle size, setup included.

fancyimpute's SoftImpute (100 full-matrix SVD iterations) gets a case of its
own in the full run, timed once, beside the global mean: it takes tens of
times longer than the others, and interleaving it round by round would
dominate the run.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import time

import numpy as np

import nla
from benchmarks._harness import Case, Runner

FAMILY = "completion"
SHAPE = (943, 1682)
#: the candidates of the selection on the validation split
_RANKS = (5, 10, 20)
_REGS = (0.08, 0.1, 0.12, 0.15)


# ------------------------------------------------------------- MovieLens


@functools.cache
def _movielens():
    from benchmarks._data import movielens_100k

    users, items, ratings, _ = movielens_100k()
    perm = np.random.default_rng(0).permutation(ratings.size)
    tr, te = perm[:80000], perm[80000:]
    return (users[tr], items[tr], ratings[tr]), (users[te], items[te], ratings[te])


def _rmse(pred, truth):
    return float(np.sqrt(np.mean((np.clip(pred, 1.0, 5.0) - truth) ** 2)))


@functools.cache
def _tuned(method):
    """Rank, reg and sweeps chosen on a held-out 10% of the training ratings."""
    (u, i, y), _ = _movielens()
    t0 = time.perf_counter()
    t = nla.tune_complete(u, i, y, SHAPE, ranks=_RANKS, regs=_REGS, validation=0.1,
                          method=method, maxiter=40, patience=3, rng=0)
    return t.rank, t.reg, t.maxiter, t.val_rmse, time.perf_counter() - t0


def _nla_fit(method):
    (u, i, y), _ = _movielens()
    k, reg, sweeps, _, _ = _tuned(method)
    return lambda: nla.complete(u, i, y, SHAPE, k, method=method, reg=reg,
                                reg_weights="count", biases=True, maxiter=sweeps, tol=0.0,
                                rng=0)


def _nla_acc(f):
    _, (u, i, y) = _movielens()
    return {"test_rmse": _rmse(f.predict(u, i), y), "sweeps": f.n_iter, "rank": f.rank}


def als_wr(u, i, y, shape, k=10, lam=0.1, sweeps=15, seed=0):
    """Exact ALS-WR in NumPy: one ridge solve per row and per column per sweep."""
    rng = np.random.default_rng(seed)
    mu = float(y.mean())
    r = y - mu
    U = 0.1 * rng.standard_normal((shape[0], k))
    V = 0.1 * rng.standard_normal((shape[1], k))
    by_u = np.split(np.argsort(u, kind="stable"), np.cumsum(np.bincount(u, minlength=shape[0])))
    by_i = np.split(np.argsort(i, kind="stable"), np.cumsum(np.bincount(i, minlength=shape[1])))
    eye = np.eye(k)
    for _ in range(sweeps):
        for W, other, groups, idx in ((U, V, by_u, i), (V, U, by_i, u)):
            for row, sel in enumerate(groups[: W.shape[0]]):
                if sel.size == 0:
                    W[row] = 0.0
                    continue
                F = other[idx[sel]]
                W[row] = np.linalg.solve(F.T @ F + lam * sel.size * eye, F.T @ r[sel])
    return mu, U, V


def _als_runner():
    (u, i, y), (ut, it, yt) = _movielens()

    def acc(out):
        mu, U, V = out
        return {"test_rmse": _rmse(mu + np.einsum("ij,ij->i", U[ut], V[it]), yt)}

    return Runner("ALS-WR NumPy (k=10, 0.1 count, 15 sweeps)",
                  lambda: als_wr(u, i, y, SHAPE), accuracy=acc)


@functools.cache
def _surprise_data():
    from surprise import Dataset, Reader

    (u, i, y), (ut, it, yt) = _movielens()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "train.txt")
        np.savetxt(path, np.column_stack([u, i, y]), fmt="%d %d %.1f")
        data = Dataset.load_from_file(path, Reader(line_format="user item rating", sep=" ",
                                                   rating_scale=(1, 5)))
        trainset = data.build_full_trainset()
    testset = [(str(a), str(b), float(c)) for a, b, c in zip(ut, it, yt, strict=True)]
    return trainset, testset


def _surprise_runner():
    try:
        from surprise import SVD
    except ImportError:
        print("note: scikit-surprise is not installed; its SVD() is skipped "
              "(pip install scikit-surprise==1.1.5)")
        return None
    trainset, testset = _surprise_data()

    def fit():
        algo = SVD()
        algo.fit(trainset)
        return algo

    def acc(algo):
        preds = algo.test(testset)
        return {"test_rmse": _rmse(np.array([p.est for p in preds]),
                                   np.array([p.r_ui for p in preds]))}

    return Runner("Surprise SVD() defaults", fit, accuracy=acc)


@functools.cache
def _soft_impute():
    """fancyimpute's SoftImpute class, or None.

    fancyimpute 0.7 imports cvxpy and knnimpute in its package ``__init__``
    and calls scikit-learn's ``check_array(force_all_finite=...)``, renamed
    ``ensure_all_finite`` in scikit-learn 1.6 and removed later. Where the
    package does not import whole, its ``soft_impute`` module is loaded on its
    own, and both modules get a ``check_array`` that translates the keyword.
    """
    import importlib
    import importlib.util
    import sys
    import types

    spec = importlib.util.find_spec("fancyimpute")
    if spec is None:
        return None
    try:
        from fancyimpute import SoftImpute
    except Exception:
        stub = types.ModuleType("fancyimpute")
        stub.__path__ = list(spec.submodule_search_locations)
        sys.modules["fancyimpute"] = stub
        SoftImpute = importlib.import_module("fancyimpute.soft_impute").SoftImpute
    from sklearn.utils import check_array

    def shim(X, *args, force_all_finite=None, **kw):
        if force_all_finite is not None:
            kw["ensure_all_finite"] = force_all_finite
        return check_array(X, *args, **kw)

    for name in ("fancyimpute.solver", "fancyimpute.soft_impute"):
        sys.modules[name].check_array = shim
    return SoftImpute


def _softimpute_runner():
    try:
        SoftImpute = _soft_impute()
    except Exception as exc:  # a version this shim does not know
        print(f"note: fancyimpute failed to load ({exc}); SoftImpute is skipped")
        return None
    if SoftImpute is None:
        print("note: fancyimpute is not installed (pip install --no-deps fancyimpute==0.7.0); "
              "SoftImpute(max_rank=10) is skipped")
        return None
    (u, i, y), (ut, it, yt) = _movielens()

    def fit():
        X = np.full(SHAPE, np.nan)
        X[u, i] = y
        return SoftImpute(max_rank=10, verbose=False).fit_transform(X)

    return Runner("fancyimpute SoftImpute(max_rank=10)", fit,
                  accuracy=lambda X: {"test_rmse": _rmse(X[ut, it], yt)})


def _movielens_case(quick):
    (u, i, y), (ut, it, yt) = _movielens()
    runners = [
        Runner(f"nla {m} (k={_tuned(m)[0]}, reg={_tuned(m)[1]}, {_tuned(m)[2]} sweeps)",
               _nla_fit(m), ours=True, accuracy=_nla_acc)
        for m in ("robust-altmin", "altmin")
    ]
    peers = [_surprise_runner(), _als_runner()]
    runners += [p for p in peers if p is not None]
    runners.append(Runner("global mean", lambda: float(y.mean()),
                          accuracy=lambda mu: {"test_rmse": _rmse(np.full(yt.size, mu), yt)}))
    notes = "; ".join(
        f"{m}: chosen on a 10% validation split of the training ratings "
        f"(val RMSE {_tuned(m)[3]:.4f}, selection {_tuned(m)[4]:.1f} s)"
        for m in ("robust-altmin", "altmin")
    )
    ref = "Surprise SVD() defaults" if runners[2].name.startswith("Surprise") else None
    return Case(FAMILY, "MovieLens-100k, 80k/20k split, test RMSE", runners,
                reference=ref, rounds=3 if quick else 5, notes=notes)


# ---------------------------------------------------------------- scaling


def _synthetic(m, n, k, nnz, seed=0):
    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, m * n, int(nnz * 1.05) + 10))[:nnz]
    keys = rng.permutation(keys)
    rows, cols = np.divmod(keys, n)
    U = rng.standard_normal((m, k))
    V = rng.standard_normal((n, k)) / math.sqrt(k)
    return rows, cols, np.einsum("ij,ij->i", U[rows], V[cols])


def _per_sweep(method, rows, cols, vals, shape, k):
    """Seconds of one sweep (the faster of two)."""
    f = nla.complete(rows, cols, vals, shape, k, method=method, init="random", maxiter=2,
                     tol=0.0, rng=0)
    return min(h.seconds for h in f.history)


def _slope(x, t):
    return float(np.polyfit(np.log(x), np.log(t), 1)[0])


def _omega_setup(quick, k=16):
    sizes = (3 * 10**4, 10**5, 3 * 10**5) if quick else (10**5, 10**6, 10**7)
    return [(int(nnz / (8 * k)) + k, k, nnz) for nnz in sizes]


def _k_setup(quick):
    m = 600 if quick else 2000
    ks = (8, 16, 32) if quick else (16, 32, 64, 128)
    nnz = 4 * ks[-1] * (2 * m - ks[-1])
    return [(m, k, nnz) for k in ks]


@functools.cache
def _problem(m, k, nnz):
    return _synthetic(m, m, k, nnz)


@functools.cache
def _scan(method, setup):
    return tuple(_per_sweep(method, *_problem(m, k, nnz), (m, m), k) for m, k, nnz in setup)


def _scan_runner(method, setup, axis):
    xs = [s[axis] for s in setup]
    m, k, nnz = setup[len(setup) // 2]

    def fit_largest():
        return nla.complete(*_problem(m, k, nnz), (m, m), k, method=method, init="random",
                            maxiter=2, tol=0.0, rng=0)

    def acc(_):
        ts = _scan(method, tuple(setup))
        d = {f"{x:g}": f"{t * 1e3:.1f}ms" for x, t in zip(xs, ts, strict=True)}
        d["slope"] = round(_slope(xs, ts), 2)
        return d

    return Runner(f"nla {method}", fit_largest, ours=True, accuracy=acc)


def _scaling_cases(quick):
    omega, ks = _omega_setup(quick), _k_setup(quick)
    m, k, nnz = ks[-1]
    note = ("accuracy column: seconds per sweep at each {} and the log-log slope; time "
            "column: complete() with 2 sweeps at the middle size, setup included")
    return [
        Case(FAMILY, "time per sweep vs |Omega| (k=16, |Omega| = 4 k (m + n - k))",
             [_scan_runner(meth, omega, 2) for meth in ("robust-altmin", "altmin")],
             reference="nla altmin", rounds=1, notes=note.format("|Omega|")),
        Case(FAMILY, f"time per sweep vs k (m = n = {m}, |Omega| = {nnz})",
             [_scan_runner(meth, ks, 1) for meth in ("robust-altmin", "altmin")],
             reference="nla altmin", rounds=1, notes=note.format("k")),
    ]


def _softimpute_case(quick):
    if quick:
        print("note: SoftImpute runs in the full benchmark only")
        return []
    runner = _softimpute_runner()
    if runner is None:
        return []
    (_, _, y), (_, _, yt) = _movielens()
    mean = Runner("global mean", lambda: float(y.mean()),
                  accuracy=lambda mu: {"test_rmse": _rmse(np.full(yt.size, mu), yt)})
    return [Case(FAMILY, "MovieLens-100k: fancyimpute SoftImpute (timed once)",
                 [runner, mean], rounds=1)]


def cases(quick):
    return [_movielens_case(quick), *_softimpute_case(quick), *_scaling_cases(quick)]


# ------------------------------------------------------------------- plot


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def plot(outdir, quick):
    """Test RMSE against fit time for every method on MovieLens-100k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(outdir, exist_ok=True)
    (u, i, y), (ut, it, yt) = _movielens()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for m, style in (("robust-altmin", "o-"), ("altmin", "s-")):
        k, reg, _, _, _ = _tuned(m)
        pts = []
        for sweeps in (1, 2, 3, 4, 6, 8) if quick else (1, 2, 3, 4, 5, 6, 8, 10, 15):
            def fit(s=sweeps, k=k, m=m, reg=reg):
                return nla.complete(u, i, y, SHAPE, k, method=m, reg=reg, reg_weights="count",
                                    biases=True, maxiter=s, tol=0.0, rng=0)

            fit()  # warm-up: the first call of a size loads the kernels
            (t, f), (t2, _) = _timed(fit), _timed(fit)
            pts.append((min(t, t2), _rmse(f.predict(ut, it), yt)))
        ax.plot(*zip(*pts, strict=True), style, ms=4, label=f"nla {m} (k={k}, by sweeps)")
    for runner in (_surprise_runner(), _als_runner(), _softimpute_runner()):
        if runner is None:
            continue
        t, out = _timed(runner.fn)
        rmse = runner.accuracy(out)["test_rmse"]
        ax.plot([t], [rmse], "D", ms=7, label=f"{runner.name}: {rmse:.3f}")
    mean = _rmse(np.full(yt.size, y.mean()), yt)
    ax.axhline(mean, color="gray", ls=":", label=f"global mean: {mean:.3f}")
    ax.axhline(0.918, color="k", lw=0.6, ls="--", label="goal 0.918")
    ax.set_xscale("log")
    ax.set_xlabel("fit time [s] (shared, loaded machine)")
    ax.set_ylabel("test RMSE (MovieLens-100k, 20k held out)")
    ax.set_ylim(0.9, 1.15)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "completion.png"), dpi=120)
    plt.close(fig)

"""Sampled and multilevel Monte Carlo Gram matrices against exact products.

Workloads (Gram matrices ``X^T X``, pixel values in [0, 1]):

* P192u / P192c: 8x8x3 patches of scikit-learn's ``china.jpg``
  (``extract_patches_2d``), d = 192, uncentred and centred; a random
  60,000 of the 265,860 for time;
* P768: 16x16x3 patches of both sample images at stride 2, d = 768, a
  random subset of rows for time;
* RFF: random Fourier features (``RBFSampler``, D = 2000) of
  ``make_classification``, n reduced for time: the flat-spectrum case.

Peers: the exact float64 and float32 products (NumPy/BLAS; the float32 copy
of X is made outside the timed region), DKM (``nla.sampled_matmul``, optimal
probabilities) and uniform sampling, at sample counts ``c = beta n`` (the
flops of ``beta`` exact products). nla's hierarchies run with
``budget=beta``. Every timing uses one BLAS thread.

The sweep prints, per workload, each estimator's median time (of two
interleaved repeats) and median relative Frobenius and spectral errors
(over seeds), its passes over X, then the equal-time comparisons of the
issue's goals (errors interpolated log-log along each estimator's
error-time curve) and each estimator's break-even against the exact
product. ``plot(outdir, quick)`` draws error against time for every
estimator. Figures are in docs/families/matmul.rst.
"""

from __future__ import annotations

import functools
import os
import statistics
import time

import numpy as np

import nla
from benchmarks._harness import Case, Runner
from nla._backend import single_blas_thread

FAMILY = "matmul"

#: budgets (fractions of the exact product's flops) of the sweep
_BETAS = (0.1, 0.2, 0.35, 0.5, 0.7)
_BETAS_QUICK = (0.15, 0.5)
_PRECISION_BETAS = (0.55, 0.7)
_RANKS = {"P192u": 24, "P192c": 24, "P768": 48, "RFF": 32}


# ---------------------------------------------------------------- workloads


def _rows(X, n, seed=0):
    if n is None or n >= X.shape[0]:
        return np.ascontiguousarray(X)
    idx = np.sort(np.random.default_rng(seed).choice(X.shape[0], n, replace=False))
    return np.ascontiguousarray(X[idx])


@functools.cache
def _p192(quick):
    from sklearn.datasets import load_sample_image
    from sklearn.feature_extraction.image import extract_patches_2d

    img = load_sample_image("china.jpg").astype(np.float64) / 255.0
    X = extract_patches_2d(img, (8, 8)).reshape(-1, 192)
    return _rows(X, 12_000 if quick else 60_000)


@functools.cache
def _p768(quick):
    from sklearn.datasets import load_sample_image

    parts = []
    for name in ("china.jpg", "flower.jpg"):
        img = load_sample_image(name).astype(np.float64) / 255.0
        win = np.lib.stride_tricks.sliding_window_view(img, (16, 16, 3))[::2, ::2]
        parts.append(win.reshape(-1, 768))
    return _rows(np.concatenate(parts), 2_000 if quick else 24_000)


@functools.cache
def _rff(quick):
    from sklearn.datasets import make_classification
    from sklearn.kernel_approximation import RBFSampler

    n = 800 if quick else 3_000
    Z, _ = make_classification(n_samples=n, n_features=20, random_state=0)
    return RBFSampler(gamma=0.05, n_components=2000, random_state=0).fit_transform(Z)


def _workloads(quick):
    X = _p192(quick)
    out = {"P192u": X, "P192c": X - X.mean(axis=0)}
    out["P768"] = _p768(quick)
    out["RFF"] = np.ascontiguousarray(_rff(quick))
    return out


# --------------------------------------------------------------- estimators


def _estimators(X, name, quick):
    """(label, kind, beta, fn(seed), passes) for every point of the sweep."""
    n = X.shape[0]
    X32 = X.astype(np.float32)
    betas = _BETAS_QUICK if quick else _BETAS
    r = _RANKS[name]
    out = [
        ("exact float64", "exact64", 1.0, lambda s: X.T @ X, 1.0),
        ("exact float32", "exact32", 0.5, lambda s: X32.T @ X32, 1.0),
    ]
    for i, b in enumerate(betas):
        c = max(1, int(b * n))
        out += [
            ("DKM", "dkm", b, lambda s, c=c: nla.sampled_matmul(X, X, c, transpose_a=True,
                                                                 rng=s), 1.0 + b),
            (f"MLMC rank {r}", "rank", b,
             lambda s, b=b: nla.mlmc_matmul(X, X, budget=b, ranks=r, transpose_a=True, rng=s),
             2.0 + b),
        ]
        if i % 2 == 0:  # every other budget, for time
            out.append(("uniform", "uniform", b,
                        lambda s, c=c: nla.sampled_matmul(X, X, c, probabilities="uniform",
                                                          transpose_a=True, rng=s), b))
        if i % 2 == 1:
            out.append(("MLMC data (8 blocks)", "data", b,
                        lambda s, b=b: nla.mlmc_matmul(X, X, budget=b, levels="data",
                                                       transpose_a=True, rng=s), 1.0 + b))
    for b in _PRECISION_BETAS[1:] if quick else _PRECISION_BETAS:
        out.append(("MLMC precision f32/f64", "precision", b,
                    lambda s, b=b: nla.mlmc_matmul(X, X, budget=b, levels="precision",
                                                   transpose_a=True, rng=s), 2.0 + b - 0.5))
    return out


def _errors(C, G, nG, sG):
    from scipy.sparse.linalg import svds

    E = np.asarray(C, dtype=np.float64) - G
    fro = float(np.linalg.norm(E) / nG)
    if not np.any(E):
        return fro, 0.0
    spec = float(svds(E, k=1, return_singular_vectors=False, random_state=0)[0])
    return fro, spec / sG


def _try(fn, s):
    try:
        return fn(s)
    except ValueError:  # a budget below the hierarchy's fixed cost
        return None


def _measure(X, name, quick):
    G = X.T @ X
    nG = float(np.linalg.norm(G))
    sG = float(np.linalg.eigvalsh(G)[-1])
    ests = _estimators(X, name, quick)
    reps = 2
    times = {i: [] for i in range(len(ests))}
    errs = {i: [] for i in range(len(ests))}
    with single_blas_thread():
        seen = set()
        for _, kind, _, fn, _ in ests:  # warm-up: one call of each kind
            if kind not in seen:
                seen.add(kind)
                _try(fn, 99)
        for rep in range(reps):  # interleaved
            for i, (_, _, _, fn, _) in enumerate(ests):
                t0 = time.perf_counter()
                C = _try(fn, rep)
                times[i].append(time.perf_counter() - t0)
                if C is not None:
                    errs[i].append(_errors(C, G, nG, sG))
    rows = []
    for i, (label, kind, beta, _, passes) in enumerate(ests):
        if not errs[i]:
            continue
        rows.append({
            "label": label, "kind": kind, "beta": beta, "passes": passes,
            "time": statistics.median(times[i]),
            "fro": statistics.median(e[0] for e in errs[i]),
            "spec": statistics.median(e[1] for e in errs[i]),
        })
    return {"n": X.shape[0], "d": X.shape[1], "rows": rows}


_SWEEPS = {}


def _sweep(quick, report=False):
    """Measure every workload once per process (printing each report as it
    is measured when `report`)."""
    if quick not in _SWEEPS:
        out = {}
        for name, X in _workloads(quick).items():
            out[name] = _measure(X, name, quick)
            if report:
                print(_report(name, out[name]), flush=True)
        _SWEEPS[quick] = out
    return _SWEEPS[quick]


# ----------------------------------------------------------------- analysis


def _curve(rows, kind):
    pts = sorted((r["time"], r["fro"]) for r in rows if r["kind"] == kind)
    return np.array(pts) if pts else np.zeros((0, 2))


def _at_time(curve, t):
    """Error of a curve at time t, log-log interpolated; None outside it."""
    if len(curve) == 0 or t < curve[0, 0] or t > curve[-1, 0]:
        return None
    if len(curve) == 1:
        return float(curve[0, 1])
    lt, le = np.log(curve[:, 0]), np.log(np.maximum(curve[:, 1], 1e-300))
    order = np.argsort(lt)
    return float(np.exp(np.interp(np.log(t), lt[order], le[order])))


def _report(name, res):
    rows = res["rows"]
    t64 = next(r["time"] for r in rows if r["kind"] == "exact64")
    e32 = next(r["fro"] for r in rows if r["kind"] == "exact32")
    lines = [f"== matmul sweep: {name} (n={res['n']}, d={res['d']}; one BLAS thread)",
             f"   {'estimator':<26}{'beta':>6}{'time':>10}{'t/t64':>8}{'passes':>8}"
             f"{'rel fro':>11}{'rel spec':>11}"]
    for r in rows:
        lines.append(f"   {r['label']:<26}{r['beta']:>6.2f}{r['time'] * 1e3:>8.1f}ms"
                     f"{r['time'] / t64:>8.2f}{r['passes']:>8.2f}{r['fro']:>11.2e}"
                     f"{r['spec']:>11.2e}")
    dkm = _curve(rows, "dkm")
    for kind in ("rank", "uniform", "data"):
        cur = _curve(rows, kind)
        parts = []
        for f in (0.2, 0.3, 0.4, 0.5, 0.6):
            a, b = _at_time(cur, f * t64), _at_time(dkm, f * t64)
            parts.append(f"{f:.1f}:" + (f"{a / b:.2f}" if a and b else "n/a"))
        lines.append(f"   {kind} / DKM error at equal time (fraction of t64): " + " ".join(parts))
    by_beta = {(r["kind"], r["beta"]): r["fro"] for r in rows}
    lines.append("   rank / DKM error at equal budget (beta): " + " ".join(
        f"{b:.2f}:{by_beta[('rank', b)] / by_beta[('dkm', b)]:.2f}"
        for b in sorted({r["beta"] for r in rows if r["kind"] == "rank"})
        if ("dkm", b) in by_beta))
    prec = [r for r in rows if r["kind"] == "precision" and r["time"] <= 0.7 * t64]
    best = min((r["fro"] for r in prec), default=None)
    fastest = min(r["time"] for r in rows if r["kind"] == "precision") / t64
    lines.append("   precision levels within 0.7 t64: "
                 + (f"error {best:.2e} = {best / e32:.3f} x float32's {e32:.2e}" if best
                    else "no run that fast")
                 + f"; fastest precision run {fastest:.2f} t64")
    for kind in ("dkm", "uniform", "rank", "data"):
        e = _at_time(_curve(rows, kind), t64)
        cur = _curve(rows, kind)
        if e is None and len(cur):
            e = float(cur[-1, 1]) if cur[-1, 0] < t64 else None
            lines.append(f"   break-even {kind}: slower than exact at every measured point"
                         if e is None else
                         f"   break-even {kind}: faster than exact up to {cur[-1, 0] / t64:.2f} "
                         f"t64, error {e:.2e} there")
        elif e is not None:
            lines.append(f"   break-even {kind}: the exact product's time buys error {e:.2e}")
    return "\n".join(lines)


# -------------------------------------------------------------- the harness


def cases(quick):
    _sweep(quick, report=True)
    out = []
    for name, X in _workloads(quick).items():
        X32 = X.astype(np.float32)
        G = X.T @ X
        nG = float(np.linalg.norm(G))
        n, r, b = X.shape[0], _RANKS[name], 0.35

        def acc(C, G=G, nG=nG):
            return {"rel_fro": float(np.linalg.norm(np.asarray(C, np.float64) - G) / nG)}

        def blas1(fn):
            def run():
                with single_blas_thread():
                    return fn()
            return run

        c = int(b * n)
        runners = [
            Runner("X.T @ X float64", blas1(lambda X=X: X.T @ X)),
            Runner("X.T @ X float32", blas1(lambda X32=X32: X32.T @ X32)),
            Runner(f"DKM c={c}", blas1(lambda X=X, c=c: nla.sampled_matmul(
                X, X, c, transpose_a=True, rng=0)), ours=True),
            Runner(f"mlmc rank {r} budget={b}", blas1(lambda X=X, r=r, b=b: nla.mlmc_matmul(
                X, X, budget=b, ranks=r, transpose_a=True, rng=0)), ours=True),
            Runner("mlmc precision budget=0.6", blas1(lambda X=X: nla.mlmc_matmul(
                X, X, budget=0.6, levels="precision", transpose_a=True, rng=0)), ours=True),
        ]
        out.append(Case(FAMILY, f"Gram {name} n={n} d={X.shape[1]}", runners, accuracy=acc,
                        rounds=3, notes="one BLAS thread; errors relative Frobenius"))
    return out


def plot(outdir, quick):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    sweep = _sweep(quick)
    fig, grid = plt.subplots(2, 2, figsize=(10, 8))
    axes = grid.ravel()
    styles = {"exact64": ("k", "s"), "exact32": ("0.5", "s"), "dkm": ("C0", "o"),
              "uniform": ("C1", "v"), "rank": ("C2", "^"), "data": ("C4", "x"),
              "precision": ("C3", "D")}
    for ax, (name, res) in zip(axes, sweep.items(), strict=True):
        rows = res["rows"]
        t64 = next(r["time"] for r in rows if r["kind"] == "exact64")
        for kind, (color, marker) in styles.items():
            pts = sorted((r["time"] / t64, max(r["fro"], 1e-16), r["label"])
                         for r in rows if r["kind"] == kind)
            if pts:
                label = pts[0][2] + (" (error 0, drawn at 1e-16)" if kind == "exact64" else "")
                ax.loglog([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                          color=color, label=label, lw=1)
        ax.axvline(1.0, color="k", lw=0.5, ls=":")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{name} (n={res['n']}, d={res['d']})")
        ax.set_xlabel("time / exact float64 time (one BLAS thread)")
        ax.set_ylabel("relative Frobenius error")
    axes[-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    os.makedirs(outdir, exist_ok=True)
    fig.savefig(os.path.join(outdir, "matmul.png"), dpi=110)
    plt.close(fig)

"""Matrix square root: forward and forward+backward against scipy and batched eigh,
plus error-versus-kappa and cheapest-setting tables for the fast methods."""

from __future__ import annotations

import numpy as np

import nla
from benchmarks._harness import Case, Runner, run_case

FAMILY = "matfun"


def _spd(rng, batch, n, kappa, dtype=np.float64):
    """Batch of SPD matrices, eigenvalues log-spaced in [1/kappa, 1], Haar basis."""
    q, r = np.linalg.qr(rng.standard_normal((batch, n, n)))
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    lam = np.logspace(0, -np.log10(kappa), n)
    A = (q * lam[None, None, :]) @ np.swapaxes(q, -1, -2)
    return ((A + np.swapaxes(A, -1, -2)) / 2).astype(dtype)


def _ref(A, power=0.5):
    lam, V = np.linalg.eigh(np.asarray(A, dtype=np.float64))
    return (V * lam[..., None, :] ** power) @ np.swapaxes(V, -1, -2)


def _rel(X, ref):
    X = np.asarray(X, dtype=np.float64)
    err = np.linalg.norm(X - ref, axis=(-2, -1)) / np.linalg.norm(ref, axis=(-2, -1))
    return float(np.max(err))


def _lyap_loop(X, G):
    import scipy.linalg

    return np.stack([scipy.linalg.solve_continuous_lyapunov(X[i], G[i]) for i in range(X.shape[0])])


# Fast-method settings swept in the error/cost tables: (label, kwargs).
SETTINGS = (
    [("mpa [%d/%d]" % (d, d), {"method": "mpa", "degree": d}) for d in (2, 4, 8, 16)]
    + [("mtp deg %d" % d, {"method": "mtp", "degree": d}) for d in (4, 16, 64, 256)]
    + [
        ("newton-schulz tol %g" % t, {"method": "newton-schulz", "tol": t})
        for t in (1e-2, 1e-5, 1e-9)
    ]
    + [("newton-schulz (default tol)", {"method": "newton-schulz"})]
)

# inv_sqrtm rows of the error-versus-kappa table: the series of (1 - z)**(-1/2)
# has a pole at z = 1, so its truncation error is far larger than for sqrtm.
INV_SETTINGS = (
    [("inv_sqrtm eigh", {})]
    + [("inv_sqrtm mpa [%d/%d]" % (d, d), {"method": "mpa", "degree": d}) for d in (4, 8, 16)]
    + [("inv_sqrtm mtp deg %d" % d, {"method": "mtp", "degree": d}) for d in (16, 64, 256)]
    + [("inv_sqrtm newton-schulz", {"method": "newton-schulz"})]
)


def _setting_runners(A, settings, inverse=False):
    f = nla.inv_sqrtm if inverse else nla.sqrtm
    return [Runner(label, lambda kw=kw: f(A, **kw), ours=True) for label, kw in settings]


def error_cost_table(quick, batch=64, n=48):
    """Error and time of every setting for each kappa (sqrtm and inv_sqrtm
    forward, float64), and the cheapest eigh-free sqrtm setting reaching 1e-3,
    1e-6 and 1e-10.

    Every setting of one kappa is a runner of one harness case, so the
    times come from interleaved rounds after warm-up; the table uses each
    runner's fastest round, the least disturbed estimate of its cost on a
    shared machine, which is what the cheapest-setting comparison needs.

    Returns (rows, text) with rows = (kappa, setting, error, seconds).
    """
    rng = np.random.default_rng(7)
    kappas = [1e1, 1e2, 1e4, 1e6] if quick else [1e1, 1e2, 1e3, 1e4, 1e5, 1e6]
    settings = [("eigh", {})] + [s for s in SETTINGS if not (quick and s[0] == "mtp deg 256")]
    inv_settings = [s for s in INV_SETTINGS if not (quick and s[0].endswith("deg 256"))]
    rows = []
    reps = None
    for kappa in kappas:
        A = _spd(rng, batch, n, kappa)
        ref, iref = _ref(A), _ref(A, -0.5)
        runners = _setting_runners(A, settings) + _setting_runners(A, inv_settings, True)
        for r in runners[len(settings):]:
            r.accuracy = lambda Y, iref=iref: {"rel_err": _rel(Y, iref)}
        res = run_case(Case(FAMILY, f"settings at kappa={kappa:g}", runners,
                            accuracy=lambda X, ref=ref: {"rel_err": _rel(X, ref)}, rounds=5),
                       quick=quick)
        reps = res["rounds"]
        rows += [(kappa, r["runner"], r["accuracy"]["rel_err"], r["min_s"]) for r in res["rows"]]
    head = "   setting                       " + "".join(f"   kappa={k:<8.0e}" for k in kappas)
    lines = [
        f"error versus kappa (relative Frobenius error, max over the batch; fastest of {reps} "
        "interleaved rounds), "
        f"sqrtm and inv_sqrtm forward, {batch}x{n}x{n} float64:",
        head,
    ]
    for label, _ in settings + inv_settings:
        cells = []
        for kappa in kappas:
            r = next(r for r in rows if r[0] == kappa and r[1] == label)
            cells.append(f"  {r[2]:7.1e} {r[3] * 1e3:5.1f}ms")
        lines.append(f"   {label:<30}" + "".join(cells))
    lines.append("")
    lines.append(
        f"cheapest eigh-free sqrtm setting reaching each target ({batch}x{n}x{n} float64):"
    )
    lines.append(
        "   kappa   target   cheapest setting                 time      error   | eigh time"
    )
    for kappa in kappas:
        sub = [r for r in rows if r[0] == kappa]
        t_eigh = next(r[3] for r in sub if r[1] == "eigh")
        for target in (1e-3, 1e-6, 1e-10):
            ok = [r for r in sub if r[1] != "eigh" and not r[1].startswith("inv_sqrtm")
                  and r[2] <= target]
            if ok:
                best = min(ok, key=lambda r: r[3])
                desc = f"{best[1]:<30} {best[3] * 1e3:6.2f}ms  {best[2]:8.1e}"
            else:
                desc = f"{'(none reaches it)':<30} {'':>6}    {'':>8}"
            lines.append(f"   {kappa:7.0e}  {target:6.0e}   {desc}   | {t_eigh * 1e3:6.2f}ms")
    return rows, "\n".join(lines)


def _forward_cases(A, Xref, tag, rounds):
    import scipy.linalg

    def eigh_peer():
        lam, V = np.linalg.eigh(A)
        return (V * np.sqrt(lam)[..., None, :]) @ np.swapaxes(V, -1, -2)

    runners = [
        Runner("scipy.linalg.sqrtm (batch)", lambda: scipy.linalg.sqrtm(A).real),
        Runner("numpy.linalg.eigh batched + V f V^T", eigh_peer),
        Runner("nla.sqrtm eigh", lambda: nla.sqrtm(A), ours=True),
        Runner(
            "nla.sqrtm mpa [5/5] (paper)", lambda: nla.sqrtm(A, method="mpa", degree=5), ours=True
        ),
        Runner("nla.sqrtm mpa [8/8] (default)", lambda: nla.sqrtm(A, method="mpa"), ours=True),
        Runner("nla.sqrtm mtp deg 16 (default)", lambda: nla.sqrtm(A, method="mtp"), ours=True),
        Runner("nla.sqrtm newton-schulz", lambda: nla.sqrtm(A, method="newton-schulz"), ours=True),
    ]
    return Case(FAMILY, f"sqrtm forward, {tag}", runners,
                accuracy=lambda X: {"rel_err": _rel(X, Xref)}, rounds=rounds)


def _backward_cases(A, G, Xref, dref, tag, rounds):
    import scipy.linalg

    def peer():
        X = scipy.linalg.sqrtm(A).real
        return X, _lyap_loop(X, G)

    def ours(method, **kw):
        def run():
            X, vjp = nla.sqrtm_with_vjp(A, method=method, **kw)
            return X, vjp(G)

        return run

    runners = [
        Runner("scipy sqrtm + loop of solve_continuous_lyapunov", peer),
        Runner("nla eigh + Daleckii-Krein", ours("eigh"), ours=True),
        Runner("nla mpa [8/8] + sign iteration to tol", ours("mpa"), ours=True),
        Runner("nla mtp deg 16 + sign iteration to tol", ours("mtp"), ours=True),
        Runner("nla mpa [5/5] + 8 sign iterations (paper)",
               ours("mpa", degree=5, vjp_tol=0, vjp_maxiter=8), ours=True),
        Runner("nla newton-schulz + sign iteration to tol", ours("newton-schulz"), ours=True),
        Runner("nla eigh + sign iteration to tol", ours("eigh", vjp_method="lyapunov"),
               ours=True),
    ]
    return Case(FAMILY, f"sqrtm forward+backward, {tag}", runners,
                accuracy=lambda r: {"fwd_err": _rel(r[0], Xref), "grad_err": _rel(r[1], dref)},
                rounds=rounds, notes="grad_err: relative to Daleckii-Krein in float64")


def _inverse_case(A, G):
    import scipy.linalg

    Yref = _ref(A, -0.5)
    dref = nla.inv_sqrtm_vjp(A, G)

    def ours(method, **kw):
        def run():
            Y, vjp = nla.inv_sqrtm_with_vjp(A, method=method, **kw)
            return Y, vjp(G)

        return run

    def peer():
        X = scipy.linalg.sqrtm(A).real
        Y = np.linalg.inv(X)
        return Y, _lyap_loop(X, -Y @ G @ Y)

    return Case(
        FAMILY,
        f"inv_sqrtm forward+backward, {A.shape[0]}x{A.shape[1]}x{A.shape[2]} float64, kappa=100",
        [
            Runner("scipy sqrtm + inv + loop of solve_continuous_lyapunov", peer),
            Runner("nla eigh + Daleckii-Krein", ours("eigh"), ours=True),
            Runner("nla mpa [8/8] + sign iteration to tol", ours("mpa"), ours=True),
            Runner("nla newton-schulz + sign iteration to tol", ours("newton-schulz"), ours=True),
        ],
        accuracy=lambda r: {"fwd_err": _rel(r[0], Yref), "grad_err": _rel(r[1], dref)},
    )


def cases(quick):
    rng = np.random.default_rng(0)
    out = []
    workloads = [(64, 48)] if quick else [(64, 48), (256, 64)]
    for batch, n in workloads:
        A64 = _spd(rng, batch, n, 100.0)
        G64 = rng.standard_normal((batch, n, n))
        Xref = _ref(A64)
        # Daleckii-Krein in float64 (checked against scipy in the tests)
        dref = nla.sqrtm_vjp(A64, G64)
        rounds = 5 if batch > 64 else 7
        for dtype in (np.float64, np.float32):
            A = A64.astype(dtype)
            G = G64.astype(dtype)
            tag = f"{batch}x{n}x{n} {np.dtype(dtype).name}, kappa=100"
            out.append(_forward_cases(A, Xref, tag, rounds))
            out.append(_backward_cases(A, G, Xref, dref, tag, rounds))
    A = _spd(rng, 64, 48, 100.0)
    out.append(_inverse_case(A, rng.standard_normal(A.shape)))

    # error versus kappa and cost of every setting, and the cheapest settings
    _, table = error_cost_table(quick)
    out.append(_cost_case(_spd(rng, 64, 48, 1e4), table))
    return out


def _cost_case(A, table):
    """Every eigh-free setting at kappa = 1e4 beside scipy's Schur method."""
    import scipy.linalg

    ref = _ref(A)
    runners = [
        Runner("scipy.linalg.sqrtm (batch)", lambda: scipy.linalg.sqrtm(A).real),
        Runner("nla.sqrtm eigh", lambda: nla.sqrtm(A), ours=True),
    ]
    runners += [
        Runner(f"nla.sqrtm {label}", lambda kw=kw: nla.sqrtm(A, **kw), ours=True)
        for label, kw in SETTINGS
        if "deg 256" not in label
    ]
    return Case(FAMILY, "error versus cost at kappa=1e4, 64x48x48 float64", runners,
                accuracy=lambda X: {"rel_err": _rel(X, ref)}, rounds=3, notes=table)


def plot(outdir, quick):
    """Error versus kappa for every method, and time versus batch size."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import scipy.linalg

    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(3)
    kappas = np.logspace(1, 6, 6 if quick else 11)
    methods = [
        ("eigh", {}),
        ("mpa [5/5]", {"method": "mpa", "degree": 5}),
        ("mpa [16/16]", {"method": "mpa", "degree": 16}),
        ("mtp deg 16", {"method": "mtp", "degree": 16}),
        ("mtp deg 256", {"method": "mtp", "degree": 256}),
        ("newton-schulz", {"method": "newton-schulz"}),
    ]
    errs = {m: [] for m, _ in methods}
    for kappa in kappas:
        A = _spd(rng, 16, 48, kappa)
        ref = _ref(A)
        for m, kw in methods:
            errs[m].append(max(_rel(nla.sqrtm(A, **kw), ref), 1e-17))
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    for m, _ in methods:
        ax[0].loglog(kappas, errs[m], "o-", ms=3, label=m)
    ax[0].set_xlabel("condition number kappa")
    ax[0].set_ylabel("relative error of sqrtm (float64)")
    ax[0].set_title("error versus kappa, 48x48")
    ax[0].legend(fontsize=7)
    ax[0].grid(True, which="major", alpha=0.3)

    batches = [1, 4, 16, 64] if quick else [1, 4, 16, 64, 256]
    timers = {
        "scipy sqrtm + Lyapunov loop": lambda A, G: [
            _lyap_loop(X, G) for X in [scipy.linalg.sqrtm(A).real]
        ],
        "nla eigh + Daleckii-Krein": lambda A, G: nla.sqrtm_with_vjp(A)[1](G),
        "nla mpa [8/8] + sign iteration": lambda A, G: nla.sqrtm_with_vjp(A, method="mpa")[1](G),
        "nla newton-schulz + sign iteration": lambda A, G: nla.sqrtm_with_vjp(
            A, method="newton-schulz"
        )[1](G),
    }
    times = {k: [] for k in timers}
    for b in batches:
        A = _spd(rng, b, 48, 100.0)
        G = rng.standard_normal(A.shape)
        runners = [Runner(k, lambda f=f, A=A, G=G: f(A, G), ours=k.startswith("nla"))
                   for k, f in timers.items()]
        res = run_case(Case(FAMILY, f"forward+backward, batch {b}", runners, rounds=5),
                       quick=quick)
        for row in res["rows"]:
            times[row["runner"]].append(row["median_s"])
    for k in timers:
        ax[1].loglog(batches, np.array(times[k]) * 1e3, "o-", ms=3, label=k)
    ax[1].set_xlabel("batch size (48x48, kappa=100, float64)")
    ax[1].set_ylabel("forward+backward time [ms]")
    ax[1].set_title("time versus batch size (2-core CPU, shared)")
    ax[1].legend(fontsize=7)
    ax[1].grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "matfun.png"), dpi=80)
    plt.close(fig)

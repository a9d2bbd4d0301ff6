"""Krylov recycling on sequences of PDE systems against SciPy's Krylov solvers.

Three families are built here (no downloads), on a 100 x 100 cell grid of
the unit square (10^4 unknowns), cell-centred five-point finite volumes:

* Darcy (SPD): ``-div(K grad u) = 1``, ``K = exp(g0 cos t + g1 sin t)`` with
  two smooth Gaussian random fields (length scale 10 cells, std 1),
  harmonic-mean face coefficients, ``t ~ U[0, 0.5]``;
* convection-diffusion (nonsymmetric): ``-eps lap u + w(theta) . grad u = 1``,
  first-order upwinding, wind direction theta and eps varying;
* shifted Laplacian (indefinite, Helmholtz-like): ``-lap u - s (1 + g/5) u =
  1`` with about a dozen negative eigenvalues, s varying.

Every solver gets the same sequence; the figures are wall time for the
whole sequence and total matvecs. Peers: scipy cg, gmres(40), gcrotmk fresh
and carrying CU, bicgstab, each with the same Jacobi or ILU preconditioner.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import nla
from benchmarks._harness import Case, Runner

FAMILY = "krylov"
GRID = 100
RTOL = 1e-8


# ------------------------------------------------------------ PDE families


def _field(rng, n=GRID, length=10.0):
    """Smooth Gaussian random field (Gaussian covariance, `length` cells), std 1."""
    noise = rng.standard_normal((n, n))
    f = np.fft.fftfreq(n)
    kk = f[:, None] ** 2 + f[None, :] ** 2
    g = np.real(np.fft.ifft2(np.fft.fft2(noise) * np.exp(-2 * (np.pi * length) ** 2 * kk / 2)))
    return (g - g.mean()) / g.std()


def _index(n):
    return np.arange(n * n).reshape(n, n)


def _fv_matrix(kx, ky, kb, n):
    """Five-point FV matrix from face transmissibilities.

    kx: (n, n-1) between (i, j) and (i, j+1); ky: (n-1, n) between (i, j) and
    (i+1, j); kb: (n, n) boundary transmissibility (Dirichlet) per cell.
    """
    idx = _index(n)
    rows, cols, vals = [], [], []
    diag = kb.copy()
    for a, b, t in ((idx[:, :-1], idx[:, 1:], kx), (idx[:-1, :], idx[1:, :], ky)):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [-t.ravel(), -t.ravel()]
    diag[:, :-1] += kx
    diag[:, 1:] += kx
    diag[:-1, :] += ky
    diag[1:, :] += ky
    rows.append(idx.ravel())
    cols.append(idx.ravel())
    vals.append(diag.ravel())
    N = n * n
    A = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=(N, N))
    A.sort_indices()
    return A


def _boundary(K, n):
    kb = np.zeros((n, n))
    kb[0, :] += 2 * K[0, :]
    kb[-1, :] += 2 * K[-1, :]
    kb[:, 0] += 2 * K[:, 0]
    kb[:, -1] += 2 * K[:, -1]
    return kb


def darcy_family(count, rng=0, n=GRID):
    """Matrices, right-hand side and params t of the Darcy family."""
    rng = np.random.default_rng(rng)
    g0, g1 = _field(rng, n), _field(rng, n)
    ts = rng.uniform(0.0, 0.5, count)
    As = []
    for t in ts:
        K = np.exp(g0 * np.cos(t) + g1 * np.sin(t))
        kx = 2 * K[:, :-1] * K[:, 1:] / (K[:, :-1] + K[:, 1:])
        ky = 2 * K[:-1, :] * K[1:, :] / (K[:-1, :] + K[1:, :])
        As.append(_fv_matrix(kx, ky, _boundary(K, n), n))
    b = np.full(n * n, 1.0 / n**2)
    return As, b, ts[:, None]


def convdiff_family(count, rng=1, n=GRID):
    """-eps lap u + w . grad u (upwind), theta and eps varying; scaled by h^2."""
    rng = np.random.default_rng(rng)
    thetas = rng.uniform(0.0, np.pi / 2, count)
    epss = rng.uniform(0.02, 0.04, count)
    h = 1.0 / n
    ones_x, ones_y = np.ones((n, n - 1)), np.ones((n - 1, n))
    lap = _fv_matrix(ones_x, ones_y, _boundary(np.ones((n, n)), n), n)
    idx = _index(n)
    As = []
    for th, eps in zip(thetas, epss, strict=True):
        wx, wy = np.cos(th), np.sin(th)
        # upwind differences (w >= 0): w_x (u_ij - u_i,j-1) / h, boundary value 0
        conv = sp.csr_array(
            (np.concatenate([np.full(n * n, wx + wy),
                             np.full(n * (n - 1), -wx), np.full(n * (n - 1), -wy)]),
             (np.concatenate([idx.ravel(), idx[:, 1:].ravel(), idx[1:, :].ravel()]),
              np.concatenate([idx.ravel(), idx[:, :-1].ravel(), idx[:-1, :].ravel()]))),
            shape=(n * n, n * n))
        A = (eps * lap + h * conv).tocsr()
        A.sort_indices()
        As.append(A)
    b = np.full(n * n, h * h)
    return As, b, np.column_stack([np.cos(thetas), np.sin(thetas), 25 * epss])


def helmholtz_family(count, rng=2, n=GRID):
    """-lap u - s (1 + g / 5) u, s in [150, 200] / n^2 (about 12 negative eigenvalues)."""
    rng = np.random.default_rng(rng)
    g = _field(rng, n).ravel()
    ss = rng.uniform(150.0, 200.0, count)
    ones_x, ones_y = np.ones((n, n - 1)), np.ones((n - 1, n))
    lap = _fv_matrix(ones_x, ones_y, _boundary(np.ones((n, n)), n), n)
    h2 = 1.0 / n**2
    As = []
    for s in ss:
        A = (lap - sp.diags_array(s * h2 * (1 + g / 5))).tocsr()
        A.sort_indices()
        As.append(A)
    return As, np.full(n * n, h2), ss[:, None]


# ------------------------------------------------------------------ solvers


class _Counted:
    """A LinearOperator counting products (SciPy's solvers report no matvecs)."""

    def __init__(self, A):
        self.A, self.count = A, 0
        self.op = spla.LinearOperator(A.shape, matvec=self._mv, dtype=A.dtype)

    def _mv(self, v):
        self.count += 1
        return self.A @ v


def _jacobi(A):
    return sp.diags_array(1.0 / A.diagonal(), format="csr")


def _ilu(A):
    lu = spla.spilu(A.tocsc(), drop_tol=1e-4, fill_factor=10)
    return spla.LinearOperator(A.shape, matvec=lu.solve, dtype=A.dtype)


def _scipy_run(kind, As, b, Ms, order=None):
    """Solve every system with a SciPy solver; returns (xs, matvecs per system).

    Each matrix is wrapped in a counting LinearOperator (SciPy's solvers
    report no product counts; the wrapper adds one Python call per product,
    SciPy's own solvers wrap A in a LinearOperator anyway).
    """
    order = range(len(As)) if order is None else order
    xs, mvs = [None] * len(As), [0] * len(As)
    CU = []
    for i in order:
        A, M = _Counted(As[i]), (Ms[i] if Ms is not None else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "cg":
                x, _ = spla.cg(A.op, b, rtol=RTOL, M=M, maxiter=20 * A.A.shape[0])
            elif kind == "gmres":
                x, _ = spla.gmres(A.op, b, rtol=RTOL, M=M, restart=40, maxiter=2000)
            elif kind == "bicgstab":
                x, _ = spla.bicgstab(A.op, b, rtol=RTOL, M=M, maxiter=20 * A.A.shape[0])
            elif kind == "gcrotmk":
                x, _ = spla.gcrotmk(A.op, b, rtol=RTOL, M=M, m=20, k=20, maxiter=2000)
            else:  # gcrotmk carrying CU across the (sorted) sequence
                x, _ = spla.gcrotmk(A.op, b, rtol=RTOL, M=M, m=20, k=20, CU=CU,
                                    discard_C=True, maxiter=2000)
        xs[i], mvs[i] = x, A.count
    return np.stack(xs), mvs


def _accuracy(As, b):
    def acc(result):
        xs = result[0]
        res = max(np.linalg.norm(b - A @ x) / np.linalg.norm(b) for A, x in
                  zip(As, xs, strict=True))
        out = {"max_rel_res": float(res)}
        if result[1] is not None and result[1]:
            out["matvecs"] = int(sum(result[1]))
        return out

    return acc


def _nla_run(As, b, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, infos = nla.solve_sequence(As, b, **kw)
    return xs, [i.matvecs for i in infos]


def _nla_fresh(As, b, method, M=None, **kw):
    """Every system alone (no recycling between systems)."""
    xs, mvs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for A in As:
            Mi = M(A) if callable(M) else M
            if method == "cg":
                x, info = nla.cg_recycled(A, b, M=Mi, rtol=RTOL, **kw)
            else:
                x, info = nla.gcrodr(A, b, M=Mi, rtol=RTOL, **kw)
            xs.append(x)
            mvs.append(info.matvecs)
    return np.stack(xs), mvs


# -------------------------------------------------------------------- cases

#: systems per family (full run, quick run) and the grid of the quick run
_COUNTS = {"darcy": (30, 6), "darcy-gmres": (8, 3), "convdiff": (8, 3), "helmholtz": (4, 3)}
_QUICK_GRID = 50


def _family(name, quick):
    count = _COUNTS[name][1 if quick else 0]
    n = _QUICK_GRID if quick else GRID
    make = {"darcy": darcy_family, "darcy-gmres": darcy_family,
            "convdiff": convdiff_family, "helmholtz": helmholtz_family}[name]
    return make(count, n=n)


def _sorted(params):
    from nla.krylov._sequence import greedy_order

    return greedy_order(params / np.max(np.abs(params)))


def _preconditioners(As, kind):
    Ms = [(_jacobi if kind == "jacobi" else _ilu)(A) for A in As]
    lookup = {id(A): M for A, M in zip(As, Ms, strict=True)}
    return Ms, (lambda A: lookup[id(A)])


def _darcy_cg_case(quick):
    As, b, ts = _family("darcy", quick)
    runners = [
        Runner("nla.solve_sequence (recycled CG, sorted)", lambda: _nla_run(As, b, params=ts),
               ours=True),
        Runner("  ablation: given order", lambda: _nla_run(As, b, params=ts, sort=False),
               ours=True),
        Runner("  ablation: no recycling (fused CG)",
               lambda: _nla_fresh(As, b, "cg", k=0, n_solutions=0), ours=True),
        Runner("  ablation: deflation only (k=8, no starts)",
               lambda: _nla_run(As, b, params=ts, k=8, n_solutions=0), ours=True),
        Runner("scipy cg", lambda: _scipy_run("cg", As, b, None)),
    ]
    return Case(FAMILY, f"Darcy SPD, {len(As)} systems, {b.size} unknowns, rtol 1e-8",
                runners, accuracy=_accuracy(As, b), reference="scipy cg", rounds=2,
                notes="no preconditioner; matvecs summed over the sequence")


def _darcy_gmres_case(quick):
    As, b, ts = _family("darcy-gmres", quick)
    Ms, Mf = _preconditioners(As, "jacobi")
    order = _sorted(ts)
    runners = [
        Runner("nla.gcrodr(40, 20) via solve_sequence, sorted",
               lambda: _nla_run(As, b, params=ts, M=Mf, method="gcrodr"), ours=True),
        Runner("  ablation: GCRO-DR, no recycling",
               lambda: _nla_fresh(As, b, "gcrodr", M=Mf), ours=True),
        Runner("scipy gcrotmk(20, 20) carrying CU, sorted",
               lambda: _scipy_run("gcrotmk-cu", As, b, Ms, order)),
        Runner("scipy gmres(40)", lambda: _scipy_run("gmres", As, b, Ms)),
    ]
    return Case(FAMILY, f"Darcy with GMRES-type solvers, {len(As)} systems, Jacobi",
                runners, accuracy=_accuracy(As, b),
                reference="scipy gcrotmk(20, 20) carrying CU, sorted", rounds=1)


def _nonsymmetric_case(name, quick, pre):
    As, b, params = _family(name, quick)
    Ms, Mf = _preconditioners(As, pre)
    order = _sorted(params)
    runners = [
        Runner("nla.solve_sequence (GCRO-DR, sorted)",
               lambda: _nla_run(As, b, params=params, M=Mf), ours=True),
        Runner("  ablation: given order", lambda: _nla_run(As, b, params=params, M=Mf,
                                                             sort=False), ours=True),
        Runner("  ablation: no recycling (GCRO-DR alone)",
               lambda: _nla_fresh(As, b, "gcrodr", M=Mf), ours=True),
        Runner("scipy bicgstab", lambda: _scipy_run("bicgstab", As, b, Ms)),
        Runner("scipy gmres(40)", lambda: _scipy_run("gmres", As, b, Ms)),
        Runner("scipy gcrotmk(20, 20)", lambda: _scipy_run("gcrotmk", As, b, Ms)),
        Runner("scipy gcrotmk(20, 20) carrying CU, sorted",
               lambda: _scipy_run("gcrotmk-cu", As, b, Ms, order)),
    ]
    notes = "same preconditioner for every solver, built outside the timed region"
    if name == "helmholtz" and not quick:
        # restarted GMRES stalls on the indefinite system at full size (over
        # 4000 matvecs, some 40 s, for the first system alone)
        runners = [r for r in runners if r.name != "scipy gmres(40)"]
        notes += "; scipy gmres(40) left out (it stalls: over 4000 matvecs per system)"
    label = {"convdiff": "convection-diffusion", "helmholtz": "shifted Laplacian (indefinite)"}
    return Case(FAMILY, f"{label[name]}, {len(As)} systems, {b.size} unknowns, {pre}",
                runners, accuracy=_accuracy(As, b), reference="scipy bicgstab", rounds=1,
                notes=notes)


def _gmres_plain_case():
    As, b, ts = darcy_family(2)
    runners = [
        Runner("nla.solve_sequence (recycled CG, sorted)", lambda: _nla_run(As, b, params=ts),
               ours=True),
        Runner("scipy gmres(40), no preconditioner", lambda: _scipy_run("gmres", As, b, None)),
    ]
    return Case(FAMILY, "Darcy, first 2 systems only: plain gmres(40)", runners,
                accuracy=_accuracy(As, b), rounds=1,
                notes="plain gmres(40) is too slow for the whole sequence")


def cases(quick):
    out = [
        _darcy_cg_case(quick),
        _darcy_gmres_case(quick),
        _nonsymmetric_case("convdiff", quick, "jacobi"),
        _nonsymmetric_case("helmholtz", quick, "ilu"),
    ]
    if not quick:
        out.append(_gmres_plain_case())
    return out


# --------------------------------------------------------------------- plot


def _per_system(As, b, params, pre, spd):
    """Matvecs of every system, in the sorted solve order, per solver."""
    order = _sorted(params)
    Ms, Mf = _preconditioners(As, pre) if pre else (None, None)
    out = {}
    _, mv = _nla_run(As, b, params=params, M=Mf)
    out["nla.solve_sequence (sorted)"] = mv
    _, mv = _nla_fresh(As, b, "cg" if spd else "gcrodr", M=Mf,
                       **({"k": 0, "n_solutions": 0} if spd else {}))
    out["nla, no recycling"] = mv
    peers = ("cg",) if spd else ("bicgstab", "gcrotmk-cu")
    for kind in peers:
        _, mv = _scipy_run(kind, As, b, Ms, order if kind == "gcrotmk-cu" else None)
        out[{"cg": "scipy cg", "bicgstab": "scipy bicgstab",
             "gcrotmk-cu": "scipy gcrotmk carrying CU"}[kind]] = mv
    return {name: [mv[i] for i in order] for name, mv in out.items()}


def plot(outdir, quick):
    """Matvecs per system along the sorted sequence, for each solver."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(outdir, exist_ok=True)
    panels = [
        ("Darcy (SPD), no preconditioner", _family("darcy", quick), None, True),
        ("convection-diffusion, Jacobi", _family("convdiff", quick), "jacobi", False),
        ("shifted Laplacian (indefinite), ILU", _family("helmholtz", quick), "ilu", False),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (title, (As, b, params), pre, spd) in zip(axes, panels, strict=True):
        for name, mv in _per_system(As, b, params, pre, spd).items():
            ax.plot(range(1, len(mv) + 1), mv, "o-", ms=3, label=name)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("system (sorted order)")
        ax.set_ylabel("matvecs")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "krylov.png"), dpi=110)
    plt.close(fig)

"""Incremental truncated SVD: nla.IncrementalSVD against IncSVD, svds and
IncrementalPCA.

Every runner starts from the first part of the matrix and keeps a rank-k SVD
through all the batches; the time includes the initial SVD. Peers:

- ``scipy.sparse.linalg.svds`` recomputed on the whole matrix after the start
  and after every batch (what users do today; exact);
- IncSVD 0.2.7 (``EvolvingMatrix``, the ICLR 2024 paper's package): its dense
  Zha-Simon rule and its randomized (RPI) rule on dense batches, started from
  its own ``svds``;
- scikit-learn's ``IncrementalPCA`` (dense only, and it centers the data: its
  accuracy is measured against the centered matrix).

Accuracy, against the exact truncated SVD of the final matrix: the largest
and mean relative error of the top-k singular values (``sv_max``,
``sv_mean``), the residual ratio ``||A - U S V^T||_F / ||A - A_k||_F``
(``res``) and the loss of orthogonality ``max |X^T X - I|`` of U and V
(``orth``). Every runner uses one BLAS thread.

Workloads: S (``scipy.sparse.random(20000, 5000, density=0.002)``, k = 64,
the last 10,000 rows in 10 batches), M (MovieLens-100k users x items, k = 16,
the second half of the users in 10 batches), C (MovieLens-100k, the second
half of the items added as columns in 10 batches), W (MovieLens-100k, 10
rank-2 updates ``A + D E^T``), and refine (one ``refine(A, n_iter=2)`` of
the S state against one svds). ``--quick`` runs S on a 2000 x 1000 variant
(k = 16), M without the Lanczos, randomized and IncrementalPCA runners, and
W with 4 updates.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

import nla
from benchmarks._harness import Case, Runner
from nla._backend import single_blas_thread

FAMILY = "svd_update"


# ------------------------------------------------------------------ workloads


def _workload_s(quick):
    if quick:
        A = sp.random(2000, 1000, density=0.01, random_state=0, format="csr")
        return A, 16, 1000, 100
    A = sp.random(20000, 5000, density=0.002, random_state=0, format="csr")
    return A, 64, 10000, 1000


def _movielens():
    from benchmarks._data import movielens_100k

    users, items, ratings, _ = movielens_100k()
    return sp.csr_array((ratings, (users, items)), shape=(943, 1682))


def _batches(start, stop, count):
    edges = np.linspace(start, stop, count + 1).round().astype(int)
    return list(zip(edges[:-1], edges[1:], strict=True))


# ------------------------------------------------------------------ accuracy


def _exact_svals(A, k):
    return np.sort(svds(A, k=k, return_singular_vectors=False, random_state=0))[::-1]


def _measure(A, exact, U, s, V):
    """sv_max, sv_mean, res, orth of ``U diag(s) V^T`` against A (never densified)."""
    U, s, V = (np.asarray(x, dtype=np.float64) for x in (U, s, V))
    order = np.argsort(s)[::-1]
    U, s, V = U[:, order], s[order], V[:, order]
    rel = np.abs(s - exact) / exact
    normA2 = float(sp.linalg.norm(A) ** 2 if sp.issparse(A) else np.linalg.norm(A) ** 2)
    AV = np.asarray(A @ V)
    cross = float(np.sum(s * np.einsum("ij,ij->j", U, AV)))
    gu, gv = U.T @ U, V.T @ V
    approx2 = float(np.sum((s[:, None] * gu * s[None, :]) * gv))
    res2 = max(normA2 - 2 * cross + approx2, 0.0)
    opt2 = max(normA2 - float(np.sum(exact**2)), np.finfo(float).tiny)
    eye = np.eye(s.size)
    orth = max(float(np.abs(gu - eye).max()), float(np.abs(gv - eye).max()))
    return {"sv_max": float(rel.max()), "sv_mean": float(rel.mean()),
            "res": f"{np.sqrt(res2 / opt2):.6f}", "orth": orth}


def _acc(A, exact):
    return lambda out: _measure(A, exact, *out)


# ------------------------------------------------------------------ runners


def _one_thread(fn):
    def run():
        with single_blas_thread():
            return fn()

    return run


def _ours_rows(A0, batches, k, **kw):
    def run():
        m = nla.IncrementalSVD(k, rng=0, **kw).fit(A0)
        for E in batches:
            m.add_rows(E)
        return m.U, m.s, m.Vt.T

    return run


def _svds_rows(A0, batches, k):
    def run():
        A = A0
        U, s, Vt = svds(A, k=k, random_state=0)
        for E in batches:
            A = sp.vstack([A, E], format="csr")
            U, s, Vt = svds(A, k=k, random_state=0)
        return U, s, Vt.T

    return run


def _incsvd(A0, k, method):
    from IncSVD.EvolvingMatrix import EvolvingMatrix

    with contextlib.redirect_stdout(io.StringIO()):
        return EvolvingMatrix(A0, k, sparse=False, method=method)


def _incsvd_rows(A0, dense_batches, k, method="ZhaSimon", **lt):
    def run():
        em = _incsvd(A0, k, method)
        with contextlib.redirect_stdout(io.StringIO()):
            for E in dense_batches:
                em.add_row(E, **lt)
        return em.Uk, em.Sigmak, em.Vk

    return run


def _ipca_rows(A0, dense_batches, k):
    from sklearn.decomposition import IncrementalPCA

    def run():
        p = IncrementalPCA(n_components=k).partial_fit(A0.toarray())
        for E in dense_batches:
            p.partial_fit(E)
        return p

    return run


def _ipca_acc(A, k):
    dense = A.toarray()
    exact = _exact_svals(dense - dense.mean(axis=0), k)

    def acc(p):
        rel = np.abs(p.singular_values_ - exact) / exact
        return {"sv_max": float(rel.max()), "sv_mean": float(rel.mean()),
                "note": "centered"}

    return acc


def _have_incsvd():
    try:
        import IncSVD.EvolvingMatrix  # noqa: F401
    except ImportError:
        print("note: IncSVD is not installed (pip install IncSVD==0.2.7): its runners are skipped")
        return False
    return True


# ------------------------------------------------------------------ cases


def _row_case(name, A, k, start, step, *, quick, peers, extra=(), rounds=7, notes=""):
    A = A.tocsr()
    A0 = A[:start]
    spans = _batches(start, A.shape[0], 10) if step is None else [
        (i, min(i + step, A.shape[0])) for i in range(start, A.shape[0], step)]
    batches = [A[a:b] for a, b in spans]
    dense = [E.toarray() for E in batches]
    exact = _exact_svals(A, k)
    acc = _acc(A, exact)
    runners = [Runner("nla sparse (default)", _one_thread(_ours_rows(A0, batches, k)), True)]
    runners += [Runner(label, _one_thread(_ours_rows(A0, batches, k, **kw)), True)
                for label, kw in extra]
    if "svds" in peers:
        runners.append(Runner("svds recomputed", _one_thread(_svds_rows(A0, batches, k))))
    if _have_incsvd():
        if "incsvd-zs" in peers:
            runners.append(Runner("IncSVD dense Zha-Simon",
                                  _one_thread(_incsvd_rows(A0, dense, k))))
        if "incsvd-rpi" in peers:
            runners.append(Runner("IncSVD RPI (l=2k, t=2)", _one_thread(
                _incsvd_rows(A0, dense, k, "RPI", l=2 * k, t=2))))
    if "ipca" in peers:
        runners.append(Runner("sklearn IncrementalPCA", _one_thread(_ipca_rows(A0, dense, k)),
                              accuracy=_ipca_acc(A, k)))
    ref = "svds recomputed" if "svds" in peers else None
    return Case(FAMILY, name, runners, accuracy=acc, reference=ref, rounds=rounds, notes=notes)


def _column_case(A, k):
    A = A.tocsc()
    start = A.shape[1] // 2
    spans = _batches(start, A.shape[1], 10)
    A0 = A[:, :start].tocsr()
    batches = [A[:, a:b] for a, b in spans]
    dense = [E.toarray() for E in batches]
    exact = _exact_svals(A, k)

    def ours():
        m = nla.IncrementalSVD(k, rng=0).fit(A0)
        for E in batches:
            m.add_columns(E)
        return m.U, m.s, m.Vt.T

    def svds_run():
        U, s, Vt = svds(A0, k=k, random_state=0)
        for _, b in spans:
            U, s, Vt = svds(A[:, :b], k=k, random_state=0)
        return U, s, Vt.T

    runners = [Runner("nla sparse (default)", _one_thread(ours), True),
               Runner("svds recomputed", _one_thread(svds_run))]
    if _have_incsvd():
        def incsvd():
            em = _incsvd(A0, k, "ZhaSimon")
            with contextlib.redirect_stdout(io.StringIO()):
                for E in dense:
                    em.add_column(E)
            return em.Uk, em.Sigmak, em.Vk

        runners.append(Runner("IncSVD dense Zha-Simon", _one_thread(incsvd)))
    return Case(FAMILY, f"C: MovieLens-100k, items added as columns, k={k}", runners,
                accuracy=_acc(A.tocsr(), exact), reference="svds recomputed")


def _weight_case(A, k, count=10, c=2):
    rng = np.random.default_rng(0)
    m, n = A.shape
    Ds = [rng.standard_normal((m, c)) for _ in range(count)]
    Es = [rng.standard_normal((n, c)) for _ in range(count)]
    final = A.toarray() + sum(D @ E.T for D, E in zip(Ds, Es, strict=True))
    exact = _exact_svals(final, k)

    def ours():
        model = nla.IncrementalSVD(k, rng=0).fit(A)
        for D, E in zip(Ds, Es, strict=True):
            model.update(D, E)
        return model.U, model.s, model.Vt.T

    def svds_run():
        B = A.toarray()
        U, s, Vt = svds(B, k=k, random_state=0)
        for D, E in zip(Ds, Es, strict=True):
            B = B + D @ E.T
            U, s, Vt = svds(B, k=k, random_state=0)
        return U, s, Vt.T

    runners = [Runner("nla update (Brand)", _one_thread(ours), True),
               Runner("svds recomputed", _one_thread(svds_run))]
    if _have_incsvd():
        def incsvd():
            em = _incsvd(A, k, "ZhaSimon")
            with contextlib.redirect_stdout(io.StringIO()):
                for D, E in zip(Ds, Es, strict=True):
                    em.update_weight(D, E)
            return em.Uk, em.Sigmak, em.Vk

        runners.append(Runner("IncSVD dense Zha-Simon", _one_thread(incsvd)))
    return Case(FAMILY, f"W: MovieLens-100k + {count} rank-{c} updates D E^T, k={k}",
                runners, accuracy=_acc(final, exact), reference="svds recomputed")


def _refine_case(A, k, start, step):
    A = A.tocsr()
    model = nla.IncrementalSVD(k, rng=0).fit(A[:start])
    for i in range(start, A.shape[0], step):
        model.add_rows(A[i : i + step])
    exact = _exact_svals(A, k)

    def refine():
        return copy.deepcopy(model).refine(A, n_iter=2)

    def one_svds():
        U, s, Vt = svds(A, k=k, random_state=0)
        return U, s, Vt.T

    def state(mm):
        return mm.U, mm.s, mm.Vt.T

    def state_acc(mm):
        return _measure(A, exact, *state(mm))

    before = state_acc(model)
    return Case(
        FAMILY, f"refine: the S state, refine(A, n_iter=2) vs one svds, k={k}",
        [Runner("nla refine(n_iter=2)", _one_thread(refine), True, accuracy=state_acc),
         Runner("one svds", _one_thread(one_svds))],
        accuracy=_acc(A, exact), reference="one svds", rounds=3,
        notes=f"before refine: sv_max={before['sv_max']:.3g} res={before['res']}",
    )


def cases(quick):
    """The cases (their set-up runs with one BLAS thread, as the runners do)."""
    with single_blas_thread():
        return _cases(quick)


def _cases(quick):
    A, k, start, step = _workload_s(quick)
    label = "S-quick: sparse.random(2000, 1000, 0.01)" if quick else \
        "S: sparse.random(20000, 5000, 0.002)"
    out = [_row_case(
        f"{label}, k={k}, 10 row batches", A, k, start, step, quick=quick,
        peers=("svds", "incsvd-zs", "incsvd-rpi"), rounds=1,
        extra=(("nla sparse buffer=k/2", {"buffer": k // 2}),),
        notes="times include the initial SVD of the first half",
    )]
    out.append(_refine_case(A, k, start, step))
    try:
        R = _movielens()
    except Exception as exc:  # MissingData: the recbole wheel is not installed
        print(f"note: MovieLens-100k unavailable ({exc}); workloads M, C, W skipped")
        return out
    out.append(_row_case(
        "M: MovieLens-100k, k=16, second half of the users in 10 batches", R, 16, 472, None,
        quick=quick, peers=("svds", "incsvd-zs") if quick else ("svds", "incsvd-zs", "ipca"),
        extra=() if quick else (("nla zha-simon", {"method": "zha-simon"}),
                                ("nla vecharynski-saad", {"method": "vecharynski-saad"}),
                                ("nla rpi", {"method": "rpi"})),
    ))
    out.append(_column_case(R, 16))
    out.append(_weight_case(R, 16, count=4 if quick else 10))
    return out


# ------------------------------------------------------------------ plot


def _error_curves(A, k, start, spans, runs):
    """Max relative singular-value error after each batch, per runner."""
    A = A.tocsr()
    exact = [_exact_svals(A[:b], k) for _, b in spans]
    curves = {}
    for label, make in runs.items():
        model = make(A[:start])
        errs = []
        for (a, b), ex in zip(spans, exact, strict=True):
            model.add_rows(A[a:b])
            s = np.sort(np.asarray(model.s))[::-1][:k]
            errs.append(float(np.max(np.abs(s - ex) / ex)))
        curves[label] = errs
    return curves


class _IncSVDAdapter:
    def __init__(self, A0, k):
        self.em = _incsvd(A0, k, "ZhaSimon")

    def add_rows(self, E):
        with contextlib.redirect_stdout(io.StringIO()):
            self.em.add_row(E.toarray())
        return self

    @property
    def s(self):
        return self.em.Sigmak


def plot(outdir, quick):
    """Singular-value error over the batches, per method (MovieLens-100k, k = 16)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    R, k, start = _movielens(), 16, 472
    spans = _batches(start, R.shape[0], 10)
    runs = {m: (lambda A0, m=m: nla.IncrementalSVD(k, method=m, rng=0).fit(A0))
            for m in ("sparse", "zha-simon", "vecharynski-saad", "rpi")}
    runs["sparse, buffer=16"] = lambda A0: nla.IncrementalSVD(k, buffer=16, rng=0).fit(A0)
    if _have_incsvd():
        runs["IncSVD Zha-Simon"] = lambda A0: _IncSVDAdapter(A0, k)
    with single_blas_thread():
        curves = _error_curves(R, k, start, spans, runs)
    fig, ax = plt.subplots(figsize=(7, 4))
    rows = [b for _, b in spans]
    for label, errs in curves.items():
        style = dict(ls="--", marker="x", color="k") if label.startswith("IncSVD") else \
            dict(marker="o", ms=3)
        ax.plot(rows, errs, label=label, **style)
    ax.set_xlabel("rows of the matrix (users)")
    ax.set_ylabel("max relative error of the top-16 singular values")
    ax.set_yscale("log")
    ax.set_title("MovieLens-100k, k = 16: adding the second half of the users")
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(outdir, exist_ok=True)
    fig.savefig(os.path.join(outdir, "svd_update.png"), dpi=110)
    plt.close(fig)

"""Low rank: rsvd, generalized Nystrom and CUR against scikit-learn and scipy.

Accuracy is the relative Frobenius error ``||A - A_k||_F / ||A||_F`` of the
rank-k approximation each runner returns.

Every case runs scikit-learn's ``randomized_svd`` with its defaults and with
``n_iter=0`` and ``n_iter=1`` (one and two passes over A after the sketch):
generalized Nystrom is a single pass, so those are its equal-pass peers. The
nystrom runner marked "~ time of n_iter=1" is the equal-time comparison with
``n_iter=1``: on the full-size workload it spends the time of the power
iteration on a larger sketch (``oversample=3k``); on the small matrices (the
quick workload and the real data) the default settings already take about
that time.

The "design choices" cases time nla's defaults against the alternatives they
were chosen over (power iterations normalized by SciPy's LU instead of
NumPy's QR; a left nystrom sketch of ``2r`` instead of ``4r`` columns; a
structured right sketch without a spare column), by swapping one private
piece of the implementation for the duration of a call. The figures are in
docs/families/lowrank.rst.
"""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.linalg

import nla
from benchmarks._harness import Case, Runner
from nla.lowrank import _nystrom, _rsvd

FAMILY = "lowrank"


def _workload(m, n, rank, seed=0):
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((m, rank)))[0]
    V = np.linalg.qr(rng.standard_normal((n, rank)))[0]
    s = np.logspace(0, -6, rank)
    return (U * s) @ V.T + 1e-8 * rng.standard_normal((m, n))


def _runners(A, k, *, with_svd, with_id=True, all_cur=False, equal_time_factor=None):
    import scipy.linalg.interpolative as sli
    from sklearn.utils.extmath import randomized_svd

    nA = float(np.linalg.norm(A))

    def err(D):
        return {"rel_err": float(np.linalg.norm(A - D) / nA)}

    def usv(o):
        return err((o[0] * o[1]) @ o[2])

    def dense(o):
        return err(o.to_dense())

    def id_acc(o):
        idx, proj = o
        return err(sli.reconstruct_matrix_from_id(A[:, idx[:k]], idx, proj))

    def svd_acc(o):
        return usv((o[0][:, :k], o[1][:k], o[2][:k]))

    def cur(label, method, core="projection", **kw):
        def run():
            return nla.cur(A, k, method=method, core=core, rng=0, **kw)

        return Runner(f"nla.cur {label}", run, ours=True, accuracy=dense)

    out = [
        Runner(
            "sklearn randomized_svd (defaults)",
            lambda: randomized_svd(A, k, random_state=0),
            accuracy=usv,
        ),
        Runner(
            "sklearn randomized_svd n_iter=0",
            lambda: randomized_svd(A, k, n_iter=0, random_state=0),
            accuracy=usv,
        ),
        Runner(
            "sklearn randomized_svd n_iter=1",
            lambda: randomized_svd(A, k, n_iter=1, random_state=0),
            accuracy=usv,
        ),
    ]
    if with_id:
        out.append(Runner("scipy interp_decomp", lambda: sli.interp_decomp(A, k), accuracy=id_acc))
    if with_svd:
        out.append(
            Runner(
                "numpy.linalg.svd",
                lambda: np.linalg.svd(A, full_matrices=False),
                accuracy=svd_acc,
            )
        )
    out += [
        Runner("nla.rsvd (n_iter=auto)", lambda: nla.rsvd(A, k, rng=0), ours=True, accuracy=usv),
        Runner(
            "nla.rsvd n_iter=1", lambda: nla.rsvd(A, k, n_iter=1, rng=0), ours=True, accuracy=usv
        ),
    ]
    eq = " (~ time of n_iter=1)"
    default_eq = equal_time_factor is None
    out += [
        Runner(
            "nla.nystrom (srht)" + (eq if default_eq else ""),
            lambda: nla.nystrom(A, k, rng=0),
            ours=True,
            accuracy=dense,
        ),
        Runner(
            "nla.nystrom oversample=2k",
            lambda: nla.nystrom(A, k, oversample=2 * k, rng=0),
            ours=True,
            accuracy=dense,
        ),
    ]
    if not default_eq:
        p = equal_time_factor * k
        out.append(
            Runner(
                f"nla.nystrom oversample={equal_time_factor}k{eq}",
                lambda: nla.nystrom(A, k, oversample=p, rng=0),
                ours=True,
                accuracy=dense,
            )
        )
    out += [
        cur("qr/projection", "qr"),
        cur("qr/cross", "qr", core="cross"),
        cur("deim/projection", "deim", n_iter=1),
    ]
    if all_cur:
        out += [
            cur("deim/cross", "deim", core="cross", n_iter=1),
            cur("qdeim/projection", "qdeim", n_iter=1),
            cur("qdeim/cross", "qdeim", core="cross", n_iter=1),
            cur("leverage/projection", "leverage", n_iter=1),
            cur("uniform/projection", "uniform"),
        ]
    return out


@contextlib.contextmanager
def _swapped(module, name, value):
    """Replace ``module.name`` by `value` inside the block (benchmark ablations)."""
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def _lu_normalize(Y, xp):
    """The alternative normalization of a power iteration: SciPy's LU factor."""
    return scipy.linalg.lu(Y, permute_l=True, check_finite=False)[0]


def _design_cases(A, k):
    nA = float(np.linalg.norm(A))

    def err(D):
        return {"rel_err": float(np.linalg.norm(A - D) / nA)}

    def rsvd_lu():
        with _swapped(_rsvd, "normalize_columns", _lu_normalize):
            return nla.rsvd(A, k, rng=0)

    def nystrom_3_seeds():
        return [nla.nystrom(A, k, rng=seed).to_dense() for seed in range(3)]

    def nystrom_y2r_3_seeds():
        with _swapped(_nystrom, "_Y_FACTOR", 2):
            return nystrom_3_seeds()

    def median_err(outs):
        return {"median_rel_err": float(np.median([err(D)["rel_err"] for D in outs]))}

    normalization = Case(
        FAMILY,
        f"design choices: power-iteration normalization, rsvd rank {k} of the same A",
        [
            Runner(
                "nla.rsvd (NumPy QR, the default)",
                lambda: nla.rsvd(A, k, rng=0),
                ours=True,
                accuracy=lambda o: err(o.to_dense()),
            ),
            Runner(
                "rsvd with SciPy LU (ablation)",
                rsvd_lu,
                ours=True,
                accuracy=lambda o: err(o.to_dense()),
            ),
        ],
        reference="nla.rsvd (NumPy QR, the default)",
        rounds=3,
        notes="n_iter='auto' (7 iterations); the same draws, only the normalization differs",
    )
    left_sketch = Case(
        FAMILY,
        f"design choices: nystrom left sketch size, rank {k} of the same A, seeds 0-2",
        [
            Runner(
                "nla.nystrom (Y has 4r columns)", nystrom_3_seeds, ours=True, accuracy=median_err
            ),
            Runner(
                "nystrom with 2r columns (ablation)",
                nystrom_y2r_3_seeds,
                ours=True,
                accuracy=median_err,
            ),
        ],
        reference="nla.nystrom (Y has 4r columns)",
        rounds=3,
        notes="time of three calls; median over the three seeds of ||A - A_k||_F / ||A||_F",
    )
    return [normalization, left_sketch]


def _spare_column_case(seeds=10):
    """k = m < n: X has no spare column. Gaussian X (the default) vs SRHT X."""
    shapes = [(7, 9), (20, 50), (30, 31)]
    problems = []
    for m, n in shapes:
        rng = np.random.default_rng(m * n)
        Q1 = np.linalg.qr(rng.standard_normal((m, m)))[0]
        Q2 = np.linalg.qr(rng.standard_normal((n, n)))[0]
        problems.append(Q1 @ np.eye(m, n) @ Q2.T)  # rank m, all singular values 1

    def run(x_kind=None):
        # errors ||A - A_k||_2 for every shape and seed
        def call():
            return [
                float(
                    np.linalg.norm(
                        nla.nystrom(A, A.shape[0], sketch="srht", rng=s).to_dense() - A, 2
                    )
                )
                for A in problems
                for s in range(seeds)
            ]

        if x_kind is None:
            return call()
        with _swapped(_nystrom, "_x_kind", lambda sketch, r, k, p, n: x_kind):
            return call()

    def lost(errs):
        # exact recovery is ~1e-15; a lost direction of a matrix whose
        # singular values are all 1 leaves an error of order 1
        return {"lost_rank": f"{sum(e > 1e-6 for e in errs)} of {len(errs)}"}

    return Case(
        FAMILY,
        "design choices: nystrom with no spare column (k = m < n: 7x9, 20x50, 30x31)",
        [
            Runner("nla.nystrom (Gaussian X, the default)", run, ours=True, accuracy=lost),
            Runner("nystrom with SRHT X (ablation)", lambda: run("srht"), ours=True, accuracy=lost),
        ],
        reference="nla.nystrom (Gaussian X, the default)",
        rounds=3,
        notes=f"rank-m matrices with unit singular values, sketch='srht', seeds 0-{seeds - 1}"
        " per shape; lost_rank counts calls whose error exceeds 1e-6",
    )


def cases(quick):
    from sklearn.datasets import load_digits, load_sample_image

    out = []
    m, n = (800, 500) if quick else (4000, 3000)
    k = 50
    A = _workload(m, n, 60)
    out.append(
        Case(
            FAMILY,
            f"rank-{k} approximation, A {m}x{n} = U diag(logspace(0,-6,60)) V^T + 1e-8 noise",
            _runners(A, k, with_svd=not quick, equal_time_factor=None if quick else 3),
            reference="sklearn randomized_svd (defaults)",
            rounds=3,
            notes="rel_err = ||A - A_k||_F / ||A||_F; the 1e-8 noise sets the floor"
            + ("" if quick else " (numpy.linalg.svd gives the optimum)")
            + "; sklearn n_iter=0/1 are nystrom's equal-pass peers",
        )
    )

    out += _design_cases(A, k)
    out.append(_spare_column_case())

    digits = np.ascontiguousarray(load_digits().data, dtype=np.float64)  # 1797 x 64
    out.append(
        Case(
            FAMILY,
            "sklearn digits 1797x64, k=10",
            _runners(digits, 10, with_svd=True, all_cur=True),
            reference="sklearn randomized_svd (defaults)",
            rounds=5,
            notes="real data; numpy.linalg.svd gives the optimal rank-10 error",
        )
    )
    china = load_sample_image("china.jpg").astype(np.float64).mean(axis=2)  # 427 x 640
    out.append(
        Case(
            FAMILY,
            "sklearn sample image china.jpg (grey) 427x640, k=40",
            _runners(china, 40, with_svd=True, all_cur=True),
            reference="sklearn randomized_svd (defaults)",
            rounds=5,
            notes="real data; numpy.linalg.svd gives the optimal rank-40 error",
        )
    )
    return out

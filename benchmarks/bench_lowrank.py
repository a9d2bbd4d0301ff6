"""Low rank: rsvd, generalized Nystrom and CUR against scikit-learn and scipy.

Accuracy is the relative Frobenius error ``||A - A_k||_F / ||A||_F`` of the
rank-k approximation each runner returns.

Every case runs scikit-learn's ``randomized_svd`` with its defaults and with
``n_iter=0`` and ``n_iter=1`` (one and two passes over A after the sketch):
generalized Nystrom is a single pass, so those are its equal-pass peers. The
nystrom runner marked "~ time of n_iter=1" is the equal-time comparison with
``n_iter=1``: on the 4000 x 3000 workload it spends the time of the power
iteration on a larger sketch (``oversample=3k``; the two took about the same
time, best of 5 runs each); on the small matrices (the quick workload and the
real data) the default settings already take about that time.
"""

from __future__ import annotations

import numpy as np

import nla
from benchmarks._harness import Case, Runner

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

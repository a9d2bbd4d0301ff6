"""Low rank: rsvd, generalized Nystrom and CUR against scikit-learn and scipy.

Accuracy is the relative Frobenius error ``||A - A_k||_F / ||A||_F`` of the
rank-k approximation each runner returns.
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


def _runners(A, k, *, with_svd, with_id=True):
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

    out = [
        Runner("sklearn randomized_svd (defaults)", lambda: randomized_svd(A, k, random_state=0), accuracy=usv),
        Runner("sklearn randomized_svd n_iter=0", lambda: randomized_svd(A, k, n_iter=0, random_state=0), accuracy=usv),
        Runner("sklearn randomized_svd n_iter=1", lambda: randomized_svd(A, k, n_iter=1, random_state=0), accuracy=usv),
    ]
    if with_id:
        out.append(Runner("scipy interp_decomp", lambda: sli.interp_decomp(A, k), accuracy=id_acc))
    if with_svd:
        out.append(Runner("numpy.linalg.svd", lambda: np.linalg.svd(A, full_matrices=False), accuracy=svd_acc))
    out += [
        Runner("nla.rsvd (n_iter=auto)", lambda: nla.rsvd(A, k, rng=0), ours=True, accuracy=usv),
        Runner("nla.rsvd n_iter=1", lambda: nla.rsvd(A, k, n_iter=1, rng=0), ours=True, accuracy=usv),
        Runner("nla.nystrom (srht)", lambda: nla.nystrom(A, k, rng=0), ours=True, accuracy=dense),
        Runner("nla.nystrom oversample=2k", lambda: nla.nystrom(A, k, oversample=2 * k, rng=0), ours=True, accuracy=dense),
        Runner("nla.cur qr/projection", lambda: nla.cur(A, k, method="qr", rng=0), ours=True, accuracy=dense),
        Runner("nla.cur qr/cross", lambda: nla.cur(A, k, method="qr", core="cross", rng=0), ours=True, accuracy=dense),
        Runner("nla.cur deim/projection", lambda: nla.cur(A, k, method="deim", n_iter=1, rng=0), ours=True, accuracy=dense),
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
            _runners(A, k, with_svd=not quick),
            reference="sklearn randomized_svd (defaults)",
            rounds=3,
            notes="rel_err = ||A - A_k||_F / ||A||_F; the 1e-8 noise sets the floor"
            + ("" if quick else " (numpy.linalg.svd gives the optimum)"),
        )
    )

    digits = np.ascontiguousarray(load_digits().data, dtype=np.float64)  # 1797 x 64
    out.append(
        Case(
            FAMILY,
            "sklearn digits 1797x64, k=10",
            _runners(digits, 10, with_svd=True),
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
            _runners(china, 40, with_svd=True),
            reference="sklearn randomized_svd (defaults)",
            rounds=5,
            notes="real data; numpy.linalg.svd gives the optimal rank-40 error",
        )
    )
    return out

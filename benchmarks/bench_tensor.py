"""Tensor: Tucker core-shape selection and HOOI against TensorLy.

Real data only, from what packages ship (no download): TensorLy's Indian
Pines hyperspectral cube (145 x 145 x 200) and scikit-learn's ``china.jpg``
sample image (427 x 640 x 3).

Per data set and budget (1%, 2%, 5% of the entries):

* ``tensorly fraction + tucker``: TensorLy 0.10's uniform fraction rank,
  ``validate_tucker_rank(shape, rank=budget, rounding="floor")`` (the default
  rounding overshoots the budget), then its ``tucker`` (HOOI from HOSVD,
  ``tol=1e-4``). The reference of the ratios.
* ``nla.tucker(X, budget=...)``: ``ip`` shape selection and HOOI in one call.
* ``nla.tucker at tensorly's shape``: HOOI at TensorLy's core shape (the
  speed goal: the same shape, the same error).
* ``nla.tucker_core_shape ip``: the selection alone (spectra included).

Accuracy: the relative error ``||X - X_hat|| / ||X||`` measured from the
reconstruction, the core shape, the parameter count and, for nla's runners,
the ratio of their error to TensorLy's.

The selection case compares ``ip`` with ``greedy-true-loss`` (a HOOI run
per candidate at every step; minutes on the full cube, so it runs on Indian
Pines subsampled by 2 in every mode, by 4 in ``--quick``, and on the full
cube too when the environment variable ``NLA_BENCH_TENSOR_FULL_SELECTION=1``
is set), with ``greedy`` and ``bang-for-buck`` beside them; accuracy is the
HOOI error at the selected shape. Figures: docs/families/tensor.rst.
"""

from __future__ import annotations

import os

import numpy as np

import nla
from benchmarks._harness import Case, Runner

FAMILY = "tensor"
_BUDGETS = (0.01, 0.02, 0.05)


def _indian_pines():
    from tensorly.datasets import load_indian_pines

    return np.ascontiguousarray(load_indian_pines().tensor, dtype=np.float64)


def _china():
    from sklearn.datasets import load_sample_image

    return np.asarray(load_sample_image("china.jpg"), dtype=np.float64)


def _rel(X, D):
    return float(np.linalg.norm(X - D) / np.linalg.norm(X))


def _tensorly_rank(shape, frac):
    from tensorly.tucker_tensor import validate_tucker_rank

    return tuple(int(r) for r in validate_tucker_rank(shape, rank=frac, rounding="floor"))


def _quiet(f, *args):
    """TensorLy warns when a HOOI step asks for more vectors than a small
    unfolding has (a core rank of 1 elsewhere); the warning is harmless."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return f(*args)


def _budget_case(label, X, frac, rounds):
    import tensorly as tl
    from tensorly.decomposition import tucker as tl_tucker

    tl.set_backend("numpy")
    rank = _tensorly_rank(X.shape, frac)
    budget = int(frac * X.size)
    ref = {}

    def tl_acc(out):
        err = _rel(X, tl.tucker_to_tensor(out))
        ref["err"] = err
        return {"rel_err": err, "shape": rank, "params": nla.tucker_params(X.shape, rank)}

    def ours(t):
        err = _rel(X, t.to_dense())
        return {"rel_err": err, "err/tensorly": err / ref["err"], "shape": t.core_shape,
                "params": t.n_params, "budget": budget}

    def shape_acc(R):
        return ours(nla.tucker(X, R))

    return Case(
        FAMILY,
        f"{label} {X.shape}, budget {frac:.0%} = {budget} parameters",
        [
            Runner("tensorly fraction + tucker", lambda: _quiet(tl_tucker, X, rank),
                   accuracy=tl_acc),
            Runner("nla.tucker(X, budget) [ip + hooi]", lambda: nla.tucker(X, budget=frac),
                   ours=True, accuracy=ours),
            Runner("nla.tucker at tensorly's shape", lambda: nla.tucker(X, rank), ours=True,
                   accuracy=ours),
            Runner("nla.tucker_core_shape ip (alone)", lambda: nla.tucker_core_shape(X, frac),
                   ours=True, accuracy=shape_acc),
        ],
        rounds=rounds,
        notes="ratios vs TensorLy's tucker; err/tensorly: error relative to TensorLy's",
    )


def _selection_case(X, frac, rounds, label):
    def acc(R):
        return {"hooi_err": nla.tucker(X, R).rel_error, "shape": R,
                "params": nla.tucker_params(X.shape, R)}

    def select(method):
        return lambda: nla.tucker_core_shape(X, frac, method=method)

    return Case(
        FAMILY,
        f"shape selection, {label} {X.shape}, budget {frac:.0%}",
        [
            Runner("greedy-true-loss", select("greedy-true-loss"), ours=True),
            Runner("ip", select("ip"), ours=True),
            Runner("greedy", select("greedy"), ours=True),
            Runner("bang-for-buck", select("bang-for-buck"), ours=True),
        ],
        accuracy=acc,
        reference="greedy-true-loss",
        rounds=rounds,
        notes="times include the unfolding spectra; hooi_err: HOOI error at the shape",
    )


def cases(quick):
    ip = _indian_pines()
    china = _china()
    if quick:
        return [
            _budget_case("Indian Pines / 2", np.ascontiguousarray(ip[::2, ::2, ::2]), 0.02, 3),
            _budget_case("china.jpg / 2", np.ascontiguousarray(china[::2, ::2]), 0.02, 3),
            _selection_case(np.ascontiguousarray(ip[::4, ::4, ::4]), 0.02, 3,
                            "Indian Pines / 4"),
        ]
    out = [_budget_case("Indian Pines", ip, f, 3) for f in _BUDGETS]
    out += [_budget_case("china.jpg", china, f, 3) for f in _BUDGETS]
    out.append(_selection_case(np.ascontiguousarray(ip[::2, ::2, ::2]), 0.01, 1,
                               "Indian Pines / 2"))
    if os.environ.get("NLA_BENCH_TENSOR_FULL_SELECTION") == "1":
        # the full cube: greedy-true-loss takes minutes per run
        out.append(_selection_case(ip, 0.01, 1, "Indian Pines"))
    return out


def plot(outdir, quick):
    """Relative error against the budget for the core shapes of ip, greedy,
    bang-for-buck and TensorLy's fraction rank, each decomposed by nla's HOOI
    (the budget cases show TensorLy's own tucker reaching the same error at
    its shape), so the curves compare the shape choices alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(outdir, exist_ok=True)
    data = [("Indian Pines", _indian_pines()), ("china.jpg", _china())]
    fracs = [0.01, 0.03, 0.1] if quick else [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12]
    if quick:
        data = [(name, np.ascontiguousarray(X[::2, ::2])) for name, X in data]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, (name, X) in zip(axes, data, strict=True):
        for method in ("ip", "greedy", "bang-for-buck"):
            errs = [nla.tucker(X, budget=f, shape_method=method).rel_error for f in fracs]
            ax.plot([100 * f for f in fracs], errs, "o-", ms=3, label=f"{method} shape")
            print(f"{name} {method}: " + ", ".join(f"{e:.4f}" for e in errs))
        errs = [nla.tucker(X, _tensorly_rank(X.shape, f)).rel_error for f in fracs]
        ax.plot([100 * f for f in fracs], errs, "s--", ms=3, label="TensorLy fraction rank")
        print(f"{name} tensorly fraction: " + ", ".join(f"{e:.4f}" for e in errs))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("budget (% of the entries)")
        ax.set_ylabel("relative error (HOOI)")
        ax.set_title(f"{name} {X.shape}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "tensor.png"), dpi=120)
    plt.close(fig)

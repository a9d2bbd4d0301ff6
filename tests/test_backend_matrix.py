"""The backend matrix: every public function x array library x device x dtype.

Each case of :data:`CASES` calls one public function (or method) on small,
well-conditioned constructed inputs. For every backend -- NumPy,
array_api_strict on its default device and on ``Device("device1")``, CuPy
where a GPU exists, torch CPU where torch is installed, plus scipy.sparse,
cupyx sparse and LinearOperator forms of the matrix argument -- and every
dtype of the function's capability record (:mod:`nla._capabilities`):

* a supported combination runs, every array of the result (dataclass
  fields, NamedTuple items) is in the caller's library, on the caller's
  device and in the caller's precision, and the compared quantities agree
  with the NumPy result of the widest dtype within ``size * cond * eps`` of
  the tested dtype (plus ``cond * tol`` for an iterative solver's stopping
  tolerance), where ``size`` is the largest dimension of the inputs and
  results and ``cond`` the condition number of the computation on the
  constructed input (of the problem, or of the linear solve a method makes,
  or of the selected factors of a CUR);
* an unsupported library or input form raises TypeError naming the
  argument or what was refused;
* a known failure is a strict xfail with its reason.

Randomized functions get the same integer seed everywhere; their draws are
made on the host (CuPy excepted: see :mod:`nla._random`), so results agree
to rounding. The coverage tests fail when a public function, method or
capability record has no case here.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import numbers
import pkgutil
import warnings
from types import SimpleNamespace

import array_api_compat
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import nla
from nla._backend import is_cupy_sparse, numpy_dtype, to_host
from nla._capabilities import CAPABILITIES
from tests.helpers import random_orthogonal, spd_with_condition, with_singular_values

SEED = 20240917

# ------------------------------------------------------------------ backends


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _gpu():
    return "cupy" in nla.available_engines()


@dataclasses.dataclass(frozen=True)
class Backend:
    """Where the inputs of a case live and which form the matrix takes."""

    id: str
    namespace: str  # key of the capability record
    form: str = "dense"  # "dense", "sparse", "cupy_sparse" or "operator"
    device: str | None = None  # array_api_strict device name

    def skip_reason(self):
        if self.namespace == "cupy" and not _gpu():
            return "no usable GPU / CuPy"
        if self.namespace == "torch" and _torch() is None:
            return "torch is not installed"
        return None

    def dense(self, host):
        """Host array `host` (already in the tested dtype) in this library."""
        if self.namespace == "numpy":
            return host.copy()
        if self.namespace == "array_api_strict":
            import array_api_strict as xps

            dev = None if self.device is None else xps.Device(self.device)
            return xps.asarray(host, device=dev)
        if self.namespace == "torch":
            return _torch().asarray(host.copy())
        import cupy  # pragma: no cover - needs a GPU

        return cupy.asarray(host)  # pragma: no cover

    def matrix(self, host):
        """The matrix argument in this backend's form.

        Sparse matrices and LinearOperators have no batch dimensions: a
        batch becomes its first matrix (only to check that it is refused).
        """
        if self.form != "dense" and host.ndim > 2:
            host = host[0]
        if self.form == "sparse":
            return sp.coo_array(host) if host.ndim == 1 else sp.csr_array(host)
        if self.form == "operator":
            return aslinearoperator(host.copy())
        if self.form == "cupy_sparse":  # pragma: no cover - needs a GPU
            import cupyx.scipy.sparse as csp

            return csp.csr_matrix(self.dense(host))
        return self.dense(host)


BACKENDS = (
    Backend("numpy", "numpy"),
    Backend("strict", "array_api_strict"),
    Backend("strict-device1", "array_api_strict", device="device1"),
    Backend("cupy", "cupy"),
    Backend("torch", "torch"),
    Backend("scipy.sparse", "numpy", form="sparse"),
    Backend("LinearOperator", "numpy", form="operator"),
    Backend("cupyx.sparse", "cupy", form="cupy_sparse"),
)
_NUMPY, _SPARSE = BACKENDS[0], BACKENDS[5]
_FORM_FLAG = {"sparse": "sparse", "operator": "linear_operator", "cupy_sparse": "cupy_sparse"}


# ---------------------------------------------------------------------- cases


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of a public function on constructed inputs.

    `inputs(rng)` returns the host float64 arrays (by argument name);
    `call(a, dtype)` calls the function with those arrays converted (as
    attributes of `a`), `dtype` being the tested NumPy dtype (for
    constructors). `compare(result, H)` returns the quantities compared with
    the NumPy result, `H` turning an array of any library into a NumPy one
    (default: every array of the result). `matrix` names the argument that
    may be sparse or a LinearOperator. `reference(a)` replaces `call` for the
    NumPy reference when the function takes no NumPy input.
    `cond` is a number or ``cond(inputs, ref)`` of the float64 host inputs
    and the compared parts of the NumPy reference.
    `sparse_reference` says that sparse input runs another algorithm by
    design, so the sparse forms are compared with the NumPy float64 result
    for the same sparse input. `requires` names a module the case imports
    (the case is skipped where it cannot be imported).
    """

    name: str
    inputs: object
    call: object
    variant: str = ""
    compare: object = None
    cond: object = 1.0
    solver_tol: float = 0.0
    matrix: str | None = None
    reference: object = None
    sparse_reference: bool = False
    requires: str | None = None

    @property
    def id(self):
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    @property
    def record(self):
        return CAPABILITIES[self.name]


#: spectrum of the rank-5 test matrices of the low-rank family
_SPECTRUM = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
#: sensitivity of their singular subspaces and of the rank-5 approximation:
#: ``sigma_1 / min(gap)``, the gap to zero included
_LOWRANK_COND = _SPECTRUM[0] / min(-np.diff(_SPECTRUM).min(), _SPECTRUM[-1])


def _lowrank(rng, m, n):
    return with_singular_values(rng, m, n, _SPECTRUM)


def _psd(rng, n):
    Q = random_orthogonal(rng, n, _SPECTRUM.size)
    A = (Q * _SPECTRUM) @ Q.T
    return (A + A.T) / 2


_SPD_KAPPA = 10.0


def _spd_batch(rng, n=6):
    return spd_with_condition(rng, n, _SPD_KAPPA, batch=(2,))


def _cotangent(rng, n=6):
    return rng.standard_normal((2, n, n))


_LSTSQ_KAPPA = 10.0
_PINV_KAPPA = 10.0  # of C and of R: kappa(C R) <= 100


def _lstsq_inputs(ncols_b):
    def make(rng):
        A = with_singular_values(rng, 64, 8, np.logspace(0, -np.log10(_LSTSQ_KAPPA), 8))
        x = rng.standard_normal((8, ncols_b)) if ncols_b else rng.standard_normal(8)
        return {"A": A, "b": A @ x}

    return make


def _projector(Q, H):
    Q = H(Q)
    return Q @ Q.T


def _svd_compare(r, H):
    return {"U": H(r[0]), "s": H(r[1]), "Vt": H(r[2]), "dense": H(r.to_dense())}


def _cur_compare(f, H):
    return {
        "col_idx": H(f.col_idx),
        "row_idx": H(f.row_idx),
        "C": H(f.C),
        "R": H(f.R),
        "dense": H(f.to_dense()),
    }


def _cur_condition(inputs, ref):
    """kappa(C) + kappa(R): the first-order amplification of C U R = C C^+ A R^+ R."""
    if "C" not in ref:
        f = nla.cur(inputs["A"], 5, rng=SEED)
        ref = {"C": f.C, "R": f.R}
    return np.linalg.cond(ref["C"]) + np.linalg.cond(ref["R"])


def _sketch_inputs(shape_by_name):
    def make(rng):
        return {name: rng.standard_normal(shape) for name, shape in shape_by_name.items()}

    return make


_KINDS = nla.sketch.SKETCH_KINDS
_D, _K = 64, 8


def _sketches(dtype):
    return [nla.sketch.make_sketch(kind, _D, _K, rng=SEED, dtype=dtype) for kind in _KINDS]


def _method_case(meth, arg, shape, variant=""):
    return Case(
        "sketch.SketchOperator." + meth,
        _sketch_inputs({arg: shape}),
        lambda a, dt: tuple(getattr(S, meth)(getattr(a, arg)) for S in _sketches(dt)),
        variant=variant,
        matrix=arg,
    )


def _constructor_case(kind):
    return Case(
        f"sketch.{kind}",
        _sketch_inputs({"X": (_D, 3)}),
        lambda a, dt: getattr(nla.sketch, kind)(_D, _K, rng=SEED, dtype=dt) @ a.X,
    )


def _spd_inputs(rng):
    return {"A": _spd_batch(rng)}


def _spd_g_inputs(rng):
    return {"A": _spd_batch(rng), "G": _cotangent(rng)}


def _forward(name, method):
    return lambda a, dt: getattr(nla, name)(a.A, method=method)


def _backward(name, method):
    return lambda a, dt: getattr(nla, f"{name}_vjp")(a.A, a.G, method=method)


def _with_vjp(name, method, vjp_method):
    def call(a, dt):
        X, vjp = getattr(nla, f"{name}_with_vjp")(a.A, method=method, vjp_method=vjp_method)
        return X, vjp(a.G)

    return call


def _pade_condition(inverse, m=8):
    """Condition number of the solve in the [m/m] Pade evaluation, plus kappa(A).

    ``sqrt(1 - z) ~ P(z) / Q(z)`` with ``Q(z) = prod_j (1 - cos^2(j pi /
    (2m + 1)) z)`` and ``P(z) = prod_j (1 - cos^2((2j - 1) pi / (2 (2m +
    1))) z)`` (the partial-fraction form of the diagonal Pade approximants of
    the square root), evaluated on the spectrum ``z = 1 - lambda / c``, ``c =
    ||A^2||_F^(1/2)``, of the scaled input. sqrtm solves with Q, inv_sqrtm
    with P.
    """
    j = np.arange(1, m + 1)
    if inverse:
        roots = np.cos((2 * j - 1) * np.pi / (2 * (2 * m + 1))) ** 2
    else:
        roots = np.cos(j * np.pi / (2 * m + 1)) ** 2

    def cond(inputs, ref):
        A = inputs["A"]
        worst = 1.0
        for Ai in A.reshape(-1, *A.shape[-2:]):
            z = 1 - np.linalg.eigvalsh(Ai) / np.sqrt(np.linalg.norm(Ai @ Ai))
            vals = np.abs(np.prod(1 - roots[:, None] * z[None, :], axis=0))
            worst = max(worst, vals.max() / vals.min())
        return _SPD_KAPPA + worst

    return cond


def _matfun_cases():
    out = []
    for name in ("sqrtm", "inv_sqrtm"):
        for m in ("eigh", "newton-schulz", "mpa", "mtp"):
            cond = _pade_condition(name == "inv_sqrtm") if m == "mpa" else _SPD_KAPPA
            out.append(Case(name, _spd_inputs, _forward(name, m), m, cond=cond, matrix="A"))
        for m in ("eigh", "lyapunov"):
            call = _backward(name, m)
            out.append(Case(f"{name}_vjp", _spd_g_inputs, call, m, cond=_SPD_KAPPA, matrix="A"))
        for m, b in (("eigh", "eigh"), ("newton-schulz", "lyapunov")):
            call = _with_vjp(name, m, b)
            variant = f"{m}/{b}"
            out.append(
                Case(f"{name}_with_vjp", _spd_g_inputs, call, variant, cond=_SPD_KAPPA, matrix="A")
            )
    return out


def _torch_adapter_cases():
    out = []
    for name in ("sqrtm", "inv_sqrtm"):

        def call(a, dt, name=name):
            from nla.matfun import torch as nla_torch

            return getattr(nla_torch, name)(a.A)

        out.append(
            Case(
                f"matfun.torch.{name}",
                _spd_inputs,
                call,
                cond=_SPD_KAPPA,
                reference=lambda a, name=name: getattr(nla, name)(a.A),
                requires="nla.matfun.torch",
            )
        )
    return out


CASES = [
    # ---------------------------------------------------------------- sketch
    Case("fwht", _sketch_inputs({"x": (3, 16)}), lambda a, dt: nla.fwht(a.x)),
    Case(
        "fwht",
        _sketch_inputs({"x": (16, 2, 3)}),
        lambda a, dt: nla.fwht(a.x, axis=0),
        variant="axis0",
    ),
    *(_constructor_case(kind) for kind in ("gaussian", "srht", "sparse_sign", "fjlt")),
    Case(
        "sketch.make_sketch",
        _sketch_inputs({"X": (_D, 3)}),
        lambda a, dt: tuple(S @ a.X for S in _sketches(dt)),
    ),
    _method_case("apply", "X", (_D, 3)),
    _method_case("apply", "X", (_D,), variant="1d"),
    _method_case("apply_rows", "X", (3, _D)),
    _method_case("adjoint", "Y", (_K, 3)),
    _method_case("matvec", "x", (_D,)),
    _method_case("rmatvec", "y", (_K,)),
    _method_case("matmat", "X", (_D, 3)),
    _method_case("rmatmat", "Y", (_K, 3)),
    Case(
        "sketch.SketchOperator.to_dense",
        lambda rng: {},
        lambda a, dt: tuple(S.to_dense() for S in _sketches(dt)),
    ),
    Case(
        "sketch.SketchOperator.as_linear_operator",
        _sketch_inputs({"X": (_D, 3)}),
        lambda a, dt: tuple(S.as_linear_operator() @ a.X for S in _sketches(dt)),
    ),
    Case(
        "sketch.SparseSignSketch.to_sparse",
        lambda rng: {},
        lambda a, dt: nla.sketch.sparse_sign(_D, _K, rng=SEED, dtype=dt).to_sparse(),
    ),
    # --------------------------------------------------------- least squares
    Case(
        "lstsq",
        _lstsq_inputs(0),
        lambda a, dt: nla.lstsq(a.A, a.b, rng=SEED),
        variant="precondition",
        cond=_LSTSQ_KAPPA,
        solver_tol=1e-10,
        matrix="A",
    ),
    Case(
        "lstsq",
        _lstsq_inputs(2),
        lambda a, dt: nla.lstsq(a.A, a.b, method="sketch", rng=SEED),
        variant="sketch",
        cond=_LSTSQ_KAPPA,
        matrix="A",
    ),
    Case(
        "lstsq",
        _lstsq_inputs(0),
        lambda a, dt: nla.lstsq(a.A, a.b, method="linf", rng=SEED),
        variant="linf",
        cond=_LSTSQ_KAPPA,
        matrix="A",
    ),
    Case(
        "lstsq",
        _lstsq_inputs(2),
        lambda a, dt: nla.lstsq(a.A, a.b, rng=SEED, return_info=True),
        variant="info",
        compare=lambda r, H: {"x": H(r[0])},
        cond=_LSTSQ_KAPPA,
        solver_tol=1e-10,
        matrix="A",
    ),
    # --------------------------------------------------------------- lowrank
    Case(
        "rsvd",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.rsvd(a.A, 5, rng=SEED),
        variant="tall",
        compare=_svd_compare,
        cond=_LOWRANK_COND,
        matrix="A",
    ),
    Case(
        "rsvd",
        lambda rng: {"A": _lowrank(rng, 30, 40)},
        lambda a, dt: nla.rsvd(a.A, 5, rng=SEED),
        variant="wide",
        compare=_svd_compare,
        cond=_LOWRANK_COND,
        matrix="A",
    ),
    Case(
        "range_finder",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.range_finder(a.A, 5, rng=SEED),
        compare=lambda Q, H: {"QQt": _projector(Q, H)},
        cond=_LOWRANK_COND,
        matrix="A",
    ),
    Case(
        "nystrom",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.nystrom(a.A, 5, rng=SEED),
        compare=lambda f, H: {"dense": H(f.to_dense())},
        cond=_LOWRANK_COND,
        matrix="A",
    ),
    Case(
        "nystrom_psd",
        lambda rng: {"A": _psd(rng, 30)},
        lambda a, dt: nla.nystrom_psd(a.A, 5, rng=SEED),
        compare=lambda f, H: {"eigenvalues": H(f.eigenvalues), "dense": H(f.to_dense())},
        cond=_LOWRANK_COND,
        matrix="A",
    ),
    *(
        Case(
            "cur",
            lambda rng: {"A": _lowrank(rng, 40, 30)},
            lambda a, dt, m=method: nla.cur(a.A, 5, method=m, rng=SEED),
            variant=method,
            compare=_cur_compare,
            cond=_cur_condition,
            matrix="A",
            sparse_reference=method == "qr",  # a sparse sign sketch instead of an SRHT
        )
        for method in ("deim", "qdeim", "qr", "leverage", "uniform")
    ),
    *(
        Case(
            "pinv_cr",
            lambda rng: {
                "C": with_singular_values(rng, 20, 5, np.logspace(0, -np.log10(_PINV_KAPPA), 5)),
                "R": with_singular_values(rng, 5, 15, np.logspace(0, -np.log10(_PINV_KAPPA), 5)),
            },
            lambda a, dt, m=method: nla.pinv_cr(a.C, a.R, method=m, rng=SEED),
            variant=method,
            cond=_PINV_KAPPA**2,
        )
        for method in ("exact", "randomized")
    ),
    Case(
        "SVDResult.to_dense",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.rsvd(a.A, 5, rng=SEED).to_dense(),
        cond=_LOWRANK_COND,
    ),
    Case(
        "LowRank.to_dense",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.nystrom(a.A, 5, rng=SEED).to_dense(),
        cond=_LOWRANK_COND,
    ),
    Case(
        "NystromPSD.to_dense",
        lambda rng: {"A": _psd(rng, 30)},
        lambda a, dt: nla.nystrom_psd(a.A, 5, rng=SEED).to_dense(),
        cond=_LOWRANK_COND,
    ),
    Case(
        "CUR.to_dense",
        lambda rng: {"A": _lowrank(rng, 40, 30)},
        lambda a, dt: nla.cur(a.A, 5, rng=SEED).to_dense(),
        cond=_cur_condition,
        matrix="A",
    ),
    # ---------------------------------------------------------------- matfun
    *_matfun_cases(),
    *_torch_adapter_cases(),
]



def _family_module(module):
    """``tests.<family>.<module>`` of every family that has one."""
    out = []
    for family in nla._FAMILIES:
        name = f"tests.{family}.{module}"
        if importlib.util.find_spec(f"tests.{family}") and importlib.util.find_spec(name):
            out.append(importlib.import_module(name))
    return out


# Families may keep their cases beside their tests, in
# ``tests/<family>/backend_cases.py`` (a list ``CASES``).
for _mod in _family_module("backend_cases"):
    CASES += _mod.CASES

#: public callables that compute nothing on arrays, so no case
NOT_COMPUTING = {
    "available_engines": "configuration",
    "config": "configuration",
    "get_config": "configuration",
    "ConvergenceWarning": "a warning class",
    "sketch.jl_dim": "integer arithmetic on sizes",
    "__version__": "a string",
    # records a function returns: they compute nothing; the function's cases run them
    "LstsqInfo": "what lstsq did (returned with return_info=True)",
    "KrylovInfo": "what gcrodr, cg_recycled and solve_sequence did",
    "MLMCInfo": "what mlmc_matmul did (returned with return_info=True)",
    "SweepInfo": "one sweep of complete (Completion.history)",
    "Tuning": "what tune_complete chose",
    "TuningScore": "one candidate scored by tune_complete",
    # the subpackages: their public names are re-exported flat, each with its cases
    **{family: "a family's subpackage" for family in ("sketch", *nla._FAMILIES)},
}


def public_names():
    """Every public name of ``nla``: ``__all__`` and the family subpackages."""
    return set(nla.__all__) | {"sketch", *nla._FAMILIES}


def accounted_for(name, tabled, exempt):
    """`name` has a row of its own or of a member in `tabled`, or is `exempt`."""
    return name in exempt or any(t == name or t.startswith(name + ".") for t in tabled)


# ------------------------------------------------------------ result checks


def _host(x):
    """`x` (any library, sparse or dense) as a NumPy array of its own precision."""
    if sp.issparse(x) or is_cupy_sparse(x):
        x = x.toarray() if sp.issparse(x) else x.get().toarray()
    return np.asarray(to_host(x))


def _widen(x):
    x = _host(x)
    if x.dtype.kind == "f":
        return x.astype(np.float64)
    if x.dtype.kind == "c":
        return x.astype(np.complex128)
    return x


def _is_array(x):
    if isinstance(x, (numbers.Number, np.generic, str, bytes)) or x is None:
        return False
    return sp.issparse(x) or is_cupy_sparse(x) or array_api_compat.is_array_api_obj(x)


def _leaves(obj, path="result"):
    """(path, array) for every array in a result: tuples, NamedTuples, dataclasses."""
    if _is_array(obj):
        yield path, obj
    elif obj is None or isinstance(obj, (numbers.Number, np.generic, str, bool)):
        return
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _leaves(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):
        for name in obj._fields:
            yield from _leaves(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (tuple, list)):
        for i, item in enumerate(obj):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        raise AssertionError(f"{path}: a result holds a {type(obj).__name__}")


def _expected_precision(dtype):
    return {
        "float32": {np.dtype(np.float32), np.dtype(np.complex64)},
        "float64": {np.dtype(np.float64), np.dtype(np.complex128)},
        "complex64": {np.dtype(np.float32), np.dtype(np.complex64)},
        "complex128": {np.dtype(np.float64), np.dtype(np.complex128)},
    }[dtype]


def _check_placement(result, record, backend, like, dtype):
    """Every array of `result`: caller's library, device and precision."""
    want_xp = array_api_compat.array_namespace(like)
    want_dev = array_api_compat.device(like)
    found = list(_leaves(result))
    assert found, "the result holds no array"
    for path, x in found:
        last = path.rsplit(".", 1)[-1]
        if last in record.host_outputs:
            assert isinstance(x, np.ndarray), f"{path}: documented host output is {type(x)}"
            continue
        if sp.issparse(x):
            allowed = backend.form == "sparse" or not record.array_input
            assert allowed, f"{path}: scipy.sparse result for {backend.id}"
        elif is_cupy_sparse(x):  # pragma: no cover - needs a GPU
            assert backend.form == "cupy_sparse", f"{path}: cupyx sparse result for {backend.id}"
        else:
            got_xp = array_api_compat.array_namespace(x)
            assert got_xp is want_xp, f"{path}: {got_xp.__name__} array, want {want_xp.__name__}"
            got_dev = array_api_compat.device(x)
            if record.same_device:
                assert got_dev == want_dev, f"{path}: on device {got_dev}, want {want_dev}"
        dt = numpy_dtype(x.dtype)
        if dt.kind in "fc":
            assert dt in _expected_precision(dtype), f"{path}: dtype {dt} for {dtype} input"


def _compared(case, result):
    if case.compare is not None:
        return case.compare(result, _widen)
    return {path: _widen(x) for path, x in _leaves(result)}


def _assert_agrees(got, ref, rtol, what):
    assert set(got) == set(ref), f"{what}: parts {sorted(got)} != {sorted(ref)}"
    for key, r in ref.items():
        g = got[key]
        assert g.shape == r.shape, f"{what} {key}: shape {g.shape} != {r.shape}"
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(g, r, err_msg=f"{what} {key}")
            continue
        scale = np.linalg.norm(r)
        err = np.linalg.norm(g - r)
        assert err <= rtol * scale, (
            f"{what} {key}: relative error {err / scale:.3g} > bound {rtol:.3g}"
        )


# --------------------------------------------------------------- the matrix


def _cast(host, dtype):
    if dtype.startswith("complex"):
        flipped = np.flip(host, axis=-1) if host.ndim else host
        return (host + 0.5j * flipped).astype(dtype)
    return host.astype(dtype)


def _inputs(case, dtype):
    return {k: _cast(v, dtype) for k, v in case.inputs(np.random.default_rng(SEED)).items()}


def _convert(case, backend, host):
    out = {}
    for name, arr in host.items():
        out[name] = backend.matrix(arr) if name == case.matrix else backend.dense(arr)
    return SimpleNamespace(**out)


def _size(host, ref):
    """Largest dimension of the inputs and of the compared results."""
    arrays = [*host.values(), *ref.values()]
    return max(max(a.shape, default=1) for a in arrays)


_REFERENCE = {}


def _reference(case, dtype, backend):
    wide = "complex128" if dtype.startswith("complex") else "float64"
    sparse = case.sparse_reference and backend.form in ("sparse", "cupy_sparse")
    key = (case.id, wide, sparse)
    if key not in _REFERENCE:
        a = _convert(case, _SPARSE if sparse else _NUMPY, _inputs(case, wide))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = case.reference(a) if case.reference else case.call(a, np.dtype(wide))
        _REFERENCE[key] = _compared(case, result)
    return _REFERENCE[key]


def _run(case, backend, dtype):
    host = _inputs(case, dtype)
    a = _convert(case, backend, host)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = case.call(a, np.dtype(dtype))
    return host, a, result


def _expect_type_error(case, backend, dtype):
    """The call raises a TypeError naming the argument or what was refused."""
    with pytest.raises(TypeError) as exc:
        _run(case, backend, dtype)
    msg = str(exc.value)
    refused = {
        "sparse": ("sparse",),
        "operator": ("LinearOperator",),
        "cupy_sparse": ("sparse",),
        "dense": (backend.namespace, "Tensor", "NumPy"),
    }[backend.form]
    args = tuple(f"{name} " for name in case.inputs(np.random.default_rng(0)))
    clear = any(w.lower() in msg.lower() for w in refused) or msg.startswith(args)
    assert clear, f"TypeError names neither the argument nor what was refused: {msg}"


def _missing(module):
    """Why `module` cannot be used here, or None."""
    if module is None:
        return None
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"{module} cannot be imported ({exc})"
    return None


def _applies(case, backend):
    """Whether `backend` makes sense for `case` at all (else no test)."""
    if not case.record.array_input:
        return backend is _NUMPY
    if backend.form == "dense":
        return True
    if case.matrix is None:
        return False
    ndim = case.inputs(np.random.default_rng(0))[case.matrix].ndim
    return ndim > 1 or backend.form != "cupy_sparse"  # cupyx has no 1-D sparse arrays


def _params():
    out = []
    for case in CASES:
        rec = case.record
        for backend in BACKENDS:
            if not _applies(case, backend):
                continue
            for dtype in rec.dtypes:
                if backend.form != "dense" and dtype.startswith("complex"):
                    continue
                marks = []
                reason = backend.skip_reason() or _missing(case.requires)
                if reason:
                    marks.append(pytest.mark.skip(reason=reason))
                failure = rec.known_failures.get(backend.namespace)
                if failure and backend.form == "dense":
                    marks.append(pytest.mark.xfail(strict=True, reason=failure))
                out.append(
                    pytest.param(case, backend, dtype, id=f"{case.id}-{backend.id}-{dtype}",
                                 marks=marks)
                )
    return out


def _form_supported(rec, backend):
    if backend.form == "dense":
        return True
    return bool(getattr(rec, _FORM_FLAG[backend.form]))


@pytest.mark.parametrize("case, backend, dtype", _params())
def test_backend_matrix(case, backend, dtype):
    rec = case.record
    if backend.namespace in rec.unsupported or not _form_supported(rec, backend):
        _expect_type_error(case, backend, dtype)
        return
    host, a, result = _run(case, backend, dtype)
    # an array made the way the inputs were, to compare library and device with
    like = np.zeros(1, dtype) if backend.form in ("sparse", "operator") else backend.dense(
        np.zeros(1, dtype)
    )
    _check_placement(result, rec, backend, like, dtype)
    ref = _reference(case, dtype, backend)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    cond = case.cond(_inputs(case, "float64"), ref) if callable(case.cond) else case.cond
    rtol = cond * (_size(host, ref) * eps + case.solver_tol)
    what = f"{case.id} on {backend.id} {dtype}"
    _assert_agrees(_compared(case, result), ref, rtol, what)
    # inputs are never modified
    again = _inputs(case, dtype)
    for name, arr in vars(a).items():
        if isinstance(arr, LinearOperator):
            continue
        np.testing.assert_array_equal(_host(arr), again[name], err_msg=f"{name} was modified")


# ----------------------------------------------------------------- coverage


def _public_modules():
    """(prefix, module) for nla and every public module below it."""
    yield "", nla
    for info in pkgutil.walk_packages(nla.__path__, prefix="nla."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue  # an optional dependency (the torch adapter without torch)
        yield info.name.removeprefix("nla.") + ".", module


def _methods(cls):
    """Public methods of `cls` (not those every tuple or object has)."""
    common = set(dir(tuple)) | set(dir(object))
    return [
        name
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name not in common
    ]


def public_computing_names():
    """Every public function and method, by the name its record carries.

    A name reachable at the top level is recorded there (``rsvd``, not
    ``lowrank.rsvd``); a method under the first public class of its module
    that has it (``sketch.SketchOperator.apply`` for every operator).
    """
    names = set()
    for prefix, module in _public_modules():
        public = {getattr(module, n) for n in module.__all__ if inspect.isclass(getattr(module, n))}
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            where = "" if getattr(nla, name, None) is obj else prefix
            if not inspect.isclass(obj) or issubclass(obj, BaseException):
                names.add(where + name)
                continue
            for meth in _methods(obj):
                mro = reversed(obj.__mro__)
                owner = next(c for c in mro if c in public and meth in _methods(c))
                names.add(f"{where}{owner.__name__}.{meth}")
    return names


def test_every_public_function_has_a_record_and_a_case():
    names = public_computing_names() - set(NOT_COMPUTING)
    missing_records = sorted(names - set(CAPABILITIES))
    assert not missing_records, f"public functions without a capability record: {missing_records}"
    cased = {case.name for case in CASES}
    assert cased == set(CAPABILITIES), (
        f"records without a case: {sorted(set(CAPABILITIES) - cased)}; "
        f"cases without a record: {sorted(cased - set(CAPABILITIES))}"
    )


def test_every_public_name_is_accounted_for():
    """Classes, records and subpackages too: a case of theirs, or a reason for none."""
    unaccounted = sorted(
        n for n in public_names() if not accounted_for(n, set(CAPABILITIES), NOT_COMPUTING)
    )
    assert not unaccounted, f"public names with neither a case nor a reason: {unaccounted}"


def test_records_claim_only_what_the_cases_exercise():
    """A claimed batch axis has a batched case; a claimed input form has a case for it."""
    for name, rec in CAPABILITIES.items():
        cases = [c for c in CASES if c.name == name]
        shapes = [a.shape for c in cases for a in c.inputs(np.random.default_rng(0)).values()]
        if rec.batch:
            assert any(len(s) > 2 for s in shapes), f"{name}: batch claimed, no batched case"
        if rec.sparse or rec.cupy_sparse or rec.linear_operator:
            assert any(c.matrix for c in cases), f"{name}: input forms claimed, no case has one"


def test_capability_tables_show_every_record():
    from nla._capabilities import capability_table

    families = sorted({rec.family for rec in CAPABILITIES.values()})
    rows = [line for fam in families for line in capability_table(fam).splitlines()]
    shown = [line.split("`nla.", 1)[1].rstrip("`") for line in rows if "`nla." in line]
    assert sorted(shown) == sorted(CAPABILITIES)
    with pytest.raises(ValueError, match="no capability records"):
        capability_table("no_such_family")

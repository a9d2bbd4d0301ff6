"""The bad-input matrix: every public function x every argument x input class.

For every public function and method (the table in
:mod:`tests._bad_input_cases`, one row per variant) and each of its array
arguments, the argument is replaced by one input of each class below, the
others keep their good values; every other parameter gets each of its
invalid values. The expected outcome of a cell is one of

* ``ok``: a result that agrees with the call on the plain float64 (complex128
  for complex input) C-ordered ndarray of the same values, within ``cond *
  (size * eps + solver_tol)`` as in the backend matrix (``eps`` of float32
  for float16 input), no ``np.matrix`` and no non-native or half-precision
  array in it, and no warning;
* ``raise``: ValueError or TypeError (not LinAlgError) whose message names
  the argument or option;
* ``either``: one of the two (an object array may be read, an empty array
  may give an empty result), a result being all finite and agreeing with
  the reference call when that one succeeds;
* ``scaled``: extreme magnitudes ``c x`` with ``c`` = 1e-300 or 1e300: the
  result agrees with ``c**degree`` times the result for ``x`` where that is
  representable in float64, else ``raise``;
* ``same_as_dense``: a sparse input with no entries or no rows behaves as the
  dense array of its values does (the same result, or an error naming the
  argument).

Whatever the outcome, no input is modified: each is compared with a copy
taken before the call (sparse inputs attribute by attribute, so an in-place
``sum_duplicates`` shows).

Input classes: NaN, +Inf, -Inf; empty along the first and the last axis;
each wrong number of dimensions next to the allowed ones; int, bool, complex,
float16, longdouble, big-endian, object and str dtypes; Python lists;
read-only, strided, Fortran-ordered and negatively strided arrays;
``np.matrix``; masked arrays (with a NaN under the mask); entries around
1e-300 and 1e300; every scipy.sparse format (csr, csc, coo, bsr, dia, dok,
lil) as sparse array and as sparse matrix, and where sparse input is taken
also with no entries, no rows, duplicate COO entries, a NaN, integers and
extreme magnitudes; per argument further bad values (shapes that do not
match, a non-symmetric or indefinite matrix where a PSD one is required).

Cells that fail on the current code are listed in :data:`KNOWN_FAILURES`
(strict xfail with the exact behaviour): a fix turns the cell into an
XPASS failure, telling its author to delete the entry. A public function
missing from the table, or a parameter of its signature without a row or an
option entry, fails :func:`test_every_public_name_and_parameter_is_in_the_table`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from tests._bad_input_cases import FNS, NOT_CALLABLE, Fn
from tests.test_backend_matrix import (
    NOT_COMPUTING,
    _leaves,
    _missing,
    accounted_for,
    public_computing_names,
    public_names,
)

# ===========================================================================
# KNOWN_FAILURES: cells that fail on the current code, with what they do.
# A fix makes its cells XPASS (strict), which fails: delete the entries then.
# ===========================================================================
KNOWN_FAILURES: dict[str, str] = {
    # ---------------------------------------------------------------- sketch
    # --------------------------------------------------------- least squares
    # --------------------------------------------------------------- lowrank
    # ---------------------------------------------------------------- matfun
}
# ===========================================================================

_SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "dia", "dok", "lil")
#: extreme magnitudes: entries near the ends of float64, and where squares
#: (Gram matrices) leave the normal range
_SCALES = {"tiny": 1e-300, "huge": 1e300, "1e-160": 1e-160, "1e160": 1e160}
#: float64 values a result may reach and keep its relative accuracy
_REPRESENTABLE = (1e-305, 1e306)


# ------------------------------------------------------------- input classes


@dataclasses.dataclass
class Made:
    """One bad input: the object passed, the plain values the reference call
    gets (None: no reference), the expectation, the scale of ``scaled``."""

    obj: object
    values: object
    expect: str
    scale: float = 1.0
    eps: float = float(np.finfo(np.float64).eps)
    key: str = "base"  # reference cache key: inputs with the same values share it


def _with_entry(x, value):
    y = np.array(x, dtype=np.float64)
    y.flat[y.size // 2] = value
    return y


def _strided(x):
    big = np.zeros(x.shape[:-1] + (2 * x.shape[-1],))
    big[..., ::2] = x
    return big[..., ::2]


def _negative_stride(x):
    flipped = np.flip(x).copy()
    return np.flip(flipped)


def _read_only(x):
    y = x.copy()
    y.setflags(write=False)
    return y


def _np_matrix(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(x)


def _masked(x):
    data = _with_entry(x, np.nan)
    mask = np.zeros(x.shape, dtype=bool)
    mask.flat[x.size // 2] = True
    return np.ma.masked_array(data, mask=mask)


def _wrong_ndims(arg, n):
    """The nearest invalid numbers of dimensions below and above `n`."""
    below = [d for d in range(n - 1, -1, -1) if not arg.allows_ndim(d)][:1]
    above = [d for d in range(n + 1, n + 3) if not arg.allows_ndim(d)][:1]
    return below + above


def _to_ndim(x, d):
    while x.ndim > d:
        x = x[0]
    while x.ndim < d:
        x = x[None]
    return np.array(x)


def _duplicates(x, kind):
    """A COO input holding each entry of `x` as two halves at the same place."""
    rows, cols = np.nonzero(x)
    vals = x[rows, cols]
    r = np.concatenate([rows, rows])
    c = np.concatenate([cols, cols])
    v = np.concatenate([vals / 2, vals - vals / 2])
    make = sp.coo_array if kind == "array" else sp.coo_matrix
    return make((v, (r, c)), shape=x.shape)


def _as_int(arg, x):
    return np.rint(8 * x).astype(np.int64) if arg.int_values is None else arg.int_values(x)


def _dense_classes(fn, arg, x):
    ok = "ok"
    out = {
        "nan": lambda: Made(_with_entry(x, np.nan), None, "raise"),
        "inf": lambda: Made(_with_entry(x, np.inf), None, "raise"),
        "-inf": lambda: Made(_with_entry(x, -np.inf), None, "raise"),
        "empty-first": lambda: Made(x[:0].copy(), None, "either"),
    }
    if x.ndim >= 2:
        out["empty-last"] = lambda: Made(x[..., :0].copy(), None, "either")
    for d in _wrong_ndims(arg, x.ndim):
        out[f"ndim={d}"] = lambda d=d: Made(_to_ndim(x, d), None, "raise")
    as_int = _as_int(arg, x)
    as_bool = (arg.bool_values or (lambda v: v > 0))(x)
    half = (x if arg.int_values is None else as_int).astype(np.float16)
    cplx = (x + 0.5j * np.flip(x, axis=-1)).astype(np.complex128)
    out.update(
        {
            "int": lambda: Made(as_int, as_int.astype(np.float64), ok, key="int"),
            "bool": lambda: Made(as_bool, as_bool.astype(np.float64), ok, key="bool"),
            "complex": lambda: Made(
                cplx, cplx, "ok" if arg.complex else "raise", key="complex"
            ),
            "float16": lambda: Made(
                half, half.astype(np.float64), ok, eps=float(np.finfo(np.float32).eps),
                key="float16",
            ),
            "longdouble": lambda: Made(x.astype(np.longdouble), None, "raise"),
            "big-endian": lambda: Made(x.astype(">f8"), x, ok),
            "object": lambda: Made(x.astype(object), x, "either"),
            "str": lambda: Made(x.astype(str), None, "raise"),
            "list": lambda: Made(x.tolist(), x, ok),
            "read-only": lambda: Made(_read_only(x), x, ok),
            "strided": lambda: Made(_strided(x), x, ok),
            "negative-stride": lambda: Made(_negative_stride(x), x, ok),
            "masked": lambda: Made(_masked(x), None, "raise"),
        }
    )
    if x.ndim >= 2:
        out["fortran"] = lambda: Made(np.asfortranarray(x), x, ok)
    if x.ndim == 2:
        out["np.matrix"] = lambda: Made(_np_matrix(x), x, ok)
    if arg.degree is not None:
        for label, c in _SCALES.items():
            out[label] = lambda c=c: Made(x * c, x, "scaled", c)
    for label, (transform, expect) in arg.extra.items():
        out[label] = lambda t=transform, e=expect: Made(t(x), None, e)
    return out


def _sparse_classes(fn, arg, x):
    out = {}
    accepted = "ok" if arg.sparse else "raise"
    key = "sparse" if fn.sparse_reference else "base"
    if x.ndim == 1:
        out["coo_array-1d"] = lambda: Made(sp.coo_array(x), x, accepted, key=key)
        return out
    if x.ndim != 2:
        return out
    for fmt in _SPARSE_FORMATS:
        for kind in ("array", "matrix"):
            make = getattr(sp, f"{fmt}_{kind}")
            out[f"{fmt}_{kind}"] = lambda make=make: Made(make(x), x, accepted, key=key)
    if not arg.sparse:
        return out
    zeros, empty = np.zeros_like(x), np.zeros((0, x.shape[1]))
    as_int = _as_int(arg, x)
    as_bool = (arg.bool_values or (lambda v: v > 0))(x)
    cplx = x + 0.5j
    out.update(
        {
            "sparse-no-entries": lambda: Made(
                sp.csr_array(x.shape), zeros, "same_as_dense", key="zeros"
            ),
            "sparse-no-rows": lambda: Made(
                sp.csr_array((0, x.shape[1])), empty, "same_as_dense", key="no-rows"
            ),
            "coo_array-duplicates": lambda: Made(_duplicates(x, "array"), x, "ok", key=key),
            "coo_matrix-duplicates": lambda: Made(_duplicates(x, "matrix"), x, "ok", key=key),
            "sparse-nan": lambda: Made(sp.csr_array(_with_entry(x, np.nan)), None, "raise"),
            "sparse-bool": lambda: Made(
                sp.csr_array(as_bool), as_bool.astype(np.float64), "ok",
                key="sparse-bool" if fn.sparse_reference else "bool",
            ),
            "sparse-float32": lambda: Made(
                sp.csr_array(x.astype(np.float32)), x.astype(np.float32).astype(np.float64),
                "ok", eps=float(np.finfo(np.float32).eps),
                key="sparse-float32" if fn.sparse_reference else "float32",
            ),
            "sparse-longdouble": lambda: Made(
                sp.csr_array(x.astype(np.longdouble)), None, "raise"
            ),
            "sparse-complex": lambda: Made(
                sp.csr_array(cplx), cplx, "ok" if arg.complex else "raise",
                key="sparse-complex",  # its values (x + 0.5j) differ from the dense cell's
            ),
            "sparse-int": lambda: Made(
                sp.csr_array(as_int), as_int.astype(np.float64), "ok",
                key="sparse-int" if fn.sparse_reference else "int",
            ),
        }
    )
    if arg.degree is not None:
        for label, c in _SCALES.items():
            out[f"sparse-{label}"] = lambda c=c: Made(sp.csr_array(x * c), x, "scaled", c, key=key)
    return out


def _torch_classes(fn, arg, x):
    import torch

    t = torch.asarray(x.copy())
    f32 = float(np.finfo(np.float32).eps)
    big = torch.zeros(x.shape[:-1] + (2 * x.shape[-1],), dtype=torch.float64)
    big[..., ::2] = t
    out = {
        "nan": lambda: Made(torch.asarray(_with_entry(x, np.nan)), None, "raise"),
        "inf": lambda: Made(torch.asarray(_with_entry(x, np.inf)), None, "raise"),
        "-inf": lambda: Made(torch.asarray(_with_entry(x, -np.inf)), None, "raise"),
        "empty-first": lambda: Made(t[:0].clone(), None, "either"),
        "ndim=1": lambda: Made(torch.asarray(_to_ndim(x, 1)), None, "raise"),
        "int": lambda: Made(t.round().to(torch.int64), None, "either"),
        "bool": lambda: Made(t > 0, None, "either"),
        "complex": lambda: Made(t.to(torch.complex128), None, "raise"),
        "float16": lambda: Made(t.to(torch.float16), None, "either"),
        "float32": lambda: Made(t.to(torch.float32), x.astype(np.float32).astype(np.float64),
                                "ok", eps=f32, key="float32"),
        "strided": lambda: Made(big[..., ::2], x, "ok"),
        "transposed": lambda: Made(t.mT.contiguous().mT, x, "ok"),
        "requires-grad": lambda: Made(t.clone().requires_grad_(True), x, "ok"),
        "numpy": lambda: Made(x.copy(), None, "raise"),
        "list": lambda: Made(x.tolist(), None, "raise"),
    }
    for label, c in _SCALES.items():
        out[label] = lambda c=c: Made(t * c, x, "scaled", c)
    for label, (transform, expect) in arg.extra.items():
        out[label] = lambda tr=transform, e=expect: Made(torch.asarray(tr(x)), None, e)
    return out


def input_classes(fn, arg, x):
    """label -> maker of the bad inputs of argument `arg` (base value `x`)."""
    if fn.torch:
        return _torch_classes(fn, arg, x)
    return {**_dense_classes(fn, arg, x), **_sparse_classes(fn, arg, x)}


# ------------------------------------------------------------------- snapshots


def _same(a, b):
    """Deep equality, NaN equal to NaN, arrays by dtype, shape and values."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        nan_ok = a.dtype.kind in "fc"
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=nan_ok))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def _state(obj):
    """What must not change in an input."""
    if sp.issparse(obj):
        return ("sparse", type(obj), copy.deepcopy(vars(obj)))
    if isinstance(obj, np.ma.MaskedArray):
        return ("masked", np.array(obj.data), np.array(np.ma.getmaskarray(obj)))
    if isinstance(obj, np.ndarray):
        return ("ndarray", type(obj), np.array(obj), obj.flags.writeable, obj.strides)
    if type(obj).__module__.startswith("torch"):
        return ("torch", obj.detach().cpu().clone().numpy(), obj.stride())
    return ("other", copy.deepcopy(obj))


def _assert_unchanged(before, obj, name):
    after = _state(obj)
    assert before[0] == after[0] and _same(list(before[1:]), list(after[1:])), (
        f"the input {name} was modified by the call"
    )


# ------------------------------------------------------------------- running


def _call(fn, arrays, opts):
    """('result', value, warnings) or ('raised', exception, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("result", fn.call(arrays, {**fn.defaults, **opts}))
        except Exception as exc:  # judged by the caller
            out = ("raised", exc)
    return (*out, [f"{w.category.__name__}: {w.message}" for w in caught])


def _torch_inputs(arrays):
    import torch

    return {k: torch.asarray(np.array(v)) for k, v in arrays.items()}


_REFERENCE = {}


def _reference(fn, arg, made, base):
    """The plain call on the made input's values (cached by values)."""
    key = (fn.id, arg, made.key)
    if key not in _REFERENCE:
        arrays = dict(base)
        values = made.values
        if made.key.startswith("sparse") and fn.sparse_reference:
            values = sp.csr_array(values)
        arrays[arg] = values
        if fn.torch:
            arrays = _torch_inputs(arrays)
        _REFERENCE[key] = _call(fn, arrays, {})
    return _REFERENCE[key]


def _names(msg, name):
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", msg) is not None


def _assert_raised_naming(outcome, name):
    kind, value, _ = outcome
    assert kind == "raised", f"expected ValueError/TypeError naming {name}, got a result"
    exc = value
    assert isinstance(exc, (ValueError, TypeError)) and not isinstance(
        exc, np.linalg.LinAlgError
    ), f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    assert _names(str(exc), name), (
        f"{type(exc).__name__} does not name {name}: {exc}"
    )


def _result_leaves(result):
    if isinstance(result, dict):
        return [(f"result[{k}]", v) for k, v in result.items()]
    try:
        return list(_leaves(result))
    except AssertionError:
        return []


def _check_result_arrays(result):
    for path, x in _result_leaves(result):
        assert not isinstance(x, np.matrix), f"{path} is an np.matrix"
        dt = getattr(x, "dtype", None)
        if isinstance(dt, np.dtype) and dt.kind in "fc":
            assert dt.isnative, f"{path} has non-native byte order {dt}"
            assert dt.itemsize >= 4 and dt.itemsize <= 16, f"{path} has dtype {dt}"


def _finite(parts):
    return all(np.all(np.isfinite(p)) for p in parts.values() if p.dtype.kind in "fc")


def _size(arrays, parts):
    dims = [max(np.shape(a), default=1) for a in arrays.values() if np.ndim(a)]
    dims += [max(p.shape, default=1) for p in parts.values()]
    return max(dims, default=1)


def _agree(fn, got, ref, rtol, scale=1.0, degree=None):
    assert set(got) == set(ref), f"parts {sorted(got)} != {sorted(ref)}"
    for key, r in ref.items():
        g = got[key]
        assert g.shape == r.shape, f"{key}: shape {g.shape} != {r.shape}"
        if degree is not None and degree(key):
            half = scale ** (degree(key) / 2)  # in two steps: c**degree may overflow
            g = g / half / half
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(g, r, err_msg=key)
            continue
        norm = np.linalg.norm(r)
        err = np.linalg.norm(g - r)
        assert np.isfinite(err) and err <= rtol * max(norm, np.finfo(float).tiny), (
            f"{key}: relative error {err / norm:.3g} > {rtol:.3g}"
        )


def _rtol(fn, arrays, parts, eps):
    cond = fn.cond(fn.base_inputs(), parts) if callable(fn.cond) else fn.cond
    return cond * (_size(arrays, parts) * eps + fn.solver_tol)


def _judge_result(fn, arrays, outcome, ref_outcome, made):
    kind, result, caught = outcome
    assert kind == "result", f"{type(result).__name__}: {result}"
    assert not caught, f"warnings on good input: {caught}"
    _check_result_arrays(result)
    rkind, ref, rcaught = ref_outcome
    assert rkind == "result" and not rcaught, f"the reference call failed: {ref} {rcaught}"
    got, want = fn.compare(result), fn.compare(ref)
    _agree(fn, got, want, _rtol(fn, arrays, want, made.eps))


def _representable(parts, scale, degree):
    lo, hi = _REPRESENTABLE
    for key, p in parts.items():
        top = float(np.max(np.abs(p))) if p.size and p.dtype.kind in "fc" else 0.0
        if top == 0.0:
            continue
        scaled = np.log10(top) + degree(key) * np.log10(scale)
        if not np.log10(lo) <= scaled <= np.log10(hi):
            return False
    return True


def _judge(fn, argname, made, arrays, outcome, base):
    expect = made.expect
    if expect == "raise":
        _assert_raised_naming(outcome, argname)
        return
    arg = next(a for a in fn.arrays if a.name == argname)
    if expect == "either" and outcome[0] == "raised":
        _assert_raised_naming(outcome, argname)
        return
    if expect == "either":
        kind, result, caught = outcome
        _check_result_arrays(result)
        parts = fn.compare(result)
        assert _finite(parts), f"a non-finite result: {parts}"
        if made.values is not None:
            ref = _reference(fn, argname, made, base)
            if ref[0] == "result":
                _agree(fn, parts, fn.compare(ref[1]), _rtol(fn, arrays, parts, made.eps))
        return
    ref_outcome = _reference(fn, argname, made, base)
    if expect == "same_as_dense":
        if ref_outcome[0] == "raised":
            _assert_raised_naming(ref_outcome, argname)  # the dense call itself
            _assert_raised_naming(outcome, argname)
            return
        _judge_result(fn, arrays, outcome, ref_outcome, made)
        return
    if expect == "scaled":
        rkind, ref, _ = ref_outcome
        assert rkind == "result", f"the reference call failed: {ref}"
        want = fn.compare(ref)
        if not _representable(want, made.scale, arg.degree_of):
            _assert_raised_naming(outcome, argname)
            return
        kind, result, caught = outcome
        assert kind == "result", f"{type(result).__name__}: {result}"
        assert not caught, f"warnings: {caught}"
        _check_result_arrays(result)
        rtol = _rtol(fn, arrays, want, made.eps)
        _agree(fn, fn.compare(result), want, rtol, made.scale, arg.degree_of)
        return
    assert expect == "ok", expect
    _judge_result(fn, arrays, outcome, ref_outcome, made)


# ------------------------------------------------------------------- the cells


@dataclasses.dataclass(frozen=True)
class Cell:
    fn: Fn
    kind: str  # "ok", "input" or "option"
    name: str = ""  # the argument or option
    label: str = ""  # the input class or the invalid value's label
    value: object = None  # the invalid option value

    @property
    def id(self):
        if self.kind == "ok":
            return f"{self.fn.id}-ok"
        if self.kind == "input":
            return f"{self.fn.id}-{self.name}-{self.label}"
        return f"{self.fn.id}-{self.name}={self.label}"


def cells():
    out = []
    for fn in FNS:
        if fn.torch and _missing(fn.requires):
            out.append(Cell(fn, "ok"))
            continue
        out.append(Cell(fn, "ok"))
        base = fn.base_inputs()
        for arg in fn.swept():
            for label in input_classes(fn, arg, base[arg.name]):
                out.append(Cell(fn, "input", arg.name, label))
        for opt in fn.options:
            for label, value in opt.bad:
                out.append(Cell(fn, "option", opt.name, label, value))
    return out


CELLS = cells()


def _params():
    params = []
    for cell in CELLS:
        marks = []
        reason = _missing(cell.fn.requires)
        if reason:
            marks.append(pytest.mark.skip(reason=reason))
        if cell.id in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[cell.id]))
        params.append(pytest.param(cell, id=cell.id, marks=marks))
    return params


def _base_arrays(fn):
    base = fn.base_inputs()
    return _torch_inputs(base) if fn.torch else base


@pytest.mark.parametrize("cell", _params())
def test_bad_input(cell):
    _run_cell(cell)


def _run_cell(cell):
    fn = cell.fn
    base = fn.base_inputs()
    arrays = _base_arrays(fn)
    made = None
    if cell.kind == "input":
        x = base[cell.name]
        made = input_classes(fn, next(a for a in fn.arrays if a.name == cell.name), x)[
            cell.label
        ]()
        arrays[cell.name] = made.obj
    before = {name: _state(obj) for name, obj in arrays.items()}
    opts = {cell.name: cell.value} if cell.kind == "option" else {}
    outcome = _call(fn, arrays, opts)
    for name, obj in arrays.items():
        _assert_unchanged(before[name], obj, name)
    if cell.kind == "ok":
        kind, result, caught = outcome
        assert kind == "result", f"{type(result).__name__}: {result}"
        assert not caught, f"warnings on good input: {caught}"
        _check_result_arrays(result)
        fn.compare(result)
        return
    if cell.kind == "option":
        _assert_raised_naming(outcome, cell.name)
        return
    _judge(fn, cell.name, made, arrays, outcome, base)


# ------------------------------------------------------------------- coverage


def _signature_names(fn):
    params = fn.signature().parameters.values()
    return {
        p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def test_every_public_name_and_parameter_is_in_the_table():
    names = public_computing_names() | set(NOT_COMPUTING)
    tabled = {fn.name for fn in FNS}
    missing = sorted(names - tabled - set(NOT_CALLABLE))
    assert not missing, f"public functions missing from the bad-input table: {missing}"
    # rows whose module cannot be imported here (the torch adapter without
    # torch) name functions the walk above cannot see
    unavailable = {fn.name for fn in FNS if _missing(fn.requires)}
    unknown = sorted(tabled - names - unavailable)
    assert not unknown, f"table rows for no public function: {unknown}"
    for name in sorted(tabled):
        fns = [fn for fn in FNS if fn.name == name]
        if any(_missing(fn.requires) for fn in fns):
            continue
        covered = {a.name for fn in fns for a in fn.arrays}
        covered |= {o.name for fn in fns for o in fn.options}
        params = set().union(*(_signature_names(fn) for fn in fns))
        uncovered = sorted(params - covered)
        assert not uncovered, f"{name}: parameters without bad-input cells: {uncovered}"


def test_every_public_name_is_accounted_for():
    """Classes, records and subpackages too: a row of theirs, or a reason for none."""
    tabled = {fn.name for fn in FNS}
    unaccounted = sorted(n for n in public_names() if not accounted_for(n, tabled, NOT_CALLABLE))
    assert not unaccounted, f"public names with neither a row nor a reason: {unaccounted}"


def test_known_failures_name_real_cells():
    ids = {cell.id for cell in CELLS}
    stale = sorted(set(KNOWN_FAILURES) - ids)
    assert not stale, f"KNOWN_FAILURES entries for no cell: {stale}"


# ------------------------------------------------- the judge itself can fail


def _fake(behaviour):
    """``2 A``, misbehaving as named on one input class only."""

    def f(A, k=1):
        if behaviour == "sums-duplicates" and sp.issparse(A):
            A.sum_duplicates()
        dense = isinstance(A, np.ndarray)
        if behaviour == "writes" and dense and not A.flags.c_contiguous:
            A[0, 0] += 1.0
        if behaviour == "linalg-error" and dense and not np.all(np.isfinite(A)):
            raise np.linalg.LinAlgError("SVD did not converge")
        if behaviour == "unnamed" and dense and A.dtype == np.float16:
            raise TypeError("unsupported dtype")
        wrong = behaviour == "int-wrong" and dense and A.dtype.kind == "i"
        matrix = behaviour == "matrix" and isinstance(A, list)
        A = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
        out = 2 * A * (1 + 1e-12 if wrong else 1)
        return np.matrix(out) if matrix else out

    return f


_FAKE_CASES = {
    "sums-duplicates": "coo_array-duplicates",
    "writes": "strided",
    "linalg-error": "nan",
    "unnamed": "float16",
    "int-wrong": "int",
    "matrix": "list",
}


@pytest.mark.parametrize("behaviour", sorted(_FAKE_CASES))
def test_the_judge_catches_misbehaviour(behaviour):
    from tests._bad_input_cases import Arg, _one

    fn = Fn(
        "fake", lambda: _fake(behaviour), behaviour,
        lambda rng: {"A": rng.standard_normal((4, 3))},
        (Arg("A", (2,), 1, sparse=True),), compare=_one,
    )
    cell = Cell(fn, "input", "A", _FAKE_CASES[behaviour])
    _run_cell(Cell(fn, "ok"))  # the well-behaved call passes
    with pytest.raises(AssertionError):
        _run_cell(cell)

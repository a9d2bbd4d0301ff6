"""What each public function supports: array libraries, dtypes, input kinds.

One record per public computing function or method, in the spirit of SciPy's
``xp_capabilities``: the array libraries it serves (NumPy, any library
through generic array-API code -- proven with ``array_api_strict`` --, CuPy,
torch), the dtypes, whether leading dimensions are batch dimensions, which
sparse and LinearOperator inputs it takes, and whether results stay on the
caller's device, with notes on the exceptions.

The records are the contract ``tests/test_backend_matrix.py`` checks: every
record has a case there, every supported combination runs and agrees with
NumPy, every unsupported library raises TypeError, and every public function
has a record. :func:`capability_table` renders them for the documentation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "NAMESPACES",
    "Capabilities",
    "CAPABILITIES",
    "capability_table",
]

#: the array libraries a record speaks about, in table order
NAMESPACES = ("numpy", "array_api_strict", "cupy", "torch")

_LABELS = {
    "numpy": "NumPy",
    "array_api_strict": "generic",
    "cupy": "CuPy",
    "torch": "torch",
}

_REAL = ("float32", "float64")
_COMPLEX = ("float32", "float64", "complex64", "complex128")


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """The backend support of one public function or method.

    Attributes
    ----------
    name : str
        Public name below ``nla`` (``"rsvd"``, ``"sketch.srht"``,
        ``"sketch.SketchOperator.apply"``, ``"CUR.to_dense"``).
    family : str
        The family it belongs to (``"sketch"``, ``"least_squares"``,
        ``"lowrank"``, ``"matfun"``).
    unsupported : mapping of str to str
        Array libraries (keys of :data:`NAMESPACES`) the function refuses by
        design, each with the reason; it raises TypeError for them.
    known_failures : mapping of str to str
        Array libraries the function is meant to serve but does not yet,
        each with what goes wrong; the backend matrix expects the failure
        (a strict xfail), so a fix shows up as a test to update.
    dtypes : tuple of str
        NumPy dtype names served (float32 input gives float32 results).
    batch : bool or None
        Leading dimensions are batch dimensions (None: no array input).
    sparse : bool or None
        ``scipy.sparse`` input is taken for the matrix argument (None: the
        function has no matrix argument).
    cupy_sparse : bool or None
        ``cupyx.scipy.sparse`` input is taken.
    linear_operator : bool or None
        A :class:`scipy.sparse.linalg.LinearOperator` is taken.
    same_device : bool
        Results are on the device of the input.
    array_input : bool
        Whether the function takes an array at all; without one (a method
        building a NumPy matrix from the operator) only NumPy applies.
    host_outputs : tuple of str
        Parts of the result that are NumPy arrays on the host whatever the
        input's library (attribute names of the result).
    notes : str
        Exceptions and remarks, one or two sentences.
    """

    name: str
    family: str
    unsupported: Mapping = dataclasses.field(default_factory=dict, hash=False)
    known_failures: Mapping = dataclasses.field(default_factory=dict, hash=False)
    dtypes: tuple = _REAL
    batch: bool | None = False
    sparse: bool | None = False
    cupy_sparse: bool | None = False
    linear_operator: bool | None = False
    same_device: bool = True
    array_input: bool = True
    host_outputs: tuple = ()
    notes: str = ""

    def __post_init__(self):
        for field in ("unsupported", "known_failures"):
            value = getattr(self, field)
            bad = set(value) - set(NAMESPACES)
            if bad:
                raise ValueError(f"{self.name}: unknown namespaces in {field}: {sorted(bad)}")
            object.__setattr__(self, field, MappingProxyType(dict(value)))
        both = set(self.unsupported) & set(self.known_failures)
        if both:
            raise ValueError(f"{self.name}: {sorted(both)} both unsupported and failing")

    @property
    def complex(self) -> bool:
        """Whether complex dtypes are served."""
        return any(d.startswith("complex") for d in self.dtypes)


def _cap(name, family, **kw):
    return Capabilities(name, family, **kw)


_OPERATOR_NOTE = (
    "The random parts are drawn on the host once and moved to the library "
    "and device of the data they are applied to."
)
_METHOD = "sketch.SketchOperator."

_RECORDS = [
    # ----------------------------------------------------------------- sketch
    _cap(
        "fwht",
        "sketch",
        dtypes=_COMPLEX,
        batch=True,
        notes="Transforms along ``axis``; the other axes are batch axes. Numba "
        "engine for NumPy input, a CuPy kernel for CuPy, generic code otherwise.",
    ),
    *(
        _cap(
            f"sketch.{kind}",
            "sketch",
            batch=None,
            sparse=None,
            cupy_sparse=None,
            linear_operator=None,
            notes="A constructor: the namespace columns are those of the "
            f"operator's methods. {_OPERATOR_NOTE}",
        )
        for kind in ("gaussian", "srht", "sparse_sign", "fjlt", "make_sketch")
    ),
    *(
        _cap(
            _METHOD + meth,
            "sketch",
            sparse=True,
            cupy_sparse=True,
            notes=note,
        )
        for meth, note in (
            ("apply", "``S @ X``; sparse X is transformed in blocks, never densified "
             "whole (the result is dense, NumPy for scipy.sparse X)."),
            ("apply_rows", "``X @ S.T``; sparse X as for apply."),
            ("adjoint", "``S.T @ Y``; a sparse Y (in the small sketch space) is densified."),
            ("matvec", "LinearOperator protocol: ``S @ x``."),
            ("rmatvec", "LinearOperator protocol: ``S.T @ y``."),
            ("matmat", "LinearOperator protocol: ``S @ X``."),
            ("rmatmat", "LinearOperator protocol: ``S.T @ Y``."),
        )
    ),
    *(
        _cap(
            name,
            "sketch",
            array_input=False,
            batch=None,
            sparse=None,
            cupy_sparse=None,
            linear_operator=None,
            notes=note,
        )
        for name, note in (
            (_METHOD + "to_dense", "The ``(k, d)`` matrix as a NumPy array, for small "
             "sketches and tests."),
            ("sketch.SparseSignSketch.to_sparse", "The matrix as a scipy.sparse CSC array."),
        )
    ),
    _cap(
        _METHOD + "as_linear_operator",
        "sketch",
        array_input=False,
        batch=None,
        sparse=None,
        cupy_sparse=None,
        linear_operator=None,
        notes="A :class:`scipy.sparse.linalg.LinearOperator` calling the sketch's "
        "methods; SciPy's operators take NumPy arrays.",
    ),
    # ---------------------------------------------------------- least squares
    _cap(
        "lstsq",
        "least_squares",
        sparse=True,
        notes="A scipy.sparse A (with a NumPy b) runs LSQR preconditioned by the "
        "sketch; a cupyx sparse A raises TypeError.",
    ),
    # ---------------------------------------------------------------- lowrank
    _cap(
        "rsvd",
        "lowrank",
        sparse=True,
        linear_operator=True,
        notes="Returns ``SVDResult(U, s, Vt)``. scipy.sparse and LinearOperator "
        "input give NumPy results.",
    ),
    _cap(
        "range_finder",
        "lowrank",
        sparse=True,
        linear_operator=True,
        notes="scipy.sparse and LinearOperator input give NumPy results.",
    ),
    _cap(
        "nystrom",
        "lowrank",
        sparse=True,
        notes="Returns ``LowRank(left, right)``.",
    ),
    _cap(
        "nystrom_psd",
        "lowrank",
        sparse=True,
        notes="Returns ``NystromPSD(U, eigenvalues)``.",
    ),
    _cap(
        "cur",
        "lowrank",
        sparse=True,
        host_outputs=("col_idx", "row_idx"),
        notes="Index selection (DEIM, Q-DEIM, pivoted QR, sampling) runs on the host "
        "on thin matrices; ``col_idx`` and ``row_idx`` are NumPy int64 arrays, and C, "
        "U and R live where A lives (C and R sparse for sparse A).",
    ),
    _cap("pinv_cr", "lowrank"),
    *(
        _cap(name, "lowrank", batch=None, sparse=None, linear_operator=None,
             cupy_sparse=None, notes=note)
        for name, note in (
            ("SVDResult.to_dense", "``(U * s) @ Vt``, in the library of the factors."),
            ("LowRank.to_dense", "``left @ right``, in the library of the factors."),
            ("NystromPSD.to_dense", "``U diag(eigenvalues) U^T``, in the library of "
             "the factors."),
        )
    ),
    _cap(
        "CUR.to_dense",
        "lowrank",
        batch=None,
        sparse=True,
        linear_operator=None,
        notes="``C @ U @ R`` as a dense array; the sparse C and R of a sparse A are "
        "multiplied as sparse matrices.",
    ),
    # ----------------------------------------------------------------- matfun
    *(
        _cap(
            name,
            "matfun",
            batch=True,
            notes=note,
        )
        for name, note in (
            ("sqrtm", "Batches of SPD matrices ``(..., n, n)``."),
            ("inv_sqrtm", "Batches of SPD matrices ``(..., n, n)``."),
            ("sqrtm_vjp", "Backward of sqrtm: ``(A, G) -> dA``."),
            ("inv_sqrtm_vjp", "Backward of inv_sqrtm: ``(A, G) -> dA``."),
            ("sqrtm_with_vjp", "Returns ``(X, vjp)``; the closure keeps the library "
             "and device of A."),
            ("inv_sqrtm_with_vjp", "Returns ``(Y, vjp)``; the closure keeps the "
             "library and device of A."),
        )
    ),
    *(
        _cap(
            f"matfun.torch.{name}",
            "matfun",
            unsupported={
                ns: "a torch.autograd adapter: it takes torch tensors only"
                for ns in NAMESPACES
                if ns != "torch"
            },
            batch=True,
            notes="Differentiable once through torch.autograd. A CPU tensor reaches "
            "NumPy's LAPACK path without a copy; a tensor on another device runs "
            "through the generic code on that device.",
        )
        for name in ("sqrtm", "inv_sqrtm")
    ),
]



def _family_records():
    """Records of the families that keep their table beside their code.

    A family ``nla.<family>`` may hold its records in
    ``nla/<family>/_capabilities.py`` as ``RECORDS`` (a sequence of
    :class:`Capabilities`); they join the table here.
    """
    import importlib
    import importlib.util

    import nla

    out = []
    for family in nla._FAMILIES:
        name = f"nla.{family}._capabilities"
        if importlib.util.find_spec(name) is not None:
            out.extend(importlib.import_module(name).RECORDS)
    return out


_RECORDS += _family_records()

#: every record, by public name
CAPABILITIES = MappingProxyType({rec.name: rec for rec in _RECORDS})
if len(CAPABILITIES) != len(_RECORDS):  # pragma: no cover - a typo in the table
    raise RuntimeError("duplicate capability records")


def _flag(value):
    return {True: "yes", False: "no", None: "--"}[value]


def _namespace_cell(rec, ns):
    if not rec.array_input:
        return "yes" if ns == "numpy" else "--"
    if ns in rec.unsupported:
        return "no"
    if ns in rec.known_failures:
        return "fails"
    return "yes"


def _dtype_cell(rec):
    return "f32, f64, complex" if rec.complex else "f32, f64"


def _notes_cell(rec):
    parts = [rec.notes] if rec.notes else []
    by_reason = {}
    for ns, why in rec.unsupported.items():
        by_reason.setdefault(why, []).append(_LABELS[ns])
    for why, labels in by_reason.items():
        parts.append(f"Not {', '.join(labels)}: {why}.")
    for ns, why in rec.known_failures.items():
        parts.append(f"{_LABELS[ns]} fails today: {why}.")
    return " ".join(parts)


def _reference(rec):
    name = rec.name
    if "." in name and name[0].isupper():
        return f":meth:`nla.{name}`"
    if name.startswith(_METHOD):
        return f":meth:`nla.{name}`"
    return f":func:`nla.{name}`"


def capability_table(family=None) -> str:
    """The records as an RST ``list-table`` (of one `family`, or of all).

    Columns: the function, one column per array library (``generic`` is any
    array-API library through standard code, proven with
    ``array_api_strict``), dtypes, batch, scipy.sparse, cupyx sparse,
    LinearOperator, same device, notes. ``--`` marks a column that does not
    apply (a constructor takes no array).
    """
    recs = [r for r in _RECORDS if family is None or r.family == family]
    if not recs:
        raise ValueError(f"no capability records for family {family!r}")
    header = [
        "Function",
        *(_LABELS[ns] for ns in NAMESPACES),
        "dtypes",
        "batch",
        "scipy.sparse",
        "cupyx sparse",
        "LinearOperator",
        "same device",
        "notes",
    ]
    rows = [header]
    for rec in recs:
        rows.append(
            [
                _reference(rec),
                *(_namespace_cell(rec, ns) for ns in NAMESPACES),
                _dtype_cell(rec),
                _flag(rec.batch),
                _flag(rec.sparse),
                _flag(rec.cupy_sparse),
                _flag(rec.linear_operator),
                "yes" if rec.same_device else "no",
                _notes_cell(rec),
            ]
        )
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: auto",
        "",
    ]
    for row in rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}".rstrip() for cell in row[1:])
    return "\n".join(lines) + "\n"

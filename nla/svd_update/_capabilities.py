"""Capability records of the svd_update family (see :mod:`nla._capabilities`)."""

from .._capabilities import Capabilities

_WHY = (
    "the updates are built on scipy.sparse products and LAPACK on the host; "
    "the factors are NumPy arrays"
)
_UNSUPPORTED = {"array_api_strict": _WHY, "cupy": _WHY, "torch": _WHY}
_STATE = (
    "Returns the model (``self``); the factors ``U``, ``s``, ``Vt`` are NumPy "
    "arrays in the precision of the data (float32 kept)."
)


def _record(name, notes, **kw):
    return Capabilities(f"IncrementalSVD.{name}", "svd_update", unsupported=_UNSUPPORTED,
                        sparse=True, notes=notes, **kw)


RECORDS = [
    _record("fit", "Any scipy.sparse format; a large sparse matrix is never densified. "
            + _STATE),
    _record("add_rows", "E dense or any scipy.sparse format; the default rule never "
            "densifies a sparse E (``E E^T`` and ``E V`` by sparse products). " + _STATE),
    _record("add_columns", "The row rule on the transposed state. " + _STATE),
    _record("update", "D and E dense or scipy.sparse; their parts outside the current "
            "subspaces are formed densely (``m x c``, ``n x c``). " + _STATE),
    _record("refine", "A dense or scipy.sparse, used only through products with blocks "
            "of vectors. " + _STATE),
    _record("partial_fit", "fit on the first call, then add_rows. " + _STATE),
    _record("transform", "``X V`` for X dense or scipy.sparse; a NumPy array."),
]
